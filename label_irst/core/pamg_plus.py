"""pamg+: PAMG with measured additions (placeholder, tuned below)."""

from __future__ import annotations

import numpy as np

from label_irst.core.pamg import DEFAULT_SUPPORT_RADIUS, pamg
from label_irst.core.result import GeneratedMask


def pamg_plus(
    image: np.ndarray, seed: tuple[float, float], support_radius: float = DEFAULT_SUPPORT_RADIUS
) -> GeneratedMask:
    result = pamg(image, seed, support_radius)
    result.generator = "pamg+"
    return result
