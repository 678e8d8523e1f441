"""Snapping a manual click to the target it was meant for (the seed of PAMG, Sec. III-A).

PAMG grows from its seed, so a seed one pixel off a small target may grow into the background
instead (Sec. IV-B1 measures seeds at the centroid, inside and on the boundary). A click is
moved to the pixel within a small disc around it that departs most from the local background
(the median of a window around the disc), the strongest local extremum, bright or dark. Ties go
to the pixel nearest the click. ``radius`` 0 keeps the click, and so does a click that already
stands out from the background by ``keep_sigmas`` robust standard deviations (1.4826 x the
median absolute departure of the window), or by ``keep`` x the disc's best: a click on the
target's body is where the user meant it, and PAMG grows better from inside a target than from
its peak (benchmarks/bench_click_snap.py; r = 3 px and 5 sigma chosen on sirst-v1 train.txt).
"""

from __future__ import annotations

import numpy as np

#: the default snap radius in pixels (chosen on sirst-v1 train.txt, docs/benchmarks.md)
SNAP_RADIUS = 3
#: a click departing from the background by this share of the disc's best is kept (0: unused)
SNAP_KEEP = 0.0
#: a click departing from the background by this many robust sigmas is kept as it is
SNAP_KEEP_SIGMAS = 5.0
#: extra pixels of the window around the disc whose median is the background
BACKGROUND_MARGIN = 4


def snap_to_extremum(
    raw: np.ndarray,
    x: float,
    y: float,
    radius: float = SNAP_RADIUS,
    keep: float = SNAP_KEEP,
    keep_sigmas: float | None = SNAP_KEEP_SIGMAS,
) -> tuple[int, int]:
    """The pixel (x, y) within ``radius`` px of the click that stands out most from the median
    of the surrounding window; the clicked pixel itself when ``radius`` < 1 or when it already
    stands out (``keep_sigmas``, ``keep``)."""
    h, w = raw.shape[:2]
    col = int(np.clip(np.floor(x), 0, w - 1))
    row = int(np.clip(np.floor(y), 0, h - 1))
    r = int(np.floor(radius))
    if r < 1:
        return col, row
    pad = r + BACKGROUND_MARGIN
    r0, r1 = max(row - pad, 0), min(row + pad + 1, h)
    c0, c1 = max(col - pad, 0), min(col + pad + 1, w)
    window = np.asarray(raw[r0:r1, c0:c1], dtype=np.float64)
    deviation = np.abs(window - np.median(window))
    yy, xx = np.mgrid[r0:r1, c0:c1]
    distance2 = (yy - row) ** 2 + (xx - col) ** 2
    inside = distance2 <= radius * radius
    score = np.where(inside, deviation, -np.inf)
    best = score.max()
    here = deviation[row - r0, col - c0]
    if keep > 0 and here >= keep * best:
        return col, row
    if keep_sigmas is not None:
        sigma = 1.4826 * float(np.median(deviation)) + 1e-9
        if here >= keep_sigmas * sigma:
            return col, row
    ties = np.nonzero((score == best) & inside)
    k = int(np.argmin(distance2[ties]))
    return int(xx[ties][k]), int(yy[ties][k])
