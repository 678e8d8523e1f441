"""What every format shares: safe output names, splits by sequence, frame copies, atomic folders."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst import __version__
from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame
from label_irst.io.atomic import atomic_folder, write_text_atomic  # noqa: F401 (re-exported)
from label_irst.io.images import write_image
from label_irst.io.naming import UniqueNames, safe_name
from label_irst.job import Job

SPLIT_SEED = 3407
SINGLE_SEQUENCE = "frames"


@dataclass(frozen=True)
class ExportPlan:
    """Safe on-disk names and the split of every frame of a dataset being exported."""

    names: dict[int, tuple[str, str]]  # id(frame) -> (sequence folder, frame stem)
    splits: dict[int, str]  # id(frame) -> "train" | "test"
    rule: dict

    def name_of(self, frame: Frame) -> tuple[str, str]:
        return self.names[id(frame)]

    def split_of(self, frame: Frame) -> str:
        return self.splits[id(frame)]


def plan_export(ann: Annotations, test_fraction: float = 0.3, seed: int = SPLIT_SEED) -> ExportPlan:
    """Sanitise names (unique per sequence) and split the dataset by sequence, never by frame.

    A sequence keeps the split its frames were imported with when they all agree; the other
    sequences are shuffled with NumPy's generator seeded ``seed`` and the first
    round(test_fraction * n) of them go to test (at least one when there are two or more).
    Frames without a sequence (single-frame datasets) are each their own unit.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise LabelIrstError(f"the test fraction must be in [0, 1), got {test_fraction}")
    seq_names = UniqueNames()
    names: dict[int, tuple[str, str]] = {}
    units: dict[str, list[Frame]] = {}
    for sequence, frames in ann.sequences().items():
        folder = seq_names.take(sequence, SINGLE_SEQUENCE) if sequence else ""
        frame_names = UniqueNames()
        for frame in frames:
            names[id(frame)] = (folder, frame_names.take(frame.name, "frame"))
            unit = f"s:{sequence}" if sequence else f"f:{frame.name}:{id(frame)}"
            units.setdefault(unit, []).append(frame)
    fixed: dict[str, str] = {}
    free: list[str] = []
    for unit, frames in units.items():
        given = {f.split for f in frames}
        if len(given) == 1 and next(iter(given)) in ("train", "test"):
            fixed[unit] = next(iter(given))
        else:
            free.append(unit)
    order = np.random.default_rng(seed).permutation(len(free))
    n_test = int(round(test_fraction * len(free)))
    if test_fraction > 0 and n_test == 0 and len(free) >= 2:
        n_test = 1
    for rank, index in enumerate(order):
        fixed[free[index]] = "test" if rank < n_test else "train"
    splits = {id(f): fixed[unit] for unit, frames in units.items() for f in frames}
    rule = {
        "by": "sequence",
        "kept_from_source": len(units) - len(free),
        "assigned": len(free),
        "test_fraction": test_fraction,
        "seed": seed,
    }
    return ExportPlan(names, splits, rule)


def copy_frame_image(frame: Frame, dest_stem: Path, job: Job | None = None) -> Path:
    """Write the frame beside ``dest_stem`` as PNG, raw dtype kept (16-bit stays 16-bit).

    A PNG source is copied byte for byte; other files are decoded and written as PNG; float
    frames cannot be PNG and go to TIFF (with a warning, as toolboxes expect PNG).
    """
    dest_stem.parent.mkdir(parents=True, exist_ok=True)
    src = frame.image_path
    if frame.image is None and src is not None and src.suffix.lower() == ".png":
        dest = dest_stem.parent / f"{dest_stem.name}.png"
        shutil.copyfile(src, dest)
        return dest
    image = frame.load_image()
    if image.dtype == np.float32:
        dest = dest_stem.parent / f"{dest_stem.name}.tiff"
        if job is not None:
            job.warning(f"{frame.key}: float frame written as TIFF (PNG holds 8/16-bit only)")
    else:
        dest = dest_stem.parent / f"{dest_stem.name}.png"
    write_image(dest, image)
    return dest


def _in_images(root: Path) -> Callable[[str, str], Path]:
    """Destination ``root/images/<sequence>/<name>`` (no sequence folder for single frames)."""
    return lambda seq, name: (root / "images" / seq if seq else root / "images") / name


def copied_frames(
    ann: Annotations, plan: ExportPlan, job: Job, destination: Callable[[str, str], Path]
) -> Iterator[tuple[Frame, str, str, Path]]:
    """The export loop every writer shares: (frame, sequence, name, written image) per frame.

    Each frame's image is copied to ``destination(sequence, name)`` (a path without suffix, see
    :func:`copy_frame_image`); a cancelled job raises; a frame that cannot be copied is skipped
    with a warning; progress is reported once the caller is done with a frame.
    """
    total = len(ann.frames)
    for done, frame in enumerate(ann.frames, 1):
        if job.cancelled:
            raise LabelIrstError("export cancelled")
        seq, name = plan.name_of(frame)
        try:
            written = copy_frame_image(frame, destination(seq, name), job)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        yield frame, seq, name, written
        job.step(done, total)


def meta_record(ann: Annotations, fmt: str, plan: ExportPlan, extra: dict | None = None) -> dict:
    """meta.json: tool version, generator and its settings, split rule, counts."""
    meta = {
        "tool": "label-irst",
        "version": __version__,
        "format": fmt,
        "dataset": ann.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "generator": ann.meta.get("generator"),
        "generator_settings": ann.meta.get("generator_settings", {}),
        "split_rule": plan.rule,
        "frames": len(ann.frames),
        "targets": ann.target_count,
        "sequences": {
            (plan.name_of(frames[0])[0] or SINGLE_SEQUENCE): plan.split_of(frames[0])
            for seq, frames in ann.sequences().items()
            if seq
        },
    }
    meta.update(extra or {})
    return meta


def write_json(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def read_json(path: Path):
    """A JSON file, strictly (see :func:`label_irst.io.files.read_json`)."""
    from label_irst.io.files import read_json as strict_json

    return strict_json(path)


def dataset_name(path: Path) -> str:
    return safe_name(
        path.resolve().name if path.is_dir() else path.resolve().parent.name, "dataset"
    )


def file_or_inside(path: Path, suffix: str, name: str) -> Path | None:
    """``path`` itself when it is a ``suffix`` file, else ``path/name`` when that file exists."""
    from label_irst.io.files import is_folder

    if path.suffix.lower() == suffix and path.exists() and not is_folder(path):
        return path  # a FIFO or a link loop is refused by the reader, with one line
    if is_folder(path) and (path / name).exists():
        return path / name
    return None
