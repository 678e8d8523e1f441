"""What every point-to-mask generator returns: one target's mask and its descriptors."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from label_irst.core.boundary import boundary_ratio, local_contrast
from label_irst.core.geometry import CroppedMask, equivalent_radius


@dataclass
class GeneratedMask:
    """A target mask grown from one seed.

    ``mask`` is bbox-cropped with its offset; ``centroid`` is (x, y) in frame pixels; ``radius``
    is the equivalent radius sqrt(area/pi); ``scr`` / ``gamma`` / ``boundary_ratio`` are the
    local SCR, uniformity ratio and rho of Eq. 20. PAMG also fills the energy trajectory, k* and
    the polarity it chose.
    """

    mask: CroppedMask
    seed: tuple[int, int]
    support_radius: float
    generator: str
    centroid: tuple[float, float] = (float("nan"), float("nan"))
    radius: float = 0.0
    scr: float = 0.0
    gamma: float = 1.0
    boundary_ratio: float = 0.0
    polarity: str = "bright"
    energy_trajectory: np.ndarray = field(default_factory=lambda: np.zeros(0))
    k_star: int = 0

    @property
    def area(self) -> int:
        return self.mask.area

    def to_full(self, shape: tuple[int, int]) -> np.ndarray:
        return self.mask.to_full(shape)


def describe(
    image: np.ndarray,
    mask: CroppedMask,
    seed: tuple[int, int],
    support_radius: float,
    generator: str,
    **extra,
) -> GeneratedMask:
    """Fill centroid, radius, SCR, gamma and rho for any generator's mask."""
    contrast = local_contrast(image, mask)
    area = mask.area
    return GeneratedMask(
        mask=mask,
        seed=seed,
        support_radius=float(support_radius),
        generator=generator,
        centroid=mask.centroid(),
        radius=equivalent_radius(area),
        scr=contrast.scr,
        gamma=contrast.gamma,
        boundary_ratio=boundary_ratio(contrast.scr, area, contrast.gamma, support_radius),
        **extra,
    )
