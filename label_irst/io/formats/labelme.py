"""labelme JSON files with ``mask`` shapes, one JSON beside each frame.

Export: ``ROOT/<seq>/<frame>.png`` + ``ROOT/<seq>/<frame>.json`` (``ROOT/<frame>.*`` for frames
without a sequence). Each target is a shape of type ``mask``: ``points`` are the inclusive
top-left and bottom-right pixels of its bbox, ``mask`` the base64 PNG of the crop (labelme 5
reads the same), ``group_id`` the track id; target id, source, status and rho ride along as
extra shape keys, which labelme keeps.

Import: ``mask``, ``polygon`` and ``circle`` shapes become masks; ``rectangle`` and ``point``
shapes go to the review queue (box centre or point -> PAMG). ``imagePath`` is resolved next to
the JSON and may not leave the dataset folder.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

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
from label_irst.io.formats._common import (
    ExportPlan,
    copied_frames,
    dataset_name,
    read_json,
    write_json,
)
from label_irst.io.images import natural_key
from label_irst.io.naming import resolve_inside
from label_irst.job import Job

NAME = "labelme"
SUMMARY = "labelme JSON beside each frame, one 'mask' shape per target"
LABELME_VERSION = "5.5.0"


def _crop_to_b64(crop: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.where(crop, 255, 0).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _b64_to_crop(text: str) -> np.ndarray:
    from label_irst.io.images import _open_pillow, check_size

    try:
        with _open_pillow(io.BytesIO(base64.b64decode(text))) as im:
            check_size(Path("a mask shape"), *im.size)
            array = np.asarray(im)
    except Exception as exc:  # noqa: BLE001 - any decoding error is a bad file
        raise LabelIrstError(f"cannot decode a mask shape ({exc})") from None
    if array.ndim == 3:
        array = array[..., -1] if array.shape[2] in (2, 4) else array[..., 0]
    return array > 0


def _json_files(root: Path) -> list[Path]:
    files = [
        p
        for p in root.rglob("*.json")
        if not any(x.startswith(".") for x in p.relative_to(root).parts)
    ]
    return sorted(files, key=lambda p: natural_key(p.relative_to(root).as_posix()))


def detect(path: Path) -> bool:
    if not path.is_dir():
        return False
    for candidate in _json_files(path)[:5]:
        head = read_head(candidate, 2048).decode("utf-8", errors="replace")
        if '"shapes"' in head or '"imagePath"' in head:
            return True
    return False


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    def beside_json(seq: str, name: str) -> Path:
        return (root / seq if seq else root) / name

    for frame, _, name, image in copied_frames(ann, plan, job, beside_json):
        folder = image.parent
        shapes = []
        for target in frame.targets:
            record = target.record()
            x0, y0, x1, y1 = record["bbox"]
            shapes.append(
                {
                    "label": "target",
                    "points": [[float(x0), float(y0)], [float(x1 - 1), float(y1 - 1)]],
                    "group_id": record["track_id"],
                    "description": "",
                    "shape_type": "mask",
                    "flags": {},
                    "mask": _crop_to_b64(target.mask.crop),
                    "target_id": record["id"],
                    "source": record["source"],
                    "status": record["status"],
                    "rho": record["rho"],
                    "score": record["score"],
                }
            )
        h, w = frame.shape
        data = {
            "version": LABELME_VERSION,
            "flags": {},
            "shapes": shapes,
            "imagePath": image.name,
            "imageData": None,
            "imageHeight": int(h),
            "imageWidth": int(w),
            "split": plan.split_of(frame),
        }
        write_json(folder / f"{name}.json", data)


def _shape_target(shape: dict, size: tuple[int, int], warn=None) -> Target | ReviewItem | None:
    kind = shape.get("shape_type") or "polygon"
    pts = frame_points(shape.get("points") or [], size)
    track = shape.get("group_id")
    extra = {
        "id": int(shape.get("target_id") or 0),
        "track_id": None if track is None else int(track),
    }
    if kind in ("rectangle", "point"):
        if kind == "point":
            return ReviewItem((float(pts[0, 0]), float(pts[0, 1])), None, source="point", **extra)
        (xa, ya), (xb, yb) = pts.min(axis=0), pts.max(axis=0)
        centre = ((xa + xb) / 2.0, (ya + yb) / 2.0)
        return ReviewItem(centre, (xa, ya, xb + 1.0, yb + 1.0), source="box", **extra)
    full = np.zeros(size, np.uint8)
    if kind == "mask":
        crop = _b64_to_crop(shape.get("mask") or "")
        x0, y0 = (int(round(v)) for v in pts[0])
        CroppedMask(crop, (y0, x0)).paint(full, 1)
    elif kind == "polygon" and len(pts) >= 3:
        cv2.fillPoly(full, [np.round(pts).astype(np.int32)], 1)
    elif kind == "circle" and len(pts) == 2:
        radius = float(np.hypot(*(pts[1] - pts[0])))
        cv2.circle(full, tuple(int(round(v)) for v in pts[0]), int(round(radius)), 1, -1)
    else:
        return None
    mask = CroppedMask.from_full(full.astype(bool))
    if mask.area == 0:
        return None
    return Target(
        mask=mask,
        source=str(shape.get("source") or "manual"),
        status=str(shape.get("status") or "confirmed"),
        rho=None if shape.get("rho") is None else float(shape["rho"]),
        score=read_score(shape, f"target {extra['id']}", warn),
        **extra,
    )


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    root = Path(path)
    files = _json_files(root)
    if not files:
        raise LabelIrstError(f"{root}: no labelme JSON files")
    ann = Annotations(name=dataset_name(root))
    for done, json_path in enumerate(files, 1):
        try:
            data = read_json(json_path)
            if not isinstance(data, dict) or "shapes" not in data:
                continue
            if not data.get("imagePath"):
                raise LabelIrstError(f"{json_path}: no imagePath")
            relative = json_path.parent.relative_to(root).as_posix()
            image_rel = f"{relative}/{data['imagePath']}" if relative != "." else data["imagePath"]
            image_path = resolve_inside(root, image_rel)
            shape, dtype = image_info(image_path)
            sequence = "_".join(json_path.parent.relative_to(root).parts)
            split = data.get("split") if data.get("split") in ("train", "test") else None
            frame = Frame(sequence, json_path.stem, image_path, shape, dtype, split=split)
            for item in data["shapes"]:
                got = _shape_target(item, shape, lambda m, p=json_path: job.warning(f"{p}: {m}"))
                if isinstance(got, Target):
                    frame.targets.append(got)
                elif isinstance(got, ReviewItem):
                    frame.review.append(got)
        except (
            LabelIrstError, TypeError, ValueError, IndexError, AttributeError, OverflowError,
            cv2.error,
        ) as exc:  # fmt: skip
            job.warning(f"skipped: {json_path}: {exc}")
            continue
        ann.frames.append(frame)
        job.step(done, len(files))
    if not ann.frames:
        raise LabelIrstError(f"{root}: no readable labelme JSON file")
    return ann
