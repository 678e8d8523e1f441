"""Target-level matching of point detections (Pd, Eq. 18, with the 3 px centroid rule).

The matcher is the one behind the mask metrics (:func:`label_irst.core.metrics.match_centres`),
so detections and masks are scored by the same rule.
"""

from __future__ import annotations

from label_irst.core.metrics import MATCH_DISTANCE, match_centres


def match(
    pred: list[tuple[float, float]], gt: list[tuple[float, float]], distance: float = MATCH_DISTANCE
) -> tuple[list[bool], list[bool]]:
    """Greedy matching, each ground-truth target to the nearest unused prediction within
    ``distance`` px. Returns (pred matched flags, gt matched flags)."""
    return match_centres(pred, gt, distance)
