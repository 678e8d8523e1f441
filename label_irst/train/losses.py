"""Adaptive Gaussian labels (Eq. 16) and the multi-task loss (Eq. 17) of RPR-Net."""

from __future__ import annotations

import math

import numpy as np
import torch

from label_irst.train.model import STRIDE

SIGMA_MIN = 2.0
SIGMA_MAX = 4.0
LAMBDA_HEATMAP = 1.0
LAMBDA_OFFSET = 1.0
LAMBDA_RADIUS = 0.1


def label_sigma(radius: float) -> float:
    """Eq. 16: sigma = max(sigma_min, min(r_gt, sigma_max)), in stride-4 heatmap cells."""
    return max(SIGMA_MIN, min(float(radius), SIGMA_MAX))


def make_targets(
    points: list[tuple[float, float, float]], height: int, width: int
) -> dict[str, np.ndarray]:
    """Training targets on the stride-4 grid for targets (x, y, r) in input pixels.

    heatmap: max of the targets' Gaussians (peak 1 at the centre cell); offset: (x/4 - j,
    y/4 - i) at the centre cell (i, j); radius: r at the centre cell; mask: 1 at centre cells.
    """
    h, w = height // STRIDE, width // STRIDE
    heatmap = np.zeros((1, h, w), np.float32)
    offset = np.zeros((2, h, w), np.float32)
    radius = np.zeros((1, h, w), np.float32)
    mask = np.zeros((1, h, w), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for x, y, r in points:
        gx, gy = x / STRIDE, y / STRIDE
        j, i = int(math.floor(gx)), int(math.floor(gy))
        if not (0 <= i < h and 0 <= j < w):
            continue
        s = label_sigma(r)
        g = np.exp(-((xx - j) ** 2 + (yy - i) ** 2) / (2 * s * s))
        np.maximum(heatmap[0], g, out=heatmap[0])
        offset[:, i, j] = (gx - j, gy - i)
        radius[0, i, j] = r
        mask[0, i, j] = 1.0
    return {"heatmap": heatmap, "offset": offset, "radius": radius, "mask": mask}


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 2.0, beta: float = 4.0):
    """Penalty-reduced pixel focal loss (CenterNet form), normalised by the number of centres."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.ge(0.999).float()
    neg = 1.0 - pos
    pos_loss = -torch.log(p) * (1 - p) ** alpha * pos
    neg_loss = -torch.log(1 - p) * p**alpha * (1 - target) ** beta * neg
    n = pos.sum().clamp(min=1.0)
    return (pos_loss.sum() + neg_loss.sum()) / n


def masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 computed at ground-truth centres only (the masked L1 of Sec. III-B5)."""
    n = mask.sum().clamp(min=1.0)
    return ((pred - target).abs() * mask).sum() / n


def rpr_loss(outputs, targets: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 17: L = 1.0 L_heat + 1.0 L_off + 0.1 L_rad."""
    heat, off, rad = outputs
    l_heat = focal_loss(heat, targets["heatmap"])
    l_off = masked_l1(off, targets["offset"], targets["mask"])
    l_rad = masked_l1(rad, targets["radius"], targets["mask"])
    total = LAMBDA_HEATMAP * l_heat + LAMBDA_OFFSET * l_off + LAMBDA_RADIUS * l_rad
    parts = {
        "heat": float(l_heat.detach()),
        "offset": float(l_off.detach()),
        "radius": float(l_rad.detach()),
    }
    return total, parts
