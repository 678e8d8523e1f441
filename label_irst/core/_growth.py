"""Compiled inner loop of PAMG (Algorithm 1, Step 2-3): priority-queue greedy growth.

Kept apart from :mod:`label_irst.core.pamg` so the numba kernel has one job: grow, record the
path and the energy of Eq. 6 at every step. Everything else (cropping, polarity, backtracking,
descriptors) is plain numpy.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

MU_OUT_FRONTIER = 0
MU_OUT_LOCAL_MEDIAN = 1
#: Warm-up of Algorithm 1 (lines 20-25): the energy is -inf while n <= WARM_UP.
WARM_UP = 5


@njit(cache=True, nogil=True, inline="always")
def _before(k1, o1, k2, o2):
    """Heap order: higher intensity first, then earlier insertion (FIFO among equal values)."""
    return k1 > k2 or (k1 == k2 and o1 < o2)


@njit(cache=True, nogil=True)
def _heap_push(key, order, index, size, k, o, i):
    """Insert (k, o, i) into the binary max-heap held in three arrays; returns the new size."""
    pos = size
    while pos > 0:
        parent = (pos - 1) >> 1
        if not _before(k, o, key[parent], order[parent]):
            break
        key[pos] = key[parent]
        order[pos] = order[parent]
        index[pos] = index[parent]
        pos = parent
    key[pos] = k
    order[pos] = o
    index[pos] = i
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(key, order, index, size):
    """Remove the top; returns (new size, its intensity, its flat index)."""
    top_k = key[0]
    top_i = index[0]
    size -= 1
    k, o, i = key[size], order[size], index[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _before(key[right], order[right], key[child], order[child]):
            child = right
        if not _before(key[child], order[child], k, o):
            break
        key[pos] = key[child]
        order[pos] = order[child]
        index[pos] = index[child]
        pos = child
    if size > 0:
        key[pos] = k
        order[pos] = o
        index[pos] = i
    return size, top_k, top_i


@njit(cache=True, nogil=True)
def grow(
    image,
    seed_row,
    seed_col,
    support_radius,
    eight_connected,
    eps,
    sign,
    mu_out_mode,
    mu_out_fixed,
    buckets=0,
    low=0.0,
):
    """Greedy growth from the seed while n < pi*Rs^2 (Algorithm 1, lines 7-31).

    ``image`` is the raw window (any numeric dtype, any layout); every value is read as
    ``sign * image[r, c]``, so ``sign = -1`` is the polarity inversion I <- 1 - I of Step 1 up to
    an affine map. Eq. 6 is invariant to affine intensity maps except for eps, so the caller
    passes eps already scaled to the window's intensity range.
    Returns ``(path, energy)``: the flat indices of the pixels in the order they were absorbed and
    the energy of Eq. 6 after each absorption, ``-inf`` during the warm-up (n <= 5) and wherever
    mu_in <= mu_out (the log of Eq. 3 is undefined there).

    Seed anchoring (line 10): the accumulators start with the seed's value and n = 1, and the seed
    is also the first pixel popped, so the seed counts twice in mu_in and sigma_in, as written.
    mu_out is the "immediate background": with ``mu_out_mode == MU_OUT_FRONTIER`` the mean of
    the pixels waiting in the queue (the outer boundary of S_n inside the window), otherwise the
    fixed ``mu_out_fixed`` (the local background median).

    The priority queue pops the highest value first and, among equal values, the earliest
    pushed. For integer windows the caller may pass ``buckets`` = max - min + 1 and ``low`` =
    min: the queue is then a bucket queue (one FIFO list per grey level), which pops in exactly
    the same order as the binary heap used otherwise, in O(1) per operation.
    """
    h, w = image.shape
    limit = math.pi * support_radius * support_radius
    max_steps = int(limit) + 2
    n_nb = 8 if eight_connected else 4
    # the queue never holds more than the pixels pushed: the seed plus n_nb per absorption
    cap = min(h * w, n_nb * max_steps + 1)
    visited = np.zeros(h * w, np.uint8)
    key = np.empty(cap, np.float64)
    order = np.empty(cap, np.int32)
    index = np.empty(cap, np.int32)
    path = np.empty(max_steps, np.int64)
    energy = np.empty(max_steps, np.float64)
    inv_two_rs2 = 1.0 / (2.0 * support_radius * support_radius)

    # bucket queue (integer windows): level = value - low (bright) or high - value (dark)
    n_levels = max(buckets, 1)
    head = np.full(n_levels, -1, np.int32)
    tail = np.full(n_levels, -1, np.int32)
    link = np.empty(cap, np.int32)
    top = -1
    offset = low if sign > 0 else -(low + buckets - 1)

    seed = seed_row * w + seed_col
    v0 = sign * float(image[seed_row, seed_col])
    if buckets > 0:
        level = int(v0 - offset)
        key[0] = v0
        index[0] = seed
        link[0] = -1
        head[level] = 0
        tail[level] = 0
        top = level
        size = 1
    else:
        size = _heap_push(key, order, index, 0, v0, 0, seed)
    visited[seed] = 1
    counter = 1
    queue_sum = v0

    n = 1
    s1 = v0
    s2 = v0 * v0
    d2max = 0.0
    steps = 0
    drow = np.array([-1, 1, 0, 0, -1, -1, 1, 1])
    dcol = np.array([0, 0, -1, 1, -1, 1, -1, 1])

    while size > 0 and n < limit and steps < max_steps:
        if buckets > 0:
            while head[top] < 0:
                top -= 1
            slot = head[top]
            head[top] = link[slot]
            if link[slot] < 0:
                tail[top] = -1
            val = key[slot]
            idx = index[slot]
            size -= 1
        else:
            size, val, idx = _heap_pop(key, order, index, size)
        queue_sum -= val
        path[steps] = idx
        n += 1
        s1 += val
        s2 += val * val
        r = idx // w
        c = idx - r * w
        dr = r - seed_row
        dc = c - seed_col
        d2 = float(dr * dr + dc * dc)
        if d2 > d2max:
            d2max = d2
        for k in range(n_nb):
            rr = r + drow[k]
            cc = c + dcol[k]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            j = rr * w + cc
            if visited[j]:
                continue
            visited[j] = 1
            v = sign * float(image[rr, cc])
            if buckets > 0:
                slot = counter  # every pushed pixel gets the next slot (the seed had 0)
                key[slot] = v
                index[slot] = j
                link[slot] = -1
                level = int(v - offset)
                if tail[level] < 0:
                    head[level] = slot
                else:
                    link[tail[level]] = slot
                tail[level] = slot
                if level > top:
                    top = level
                size += 1
            else:
                size = _heap_push(key, order, index, size, v, counter, j)
            counter += 1
            queue_sum += v
        if n > WARM_UP:
            mu_in = s1 / n
            var = s2 / n - mu_in * mu_in
            sigma_in = math.sqrt(var) if var > 0.0 else 0.0
            if mu_out_mode == MU_OUT_FRONTIER and size > 0:
                mu_out = queue_sum / size
            else:
                mu_out = mu_out_fixed
            contrast = mu_in - mu_out
            if contrast > 0.0:
                energy[steps] = (
                    math.log(math.log(n))
                    + math.log(contrast / (sigma_in + eps))
                    - d2max * inv_two_rs2
                )
            else:
                energy[steps] = -np.inf
        else:
            energy[steps] = -np.inf
        steps += 1
    return path[:steps], energy[:steps]


@njit(cache=True, nogil=True)
def window_statistics(window, seed_row, seed_col, polarity_half):
    """One pass over the working window for Step 1 of Algorithm 1.

    Returns (range, finite, below_or_equal, local_count): the window's max - min, whether every
    value is finite, and how many values of the (2 polarity_half + 1)^2 neighbourhood of the
    seed are <= I(seed) (the seed is darker than the local median when that is under half).
    """
    h, w = window.shape
    lo = window[0, 0]
    hi = window[0, 0]
    for r in range(h):
        for c in range(w):
            v = window[r, c]
            lo = min(lo, v)
            hi = max(hi, v)
    lo_f, hi_f = float(lo), float(hi)
    finite = np.isfinite(lo_f) and np.isfinite(hi_f)
    if finite:  # NaN does not propagate through min/max: look once more only for floats
        for r in range(h):
            for c in range(w):
                if not np.isfinite(float(window[r, c])):
                    finite = False
    v_seed = window[seed_row, seed_col]
    r_lo, r_hi = max(seed_row - polarity_half, 0), min(seed_row + polarity_half + 1, h)
    c_lo, c_hi = max(seed_col - polarity_half, 0), min(seed_col + polarity_half + 1, w)
    below = 0
    for r in range(r_lo, r_hi):
        for c in range(c_lo, c_hi):
            if window[r, c] <= v_seed:
                below += 1
    return hi_f - lo_f, finite, below, (r_hi - r_lo) * (c_hi - c_lo)
