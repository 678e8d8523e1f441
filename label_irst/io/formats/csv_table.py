"""CSV of centroid + equivalent radius per target (the geometry RPR-Net learns, Sec. III-C1).

Export: ``ROOT/targets.csv`` and ``ROOT/images/<seq>/<frame>.png``. One row per target with
sequence, frame, image (relative to ROOT), target_id, track_id, x, y (centroid, 0-based pixel
indices), radius (sqrt(area / pi)), area, bbox x0, y0, x1, y1 (exclusive ends), source, status,
rho, split, score (the model's detection score of a pre-annotated ``model`` target, Sec. III-B;
empty for the others); a frame without targets gets one row with the target columns empty.
``score`` is the last column, so every older column keeps its place, and a CSV without it
(written before it was added) reads as before.

Import: a CSV holds no pixels, so each row becomes a review item (centroid seed with its radius:
guided PAMG, Rs = k * r, rebuilds the mask). Masks do not survive a CSV round trip; centroids,
radii, ids and splits do. The score belongs to the model's mask, so it is not carried to the
masks rebuilt from the points (the column is read past, like any column the reader does not use).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, ReviewItem, image_info
from label_irst.io.atomic import write_text_atomic
from label_irst.io.files import read_head, read_text
from label_irst.io.formats._common import (
    ExportPlan,
    _in_images,
    copied_frames,
    dataset_name,
    file_or_inside,
)
from label_irst.io.naming import resolve_inside
from label_irst.job import Job

NAME = "csv"
SUMMARY = "targets.csv: centroid + radius per target (no pixels) + images/"
FILE = "targets.csv"
COLUMNS = (
    "sequence", "frame", "image", "target_id", "track_id", "x", "y", "radius", "area",
    "x0", "y0", "x1", "y1", "source", "status", "rho", "split", "score",
)  # fmt: skip


def _csv_of(path: Path) -> Path | None:
    return file_or_inside(path, ".csv", FILE)


def detect(path: Path) -> bool:
    found = _csv_of(path)
    if found is None:
        return False
    head = read_head(found).decode("utf-8", errors="replace").splitlines()[:1]
    return bool(head) and all(c in head[0] for c in ("image", "x", "y", "radius"))


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for frame, seq, name, image in copied_frames(ann, plan, job, _in_images(root)):
        relative = image.relative_to(root).as_posix()
        split = plan.split_of(frame)
        if not frame.targets:
            writer.writerow([seq, name, relative] + [""] * 13 + [split, ""])
        for target in frame.targets:
            r = target.record()
            rho = "" if r["rho"] is None else r["rho"]
            track = "" if r["track_id"] is None else r["track_id"]
            score = "" if r.get("score") is None else r["score"]
            writer.writerow(
                [seq, name, relative, r["id"], track, *r["centroid"], r["radius"], r["area"],
                 *r["bbox"], r["source"], r["status"], rho, split, score]
            )  # fmt: skip
    write_text_atomic(root / FILE, buffer.getvalue())


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    source = _csv_of(Path(path))
    if source is None:
        raise LabelIrstError(f"{path}: no targets CSV ({FILE})")
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(source), newline="")))
    except csv.Error as exc:
        raise LabelIrstError(f"{source}: malformed CSV ({exc})") from None
    ann = Annotations(name=dataset_name(source.parent))
    frames: dict[str, Frame] = {}
    for line_no, row in enumerate(rows, 2):
        try:
            image_rel = (row.get("image") or "").strip()
            if image_rel not in frames:
                image_path = resolve_inside(source.parent, image_rel)
                shape, dtype = image_info(image_path)
                sequence = (row.get("sequence") or "").strip()
                name = (row.get("frame") or "").strip() or image_path.stem
                split = row.get("split") if row.get("split") in ("train", "test") else None
                frames[image_rel] = Frame(sequence, name, image_path, shape, dtype, split=split)
                ann.frames.append(frames[image_rel])
            if not (row.get("x") or "").strip():
                continue
            radius = (row.get("radius") or "").strip()
            track = (row.get("track_id") or "").strip()
            frames[image_rel].review.append(
                ReviewItem(
                    (_number(row["x"]), _number(row["y"])),
                    radius=_number(radius) if radius else None,
                    source="point",
                    id=int(row.get("target_id") or 0),
                    track_id=int(track) if track else None,
                )
            )
        except (LabelIrstError, ValueError, KeyError, TypeError, OverflowError) as exc:
            job.warning(f"skipped: {source}:{line_no}: {exc}")
        job.step(line_no - 1, len(rows))
    return ann
