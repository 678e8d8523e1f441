"""Linear clustering of MCLC (Sec. 3.2): SLIC on one grey crop, compiled with numba.

1. Centres C_n = [c_n, s_n] (Eq. 1) start on a regular grid of interval S = sqrt(H W / N),
   each moved to the lowest-gradient pixel of its 3x3 neighbourhood.
2. Every pixel of a centre's 2S x 2S neighbourhood takes the label of the nearest centre under
   D = sqrt((Dc / mu_c)^2 + (Ds / mu_s)^2) (Eq. 2-3), with mu_c the compactness and mu_s = S,
   as in SLIC.
3. Centres move to the mean colour and position of their pixels (Eq. 4) until they move less
   than T (or after ``max_iter`` rounds).

The clustering result M_pred is the segment under the annotated point, restricted to its
4-connected part through the point (SLIC's connectivity step).
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _init_centres(lab: np.ndarray, n_segments: int) -> np.ndarray:
    h, w = lab.shape
    step = math.sqrt(h * w / max(n_segments, 1))
    ny = max(1, int(round(h / step)))
    nx = max(1, int(round(w / step)))
    centres = np.empty((ny * nx, 3), np.float64)  # colour, row, col
    k = 0
    for i in range(ny):
        for j in range(nx):
            r = min(int((i + 0.5) * h / ny), h - 1)
            c = min(int((j + 0.5) * w / nx), w - 1)
            best_r, best_c, best_g = r, c, np.inf
            for dr in range(-1, 2):
                for dc in range(-1, 2):
                    rr, cc = r + dr, c + dc
                    if rr < 1 or rr >= h - 1 or cc < 1 or cc >= w - 1:
                        continue
                    gy = lab[rr + 1, cc] - lab[rr - 1, cc]
                    gx = lab[rr, cc + 1] - lab[rr, cc - 1]
                    g = gx * gx + gy * gy
                    if g < best_g:
                        best_g, best_r, best_c = g, rr, cc
            centres[k, 0] = lab[best_r, best_c]
            centres[k, 1] = best_r
            centres[k, 2] = best_c
            k += 1
    return centres


@numba.njit(cache=True, nogil=True)
def slic_labels(
    lab: np.ndarray, n_segments: int, compactness: float, max_iter: int, tol: float
) -> np.ndarray:
    """SLIC labels (int32, H x W) of a single-channel colour image ``lab`` (Sec. 3.2, Eq. 1-4)."""
    h, w = lab.shape
    centres = _init_centres(lab, n_segments)
    k_count = centres.shape[0]
    step = math.sqrt(h * w / max(n_segments, 1))
    span = int(math.ceil(step))
    inv_c2 = 1.0 / (compactness * compactness)
    inv_s2 = 1.0 / (step * step)
    labels = np.zeros((h, w), np.int32)
    dist = np.empty((h, w), np.float64)
    sums = np.zeros((k_count, 4), np.float64)
    for _ in range(max_iter):
        dist[:, :] = np.inf
        for k in range(k_count):
            cc, cr, ccol = centres[k, 0], centres[k, 1], centres[k, 2]
            r0, r1 = max(int(cr) - span, 0), min(int(cr) + span + 1, h)
            c0, c1 = max(int(ccol) - span, 0), min(int(ccol) + span + 1, w)
            for r in range(r0, r1):
                for c in range(c0, c1):
                    dcol = lab[r, c] - cc
                    dr, dc = r - cr, c - ccol
                    d = dcol * dcol * inv_c2 + (dr * dr + dc * dc) * inv_s2
                    if d < dist[r, c]:
                        dist[r, c] = d
                        labels[r, c] = k
        sums[:, :] = 0.0
        for r in range(h):
            for c in range(w):
                k = labels[r, c]
                sums[k, 0] += lab[r, c]
                sums[k, 1] += r
                sums[k, 2] += c
                sums[k, 3] += 1.0
        moved = 0.0
        for k in range(k_count):
            if sums[k, 3] == 0.0:
                continue
            new_c = sums[k, 0] / sums[k, 3]
            new_r = sums[k, 1] / sums[k, 3]
            new_col = sums[k, 2] / sums[k, 3]
            moved += (new_r - centres[k, 1]) ** 2 + (new_col - centres[k, 2]) ** 2
            centres[k, 0], centres[k, 1], centres[k, 2] = new_c, new_r, new_col
        if math.sqrt(moved) < tol:
            break
    return labels


@numba.njit(cache=True, nogil=True)
def segment_at(labels: np.ndarray, row: int, col: int, out: np.ndarray) -> None:
    """Add 1 to ``out`` on the 4-connected part of the segment that holds (row, col)."""
    h, w = labels.shape
    target = labels[row, col]
    seen = np.zeros((h, w), np.bool_)
    stack = np.empty(h * w, np.int64)
    top = 0
    stack[top] = row * w + col
    top += 1
    seen[row, col] = True
    while top > 0:
        top -= 1
        p = stack[top]
        r, c = p // w, p % w
        out[r, c] += 1.0
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and not seen[rr, cc] and labels[rr, cc] == target:
                seen[rr, cc] = True
                stack[top] = rr * w + cc
                top += 1


@numba.njit(cache=True, nogil=True)
def monte_carlo_tpm(
    lab_clean: np.ndarray,
    salt: np.ndarray,
    salt_value: float,
    row: int,
    col: int,
    n_segments: int,
    compactness: float,
    max_iter: int,
    tol: float,
) -> np.ndarray:
    """Eq. 7 and 9: the target probability map, the mean of K clusterings of the crop with salt
    noise ``salt[k]`` (pixels set to ``salt_value``, the colour of white) added."""
    runs = salt.shape[0]
    h, w = lab_clean.shape
    acc = np.zeros((h, w), np.float64)
    noisy = np.empty((h, w), np.float64)
    for k in range(runs):
        for r in range(h):
            for c in range(w):
                noisy[r, c] = salt_value if salt[k, r, c] else lab_clean[r, c]
        labels = slic_labels(noisy, n_segments, compactness, max_iter, tol)
        segment_at(labels, row, col, acc)
    return acc / max(runs, 1)
