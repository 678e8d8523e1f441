"""Synthetic infrared-like frames with PSF-blurred point targets and their exact masks.

Backgrounds: a smooth gradient, low-frequency clutter (blurred noise at a few scales) and
Gaussian sensor noise. Targets: isotropic Gaussian spots I = A exp(-d^2 / (2 sigma^2)) with
``radius`` the half-maximum radius (sigma = radius / sqrt(2 ln 2)); the exact mask of a target
is the set of pixels where its own spot reaches half of its peak. A = SCR * sigma_noise,
negative for dark targets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

HALF_MAX = math.sqrt(2.0 * math.log(2.0))
#: Gaussian PSF of the synthetic optics, in pixels.
PSF_SIGMA = 0.7
SUPERSAMPLE = 4


@dataclass(frozen=True)
class SpotTruth:
    x: float
    y: float
    radius: float
    scr: float
    dark: bool = False


def background(
    shape: tuple[int, int], rng: np.random.Generator, clutter: float = 12.0, level: float = 90.0
) -> np.ndarray:
    """A float background around ``level`` grey levels (8-bit scale) with gradient and clutter."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    angle = rng.uniform(0, 2 * math.pi)
    gradient = (np.cos(angle) * xx / w + np.sin(angle) * yy / h) * rng.uniform(5, 25)
    out = level + gradient
    for scale in (24.0, 8.0):
        noise = rng.normal(0.0, 1.0, shape)
        blurred = cv2.GaussianBlur(noise, (0, 0), scale)
        blurred = (blurred - blurred.mean()) / (blurred.std() + 1e-12)
        out += blurred * clutter * (0.7 if scale > 10 else 0.3)
    return out


def spot(shape: tuple[int, int], truth: SpotTruth, psf_sigma: float = PSF_SIGMA) -> np.ndarray:
    """The unit-peak image of a target: a disc of ``truth.radius`` (area-sampled 4x4 per pixel)
    blurred by a Gaussian PSF of ``psf_sigma`` px, peak-normalised to 1."""
    h, w = shape
    out = np.zeros(shape, np.float64)
    half = int(math.ceil(truth.radius + 4.0 * psf_sigma)) + 2
    cx, cy = int(round(truth.x)), int(round(truth.y))
    x0, y0 = cx - half, cy - half
    size = 2 * half + 1
    ss = SUPERSAMPLE
    fine = (np.arange(size * ss) + 0.5) / ss - 0.5
    yy, xx = np.meshgrid(fine + y0, fine + x0, indexing="ij")
    disc = ((xx - truth.x) ** 2 + (yy - truth.y) ** 2 <= truth.radius**2).astype(np.float64)
    patch = disc.reshape(size, ss, size, ss).mean(axis=(1, 3))
    if patch.max() == 0:  # a sub-pixel disc between sample points: one pixel carries it
        patch[half, half] = 1.0
    patch = cv2.GaussianBlur(patch, (0, 0), psf_sigma, borderType=cv2.BORDER_CONSTANT)
    patch /= patch.max()
    ya, xa = max(y0, 0), max(x0, 0)
    yb, xb = min(y0 + size, h), min(x0 + size, w)
    if ya < yb and xa < xb:
        out[ya:yb, xa:xb] = patch[ya - y0 : yb - y0, xa - x0 : xb - x0]
    return out


def render(
    base: np.ndarray,
    targets: list[SpotTruth],
    rng: np.random.Generator,
    noise_sigma: float = 2.0,
    dtype: type = np.uint8,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Add targets and sensor noise to a float background.

    Returns (frame in ``dtype``, union mask, per-target masks). uint16 frames use a 16x gain
    (12-bit-like range) so 16-bit data really uses more than 8 bits.
    """
    frame = base.copy()
    masks = []
    for t in targets:
        s = spot(base.shape, t)
        amplitude = t.scr * noise_sigma * (-1.0 if t.dark else 1.0)
        frame += amplitude * s
        masks.append(s >= 0.5)
    frame += rng.normal(0.0, noise_sigma, base.shape)
    if dtype == np.uint16:
        out = np.clip(frame * 16.0, 0, 65535).astype(np.uint16)
    elif dtype == np.float32:
        out = frame.astype(np.float32)
    else:
        out = np.clip(np.rint(frame), 0, 255).astype(np.uint8)
    union = np.zeros(base.shape, bool)
    for m in masks:
        union |= m
    return out, union, masks


def random_targets(
    shape: tuple[int, int],
    rng: np.random.Generator,
    count: int,
    radius: tuple[float, float] = (1.0, 3.5),
    scr: tuple[float, float] = (6.0, 15.0),
    dark_fraction: float = 0.0,
    margin: int = 16,
    min_gap: float = 24.0,
) -> list[SpotTruth]:
    """Targets at random places, at least ``min_gap`` px apart and ``margin`` px from the edge."""
    h, w = shape
    out: list[SpotTruth] = []
    for _ in range(count * 50):
        if len(out) == count:
            break
        x, y = rng.uniform(margin, w - margin), rng.uniform(margin, h - margin)
        if any(math.hypot(x - t.x, y - t.y) < min_gap for t in out):
            continue
        out.append(
            SpotTruth(
                x=float(x),
                y=float(y),
                radius=float(rng.uniform(*radius)),
                scr=float(rng.uniform(*scr)),
                dark=bool(rng.random() < dark_fraction),
            )
        )
    return out


def synthetic_frame(
    shape: tuple[int, int] = (256, 320),
    count: int = 3,
    seed: int = 0,
    dtype: type = np.uint8,
    **target_kwargs,
) -> tuple[np.ndarray, np.ndarray, list[SpotTruth], list[np.ndarray]]:
    """One frame with ``count`` targets: (frame, union mask, truths, per-target masks)."""
    rng = np.random.default_rng(seed)
    base = background(shape, rng)
    targets = random_targets(shape, rng, count, **target_kwargs)
    frame, union, masks = render(base, targets, rng, dtype=dtype)
    return frame, union, targets, masks


def synthetic_sequence(
    frames: int = 20,
    shape: tuple[int, int] = (256, 320),
    count: int = 3,
    seed: int = 0,
    dtype: type = np.uint8,
    speed: float = 1.5,
) -> tuple[list[np.ndarray], list[list[SpotTruth]], list[list[np.ndarray]]]:
    """A short procedural sequence: targets moving at constant velocity over a fixed background.

    Returns (frames, per-frame truths, per-frame per-target masks); target k keeps index k in
    every frame, so it is its own track id.
    """
    rng = np.random.default_rng(seed)
    base = background(shape, rng)
    start = random_targets(shape, rng, count, margin=int(speed * frames) + 16)
    velocity = [rng.normal(0.0, 1.0, 2) for _ in start]
    velocity = [speed * v / (np.linalg.norm(v) + 1e-12) for v in velocity]
    out_frames, out_truths, out_masks = [], [], []
    for f in range(frames):
        truths = [
            SpotTruth(t.x + f * v[0], t.y + f * v[1], t.radius, t.scr, t.dark)
            for t, v in zip(start, velocity)
        ]
        frame, _, masks = render(base, truths, rng, dtype=dtype)
        out_frames.append(frame)
        out_truths.append(truths)
        out_masks.append(masks)
    return out_frames, out_truths, out_masks
