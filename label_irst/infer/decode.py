"""Decoding RPR-Net outputs into targets (Sec. III-B4, III-C2).

Peaks of the stride-4 heatmap are the cells equal to their 3x3 max-pool and above a threshold;
a peak at cell (i, j) with offset (dx, dy) and radius r gives the target
x = 4 (j + dx), y = 4 (i + dy) in input pixels (pixel centres at integer coordinates, the
convention the training labels use), r = max(r, 0.5). Targets outside the original frame (in
the padding) are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

STRIDE = 4
DEFAULT_THRESHOLD = 0.3
MIN_RADIUS = 0.5


@dataclass(frozen=True)
class Detection:
    x: float
    y: float
    radius: float
    score: float

    def as_dict(self) -> dict:
        return {
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "radius": round(self.radius, 3),
            "score": round(self.score, 4),
        }


def peaks(heatmap: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of 3x3 local maxima of a 2-D heatmap at or above ``threshold``."""
    hm = np.ascontiguousarray(heatmap, dtype=np.float32)
    pooled = cv2.dilate(hm, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    rows, cols = np.nonzero((hm >= pooled) & (hm >= threshold))
    return rows, cols


def decode(
    heatmap: np.ndarray,
    offset: np.ndarray,
    radius: np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    shape: tuple[int, int] | None = None,
    max_targets: int = 100,
) -> list[Detection]:
    """Targets of one frame from heatmap (h, w) probabilities, offset (2, h, w), radius (h, w).

    ``shape`` is the original (height, width) before padding. Returns at most ``max_targets``
    detections, best score first; two peaks with equal scores side by side keep the first.
    """
    heatmap = np.asarray(heatmap).reshape(np.asarray(heatmap).shape[-2:])
    offset = np.asarray(offset).reshape((2,) + heatmap.shape)
    radius = np.asarray(radius).reshape(heatmap.shape)
    rows, cols = peaks(heatmap, threshold)
    scores = heatmap[rows, cols]
    order = np.argsort(-scores, kind="stable")
    out: list[Detection] = []
    taken: set[tuple[int, int]] = set()
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if any((i + di, j + dj) in taken for di in (-1, 0, 1) for dj in (-1, 0, 1)):
            continue  # a plateau: keep one peak
        x = STRIDE * (j + float(offset[0, i, j]))
        y = STRIDE * (i + float(offset[1, i, j]))
        if shape is not None and not (-0.5 <= x < shape[1] - 0.5 and -0.5 <= y < shape[0] - 0.5):
            continue
        r = float(radius[i, j])
        r = max(r if math.isfinite(r) else MIN_RADIUS, MIN_RADIUS)
        taken.add((i, j))
        out.append(Detection(x, y, r, float(scores[k])))
        if len(out) >= max_targets:
            break
    return out
