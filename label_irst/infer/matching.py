"""Target-level matching of point detections (Pd, Eq. 18, with the 3 px centroid rule)."""

from __future__ import annotations

import math

MATCH_DISTANCE = 3.0


def match(
    pred: list[tuple[float, float]], gt: list[tuple[float, float]], distance: float = MATCH_DISTANCE
) -> tuple[list[bool], list[bool]]:
    """Greedy matching, each ground-truth target to the nearest unused prediction within
    ``distance`` px. Returns (pred matched flags, gt matched flags)."""
    used = [False] * len(pred)
    hit = [False] * len(gt)
    for g, (gx, gy) in enumerate(gt):
        best, best_d = -1, distance
        for i, (px, py) in enumerate(pred):
            d = math.hypot(px - gx, py - gy)
            if not used[i] and d <= best_d:
                best, best_d = i, d
        if best >= 0:
            used[best] = True
            hit[g] = True
    return used, hit
