"""Reading the images/ + masks/ (+ img_idx/, annotations/) folder layouts of IRSTD toolboxes.

One reader serves both layouts:

* SIRST style (single frames): ``images/<frame>.png``, ``masks/<frame>.png`` (or the NUAA-SIRST
  ``<frame>_pixels0.png``), ``img_idx/train*.txt`` / ``test*.txt`` with frame names;
* SIRSTD-Pixel style (sequences, Sec. III-D): ``images/<seq>/<frame>.png``,
  ``masks/<seq>/<frame>.png``, ``img_idx/train_<NAME>.txt`` with ``<seq>/<frame>`` lines and
  ``annotations/<seq>.json`` with per-target records.

Masks are the truth: per-target records (ids, track ids, status, source, rho, detection score
and the crop RLE this tool writes) are used only when their union equals the mask file; otherwise each
8-connected component of the mask becomes a target, with the track of the record whose point
(x, y) it holds (``synth`` and ``prelabel`` records; :mod:`label_irst.io.annotation_schema`
says which key is the track). A frame without a mask file has no target.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.io.annotation_schema import targets_from_points, track_of
from label_irst.io.annotations import (
    Annotations,
    Frame,
    Target,
    image_info,
    read_score,
)
from label_irst.io.files import is_folder, read_text, scan_folder
from label_irst.io.formats import rle
from label_irst.io.formats._common import dataset_name, read_json
from label_irst.io.images import is_image_file, list_images, natural_key, read_mask
from label_irst.job import Job

MASK_SUFFIXES = ("", "_pixels0", "_mask")


def detect(path: Path) -> bool:
    return path.is_dir() and (path / "images").is_dir()


def _images_of(folder: Path, warn=None) -> list[Path]:
    return list_images(folder, warn)


def _masks_of(folder: Path, warn=None) -> dict[str, Path]:
    if not is_folder(folder):
        return {}
    out: dict[str, Path] = {}
    for p in _images_of(folder, warn):
        out.setdefault(p.stem, p)
    return out


def _find_mask(masks: dict[str, Path], stem: str) -> Path | None:
    for suffix in MASK_SUFFIXES:
        if stem + suffix in masks:
            return masks[stem + suffix]
    return None


def read_splits(root: Path, warn=None) -> dict[str, str]:
    """``{"<seq>/<frame>" or "<frame>": "train" | "test"}`` from img_idx/*.txt (an unreadable
    split file is skipped, with a warning when ``warn`` is given)."""
    out: dict[str, str] = {}
    folder = root / "img_idx"
    if not is_folder(folder):
        return out
    for path in sorted(scan_folder(folder, warn, lambda n: n.lower().endswith(".txt"))):
        stem = path.stem.lower()
        split = "train" if stem.startswith("train") else "test" if stem.startswith("test") else None
        if split is None:
            continue
        try:
            text = read_text(path)
        except LabelIrstError as exc:
            if warn is None:
                raise
            warn(f"skipped: {exc}")
            continue
        for line in text.splitlines():
            key = line.strip().replace("\\", "/")
            if is_image_file(key):
                key = key[: key.rfind(".")]
            if key:
                out.setdefault(key, split)
    return out


def sequence_records(root: Path, sequence: str, warn=None) -> dict[str, list[dict]]:
    """Frame name -> target records of ``root/annotations/<sequence>.json`` ({} if absent; an
    unreadable file is skipped with a warning when ``warn`` is given)."""
    path = root / "annotations" / f"{sequence or 'frames'}.json"
    if not path.exists():
        return {}
    try:
        data = read_json(path)
    except LabelIrstError as exc:
        if warn is None:
            raise
        warn(f"per-target records ignored: {exc}")
        return {}
    frames = data.get("frames") if isinstance(data, dict) else None
    out = {}
    for entry in frames if isinstance(frames, list) else []:
        if isinstance(entry, dict) and "frame" in entry:
            targets = entry.get("targets")
            out[str(entry["frame"])] = targets if isinstance(targets, list) else []
    return out


def targets_from_records(
    records: list[dict], mask: np.ndarray, warn=None, where: str = ""
) -> list[Target] | None:
    """Targets rebuilt from this tool's per-target records, or None if they disagree with
    ``mask``. A record's ``"score"`` that is no detection score is dropped and named through
    ``warn`` (only when the records are used)."""
    if not records or not all(isinstance(r, dict) and "rle" in r for r in records):
        return None
    union = np.zeros(mask.shape, bool)
    out = []
    notes: list[str] = []
    try:
        for r in records:
            x0, y0 = (int(v) for v in r["bbox"][:2])
            crop = rle.decode(r["rle"])
            target = Target(
                mask=CroppedMask(crop, (y0, x0)),
                id=int(r.get("id", 0)),
                track_id=track_of(r),
                source=str(r.get("source", "manual")),
                status=str(r.get("status", "confirmed")),
                rho=None if r.get("rho") is None else float(r["rho"]),
                score=read_score(r, f"{where}target {r.get('id')}", notes.append),
            )
            target.mask.paint(union)
            out.append(target)
    except (LabelIrstError, KeyError, TypeError, ValueError, IndexError, OverflowError):
        return None
    if not np.array_equal(union, mask):
        return None
    for note in notes if warn is not None else ():
        warn(note)
    return out


def read(path: Path, job: Job | None = None) -> Annotations:
    """A dataset folder in SIRST or SIRSTD-Pixel layout (see the module docstring)."""
    job = job or Job()
    root = Path(path)
    if not detect(root):
        raise LabelIrstError(f"{root}: not a dataset folder (no images/ folder)")
    splits = read_splits(root, job.warning)
    top = _images_of(root / "images", job.warning)
    subdirs = [d for d in scan_folder(root / "images", folders=True) if not d.name.startswith(".")]
    todo = [("", img) for img in top]
    for d in sorted(subdirs, key=lambda d: natural_key(d.name)):
        todo += [(d.name, img) for img in _images_of(d, job.warning)]
    if not todo:
        raise LabelIrstError(f"{root}: no image files under images/")
    ann = Annotations(name=dataset_name(root))
    masks_cache: dict[str, dict[str, Path]] = {}
    records_cache: dict[str, dict[str, list[dict]]] = {}
    for done, (seq, image_path) in enumerate(todo, 1):
        if job.cancelled:
            break
        if seq not in masks_cache:
            masks_cache[seq] = _masks_of(
                root / "masks" / seq if seq else root / "masks", job.warning
            )
            records_cache[seq] = sequence_records(root, seq, job.warning)
        key = f"{seq}/{image_path.stem}" if seq else image_path.stem
        try:
            shape, dtype = image_info(image_path)
            frame = Frame(seq, image_path.stem, image_path, shape, dtype, split=splits.get(key))
            mask_path = _find_mask(masks_cache[seq], image_path.stem)
            if mask_path is not None:
                mask = read_mask(mask_path)
                if mask.shape != shape:
                    raise LabelIrstError(f"{mask_path}: mask size {mask.shape} != image {shape}")
                records = records_cache[seq].get(image_path.stem, [])
                targets = targets_from_records(records, mask, job.warning, f"{key}: ")
                if targets is None:  # no masks in the records: tracks by their points
                    found = targets_from_points(records, mask)
                    targets = [Target(mask=part, id=k, track_id=track)
                               for k, (part, track) in enumerate(found, 1)]  # fmt: skip
                frame.targets = targets
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        ann.frames.append(frame)
        job.step(done, len(todo))
    meta_path = root / "meta.json"
    if meta_path.exists():
        try:
            meta = read_json(meta_path)
        except LabelIrstError as exc:
            job.warning(f"ignored: {exc}")
            meta = None
        if isinstance(meta, dict):
            if isinstance(meta.get("generator"), str):
                ann.meta["generator"] = meta["generator"]
            if isinstance(meta.get("generator_settings"), dict):
                ann.meta["generator_settings"] = meta["generator_settings"]
    return ann
