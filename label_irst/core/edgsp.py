"""EDGSP inputs and matching: the numpy side of the learned point-prompt generator.

EDGSP (energy double guided single-point prompt) turns a segmentation network into a label
generator by telling it where the target is. This module builds the network's input for one
click and turns its saliency map back into one target's mask; the network itself is trained in
:mod:`label_irst.train` and run through ONNX Runtime in :mod:`label_irst.infer.edgsp`.

Unlike the paper, which feeds whole frames, the network sees a ``crop`` x ``crop`` window
centred on the click (32 px: it holds 99.6 % of the target pixels of sirst-v1 train for random
seeds, 48 px 99.9 % at 2.25x the cost; docs/benchmarks.md "EDGSP"). Pixels outside the frame
are replicated from its edge and never become mask pixels. Channels (Eq. 1, adapted):

0. **TEI**, target energy relative to the prompted target: (I - b) / (p - b), b the crop's
   median, p the extreme of the 5x5 window at the click (clipped to [-2, 2]); a target as dim
   as the noise and one a thousand grey levels high get the same input, 8- or 16-bit alike;
1. the same contrast over a noise scale, (I - b) / (1.4826 MAD + tiny) / 8, clipped to [-2, 4]
   (the local signal-to-clutter ratio);
2. **REM**, the Sobel gradient magnitude of channel 0 (the rough edge map of Eq. 1);
3. **DPE**, the Gaussian prompt map exp(-d^2 / 2 sigma^2) at the click (the init shape map
   I_g); the network concatenates it again before its last convolution (Eq. 3).

A dark target (the 5x5 extreme below the background) is handled by flipping the crop's sign,
so the network only ever sees bright targets. **BBM** (Sec. "Bounding box-based matching"):
the map is thresholded, split into 8-connected components, and only the components whose
bounding box holds the click are kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from label_irst.core.geometry import CroppedMask

CROP = 32
SIGMA = 3.0
THRESHOLD = 0.5
CHANNELS = 4
PEAK_WINDOW = 2  # half-width of the window at the click whose extreme is the target's peak


def click_pixel(seed: tuple[float, float], shape: tuple[int, int]) -> tuple[int, int]:
    """The click (x, y) as the nearest pixel inside the frame."""
    x = int(min(max(round(float(seed[0])), 0), shape[1] - 1))
    y = int(min(max(round(float(seed[1])), 0), shape[0] - 1))
    return x, y


def crop_at(image: np.ndarray, xy: tuple[int, int], size: int = CROP) -> tuple[np.ndarray, tuple]:
    """The ``size`` x ``size`` float32 window whose centre pixel (size // 2) is the click, edge
    pixels replicated past the frame, and its (row, col) offset in the frame."""
    x, y = xy
    r0, c0 = y - size // 2, x - size // 2
    h, w = image.shape
    top, left = max(-r0, 0), max(-c0, 0)
    bottom, right = max(r0 + size - h, 0), max(c0 + size - w, 0)
    win = image[max(r0, 0) : r0 + size, max(c0, 0) : c0 + size].astype(np.float32)
    if top or left or bottom or right:
        win = cv2.copyMakeBorder(win, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return win, (r0, c0)


def prompt_map(size: int = CROP, sigma: float = SIGMA) -> np.ndarray:
    """The Gaussian prompt map I_g centred on the crop's click pixel."""
    d = np.arange(size, dtype=np.float32) - size // 2
    g = np.exp(-(d**2) / (2.0 * sigma**2))
    return np.outer(g, g).astype(np.float32)


def channels(win: np.ndarray, sigma: float = SIGMA) -> tuple[np.ndarray, str]:
    """The four input channels (4, S, S) of one crop and the polarity it was read with."""
    size = win.shape[0]
    c = size // 2
    bg = float(np.median(win))
    around = win[c - PEAK_WINDOW : c + PEAK_WINDOW + 1, c - PEAK_WINDOW : c + PEAK_WINDOW + 1]
    hi, lo = float(around.max()) - bg, bg - float(around.min())
    polarity = "bright" if hi >= lo else "dark"
    dev = (win - bg) if polarity == "bright" else (bg - win)
    amp = max(hi, lo)
    mad = float(np.median(np.abs(win - bg)))
    tiny = 1e-6 * (abs(bg) + 1.0)
    out = np.empty((CHANNELS, size, size), np.float32)
    out[0] = np.clip(dev / max(amp, tiny), -2.0, 2.0)
    out[1] = np.clip(dev / (1.4826 * mad + max(amp, tiny) * 1e-2) / 8.0, -2.0, 4.0)
    gx = cv2.Sobel(out[0], cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(out[0], cv2.CV_32F, 0, 1, ksize=3)
    out[2] = np.sqrt(gx * gx + gy * gy) / 4.0
    out[3] = prompt_map(size, sigma)
    return out, polarity


def _dihedral(a: np.ndarray, t: int) -> np.ndarray:
    """Transform t in 0..7 of a square array: rotation by (t % 4) x 90 deg, then a left-right
    flip for t >= 4 (the 8 symmetries of the square, test-time augmentation)."""
    a = np.rot90(a, t % 4)
    return a[:, ::-1] if t >= 4 else a


def _undo_dihedral(a: np.ndarray, t: int) -> np.ndarray:
    a = a[:, ::-1] if t >= 4 else a
    return np.rot90(a, -(t % 4))


def network_input(
    image: np.ndarray, seeds, size: int = CROP, sigma: float = SIGMA, tta: int = 1
) -> tuple[np.ndarray, list[tuple], list[str], list[tuple[int, int]]]:
    """A batch (N * tta, 4, S, S) for ``seeds`` (x, y) on one frame, with each click's crop
    offset, polarity and click pixel. With ``tta`` > 1 every click is seen through the first
    ``tta`` symmetries of :func:`_dihedral` (its S + 1 window, centred on the click, is
    transformed and then cut to S, so the click stays on the centre pixel);
    :func:`merge_tta` maps the maps back and averages them."""
    if image.ndim != 2:
        raise ValueError("EDGSP reads one grey frame (2-D)")
    batch = np.empty((len(seeds) * tta, CHANNELS, size, size), np.float32)
    offsets, polarities, clicks = [], [], []
    for i, seed in enumerate(seeds):
        xy = click_pixel(seed, image.shape)
        win, off = crop_at(image, xy, size + 1)  # same offset as the S crop (S even)
        for t in range(tta):
            view = np.ascontiguousarray(_dihedral(win, t)[:size, :size])
            batch[i * tta + t], pol = channels(view, sigma)
            if t == 0:
                polarities.append(pol)
        offsets.append(off)
        clicks.append(xy)
    return batch, offsets, polarities, clicks


def merge_tta(probs: np.ndarray, tta: int) -> np.ndarray:
    """(N * tta, S, S) maps of :func:`network_input` -> (N, S, S), each pixel the mean of the
    views that saw it."""
    if tta == 1:
        return probs
    n, size = probs.shape[0] // tta, probs.shape[1]
    out = np.empty((n, size, size), np.float32)
    for i in range(n):
        acc = np.zeros((size + 1, size + 1), np.float32)
        seen = np.zeros((size + 1, size + 1), np.float32)
        for t in range(tta):
            p = np.zeros((size + 1, size + 1), np.float32)
            m = np.zeros((size + 1, size + 1), np.float32)
            p[:size, :size], m[:size, :size] = probs[i * tta + t], 1.0
            acc += _undo_dihedral(p, t)
            seen += _undo_dihedral(m, t)
        out[i] = (acc / np.maximum(seen, 1.0))[:size, :size]
    return out


def box_matching(
    prob: np.ndarray, offset: tuple[int, int], click: tuple[int, int], shape: tuple[int, int],
    threshold: float = THRESHOLD,
) -> CroppedMask:  # fmt: skip
    """BBM: the components of ``prob >= threshold`` whose bounding box holds the click, inside
    the frame; the click pixel alone when none does."""
    size = prob.shape[0]
    r0, c0 = offset
    binary = (prob >= threshold).astype(np.uint8)
    # pixels outside the frame (replicated padding) never belong to the mask
    binary[: max(-r0, 0)] = 0
    binary[:, : max(-c0, 0)] = 0
    binary[max(shape[0] - r0, 0) :] = 0
    binary[:, max(shape[1] - c0, 0) :] = 0
    cy, cx = click[1] - r0, click[0] - c0
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    keep = np.zeros(size * size, bool).reshape(size, size)
    for k in range(1, n):
        x, y, w, h = stats[k, :4]
        if x <= cx < x + w and y <= cy < y + h:
            keep |= labels == k
    if not keep.any():
        keep[cy, cx] = True
    ys, xs = np.nonzero(keep)
    return CroppedMask.from_pixels(ys + r0, xs + c0)


def held_out_split(count: int, fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Indices (train, held-out) of ``count`` examples: a fixed permutation drawn with ``seed``,
    its first round(fraction * count) held out (at least one when fraction > 0). Training and
    the app's adoption check (gui/learn.py) hold back the same targets with it."""
    order = np.random.default_rng(seed).permutation(count)
    n_val = 0 if fraction <= 0 else max(1, int(round(fraction * count)))
    if n_val >= count:
        raise ValueError(f"{count} example(s) cannot be split for validation")
    return sorted(int(i) for i in order[n_val:]), [int(i) for i in order[:n_val]]
