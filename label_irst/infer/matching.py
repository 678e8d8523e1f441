"""Target-level matching of point detections (Pd, Eq. 18, with the 3 px centroid rule).

The matcher is the one behind the mask metrics (:func:`label_irst.core.metrics.match_centres`),
so detections and masks are scored by the same rule.

Ground truth labelled by boxes (``"box": [x0, y0, x1, y1]`` per target, as ``label-irst dataset
videos`` writes) may also be matched by its box (``--match box``): a target is then found by
the nearest unused detection within the distance of its point *or inside its box*. A close
airplane 60 px long is found by a detection on its hot engine, which the centre rule misses; a
second detection on the same target still counts as false.
"""

from __future__ import annotations

import math

from label_irst.core.metrics import MATCH_DISTANCE, match_centres
from label_irst.errors import LabelIrstError

MATCH_RULES = ("point", "box")


def match(
    pred: list[tuple[float, float]],
    gt: list[tuple[float, float]],
    distance: float = MATCH_DISTANCE,
    boxes: list | None = None,
) -> tuple[list[bool], list[bool]]:
    """Greedy matching, each ground-truth target to the nearest unused prediction within
    ``distance`` px (or, where ``boxes`` gives the target a box, inside that box). Returns
    (pred matched flags, gt matched flags)."""
    if boxes is None or not any(b is not None for b in boxes):
        return match_centres(pred, gt, distance)
    used = [False] * len(pred)
    hit = [False] * len(gt)
    for g, ((gx, gy), box) in enumerate(zip(gt, boxes)):
        best, best_d = -1, math.inf
        for i, (px, py) in enumerate(pred):
            d = math.hypot(px - gx, py - gy)
            near = d <= distance or (
                box is not None and box[0] <= px <= box[2] and box[1] <= py <= box[3]
            )
            if not used[i] and near and d <= best_d:
                best, best_d = i, d
        if best >= 0:
            used[best] = True
            hit[g] = True
    return used, hit


def target_box(target: dict, where: str = "ground truth") -> list[float] | None:
    """A ground-truth target's box ``[x0, y0, x1, y1]`` (None when it has none); a malformed
    one is refused in one line."""
    box = target.get("box")
    if box is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise LabelIrstError(f"{where}: a target's box must be [x0, y0, x1, y1]") from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 < x0 or y1 < y0:
        raise LabelIrstError(f"{where}: a target's box must be [x0, y0, x1, y1], got {box}")
    return [x0, y0, x1, y1]


def boxes_for(targets: list[dict], rule: str, where: str = "ground truth") -> list | None:
    """The boxes ``match`` takes for ``targets`` under a match rule (``point``: None)."""
    if rule not in MATCH_RULES:
        raise LabelIrstError(f"--match must be one of {', '.join(MATCH_RULES)}, got {rule!r}")
    if rule == "point":
        return None
    return [target_box(t, where) for t in targets]
