"""COCO instance segmentation with RLE masks (compressed strings from our own encoder).

Export: ``ROOT/images/<seq>/<frame>.png`` and ``ROOT/annotations.json`` with ``images`` (id,
file_name relative to images/, width, height, sequence, frame, split), ``annotations`` (id,
image_id, category_id, segmentation RLE of the full frame, area, bbox [x, y, w, h], iscrowd 0,
track_id, target_id, source, status, rho) and one category ``target``.

Import: RLE (string or list counts) and polygon segmentations become masks; annotations with a
bbox only go to the review queue (box centre -> PAMG). ``file_name`` is resolved inside the
dataset folder; absolute paths and ``..`` are refused.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.io.annotations import (
    Annotations,
    Frame,
    ReviewItem,
    Target,
    frame_points,
    image_info,
    read_score,
)
from label_irst.io.files import read_head
from label_irst.io.formats import rle
from label_irst.io.formats._common import (
    ExportPlan,
    _in_images,
    copied_frames,
    dataset_name,
    file_or_inside,
    read_json,
    write_json,
)
from label_irst.io.naming import resolve_inside, split_relative
from label_irst.job import Job

NAME = "coco"
SUMMARY = "COCO instance segmentation, RLE masks: annotations.json + images/"
FILE = "annotations.json"


def _json_of(path: Path) -> Path | None:
    return file_or_inside(path, ".json", FILE)


def detect(path: Path) -> bool:
    found = _json_of(path)
    if found is None:
        return False
    head = read_head(found).decode("utf-8", errors="replace")
    return '"images"' in head or '"annotations"' in head or '"info"' in head


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    images, annotations = [], []
    next_ann = 1
    for frame, seq, name, written in copied_frames(ann, plan, job, _in_images(root)):
        image_id = len(images) + 1
        h, w = frame.shape
        images.append(
            {
                "id": image_id,
                "file_name": f"{seq}/{written.name}" if seq else written.name,
                "width": int(w),
                "height": int(h),
                "sequence": seq,
                "frame": name,
                "split": plan.split_of(frame),
            }
        )
        for target in frame.targets:
            record = target.record()
            x0, y0, x1, y1 = record["bbox"]
            annotations.append(
                {
                    "id": next_ann,
                    "image_id": image_id,
                    "category_id": 1,
                    "segmentation": rle.encode(target.mask.to_full(frame.shape)),
                    "area": record["area"],
                    "bbox": [x0, y0, x1 - x0, y1 - y0],
                    "iscrowd": 0,
                    "target_id": record["id"],
                    "track_id": record["track_id"],
                    "source": record["source"],
                    "status": record["status"],
                    "rho": record["rho"],
                    "score": record["score"],
                }
            )
            next_ann += 1
    data = {
        "info": {"description": ann.name, "version": "1.0", "contributor": "label-irst"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "target", "supercategory": "target"}],
    }
    write_json(root / FILE, data)


def _polygon_mask(polygons: list, shape: tuple[int, int]) -> np.ndarray:
    full = np.zeros(shape, np.uint8)
    for poly in polygons:
        pts = frame_points(poly, shape)
        if len(pts) >= 3:
            cv2.fillPoly(full, [np.round(pts).astype(np.int32)], 1)
    return full.astype(bool)


def _segmentation(seg, shape: tuple[int, int]) -> np.ndarray | None:
    if isinstance(seg, dict):
        mask = rle.decode(seg)
        if mask.shape != shape:
            raise LabelIrstError(f"RLE size {mask.shape} != image size {shape}")
        return mask
    if isinstance(seg, list) and seg:
        return _polygon_mask(seg, shape)
    return None


def _frame_names(entry: dict) -> tuple[str, str]:
    parts = split_relative(str(entry["file_name"]))
    sequence = str(entry.get("sequence") or "_".join(parts[:-1]))
    frame = str(entry.get("frame") or Path(parts[-1]).stem)
    return sequence, frame


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    source = _json_of(Path(path))
    if source is None:
        raise LabelIrstError(f"{path}: no COCO JSON file ({FILE})")
    data = read_json(source)
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise LabelIrstError(f"{source}: not a COCO file (needs an 'images' list)")
    base = source.parent / "images" if (source.parent / "images").is_dir() else source.parent
    ann = Annotations(name=dataset_name(source.parent))
    frames: dict[object, Frame] = {}
    for entry in data["images"]:
        try:
            image_path = resolve_inside(base, str(entry["file_name"]))
            sequence, name = _frame_names(entry)
            shape, dtype = image_info(image_path)
            split = entry.get("split") if entry.get("split") in ("train", "test") else None
            frame = Frame(sequence, name, image_path, shape, dtype, split=split)
        except (KeyError, TypeError, AttributeError) as exc:
            job.warning(f"{source}: skipped a malformed image entry ({type(exc).__name__}: {exc})")
            continue
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        if not isinstance(entry.get("id"), (int, str)):
            job.warning(f"skipped image {frame.key}: its id is not a number or a string")
            continue
        frames[entry.get("id")] = frame
        ann.frames.append(frame)
    items = data.get("annotations", [])
    if not isinstance(items, list):
        raise LabelIrstError(f"{source}: 'annotations' must be a list")
    for done, item in enumerate(items, 1):
        image_id = item.get("image_id") if isinstance(item, dict) else None
        frame = frames.get(image_id) if isinstance(image_id, (int, str)) else None
        if frame is None:
            job.warning(f"{source}: skipped annotation {done}: no readable image {image_id!r}")
            continue
        try:
            mask = _segmentation(item.get("segmentation"), frame.shape)
            if mask is None or not mask.any():
                x, y, w, h = (float(v) for v in item["bbox"])
                centre = (x + w / 2.0 - 0.5, y + h / 2.0 - 0.5)
                frame.review.append(
                    ReviewItem(
                        centre, (x, y, x + w, y + h), source="box", id=int(item.get("id", 0))
                    )
                )
                continue
            track = item.get("track_id")
            frame.targets.append(
                Target(
                    mask=CroppedMask.from_full(mask),
                    id=int(item.get("target_id") or item.get("id") or 0),
                    track_id=None if track is None else int(track),
                    source=str(item.get("source") or "manual"),
                    status=str(item.get("status") or "confirmed"),
                    rho=None if item.get("rho") is None else float(item["rho"]),
                    score=read_score(item, f"{source}: annotation {item.get('id')}", job.warning),
                )
            )
        except (LabelIrstError, KeyError, TypeError, ValueError, OverflowError, cv2.error) as exc:
            job.warning(f"{source}: skipped annotation {item.get('id')}: {exc}")
        job.step(done, len(items))
    return ann
