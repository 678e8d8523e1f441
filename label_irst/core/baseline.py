"""Trivial floor baseline: a 3x3 square centred on the seed."""

from __future__ import annotations

import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.core.pamg import check_seed
from label_irst.core.result import GeneratedMask, describe


def square3(
    image: np.ndarray, seed: tuple[float, float], support_radius: float = 20.0
) -> GeneratedMask:
    col, row = check_seed(image, seed)
    h, w = image.shape
    r0, r1 = max(row - 1, 0), min(row + 2, h)
    c0, c1 = max(col - 1, 0), min(col + 2, w)
    mask = CroppedMask(np.ones((r1 - r0, c1 - c0), bool), (r0, c0))
    return describe(image, mask, (col, row), support_radius, "square3")
