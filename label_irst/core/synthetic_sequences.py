"""Synthetic moving-target sequences in the style of SIRSTD-Pixel (Sec. III-D), for RPR-Net.

A sequence is a background (a real target-free infrared frame, or a procedural one from
:func:`label_irst.core.synthetic.background`) seen by a camera with slow drift and sub-pixel
jitter, plus 1-5 targets moving on smooth tracks. Each target is a PSF-blurred spot, isotropic or
slightly elliptical, of half-maximum radius 0.5-5 px, integrated over each pixel's area (4x4
sub-samples: a sensor pixel collects the light falling on all of it, not at its centre). Its contrast follows Eq. 20, SCR = |mu_T - mu_B| / sigma_B
with SCR about 1 to 10: the mean added intensity over the target's own mask is SCR times the
local background standard deviation sigma_B. Some targets are dark, some enter or leave the
frame. Sensor noise is added last.

A :class:`MotionMix` turns a share of the targets into ones that do not simply move: **static**
(fixed in the image, as a target flying at the camera or a tracked one), **hovering** (fixed
anchor plus per-frame Gaussian jitter of 0.05-0.3 px, a hovering drone) and **stop-and-start**
(the moving track, advanced only in moving phases of 2-6 frames). Every annotated target carries
its ``speed``: its mean displacement in the image to the neighbouring frames (px/frame; 0 for
a static target) and its ``motion`` kind.

A target's exact mask is the set of pixels where its own spot reaches half of its peak (at least
the pixel under its centre); its annotation is the mask's centroid and effective radius
r = sqrt(area / pi) (Sec. III-C1) and its bounding box. Everything follows from one RNG seed.

With templates (:mod:`label_irst.core.target_templates`), a share of the targets are real
targets cut from annotated images instead of spots, moved, held still or hovering in the same
way; their mask is the template's mask moved with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from label_irst.core.synthetic import HALF_MAX, background
from label_irst.core.target_templates import Template, template_patch

NOISE_SIGMA = (1.0, 2.5)


@dataclass(frozen=True)
class TrackedTarget:
    """One target in one frame: its id, mask and the annotation derived from the mask."""

    id: int
    x: float
    y: float
    radius: float
    bbox: tuple[int, int, int, int]
    mask: np.ndarray  # bool crop of the frame at bbox (x0, y0, x1, y1 exclusive)
    scr: float
    dark: bool
    speed: float = 0.0  # px/frame, mean displacement to the neighbouring frames
    motion: str = "moving"

    def annotation(self) -> dict:
        return {
            "id": self.id,
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "radius": round(self.radius, 3),
            "bbox": list(self.bbox),
            "scr": round(self.scr, 2),
            "dark": self.dark,
            "speed": round(self.speed, 3),
            "motion": self.motion,
        }


@dataclass(frozen=True)
class MotionMix:
    """Shares of targets that are static, hover with jitter, or stop and start; the rest move."""

    static: float = 0.0
    hover: float = 0.0
    stop_start: float = 0.0

    def __post_init__(self) -> None:
        shares = (self.static, self.hover, self.stop_start)
        if any(not 0.0 <= v <= 1.0 for v in shares) or sum(shares) > 1.0 + 1e-9:
            raise ValueError("motion shares must lie in [0, 1] and add up to at most 1")

    def active(self) -> bool:
        return self.static + self.hover + self.stop_start > 0.0

    def draw(self, rng: np.random.Generator) -> str:
        u = rng.random()
        for kind, share in (("static", self.static), ("hover", self.hover),
                            ("stop-start", self.stop_start)):  # fmt: skip
            if u < share:
                return kind
            u -= share
        return "moving"


@dataclass(frozen=True)
class Track:
    """A target's motion model and appearance (constant over the sequence)."""

    id: int
    x0: float
    y0: float
    vx: float
    vy: float
    ax: float
    ay: float
    radius: float
    elongation: float
    angle: float
    scr: float
    dark: bool
    motion: str = "moving"
    #: hovering: per-frame (dx, dy) jitter around (x0, y0); stop-and-start: per-frame moving
    #: time (frames actually moved so far) that replaces t in the motion model
    jitter: tuple[tuple[float, float], ...] = ()
    clock: tuple[int, ...] = ()
    #: index of a real target's template (label_irst.core.target_templates) drawn instead of
    #: the PSF spot; -1 for a spot
    template: int = -1

    def position(self, t: int) -> tuple[float, float]:
        if self.jitter:
            dx, dy = self.jitter[min(max(t, 0), len(self.jitter) - 1)]
            return self.x0 + dx, self.y0 + dy
        if self.clock:
            t = self.clock[min(max(t, 0), len(self.clock) - 1)]
        return (
            self.x0 + self.vx * t + 0.5 * self.ax * t * t,
            self.y0 + self.vy * t + 0.5 * self.ay * t * t,
        )

    def speed(self, t: int, frames: int) -> float:
        """Mean displacement (px/frame) from frame t to its neighbours inside the sequence."""
        x, y = self.position(t)
        steps = [
            math.hypot(x - px, y - py)
            for n in (t - 1, t + 1)
            if 0 <= n < frames
            for px, py in [self.position(n)]
        ]
        return float(np.mean(steps)) if steps else 0.0


