"""PMG: Point-to-Mask Generation of HMG (Sec. 3.1), a learning-free peer of PAMG.

Point-to-Box (Sec. 3.1.1): for each of the four directions a strip of ``L_ep`` pixels along the
direction and ``2 L_dp + 1`` pixels across it is cut at the point u0. Along the strip, the
maximum vector (max across the strip) and the average vector (mean across the strip) are
formed; the absolute differences D of adjacent elements of the maximum vector are split by their
mean into target, transition (D above the mean) and background regions; the average vector at
the first position where the transition meets the background is the background threshold, and
the boundary is the first position, walking out from u0, whose average value reaches it.

Box-to-Mask (Sec. 3.1.2): inside the box U, sigma = alpha I(u0) + (1 - alpha) mean_U I (Eq. 1)
maps pixels to target probabilities, linear in [0, 0.5] below sigma and in [0.5, 1] above it
(Eq. 2). The global map P_g, the vertical map P_v (the parts above and below u0 normalised
apart) and the horizontal map P_h (left and right of u0) are averaged (Eq. 3) and thresholded at
0.5 (Eq. 4).

The paper handles bright targets only; a dark target (seed below the median of its
neighbourhood, as in PAMG's Algorithm 1, Step 1) is processed on the negated image. Defaults
are the paper's: L_ep = 25, L_dp = 4, alpha = 0.15. PMG takes no size prior.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.core.pamg import check_seed
from label_irst.core.result import GeneratedMask, describe
from label_irst.errors import LabelIrstError

L_EP = 25
L_DP = 4
ALPHA = 0.15


def _extent(max_vec: np.ndarray, mean_vec: np.ndarray) -> int:
    """Sec. 3.1.1 along one direction: the boundary's distance (pixels) from u0.

    ``max_vec`` / ``mean_vec`` start at u0 (index 0) and run outwards.
    """
    n = max_vec.size
    if n < 2:
        return 0
    d = np.abs(np.diff(max_vec))
    above = d > d.mean()
    if not above.any():  # flat strip: no transition, the box stays at the point
        return 0
    first = int(np.argmax(above))
    after = np.nonzero(~above[first:])[0]
    # position where the transition region meets the background (end of the strip if never)
    meet = first + int(after[0]) if after.size else n - 1
    background = mean_vec[meet]
    reached = np.nonzero(mean_vec <= background)[0]
    return int(reached[0]) if reached.size else n - 1


def point_to_box(
    image: np.ndarray, col: int, row: int, l_ep: int = L_EP, l_dp: int = L_DP
) -> tuple[int, int, int, int]:
    """Sec. 3.1.1: the box (x0, y0, x1, y1), exclusive ends, around the point (col, row)."""
    h, w = image.shape
    r0, r1 = max(row - l_dp, 0), min(row + l_dp + 1, h)
    c0, c1 = max(col - l_dp, 0), min(col + l_dp + 1, w)
    # horizontal strips: rows r0:r1, columns outwards from col; vectors along columns
    left = image[r0:r1, max(col - l_ep, 0) : col + 1][:, ::-1]
    right = image[r0:r1, col : min(col + l_ep + 1, w)]
    up = image[max(row - l_ep, 0) : row + 1, c0:c1][::-1, :].T
    down = image[row : min(row + l_ep + 1, h), c0:c1].T
    ext = [_extent(s.max(axis=0), s.mean(axis=0)) for s in (left, right, up, down)]
    return col - ext[0], row - ext[2], col + ext[1] + 1, row + ext[3] + 1


def _probability(values: np.ndarray, seed_value: float, alpha: float) -> np.ndarray:
    """Eq. 1-2 on one region: target probabilities of its pixels."""
    sigma = alpha * seed_value + (1.0 - alpha) * float(values.mean())
    lo, hi = float(values.min()), float(values.max())
    low = values <= sigma
    p = np.empty(values.shape, np.float64)
    p[low] = 0.5 * (values[low] - lo) / (sigma - lo) if sigma > lo else 0.5
    p[~low] = 1.0 - 0.5 * (hi - values[~low]) / (hi - sigma) if hi > sigma else 1.0
    return p


def _split_map(box: np.ndarray, at: int, seed_value: float, alpha: float) -> np.ndarray:
    """Bidirectional normalisation along rows of ``box``: rows [0, at] and [at, end] apart; the
    row through u0 belongs to both halves and takes their mean."""
    first = _probability(box[: at + 1], seed_value, alpha)
    second = _probability(box[at:], seed_value, alpha)
    out = np.concatenate([first, second[1:]], axis=0)
    out[at] = 0.5 * (first[-1] + second[0])
    return out


def box_to_mask(
    image: np.ndarray, col: int, row: int, box: tuple[int, int, int, int], alpha: float = ALPHA
) -> np.ndarray:
    """Sec. 3.1.2, Eq. 1-4: the boolean pseudo mask inside ``box`` (its shape)."""
    x0, y0, x1, y1 = box
    u = image[y0:y1, x0:x1]
    seed_value = float(image[row, col])
    p_g = _probability(u, seed_value, alpha)
    p_v = _split_map(u, row - y0, seed_value, alpha)
    p_h = _split_map(u.T, col - x0, seed_value, alpha).T
    p_f = (p_g + p_v + p_h) / 3.0
    return p_f >= 0.5


def is_dark(image: np.ndarray, col: int, row: int, half: int = L_EP) -> bool:
    """PAMG's polarity rule (Algorithm 1, Step 1): the seed lies below its local median."""
    h, w = image.shape
    local = image[max(row - half, 0) : row + half + 1, max(col - half, 0) : col + half + 1]
    return bool(image[row, col] < np.median(local))


def pmg(
    image: np.ndarray,
    seed: tuple[float, float],
    support_radius: float = 20.0,
    *,
    l_ep: int = L_EP,
    l_dp: int = L_DP,
    alpha: float = ALPHA,
) -> GeneratedMask:
    """PMG mask from ``seed`` = (x, y); ``support_radius`` is only recorded (PMG has no Rs)."""
    col, row = check_seed(image, seed)
    if l_ep < 1 or l_dp < 0:
        raise LabelIrstError(f"PMG needs L_ep >= 1 and L_dp >= 0, got {l_ep}, {l_dp}")
    r0, c0 = max(row - l_ep, 0), max(col - l_ep, 0)
    data = np.asarray(image[r0 : row + l_ep + 1, c0 : col + l_ep + 1], dtype=np.float64)
    if not np.isfinite(data).all():
        raise LabelIrstError("the image holds NaN or infinite values around the seed")
    r, c = row - r0, col - c0
    polarity = "dark" if is_dark(data, c, r) else "bright"
    if polarity == "dark":
        data = -data
    x0, y0, x1, y1 = point_to_box(data, c, r, l_ep, l_dp)
    crop = box_to_mask(data, c, r, (x0, y0, x1, y1), alpha)
    crop[r - y0, c - x0] = True  # the clicked pixel always belongs to its target
    mask = CroppedMask.from_full(crop)
    mask = CroppedMask(mask.crop, (mask.offset[0] + y0 + r0, mask.offset[1] + x0 + c0))
    return describe(image, mask, (col, row), support_radius, "pmg", polarity=polarity)
