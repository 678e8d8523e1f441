"""Linking detections into tracks (label_irst.core.tracking) on generated tracks."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.core.tracking import (
    Observation,
    TrackerConfig,
    fill_gaps,
    link_tracks,
    local_extremum,
    tracks_by_frame,
)


def frames_of(paths, count, score=0.8, rng=None, noise=0.2, missing=()):
    """Per-frame observations of ``paths`` (id -> f(t) -> (x, y)); ``missing`` (id, t) drops."""
    rng = rng or np.random.default_rng(0)
    frames = [[] for _ in range(count)]
    truth = [[] for _ in range(count)]
    for tid, path in paths.items():
        for t in range(count):
            pos = path(t)
            if pos is None or (tid, t) in missing:
                continue
            x, y = pos + rng.normal(0, noise, 2)
            frames[t].append(Observation(float(x), float(y), 2.0, score))
            truth[t].append(tid)
    return frames, truth


def ids_along(tracks, count):
    """Frame -> {(rounded x, rounded y): track id}."""
    return tracks_by_frame(tracks, count)


def owner(tracks, t, x, y, tol=2.0):
    for track in tracks:
        for p in track.points:
            if p.frame == t and abs(p.x - x) <= tol and abs(p.y - y) <= tol:
                return track.id
    return None


def test_two_crossing_targets_keep_their_ids():
    a = lambda t: np.array([10.0 + 2.0 * t, 50.0 + 1.0 * t])  # noqa: E731
    b = lambda t: np.array([70.0 - 2.0 * t, 50.0 + 1.0 * t + 0.0])  # noqa: E731
    # they cross at t = 15 (x = 40); offset b by 6 px in y so the detector still sees two
    b2 = lambda t: b(t) + np.array([0.0, 6.0])  # noqa: E731
    frames, _ = frames_of({1: a, 2: b2}, 30)
    tracks = link_tracks(frames, TrackerConfig())
    assert len(tracks) == 2
    id_a = owner(tracks, 0, *a(0))
    id_b = owner(tracks, 0, *b2(0))
    assert id_a != id_b
    for t in range(30):
        assert owner(tracks, t, *a(t)) == id_a, t
        assert owner(tracks, t, *b2(t)) == id_b, t


def test_a_hovering_target_keeps_its_track():
    def path(t):
        if t < 10:
            return np.array([20.0 + 1.5 * t, 30.0])
        if t < 25:
            return np.array([20.0 + 1.5 * 10, 30.0])  # stops for 15 frames
        return np.array([35.0 + 1.5 * (t - 25), 30.0 + 1.0 * (t - 25)])

    frames, _ = frames_of({1: path}, 40)
    tracks = link_tracks(frames)
    assert len(tracks) == 1
    assert tracks[0].first == 0 and tracks[0].last == 39
    assert tracks[0].observed == 40


def test_gaps_are_filled_between_observations():
    path = lambda t: np.array([10.0 + t, 20.0 + 0.5 * t])  # noqa: E731
    missing = {(1, 5), (1, 6), (1, 12)}
    frames, _ = frames_of({1: path}, 20, missing=missing, noise=0.0)
    tracks = link_tracks(frames, TrackerConfig(max_gap=3))
    assert len(tracks) == 1
    track = tracks[0]
    assert track.length == 20 and len(track.points) == 20
    filled = [p for p in track.points if p.filled]
    assert [p.frame for p in filled] == [5, 6, 12]
    for p in filled:
        assert p.x == pytest.approx(10.0 + p.frame, abs=1e-6)
        assert p.y == pytest.approx(20.0 + 0.5 * p.frame, abs=1e-6)
        assert p.score == 0.0
    assert track.score == pytest.approx(0.8 * 17 / 20)


def test_a_gap_longer_than_max_gap_splits_the_track():
    path = lambda t: np.array([10.0 + t, 20.0])  # noqa: E731
    missing = {(1, t) for t in range(10, 15)}
    frames, _ = frames_of({1: path}, 25, missing=missing, noise=0.0)
    tracks = link_tracks(frames, TrackerConfig(max_gap=3))
    assert [(tr.first, tr.last) for tr in tracks] == [(0, 9), (15, 24)]


def test_flickering_clutter_is_dropped_and_targets_kept():
    rng = np.random.default_rng(1)
    path = lambda t: np.array([100.0 + 0.8 * t, 80.0 - 0.5 * t])  # noqa: E731
    frames, _ = frames_of({1: path}, 30, score=0.7, rng=rng)
    for t in range(30):  # 4 clutter peaks per frame at random places, some scored high
        for _ in range(4):
            x, y = rng.uniform(0, 200, 2)
            frames[t].append(Observation(float(x), float(y), 1.5, float(rng.uniform(0.3, 0.9))))
    tracks = link_tracks(frames, TrackerConfig(min_length=5))
    assert len(tracks) == 1
    assert all(owner(tracks, t, *path(t)) == tracks[0].id for t in range(30))


def test_hysteresis_keeps_weak_frames_of_a_strong_track_only():
    strong = lambda t: np.array([10.0 + t, 10.0])  # noqa: E731
    weak = lambda t: np.array([10.0 + t, 60.0])  # noqa: E731
    frames, _ = frames_of({1: strong, 2: weak}, 12, score=0.4)
    frames[6] = [
        Observation(o.x, o.y, o.radius, 0.9) if o.y < 30 else o for o in frames[6]
    ]  # one strong detection in the middle of track 1
    tracks = link_tracks(frames, TrackerConfig(high=0.6, low=0.3))
    assert len(tracks) == 1
    assert tracks[0].first == 0 and tracks[0].last == 11  # weak frames before it kept
    assert all(abs(p.y - 10.0) < 2 for p in tracks[0].points)
    below = [[Observation(o.x, o.y, o.radius, 0.2) for o in f] for f in frames]
    assert link_tracks(below, TrackerConfig(high=0.6, low=0.3)) == []


def test_tracks_below_the_minimum_score_are_dropped():
    path = lambda t: np.array([10.0 + t, 10.0])  # noqa: E731
    frames, _ = frames_of({1: path}, 10, score=0.7)
    assert len(link_tracks(frames, TrackerConfig(min_score=0.69))) == 1
    assert link_tracks(frames, TrackerConfig(min_score=0.71)) == []


def test_short_tracks_are_dropped():
    path = lambda t: np.array([10.0 + t, 10.0]) if t < 3 else None  # noqa: E731
    frames, _ = frames_of({1: path}, 10)
    assert link_tracks(frames, TrackerConfig(min_length=5)) == []
    assert len(link_tracks(frames, TrackerConfig(min_length=3))) == 1


def test_gate_scales_with_radius():
    def frames_with(radius):  # still for 10 frames, then a 5 px jump
        return [[Observation(10.0 + 5.0 * (t >= 10), 10.0, radius, 0.9)] for t in range(14)]

    small = link_tracks(frames_with(0.5), TrackerConfig(min_length=1))
    large = link_tracks(frames_with(6.0), TrackerConfig(min_length=1))
    assert [(t.first, t.last) for t in small] == [(0, 9), (10, 13)]
    assert [(t.first, t.last) for t in large] == [(0, 13)]


def test_non_finite_detections_are_ignored():
    frames = [[Observation(float("nan"), 1.0, 1.0, 0.9), Observation(5.0 + t, 5.0, 1.0, 0.9)]
              for t in range(6)]  # fmt: skip
    tracks = link_tracks(frames, TrackerConfig(min_length=5))
    assert len(tracks) == 1 and all(p.index == 1 for p in tracks[0].points)


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        TrackerConfig(high=0.2, low=0.5)


def test_fill_gaps_and_local_extremum():
    img = np.full((20, 20), 10.0)
    img[7, 12] = 50.0
    assert local_extremum(img, 11.0, 8.0, search=2) == (12, 7)
    dark = np.full((20, 20), 100.0)
    dark[3, 4] = 0.0
    assert local_extremum(dark, 3.0, 3.0) == (4, 3)
    col, row = local_extremum(img, -5.0, 30.0, search=1)  # outside: clipped to the corner
    assert 0 <= col <= 1 and 18 <= row <= 19
    frames = [[Observation(1.0 * t, 0.0, 1.0, 0.9)] if t != 2 else [] for t in range(6)]
    tracks = link_tracks(frames, TrackerConfig(min_length=5))
    assert [p.filled for p in fill_gaps(tracks[0].points)] == [0, 0, 1, 0, 0, 0]
    per = ids_along(tracks, 6)
    assert [len(x) for x in per] == [1] * 6


def test_gating_distances_match_the_kalman_innovation():
    from label_irst.core.tracking import _Filter

    rng = np.random.default_rng(3)
    kf = _Filter(10.0, 20.0, 1.2, TrackerConfig())
    for _ in range(3):
        kf.predict()
        kf.update(*(kf.state[:2] + rng.normal(0, 1, 2)), 1.0)
    kf.predict()
    xy = rng.uniform(0, 40, (25, 2))
    sigma = rng.uniform(0.5, 3.0, 25)
    many = kf.distances(xy, sigma)
    one = []
    for (x, y), s in zip(xy, sigma):
        nu, cov = kf.innovation(x, y, s)
        one.append(float(nu @ np.linalg.solve(cov, nu)))
    np.testing.assert_allclose(many, one, rtol=1e-9)


def test_many_low_score_detections_link_as_the_strong_ones_alone():
    # 60 weak clutter peaks per frame, below the continuation threshold, change nothing
    paths = {1: lambda t: np.array([10.0 + t, 10.0]), 2: lambda t: np.array([40.0, 30.0 - t])}
    frames, _ = frames_of(paths, 12)
    rng = np.random.default_rng(5)
    noisy = [f + [Observation(*rng.uniform(0, 60, 2), 1.0, 0.1) for _ in range(60)] for f in frames]
    config = TrackerConfig(high=0.6, low=0.3, min_length=3)
    strip = [[(p.frame, p.x, p.y) for p in t.points] for t in link_tracks(frames, config)]
    assert strip == [[(p.frame, p.x, p.y) for p in t.points] for t in link_tracks(noisy, config)]
    assert len(strip) == 2
