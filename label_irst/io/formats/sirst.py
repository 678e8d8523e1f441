"""SIRST-style single-frame folders: ``images/``, ``masks/`` (0/255, same name), ``img_idx/``.

Frames of a sequence are written as ``<seq>_<frame>`` so names stay unique; the split is still
decided per sequence. ``img_idx/train.txt`` and ``test.txt`` hold frame names without suffix (the
layout of sirst-v1 and of the ``eval-masks`` command).
"""

from __future__ import annotations

from pathlib import Path

from label_irst.io.annotations import Annotations
from label_irst.io.atomic import write_text_atomic
from label_irst.io.formats import folders
from label_irst.io.formats._common import ExportPlan, copied_frames
from label_irst.io.images import write_mask
from label_irst.io.naming import UniqueNames
from label_irst.job import Job

NAME = "sirst"
SUMMARY = "single frames: images/, masks/, img_idx/train.txt and test.txt"


def detect(path: Path) -> bool:
    return folders.detect(path)


def read(path: Path, job: Job | None = None) -> Annotations:
    return folders.read(path, job)


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    lines: dict[str, list[str]] = {"train": [], "test": []}
    flat = UniqueNames()

    def flat_name(seq: str, name: str) -> Path:
        return root / "images" / flat.take(f"{seq}_{name}" if seq else name)

    for frame, _, _, image in copied_frames(ann, plan, job, flat_name):
        stem = image.stem
        write_mask(root / "masks" / f"{stem}.png", frame.union_mask())
        lines[plan.split_of(frame)].append(stem)
    for split, names in lines.items():
        write_text_atomic(root / "img_idx" / f"{split}.txt", "".join(f"{n}\n" for n in names))
