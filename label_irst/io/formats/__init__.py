"""Dataset formats in and out, one module per format, all through :mod:`label_irst.io.annotations`.

:func:`read_dataset` reads any supported source into the neutral model; :func:`export_dataset`
writes it as SIRSTD-Pixel-style sequences, SIRST folders, COCO RLE, labelme or CSV into a
temporary folder beside the destination and renames it into place.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations
from label_irst.job import Job

#: Writers: format name -> module (each has NAME, SUMMARY, detect, read, write).
EXPORT_FORMATS = {
    "sirstd-pixel": "sirstd_pixel",
    "sirst": "sirst",
    "coco": "coco",
    "labelme": "labelme",
    "csv": "csv_table",
    "mot": "mot",
    "yolo": "yolo",
    "voc": "voc",
}
#: Readers in detection order; "folders" reads both SIRST and SIRSTD-Pixel layouts.
IMPORT_FORMATS = {
    "project": "project_file",
    "coco": "coco",
    "csv": "csv_table",
    "yolo": "yolo",
    "voc": "voc",
    "boxes": "box_folders",
    "sirstd-pixel": "sirstd_pixel",
    "sirst": "sirst",
    "labelme": "labelme",
    "videos": "videos",
}


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


def detect_format(source: str | os.PathLike) -> str:
    path = Path(source)
    if not path.exists():
        raise LabelIrstError(f"{path}: no such file or folder")
    for fmt, module in IMPORT_FORMATS.items():
        if _module(module).detect(path):
            return fmt
    raise LabelIrstError(
        f"{path}: unknown dataset format (expected a project, a folder with images/ (+ masks/), "
        "a COCO annotations.json, a targets.csv, labelme JSON files, VOC/YOLO boxes or videos)"
    )


def read_dataset(
    source: str | os.PathLike, fmt: str = "auto", job: Job | None = None
) -> Annotations:
    """Read ``source`` in format ``fmt`` ("auto" detects it) into the neutral model."""
    fmt = detect_format(source) if fmt == "auto" else fmt
    if fmt not in IMPORT_FORMATS:
        names = ", ".join(["auto", *IMPORT_FORMATS])
        raise LabelIrstError(f"unknown import format {fmt!r}; choose one of: {names}")
    path = Path(source)
    if not path.exists():
        raise LabelIrstError(f"{path}: no such file or folder")
    return _module(IMPORT_FORMATS[fmt]).read(path, job or Job())


def export_dataset(
    ann: Annotations,
    fmt: str,
    out: str | os.PathLike,
    force: bool = False,
    only_confirmed: bool = False,
    test_fraction: float = 0.3,
    job: Job | None = None,
) -> Path:
    """Write ``ann`` as ``fmt`` into ``out`` atomically; rejected targets are never written.

    ``only_confirmed`` keeps confirmed targets only (candidates awaiting review are dropped).
    Every export also writes ``meta.json`` (tool version, generator and settings, split rule).
    """
    from label_irst.io.formats._common import atomic_folder, meta_record, plan_export, write_json

    if fmt not in EXPORT_FORMATS:
        raise LabelIrstError(
            f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}"
        )
    if not ann.frames:
        raise LabelIrstError("nothing to export: the dataset has no frame")
    from label_irst.io.files import refuse_overlap

    refuse_overlap(out, {f.image_path.parent for f in ann.frames if f.image_path is not None})
    job = job or Job()
    statuses = ("confirmed",) if only_confirmed else ("candidate", "confirmed")
    data = ann.filtered(statuses)
    plan = plan_export(data, test_fraction)
    module = _module(EXPORT_FORMATS[fmt])
    with atomic_folder(out, force) as tmp:
        module.write(data, tmp, plan, job)
        extra = {"only_confirmed": only_confirmed, "statuses": list(statuses)}
        write_json(tmp / "meta.json", meta_record(data, fmt, plan, extra))
    return Path(out)
