"""Tracks in pre-labelled sequences: per-frame detections linked by :mod:`label_irst.core.tracking`.

``prelabel`` (tracking on by default) first runs RPR-Net over the whole sequence at the low
hysteresis threshold and saves each frame's raw detections (``"detections"``); then
:func:`finish_sequence` links them and gives each frame its tracked targets (``"targets"``):

* ``id``: the track, an integer stable along the sequence (the key ``synth`` writes in its
  ground truth), 1, 2, ... in order of first appearance;
* ``x``, ``y``, ``radius``: the detection's, or, in a frame the track was not detected in (a gap
  of at most ``max_gap`` frames), the centroid of the guided-PAMG mask seeded at the strongest
  local extremum near the interpolated position (Sec. III-C2, Rs = 5 r), kept only when it lies
  within the gate of that position;
* ``score``: the track's score (mean detection score over its frames, a gap counting 0), so a
  score threshold keeps or drops whole tracks; ``det_score``: the frame's own detection score
  (absent in a filled frame, which has ``"filled": true``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict

from label_irst.core.tracking import (
    Observation,
    Track,
    TrackerConfig,
    link_tracks,
    local_extremum,
    tracks_by_frame,
)
from label_irst.infer.decode import Detection

#: Defaults of ``prelabel``'s tracking, chosen on 40 training sequences of the synthetic set of
#: models/README.md for the shipped model (benchmarks/bench_tracking.py; docs/benchmarks.md).
DEFAULT_TRACKING = TrackerConfig(
    high=0.6, low=0.2, min_length=3, max_gap=2, min_observed=0.8, min_score=0.37
)


def settings(config: TrackerConfig | None) -> dict | None:
    """The JSON record of a tracker configuration (None: tracking off)."""
    return None if config is None else asdict(config)


def observations(entry: dict) -> list[Observation]:
    """A saved frame's raw detections as tracker observations (malformed ones left out)."""
    out = []
    for d in entry.get("detections", []):
        try:
            out.append(Observation(float(d["x"]), float(d["y"]), float(d["radius"]),
                                   float(d["score"])))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            out.append(Observation(math.nan, math.nan, math.nan, math.nan))
    return out


def track_summary(tracks: list[Track]) -> list[dict]:
    """One record per track: id, first and last frame, length, observed frames, score."""
    return [
        {
            "id": t.id,
            "first": t.first,
            "last": t.last,
            "length": t.length,
            "observed": t.observed,
            "score": round(t.score, 4),
        }
        for t in tracks
    ]


#: a gap fill's mask may cover at most this many times the disc of its track's radius
GAP_FILL_MAX_AREA = 4.0


def oversized(result, radius: float) -> bool:
    """Whether a gap fill's grown mask is much larger than its track's target (more than
    :data:`GAP_FILL_MAX_AREA` times the disc of the predicted radius r, Sec. III-C2): a fill
    between detections that leaked into clutter is not proposed as the target."""
    if result is None or result.mask.area == 0:
        return False
    return result.mask.area > GAP_FILL_MAX_AREA * math.pi * max(radius, 1.0) ** 2


def finish_sequence(
    done: list[dict],
    config: TrackerConfig,
    read: Callable[[int], object],
    grow: Callable[[object, list[Detection], int], list] | None,
    write: Callable[[int, object, list, list[dict], list[int]], None] | None,
    need_images: bool,
) -> list[Track]:
    """Link the raw detections of ``done`` (one entry per frame, in order) and set each
    entry's ``"targets"``.

    ``read(t)`` gives frame t; ``grow(image, detections, t)`` the guided-PAMG results (None
    where refused) of detections; ``write(t, image, results, targets, track ids)`` stores masks
    and candidates (called for every frame when ``need_images``). Frames are read only where
    masks are wanted or a gap is filled.
    """
    tracks = link_tracks([observations(e) for e in done], config)
    per_frame = tracks_by_frame(tracks, len(done))
    for t, entry in enumerate(done):
        pairs = per_frame[t]
        filled = any(p.filled for _, p in pairs)
        image = read(t) if (need_images or filled) and grow is not None else None
        seeds = []
        for _, p in pairs:
            if p.filled and image is not None:
                search = max(2, int(math.ceil(2 * p.radius)))
                col, row = local_extremum(image, p.x, p.y, search)
                seeds.append(Detection(float(col), float(row), p.radius, 0.0))
            else:
                seeds.append(Detection(p.x, p.y, p.radius, p.score))
        results = grow(image, seeds, t) if image is not None else [None] * len(pairs)
        results = [
            None if p.filled and oversized(result, p.radius) else result
            for (_, p), result in zip(pairs, results)
        ]
        targets = []
        for (track, p), result in zip(pairs, results):
            x, y, r = p.x, p.y, p.radius
            if p.filled and result is not None and result.mask.area > 0:
                cx, cy = result.mask.centroid()
                if math.hypot(cx - p.x, cy - p.y) <= max(3.0, 2.0 * p.radius):
                    x, y = float(cx), float(cy)
            record = {"id": track.id, "x": round(x, 3), "y": round(y, 3), "radius": round(r, 3),
                      "score": round(track.score, 4)}  # fmt: skip
            if p.filled:
                record["filled"] = True
            else:
                record["det_score"] = round(p.score, 4)
            if result is not None and need_images:
                record["mask_area"] = int(result.mask.area)
            targets.append(record)
        if write is not None and image is not None and need_images:
            write(t, image, results, targets, [track.id for track, _ in pairs])
        entry["targets"] = targets
    return tracks
