"""Linking per-frame detections into tracks (sequences, Sec. III-D: a target's path across frames).

Each frame gives detections (centre x, y, radius r, score). The tracker links them with

* a constant-velocity Kalman filter per track (state x, y, vx, vy), whose measurement noise
  grows with the target's radius, sigma = ``noise_px`` + ``noise_radius`` * r, so the gate (the
  Mahalanobis distance of the innovation, chi-square with 2 degrees of freedom at ``gate``) is
  wider for larger targets and widens with every frame a track goes unseen;
* one global assignment per frame (:func:`scipy.optimize.linear_sum_assignment` on the squared
  Mahalanobis distances, pairs outside the gate forbidden);
* hysteresis on the score, as Canny links edges: only detections scored at least ``low`` are
  linked, and a track is kept only when one of its detections reaches ``high``; the weaker
  frames before and after that detection are kept with it;
* a minimum length (first to last observed frame) and a minimum share of observed frames, which
  remove clutter that flickers, and a minimum track score;
* gaps of at most ``max_gap`` frames inside a track are filled with positions interpolated
  between the observed frames around them (``index`` None); :mod:`label_irst.infer.tracks`
  re-seeds guided PAMG at the local extremum near each filled position.

A target that stops keeps its track: the filter's velocity decays to zero and the gate stays
open around the last position. Track scores: the mean detection score over the track's frames,
a filled frame counting 0 (so a track seen in every frame scores its mean detection score).
Pure numpy + SciPy; no Qt, no onnxruntime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

#: chi-square quantile for 2 degrees of freedom at 99.9 %
GATE_999 = 13.8


class Observation(NamedTuple):
    """A detection of one frame (any object with these attributes is accepted)."""

    x: float
    y: float
    radius: float
    score: float


@dataclass(frozen=True)
class TrackerConfig:
    """Thresholds and motion model of :func:`link_tracks`."""

    high: float = 0.6
    low: float = 0.3
    min_length: int = 5
    max_gap: int = 3
    min_observed: float = 0.5
    min_score: float = 0.0
    gate: float = GATE_999
    noise_px: float = 0.7
    noise_radius: float = 0.3
    accel: float = 0.3
    max_speed: float = 4.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high:
            raise ValueError(f"need 0 <= low <= high, got low {self.low}, high {self.high}")
        if self.min_length < 1 or self.max_gap < 0:
            raise ValueError("min_length must be >= 1 and max_gap >= 0")


@dataclass(frozen=True)
class TrackPoint:
    """One frame of a track: position, radius, the detection's score and its index in that
    frame's detections (None where the frame was filled by interpolation)."""

    frame: int
    x: float
    y: float
    radius: float
    score: float
    index: int | None

    @property
    def filled(self) -> bool:
        return self.index is None


@dataclass
class Track:
    """A linked target: its points in frame order (one per frame from first to last)."""

    id: int
    points: list[TrackPoint] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.points[0].frame

    @property
    def last(self) -> int:
        return self.points[-1].frame

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def observed(self) -> int:
        return sum(not p.filled for p in self.points)

    @property
    def max_score(self) -> float:
        return max((p.score for p in self.points if not p.filled), default=0.0)

    @property
    def score(self) -> float:
        """Mean detection score over the track's frames, filled frames counting 0."""
        return sum(p.score for p in self.points if not p.filled) / max(self.length, 1)


