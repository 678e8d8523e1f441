"""Carrying confirmed targets to the next frame as candidates (Sec. III-D1, sequences).

Each confirmed target of the previous frame is predicted at its centroid plus its estimated
motion (the centroid shift of the same track between the two frames before), the seed snaps
to the strongest local extreme of the raw frame within a few pixels of that prediction, and the
generator grows a candidate there that keeps the track id: one key confirms it.

Carrying is only for frames that form a sequence (a video, or a folder marked as one), and a
carried candidate is kept only when its re-grown mask is consistent with its source
(:func:`consistent`): a similar area, a centroid near the prediction, and a seed on a local
peak that stands out from its background. Anything else is dropped, not shown.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.tracking import local_extremum
from label_irst.errors import LabelIrstError
from label_irst.io.project import Target

SEARCH = 3
#: a carried mask may be this many times smaller than its source at most
AREA_FACTOR = 3.0
#: ... and this many times larger: a mask that grew (leaked along a bright streak, say) is not
#: proposed
GROW_FACTOR = 2.0
#: the seed must depart from the local median by this many robust standard deviations
PEAK_SIGMAS = 3.0


def predict(target: Target, earlier: dict[int, Target]) -> tuple[float, float]:
    """Centroid plus the last motion of the same track (constant velocity)."""
    cx, cy = target.centroid
    before = earlier.get(target.track_id) if target.track_id is not None else None
    if before is not None and np.isfinite(before.centroid[0]):
        cx, cy = 2 * cx - before.centroid[0], 2 * cy - before.centroid[1]
    return cx, cy


def carry_seeds(
    previous: list[Target], earlier: list[Target], current: list[Target], raw: np.ndarray
) -> list[tuple[tuple[int, int], Target, tuple[float, float]]]:
    """(seed (x, y), source target, predicted centroid) for the confirmed tracks of
    ``previous`` missing in ``current``."""
    present = {t.track_id for t in current if t.track_id is not None}
    by_track = {t.track_id: t for t in earlier if t.track_id is not None}
    out = []
    for t in previous:
        if t.status != "confirmed" or t.track_id is None or t.track_id in present:
            continue
        if not np.isfinite(t.centroid[0]):
            continue
        x, y = predict(t, by_track)
        h, w = raw.shape
        if not (-SEARCH <= x < w + SEARCH and -SEARCH <= y < h + SEARCH):
            continue  # the track left the frame
        out.append((local_extremum(raw, x, y, SEARCH), t, (x, y)))
    return out


def carried_candidates(previous, earlier, current, raw, grow) -> list[tuple[object, int]]:
    """(generated mask, track id) of the carried targets that pass :func:`consistent`;
    ``grow(seed, source_target)`` runs the generator."""
    out = []
    for seed, source, predicted in carry_seeds(previous, earlier, current, raw):
        try:
            result = grow(seed, source)
        except LabelIrstError:
            continue  # nothing to grow there (a flat patch): nothing carried
        if consistent(source, result.mask, predicted, raw, seed):
            out.append((result, source.track_id))
    return out


def consistent(
    source: Target, mask, predicted: tuple[float, float], raw: np.ndarray, seed: tuple[int, int]
) -> bool:
    """Keep a carried candidate: area at most ``AREA_FACTOR`` times smaller and ``GROW_FACTOR``
    times larger than the source's, centroid within
    max(2 px, 1.5 r + 1) of the predicted position, seed a 3x3 extremum standing out from the
    median of its 15x15 window by ``PEAK_SIGMAS`` robust sigmas (1.4826 MAD)."""
    area, source_area = mask.area, max(source.mask.area, 1)
    if area == 0 or source_area / area > AREA_FACTOR or area / source_area > GROW_FACTOR:
        return False
    cx, cy = mask.centroid()
    reach = max(2.0, 1.5 * source.radius + 1.0)
    if not np.hypot(cx - predicted[0], cy - predicted[1]) <= reach:
        return False
    h, w = raw.shape
    x, y = seed
    win = raw[max(y - 7, 0) : y + 8, max(x - 7, 0) : x + 8].astype(np.float64)
    near = raw[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].astype(np.float64)
    value, median = float(raw[y, x]), float(np.median(win))
    sigma = 1.4826 * float(np.median(np.abs(win - median))) + 1e-9
    bright = value >= median
    if value != (near.max() if bright else near.min()):
        return False
    return abs(value - median) >= PEAK_SIGMAS * sigma
