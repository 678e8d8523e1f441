"""The SIRST folder layout: images/ and masks/ with the same stems, img_idx/<split>.txt."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.files import read_text
from label_irst.io.images import list_images, natural_key


@dataclass(frozen=True)
class MaskPair:
    stem: str
    image: Path
    mask: Path


def _by_stem(folder: Path, warn=None) -> dict[str, Path]:
    return {p.stem: p for p in list_images(folder, warn)}


def read_split(root: Path, split: str) -> list[str]:
    path = root / "img_idx" / f"{split}.txt"
    return [line.strip() for line in read_text(path).splitlines() if line.strip()]


def mask_pairs(root: str | Path, split: str | None = None, warn=None) -> list[MaskPair]:
    """Pairs of (image, mask) of a dataset folder, in natural order of their stems
    (``warn``: folder entries skipped because they cannot be read as files)."""
    root = Path(root)
    if not root.is_dir():
        raise LabelIrstError(f"{root}: no such dataset folder")
    images_dir, masks_dir = root / "images", root / "masks"
    if not images_dir.is_dir():
        raise LabelIrstError(f"{root}: no images/ folder")
    if not masks_dir.is_dir():
        raise LabelIrstError(f"{root}: no masks/ folder (a dataset needs ground-truth masks)")
    images, masks = _by_stem(images_dir, warn), _by_stem(masks_dir, warn)
    stems = sorted(set(images) & set(masks), key=natural_key)
    if split is not None:
        wanted = read_split(root, split)
        stems = [s for s in wanted if s in images and s in masks]
    if not stems:
        raise LabelIrstError(f"{root}: no image has a mask with the same name in masks/")
    return [MaskPair(s, images[s], masks[s]) for s in stems]
