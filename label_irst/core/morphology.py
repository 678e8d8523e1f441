"""Growing and shrinking a cropped mask by one pixel (4-neighbour dilation and erosion).

The annotator's one-pixel corrections: a small target's edge is often one pixel off the
project's convention, and a brush stroke all around it is many clicks for one keystroke.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.geometry import CroppedMask


def _padded(mask: CroppedMask) -> tuple[np.ndarray, tuple[int, int]]:
    crop = np.pad(mask.crop, 1)
    return crop, (mask.offset[0] - 1, mask.offset[1] - 1)


def _neighbours(crop: np.ndarray, combine) -> np.ndarray:
    out = crop.copy()
    for shifted in (np.roll(crop, 1, 0), np.roll(crop, -1, 0), np.roll(crop, 1, 1),
                    np.roll(crop, -1, 1)):  # fmt: skip
        out = combine(out, shifted)
    return out


def grow(mask: CroppedMask, shape: tuple[int, int]) -> CroppedMask:
    """The mask and its 4-neighbours inside a frame of ``shape`` (h, w)."""
    if mask.area == 0:
        return mask
    crop, (y0, x0) = _padded(mask)
    grown = _neighbours(crop, np.logical_or)  # the padding keeps np.roll from wrapping
    return _clip(grown, (y0, x0), shape)


def shrink(mask: CroppedMask) -> CroppedMask:
    """The mask less its pixels with a 4-neighbour outside it; a mask that would vanish is
    returned as it is (one pixel cannot shrink)."""
    if mask.area == 0:
        return mask
    crop, (y0, x0) = _padded(mask)
    inner = _neighbours(crop, np.logical_and)
    if not inner.any():
        return mask
    rows, cols = np.nonzero(inner)
    return CroppedMask.from_pixels(rows + y0, cols + x0)


def _clip(crop: np.ndarray, offset: tuple[int, int], shape: tuple[int, int]) -> CroppedMask:
    rows, cols = np.nonzero(crop)
    rows, cols = rows + offset[0], cols + offset[1]
    inside = (rows >= 0) & (cols >= 0) & (rows < shape[0]) & (cols < shape[1])
    return CroppedMask.from_pixels(rows[inside], cols[inside])