def camera_offsets(frames: int, rng: np.random.Generator) -> np.ndarray:
    """Per-frame (dx, dy) of the camera: slow linear drift plus sub-pixel jitter."""
    drift = rng.normal(0.0, 0.15, 2)
    jitter = rng.normal(0.0, rng.uniform(0.05, 0.35), (frames, 2))
    t = np.arange(frames)[:, None]
    return drift[None, :] * t + jitter


def shifted(base: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """The background seen through a camera moved by (dx, dy) px (bilinear, reflected border)."""
    m = np.float32([[1, 0, -dx], [0, 1, -dy]])
    h, w = base.shape
    return cv2.warpAffine(base, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def still_or_stop_start(
    track: Track, kind: str, shape: tuple[int, int], frames: int, rng: np.random.Generator
) -> Track:
    """A moving track turned into a static, hovering or stop-and-start one."""
    if kind == "stop-start":
        moving, clock, state = [], [0], bool(rng.random() < 0.5)
        while len(moving) < frames:
            moving += [state] * int(rng.integers(2, 7))
            state = not state
        for step in moving[: frames - 1]:
            clock.append(clock[-1] + int(step))
        return replace(track, motion=kind, clock=tuple(clock))
    h, w = shape
    x0, y0 = float(rng.uniform(8, w - 8)), float(rng.uniform(8, h - 8))
    jitter: tuple[tuple[float, float], ...] = ()
    if kind == "hover":
        steps = rng.normal(0.0, rng.uniform(0.05, 0.3), (frames, 2))
        jitter = tuple((float(a), float(b)) for a, b in steps)
    return replace(track, x0=x0, y0=y0, vx=0.0, vy=0.0, ax=0.0, ay=0.0, motion=kind, jitter=jitter)


def random_tracks(
    shape: tuple[int, int],
    frames: int,
    rng: np.random.Generator,
    count: int,
    mix: MotionMix | None = None,
) -> list[Track]:
    """``count`` tracks; about one in five enters or leaves the frame during the sequence.
    With an active ``mix``, a share of them is then made static, hovering or stop-and-start
    (the moving tracks and every draw before are those of the same seed without a mix)."""
    h, w = shape
    tracks = []
    for k in range(count):
        speed = rng.uniform(0.3, 2.0)
        heading = rng.uniform(0, 2 * math.pi)
        vx, vy = speed * math.cos(heading), speed * math.sin(heading)
        ax, ay = rng.normal(0.0, 0.01, 2)
        crosses_edge = rng.random() < 0.2
        if crosses_edge:
            # start (or end) just outside a border so the target enters (or leaves)
            tm = rng.uniform(0.2, 0.8) * frames
            xm, ym = rng.uniform(0.1 * w, 0.9 * w), rng.uniform(0.1 * h, 0.9 * h)
            # pick a point on the border the track passes at time tm
            border = rng.integers(4)
            xm, ym = [(1.0, ym), (w - 2.0, ym), (xm, 1.0), (xm, h - 2.0)][border]
            x0, y0 = xm - vx * tm, ym - vy * tm
        else:
            travel_x, travel_y = abs(vx) * frames + 8, abs(vy) * frames + 8
            lo_x, hi_x = 8 + max(0, -vx) * frames, w - 8 - max(0, vx) * frames
            lo_y, hi_y = 8 + max(0, -vy) * frames, h - 8 - max(0, vy) * frames
            if hi_x <= lo_x or hi_y <= lo_y or travel_x > w or travel_y > h:
                lo_x, hi_x, lo_y, hi_y = 8, w - 8, 8, h - 8
            x0, y0 = rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y)
        radius = float(math.exp(rng.uniform(math.log(0.5), math.log(5.0))))
        tracks.append(
            Track(
                id=k + 1,
                x0=float(x0),
                y0=float(y0),
                vx=float(vx),
                vy=float(vy),
                ax=float(ax),
                ay=float(ay),
                radius=radius,
                elongation=float(rng.uniform(1.0, 1.6)) if rng.random() < 0.4 else 1.0,
                angle=float(rng.uniform(0, math.pi)),
                scr=float(rng.uniform(1.0, 10.0)),
                dark=bool(rng.random() < 0.15),
            )
        )
    if mix is not None and mix.active():
        kinds = [mix.draw(rng) for _ in tracks]
        tracks = [
            tr if kind == "moving" else still_or_stop_start(tr, kind, shape, frames, rng)
            for tr, kind in zip(tracks, kinds)
        ]
    return tracks


def with_templates(
    tracks: list[Track], templates: list[Template], share: float, rng: np.random.Generator
) -> list[Track]:
    """``share`` of the tracks drawn with a real target's template (its sign kept, a random
    quarter turn), with draws from a stream of their own."""
    own = np.random.default_rng(int(rng.integers(2**32)))
    out = []
    for tr in tracks:
        if own.random() < share:
            k = int(own.integers(len(templates)))
            turn = float(own.integers(4)) * math.pi / 2
            tr = replace(tr, template=k, dark=templates[k].dark, angle=turn)
        out.append(tr)
    return out


SUBPIXELS = 4


def spot_patch(track: Track, x: float, y: float, shape: tuple[int, int]):
    """The unit-peak PSF of a target around (x, y) averaged over each pixel's area
    (``SUBPIXELS`` x ``SUBPIXELS`` sub-samples): (patch, (x0, y0)) or None when off-frame."""
    h, w = shape
    sigma = max(track.radius, 0.3) / HALF_MAX
    sa, sb = sigma * math.sqrt(track.elongation), sigma / math.sqrt(track.elongation)
    half = int(math.ceil(3.5 * max(sa, sb))) + 1
    x0, y0 = max(int(math.floor(x)) - half, 0), max(int(math.floor(y)) - half, 0)
    x1, y1 = min(int(math.floor(x)) + half + 2, w), min(int(math.floor(y)) + half + 2, h)
    if x1 <= x0 or y1 <= y0:
        return None
    k = SUBPIXELS
    sub = (np.arange(k) + 0.5) / k - 0.5
    ys = (np.arange(y0, y1)[:, None] + sub[None, :]).ravel()
    xs = (np.arange(x0, x1)[:, None] + sub[None, :]).ravel()
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    c, s = math.cos(track.angle), math.sin(track.angle)
    u = (xx - x) * c + (yy - y) * s
    v = -(xx - x) * s + (yy - y) * c
    fine = np.exp(-0.5 * ((u / sa) ** 2 + (v / sb) ** 2))
    return fine.reshape(y1 - y0, k, x1 - x0, k).mean(axis=(1, 3)), (x0, y0)


def spot_mask(patch: np.ndarray, x: float, y: float, origin: tuple[int, int]) -> np.ndarray:
    """A target's exact mask in its patch: where its own spot reaches half of its peak, plus the
    pixel under its centre when that lies in the patch."""
    mask = patch >= 0.5
    px, py = origin
    i, j = int(math.floor(y + 0.5)) - py, int(math.floor(x + 0.5)) - px
    if 0 <= i < patch.shape[0] and 0 <= j < patch.shape[1]:
        mask[i, j] = True
    return mask


def mask_mean(track: Track) -> float:
    """Mean of the unit-peak spot over its own mask, averaged over sub-pixel phases: the ratio
    of mean to peak contrast that turns Eq. 20's SCR into a peak amplitude (a sub-pixel target's
    own mean still varies from frame to frame as it crosses pixels)."""
    half = int(math.ceil(3.5 * max(track.radius, 0.3) / HALF_MAX * 1.3)) + 4
    means = []
    for fy in (0.0, 0.25, 0.5, 0.75):
        for fx in (0.0, 0.25, 0.5, 0.75):
            cx, cy = half + fx, half + fy
            patch, origin = spot_patch(track, cx, cy, (2 * half + 2, 2 * half + 2))
            means.append(float(patch[spot_mask(patch, cx, cy, origin)].mean()))
    return float(np.mean(means))


def local_sigma(base: np.ndarray, x: float, y: float, noise_sigma: float, half: int = 10) -> float:
    """sigma_B of the background around (x, y), at least the sensor noise."""
    h, w = base.shape
    cx, cy = min(max(int(x), 0), w - 1), min(max(int(y), 0), h - 1)
    patch = base[max(cy - half, 0) : cy + half + 1, max(cx - half, 0) : cx + half + 1]
    return float(math.hypot(patch.std(), noise_sigma))


def render_sequence(
    base: np.ndarray,
    frames: int,
    rng: np.random.Generator,
    count: int | None = None,
    mix: MotionMix | None = None,
    templates: list[Template] | None = None,
    template_share: float = 0.5,
) -> tuple[list[np.ndarray], list[list[TrackedTarget]]]:
    """Render one sequence over a float background (8-bit grey scale). With ``templates``,
    ``template_share`` of the targets have a real target's appearance instead of a PSF spot.

    Returns (uint8 frames, per-frame targets). Targets whose centre lies outside the frame or
    whose mask is empty in a frame are not annotated in that frame.
    """
    shape = base.shape
    count = int(rng.integers(1, 6)) if count is None else count
    tracks = random_tracks(shape, frames, rng, count, mix)
    if templates:
        tracks = with_templates(tracks, templates, template_share, rng)
    offsets = camera_offsets(frames, rng)
    noise_sigma = float(rng.uniform(*NOISE_SIGMA))
    amplitude = {}
    for tr in tracks:
        x, y = tr.position(frames // 2)
        own = templates[tr.template].mask_mean if tr.template >= 0 else mask_mean(tr)
        contrast = tr.scr * local_sigma(base, x, y, noise_sigma) / own
        amplitude[tr.id] = contrast * (-1 if tr.dark else 1)
    out_frames, out_targets = [], []
    h, w = shape
    for t in range(frames):
        dx, dy = offsets[t]
        frame = shifted(base, float(dx), float(dy)).astype(np.float64)
        targets = []
        for tr in tracks:
            x, y = tr.position(t)
            if tr.template >= 0:
                got = template_patch(templates[tr.template], x, y, shape, tr.angle)
                if got is None:
                    continue
                patch, mask, (px, py) = got
            else:
                got = spot_patch(tr, x, y, shape)
                if got is None:
                    continue
                patch, (px, py) = got
                mask = None
            ph, pw = patch.shape
            frame[py : py + ph, px : px + pw] += amplitude[tr.id] * patch
            inside = -0.5 <= x < w - 0.5 and -0.5 <= y < h - 0.5
            if not inside:
                continue
            if mask is None:
                mask = spot_mask(patch, x, y, (px, py))
            if not mask.any():
                continue
            rows, cols = np.nonzero(mask)
            bx0, by0 = px + int(cols.min()), py + int(rows.min())
            bx1, by1 = px + int(cols.max()) + 1, py + int(rows.max()) + 1
            crop = mask[by0 - py : by1 - py, bx0 - px : bx1 - px]
            area = int(crop.sum())
            targets.append(
                TrackedTarget(
                    id=tr.id,
                    x=float(px + cols.mean()),
                    y=float(py + rows.mean()),
                    radius=math.sqrt(area / math.pi),
                    bbox=(bx0, by0, bx1, by1),
                    mask=crop.copy(),
                    scr=tr.scr,
                    dark=tr.dark,
                    speed=tr.speed(t, frames),
                    motion=tr.motion,
                )
            )
        frame += rng.normal(0.0, noise_sigma, shape)
        out_frames.append(np.clip(np.rint(frame), 0, 255).astype(np.uint8))
        out_targets.append(targets)
    return out_frames, out_targets


def procedural_background(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A procedural float background when no real one is given."""
    return background(
        shape, rng, clutter=float(rng.uniform(4.0, 16.0)), level=float(rng.uniform(60, 150))
    )


def union_mask(targets: list[TrackedTarget], shape: tuple[int, int]) -> np.ndarray:
    """The full-frame ground-truth mask of one frame."""
    out = np.zeros(shape, bool)
    for t in targets:
        x0, y0, x1, y1 = t.bbox
        out[y0:y1, x0:x1] |= t.mask
    return out