class _Filter:
    """Constant-velocity Kalman filter on (x, y, vx, vy) with white-acceleration noise."""

    F = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]], float)
    H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], float)

    def __init__(self, x: float, y: float, sigma: float, config: TrackerConfig):
        self.config = config
        self.state = np.array([x, y, 0.0, 0.0])
        v = (config.max_speed / 2.0) ** 2
        self.cov = np.diag([sigma**2, sigma**2, v, v])
        q = config.accel**2
        self.Q = q * np.array(
            [[0.25, 0, 0.5, 0], [0, 0.25, 0, 0.5], [0.5, 0, 1, 0], [0, 0.5, 0, 1]], float
        )

    def predict(self) -> None:
        self.state = self.F @ self.state
        self.cov = self.F @ self.cov @ self.F.T + self.Q

    def innovation(self, x: float, y: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
        s = self.H @ self.cov @ self.H.T + np.eye(2) * sigma**2
        return np.array([x, y]) - self.H @ self.state, s

    def distances(self, xy: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distances of measurements ``xy`` (n, 2) with noise ``sigma``
        (n,) from the prediction, the 2x2 innovation covariances inverted in closed form."""
        p = self.cov[:2, :2]
        a = p[0, 0] + sigma**2
        d = p[1, 1] + sigma**2
        b = p[0, 1]
        det = a * d - b * b
        nu = xy - self.state[:2]
        return (d * nu[:, 0] ** 2 - 2 * b * nu[:, 0] * nu[:, 1] + a * nu[:, 1] ** 2) / det

    def update(self, x: float, y: float, sigma: float) -> None:
        nu, s = self.innovation(x, y, sigma)
        gain = self.cov @ self.H.T @ np.linalg.inv(s)
        self.state = self.state + gain @ nu
        self.cov = (np.eye(4) - gain @ self.H) @ self.cov


@dataclass
class _Active:
    kf: _Filter
    points: list[TrackPoint]
    radius: float
    missed: int = 0


def _sigma(radius: float, config: TrackerConfig) -> float:
    return config.noise_px + config.noise_radius * max(float(radius), 0.0)


def _observations(frame) -> list[tuple[int, float, float, float, float]]:
    out = []
    for k, d in enumerate(frame):
        x, y, r, s = float(d.x), float(d.y), float(d.radius), float(d.score)
        if all(math.isfinite(v) for v in (x, y, r, s)):
            out.append((k, x, y, r, s))
    return out


def link_tracks(frames: Sequence[Sequence], config: TrackerConfig | None = None) -> list[Track]:
    """Tracks of a sequence's per-frame detections (objects with x, y, radius, score).

    Returns the kept tracks, ids 1, 2, ... in order of their first frame (then of x), each with
    one point per frame from its first to its last observed frame (interior gaps filled).
    """
    config = config or TrackerConfig()
    active: list[_Active] = []
    finished: list[list[TrackPoint]] = []
    for t, frame in enumerate(frames):
        dets = [d for d in _observations(frame) if d[4] >= config.low]
        for a in active:
            a.kf.predict()
        pairs: list[tuple[int, int]] = []
        if active and dets:
            big = config.gate * 1e3
            xy = np.array([(x, y) for _, x, y, _, _ in dets])
            radii = np.array([r for _, _, _, r, _ in dets])
            cost = np.empty((len(active), len(dets)))
            for i, a in enumerate(active):
                sigma = config.noise_px + config.noise_radius * np.maximum(
                    np.maximum(radii, a.radius), 0.0
                )
                cost[i] = a.kf.distances(xy, sigma)
            cost[~(cost <= config.gate)] = big
            rows, cols = linear_sum_assignment(cost)
            pairs = [(i, j) for i, j in zip(rows, cols) if cost[i, j] <= config.gate]
        taken = set()
        for i, j in pairs:
            a = active[i]
            k, x, y, r, s = dets[j]
            a.kf.update(x, y, _sigma(r, config))
            a.points.append(TrackPoint(t, x, y, r, s, k))
            a.radius = 0.7 * a.radius + 0.3 * r
            a.missed = 0
            taken.add(j)
        still = []
        matched = {i for i, _ in pairs}
        for i, a in enumerate(active):
            if i not in matched:
                a.missed += 1
            if a.missed > config.max_gap:
                finished.append(a.points)
            else:
                still.append(a)
        active = still
        for j, (k, x, y, r, s) in enumerate(dets):
            if j not in taken:
                kf = _Filter(x, y, _sigma(r, config), config)
                active.append(_Active(kf, [TrackPoint(t, x, y, r, s, k)], r))
    finished.extend(a.points for a in active)
    kept = [fill_gaps(p) for p in finished if _keep(p, config)]
    kept.sort(key=lambda pts: (pts[0].frame, pts[0].x, pts[0].y))
    return [Track(i + 1, pts) for i, pts in enumerate(kept)]


def _keep(points: list[TrackPoint], config: TrackerConfig) -> bool:
    length = points[-1].frame - points[0].frame + 1
    if length < config.min_length or len(points) < config.min_observed * length:
        return False
    score = sum(p.score for p in points) / length
    return max(p.score for p in points) >= config.high and score >= config.min_score


def fill_gaps(points: list[TrackPoint]) -> list[TrackPoint]:
    """One point per frame: missing frames between two observed ones get the linearly
    interpolated position and radius (score 0, index None)."""
    out = [points[0]]
    for p in points[1:]:
        q = out[-1]
        gap = p.frame - q.frame
        for k in range(1, gap):
            w = k / gap
            out.append(
                TrackPoint(
                    q.frame + k,
                    q.x + w * (p.x - q.x),
                    q.y + w * (p.y - q.y),
                    q.radius + w * (p.radius - q.radius),
                    0.0,
                    None,
                )
            )
        out.append(p)
    return out


def tracks_by_frame(tracks: list[Track], count: int) -> list[list[tuple[Track, TrackPoint]]]:
    """For each of ``count`` frames, the (track, point) pairs present in it."""
    out: list[list[tuple[Track, TrackPoint]]] = [[] for _ in range(count)]
    for track in tracks:
        for p in track.points:
            if 0 <= p.frame < count:
                out[p.frame].append((track, p))
    return out


def local_extremum(image: np.ndarray, x: float, y: float, search: int = 3) -> tuple[int, int]:
    """The pixel (col, row) within ``search`` px of (x, y) that departs most from the window's
    median: the bright (or dark) peak a filled track point is re-seeded at."""
    h, w = image.shape[:2]
    col = int(np.clip(round(x), 0, w - 1))
    row = int(np.clip(round(y), 0, h - 1))
    r0, r1 = max(row - search, 0), min(row + search + 1, h)
    c0, c1 = max(col - search, 0), min(col + search + 1, w)
    window = np.asarray(image[r0:r1, c0:c1], np.float64)
    deviation = np.abs(window - np.median(window))
    r, c = np.unravel_index(int(np.argmax(deviation)), window.shape)
    return int(c0 + c), int(r0 + r)
