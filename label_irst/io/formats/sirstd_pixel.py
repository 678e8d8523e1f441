"""SIRSTD-Pixel-style sequence folders (Sec. III-D of the paper), the layout IRSTD toolboxes load.

``ROOT/images/<seq>/<frame>.png`` (raw dtype, 16-bit stays 16-bit), ``ROOT/masks/<seq>/<frame>.png``
(0/255, same size and name), ``ROOT/img_idx/train_<NAME>.txt`` and ``test_<NAME>.txt`` with
``<seq>/<frame>`` lines, ``ROOT/annotations/<seq>.json`` with per-frame targets (id, track id,
centroid, equivalent radius, bbox, area, source, review status, rho and the mask crop as COCO
RLE) and ``ROOT/meta.json``. Splits are by sequence.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.io.annotation_schema import SCHEMA
from label_irst.io.annotations import Annotations
from label_irst.io.atomic import write_text_atomic
from label_irst.io.files import scan_folder
from label_irst.io.formats import folders, rle
from label_irst.io.formats._common import SINGLE_SEQUENCE, ExportPlan, copied_frames, write_json
from label_irst.io.images import write_mask
from label_irst.job import Job

NAME = "sirstd-pixel"
SUMMARY = "sequences: images/<seq>/, masks/<seq>/, img_idx/, annotations/<seq>.json"


def detect(path: Path) -> bool:
    return folders.detect(path) and bool(scan_folder(path / "images", folders=True))


def read(path: Path, job: Job | None = None) -> Annotations:
    return folders.read(path, job)


def target_records(frame) -> list[dict]:
    return [{**t.record(), "rle": rle.encode(t.mask.crop)} for t in frame.targets]


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    lines: dict[str, list[str]] = {"train": [], "test": []}
    records: dict[str, dict] = {}

    def per_sequence(seq: str, name: str) -> Path:
        return root / "images" / (seq or SINGLE_SEQUENCE) / name

    for frame, seq, name, image in copied_frames(ann, plan, job, per_sequence):
        seq = seq or SINGLE_SEQUENCE
        write_mask(root / "masks" / seq / f"{name}.png", frame.union_mask())
        lines[plan.split_of(frame)].append(f"{seq}/{name}")
        entry = records.setdefault(
            seq, {"sequence": seq, "schema": SCHEMA, "source_name": frame.sequence, "frames": []}
        )  # schema 2: "track_id" is the track, "id" the target's number in its frame
        entry["frames"].append(
            {
                "frame": name,
                "image": image.name,
                "source_name": frame.name,
                "width": frame.shape[1],
                "height": frame.shape[0],
                "dtype": frame.dtype,
                "split": plan.split_of(frame),
                "targets": target_records(frame),
            }
        )
    for seq, entry in records.items():
        write_json(root / "annotations" / f"{seq}.json", entry)
    for split, names in lines.items():
        text = "".join(f"{line}\n" for line in names)
        write_text_atomic(root / "img_idx" / f"{split}_{ann.name}.txt", text)
