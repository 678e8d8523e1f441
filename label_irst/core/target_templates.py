"""Real target appearance for synthetic sequences: targets cut from annotated real images.

A PSF spot (:mod:`label_irst.core.synthetic_sequences`) is round or slightly elliptical and
smooth; real small targets in infrared are not (a drone's arms, a plane's wings, sensor
blur and compression). A :class:`Template` keeps one real target's **contrast profile**: the
image minus its local background (the median of a ring around the target's mask), over the
mask grown by one pixel, scaled to a unit peak, with the sign of the target's contrast. Moved
over another background with a sub-pixel shift (bilinear), it gives a target with a real shape;
its mask is where the shifted mask reaches one half, and its contrast follows Eq. 20 as the
spots' does (mean over the mask = SCR x sigma_B).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from label_irst.core.geometry import components

#: ring (px) beyond the grown mask whose median is the local background
RING = 4
#: largest template kept (px on its longer side): bigger objects are not small targets
MAX_SIDE = 24


@dataclass(frozen=True)
class Template:
    """One real target's contrast profile (unit peak) and mask, on the same crop; the mask's
    centroid in crop coordinates is (cx, cy)."""

    profile: np.ndarray  # float32, >= 0, max 1
    mask: np.ndarray  # bool
    cx: float
    cy: float
    dark: bool

    @property
    def mask_mean(self) -> float:
        """Mean of the unit-peak profile over its own mask (turns SCR into a peak amplitude)."""
        return float(self.profile[self.mask].mean())


def cut_templates(image: np.ndarray, mask: np.ndarray) -> list[Template]:
    """The templates of every 8-connected target of ``mask`` in ``image`` (grey, any dtype);
    targets touching the border, bigger than ``MAX_SIDE`` or without contrast are skipped."""
    img = image.astype(np.float32)
    h, w = img.shape
    out = []
    for part in components(mask > 0):
        full = part.to_full((h, w))
        ys, xs = np.nonzero(full)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        if max(y1 - y0, x1 - x0) > MAX_SIDE:
            continue
        m = RING + 1
        if y0 < m or x0 < m or y1 > h - m or x1 > w - m:
            continue
        crop = img[y0 - m : y1 + m, x0 - m : x1 + m]
        own = full[y0 - m : y1 + m, x0 - m : x1 + m]
        grown = cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        ring = ~grown
        background = float(np.median(crop[ring]))
        diff = crop - background
        dark = float(diff[own].mean()) < 0
        profile = np.where(grown, -diff if dark else diff, 0.0).clip(min=0.0)
        peak = float(profile.max())
        if peak <= 0:
            continue
        rows, cols = np.nonzero(own)
        out.append(
            Template(
                profile=(profile / peak).astype(np.float32),
                mask=own.copy(),
                cx=float(cols.mean()),
                cy=float(rows.mean()),
                dark=dark,
            )
        )
    return out


def template_patch(
    template: Template, x: float, y: float, shape: tuple[int, int], angle: float = 0.0
):
    """The template's profile with its mask centroid moved to (x, y) and turned by ``angle``
    (multiples of 90 degrees keep it exact): (profile, mask, (x0, y0)) clipped to the frame,
    or None when it falls outside."""
    profile, mask = template.profile, template.mask.astype(np.float32)
    cx, cy = template.cx, template.cy
    turns = int(round(angle / (math.pi / 2))) % 4
    for _ in range(turns):  # rotate 90 degrees counter-clockwise, centroid follows
        ph, pw = profile.shape
        profile, mask = np.rot90(profile), np.rot90(mask)
        cx, cy = cy, pw - 1 - cx
    ph, pw = profile.shape
    x0, y0 = int(math.floor(x - cx)), int(math.floor(y - cy))
    fx, fy = (x - cx) - x0, (y - cy) - y0
    m = np.float32([[1, 0, fx], [0, 1, fy]])
    size = (pw + 1, ph + 1)
    moved = cv2.warpAffine(np.ascontiguousarray(profile), m, size, flags=cv2.INTER_LINEAR)
    moved_mask = cv2.warpAffine(np.ascontiguousarray(mask), m, size, flags=cv2.INTER_LINEAR)
    h, w = shape
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + pw + 1, w), min(y0 + ph + 1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    sl = (slice(cy0 - y0, cy1 - y0), slice(cx0 - x0, cx1 - x0))
    return moved[sl], moved_mask[sl] >= 0.5, (cx0, cy0)
