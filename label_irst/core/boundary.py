"""Local signal-to-clutter ratio, uniformity ratio and the generation boundary of PAMG.

Eq. 9 / Eq. 32:  SCR > B(n, gamma, Rs) = (1/gamma) * sqrt(2 n max(0, 1/(n ln n) - 1/(2 pi Rs^2)))
Eq. 20:          rho = SCR / B(n, gamma, Rs)

rho > 1 means the target satisfies the theoretical generation condition; the review queue sorts
targets by rho, least reliable (lowest) first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from label_irst.core.geometry import CroppedMask

#: Inner gap and width (pixels) of the background ring used for mu_B and sigma_B.
RING_GAP = 2
RING_WIDTH = 6
#: Largest reported rho: beyond it a target is "certainly separable" and JSON stays finite.
RHO_CAP = 1000.0


@dataclass(frozen=True)
class LocalContrast:
    """SCR = |mu_T - mu_B| / sigma_B and gamma = sigma_B / sigma_T (Sec. III-A4)."""

    scr: float
    gamma: float
    mu_target: float
    mu_background: float


def generation_bound(n: float, gamma: float, support_radius: float) -> float:
    """B(n, gamma, Rs) of Eq. 9; +inf when n < 2 (ln n = 0, no bound can be met)."""
    if n < 2 or gamma <= 0:
        return math.inf
    slack = max(0.0, 1.0 / (n * math.log(n)) - 1.0 / (2.0 * math.pi * support_radius**2))
    return math.sqrt(2.0 * n * slack) / gamma


def boundary_ratio(scr: float, n: float, gamma: float, support_radius: float) -> float:
    """rho = SCR / B of Eq. 20, capped at RHO_CAP (B = 0 means the bound is always met)."""
    bound = generation_bound(n, gamma, support_radius)
    if math.isinf(bound):
        return 0.0
    if bound <= 0:
        return RHO_CAP
    return float(min(scr / bound, RHO_CAP))


@njit(cache=True, nogil=True)
def _ring_statistics(window, inside, gap, width):
    """Mean/std of the mask pixels and of the ring gap < d <= gap + width around them, where d
    is the chessboard distance to the mask (two-pass distance transform)."""
    h, w = window.shape
    big = h + w + 1
    dist = np.empty((h, w), np.int64)
    for r in range(h):
        for c in range(w):
            dist[r, c] = 0 if inside[r, c] else big
    for r in range(h):
        for c in range(w):
            d = dist[r, c]
            for dr, dc in ((-1, -1), (-1, 0), (-1, 1), (0, -1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w and dist[rr, cc] + 1 < d:
                    d = dist[rr, cc] + 1
            dist[r, c] = d
    for r in range(h - 1, -1, -1):
        for c in range(w - 1, -1, -1):
            d = dist[r, c]
            for dr, dc in ((1, 1), (1, 0), (1, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w and dist[rr, cc] + 1 < d:
                    d = dist[rr, cc] + 1
            dist[r, c] = d
    nt = nb = 0
    st = st2 = sb = sb2 = 0.0
    for r in range(h):
        for c in range(w):
            v = float(window[r, c])
            d = dist[r, c]
            if d == 0:
                nt += 1
                st += v
                st2 += v * v
            elif gap < d <= gap + width:
                nb += 1
                sb += v
                sb2 += v * v
    mt = st / nt if nt else np.nan
    mb = sb / nb if nb else np.nan
    vt = max(st2 / nt - mt * mt, 0.0) if nt else np.nan
    vb = max(sb2 / nb - mb * mb, 0.0) if nb else np.nan
    return mt, np.sqrt(vt), mb, np.sqrt(vb), nt, nb


def local_contrast(image: np.ndarray, mask: CroppedMask) -> LocalContrast:
    """SCR and gamma of a target against a ring of background around it.

    The ring holds the pixels between RING_GAP (exclusive) and RING_GAP + RING_WIDTH pixels
    (chessboard distance) from the mask, so the blurred edge of the target does not count as
    clutter.
    """
    pad = RING_GAP + RING_WIDTH + 1
    y0, x0 = mask.offset
    h, w = mask.crop.shape
    ya, xa = max(y0 - pad, 0), max(x0 - pad, 0)
    yb, xb = min(y0 + h + pad, image.shape[0]), min(x0 + w + pad, image.shape[1])
    window = image[ya:yb, xa:xb]
    inside = np.zeros(window.shape, np.bool_)
    inside[y0 - ya : y0 - ya + h, x0 - xa : x0 - xa + w] = mask.crop
    mu_t, sigma_t, mu_b, sigma_b, n_t, n_b = _ring_statistics(window, inside, RING_GAP, RING_WIDTH)
    if n_t == 0 or n_b < 2:
        return LocalContrast(0.0, 1.0, float("nan"), float("nan"))
    tiny = 1e-9 * max(1.0, abs(mu_t), abs(mu_b))
    scr = abs(mu_t - mu_b) / max(sigma_b, tiny)
    gamma = max(sigma_b, tiny) / max(sigma_t, tiny)
    return LocalContrast(float(scr), float(gamma), float(mu_t), float(mu_b))
