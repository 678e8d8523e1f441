"""Carrying confirmed targets to the next frame as candidates (Sec. III-D1, sequences).

Each confirmed target of the previous frame is predicted at its centroid plus its estimated
motion (the centroid shift of the same track between the two frames before), the seed snaps
to the strongest local extreme of the raw frame within a few pixels of that prediction, and the
generator grows a candidate there that keeps the track id: one key confirms it.
"""

from __future__ import annotations

import numpy as np

from label_irst.io.project import Target

SEARCH = 3


def predict(target: Target, earlier: dict[int, Target]) -> tuple[float, float]:
    """Centroid plus the last motion of the same track (constant velocity)."""
    cx, cy = target.centroid
    before = earlier.get(target.track_id) if target.track_id is not None else None
    if before is not None and np.isfinite(before.centroid[0]):
        cx, cy = 2 * cx - before.centroid[0], 2 * cy - before.centroid[1]
    return cx, cy


def snap_seed(raw: np.ndarray, x: float, y: float, search: int = SEARCH) -> tuple[int, int]:
    """The pixel within ``search`` px of (x, y) that departs most from the local median."""
    h, w = raw.shape
    col = int(np.clip(round(x), 0, w - 1))
    row = int(np.clip(round(y), 0, h - 1))
    r0, r1 = max(row - search, 0), min(row + search + 1, h)
    c0, c1 = max(col - search, 0), min(col + search + 1, w)
    window = raw[r0:r1, c0:c1].astype(np.float64)
    deviation = np.abs(window - np.median(window))
    r, c = np.unravel_index(int(np.argmax(deviation)), window.shape)
    return int(c0 + c), int(r0 + r)


def carry_seeds(
    previous: list[Target], earlier: list[Target], current: list[Target], raw: np.ndarray
) -> list[tuple[tuple[int, int], int]]:
    """Seeds (x, y) and track ids for the confirmed tracks of ``previous`` missing in ``current``."""
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
        out.append((snap_seed(raw, x, y), t.track_id))
    return out
