"""Sequence datasets in the SIRSTD-Pixel layout (Sec. III-D), read for inference and training.

A dataset root holds ``images/<seq>/<frame>.png`` (plus optional ``masks/<seq>/<frame>.png``,
``annotations/<seq>.json`` and ``img_idx/<split>.txt``). A single folder of frames is read as one
sequence named after the folder.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from label_irst.core.geometry import components, equivalent_radius
from label_irst.errors import LabelIrstError
from label_irst.io.files import read_json, read_text, scan_folder
from label_irst.io.images import is_image_file, list_images, natural_key, read_mask


@dataclass
class Sequence:
    """One sequence: its name and frame paths in temporal (natural) order."""

    name: str
    frames: list[Path]
    mask_dir: Path | None = None
    annotation: Path | None = None
    keep: set[str] | None = field(default=None)

    def stems(self) -> list[str]:
        return [p.stem for p in self.frames]

    def read(self, index: int):
        """Frame ``index`` as stored (2-D, raw dtype)."""
        from label_irst.io.images import read_image

        return read_image(self.frames[index])

    def close(self) -> None:
        """Nothing to release: frames are files read one at a time."""


def read_sequences(data: str | Path, split: str | None = None) -> list[Sequence]:
    """The sequences of a dataset root, or the one sequence of a folder of frames.

    With ``split``, only sequences listed in ``img_idx/<split>.txt`` are returned; every frame
    of such a sequence is kept (neighbours are needed for triplets) and ``keep`` names the
    frames the split lists.
    """
    root = Path(data)
    if not root.is_dir():
        raise LabelIrstError(f"{root}: no such folder")
    images = root / "images"
    if images.is_dir():
        names = sorted(
            (p.name for p in scan_folder(images, folders=True) if not p.name.startswith(".")),
            key=natural_key,
        )
        if not names and list_images(images):
            names = []
            seqs = [Sequence(root.name, list_images(images), _dir(root / "masks"))]
        else:
            seqs = [
                Sequence(
                    n,
                    list_images(images / n),
                    _dir(root / "masks" / n),
                    _file(root / "annotations" / f"{n}.json"),
                )
                for n in names
            ]
    else:
        frames = list_images(root)
        if not frames:
            raise LabelIrstError(f"{root}: no images/ folder and no frames")
        seqs = [Sequence(root.name, frames)]
    if split is not None:
        path = root / "img_idx" / f"{split}.txt"
        wanted: dict[str, set[str]] = {}
        for line in read_text(path).split():
            seq, _, frame = line.strip().rpartition("/")
            wanted.setdefault(seq, set()).add(Path(frame).stem)
        seqs = [s for s in seqs if s.name in wanted]
        for s in seqs:
            s.keep = wanted[s.name]
    seqs = [s for s in seqs if s.frames]
    if not seqs:
        raise LabelIrstError(
            f"{root}: no sequence with frames" + (f" in split {split}" if split else "")
        )
    return seqs


def _dir(path: Path) -> Path | None:
    return path if path.is_dir() else None


def _file(path: Path) -> Path | None:
    return path if path.is_file() else None


def read_annotation(path: Path) -> dict[str, list[dict]]:
    """frame stem -> list of target dicts (x, y, radius, ...) of an annotations JSON file."""
    record = read_json(path)
    try:
        out = {str(f["frame"]): list(f.get("targets", [])) for f in record["frames"]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LabelIrstError(f"{path}: not a sequence annotation file ({exc})") from None
    for targets in out.values():
        if not all(isinstance(t, dict) for t in targets):
            raise LabelIrstError(f"{path}: not a sequence annotation file (a target is no object)")
    return out


def mask_targets(path: Path) -> list[tuple[float, float, float]]:
    """(x, y, r) of each 8-connected component of a mask file, r = sqrt(area / pi)."""
    out = []
    for part in components(read_mask(path)):
        x, y = part.centroid()
        out.append((float(x), float(y), float(equivalent_radius(part.area))))
    return out


def read_points_csv(path: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """A point CSV with columns image,x,y where image is ``<seq>/<frame>`` (or a frame stem)."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                name, x, y = row["image"], float(row["x"]), float(row["y"])
            except (KeyError, ValueError, TypeError):
                raise LabelIrstError(f"{path}: expected columns image,x,y") from None
            seq, _, frame = name.rpartition("/")
            out.setdefault((seq, Path(frame).stem), []).append((x, y))
    return out


def is_frame(path: Path) -> bool:
    return path.is_file() and is_image_file(path)
