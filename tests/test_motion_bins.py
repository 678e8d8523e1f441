"""Static, hovering and stop-and-start synthetic targets with their speed, and Pd per speed and
SCR bin (``eval-detections --by``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.synthetic_sequences import MotionMix, render_sequence
from label_irst.infer.evaluate_bins import bin_of, pd_by
from label_irst.io.images import write_image


def _render(mix, frames=10, seed=11):
    base = np.full((96, 128), 100.0)
    return render_sequence(base, frames, np.random.default_rng(seed), count=4, mix=mix)


def _tracks(targets):
    out = {}
    for tlist in targets:
        for t in tlist:
            out.setdefault(t.id, []).append(t)
    return out


def test_static_targets_hold_still_with_speed_zero():
    _, targets = _render(MotionMix(static=1.0))
    for track in _tracks(targets).values():
        assert {t.motion for t in track} == {"static"}
        assert all(t.speed == 0.0 for t in track)
        assert max(abs(t.x - track[0].x) + abs(t.y - track[0].y) for t in track) < 1e-9


def test_hovering_targets_jitter_below_half_a_pixel_per_frame():
    _, targets = _render(MotionMix(hover=1.0))
    for track in _tracks(targets).values():
        speeds = [t.speed for t in track]
        assert all(0.0 < v < 1.5 for v in speeds) and np.median(speeds) < 0.5
        xs, ys = [t.x for t in track], [t.y for t in track]
        assert max(xs) - min(xs) < 4 and max(ys) - min(ys) < 4


def test_stop_and_start_targets_have_still_and_moving_frames():
    _, targets = _render(MotionMix(stop_start=1.0), frames=30)
    for track in _tracks(targets).values():
        speeds = [t.speed for t in track]
        assert min(speeds) == 0.0 and max(speeds) > 0.25


def test_moving_targets_report_their_speed_and_no_mix_changes_nothing():
    frames, targets = _render(None)
    again, same = _render(MotionMix())
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))
    for a, b in zip(targets, same):
        assert [t.annotation() for t in a] == [t.annotation() for t in b]
    for track in _tracks(targets).values():
        assert all(t.motion == "moving" and 0.3 <= t.speed <= 2.2 for t in track)  # 0.3-2.0
        if len(track) >= 8:  # the mask centroids travel that far (each is pixel-quantised)
            travel = np.hypot(track[-1].x - track[0].x, track[-1].y - track[0].y)
            mean = np.mean([t.speed for t in track])
            assert travel / (len(track) - 1) == pytest.approx(mean, abs=0.3)


def test_motion_shares_are_checked():
    with pytest.raises(ValueError):
        MotionMix(static=0.7, hover=0.5)
    with pytest.raises(ValueError):
        MotionMix(static=-0.1)


def test_synth_writes_speed_and_motion_and_a_procedural_share(tmp_path, capsys):
    bgs = tmp_path / "bgs"
    rng = np.random.default_rng(0)
    for i in range(4):
        write_image(bgs / f"s{i}_{i}.png", rng.integers(0, 255, (48, 64), dtype=np.uint8))
    out = tmp_path / "set"
    args = ["synth", "--out", str(out), "--sequences", "4", "--frames", "3", "--quiet"]
    code = main([*args, "--backgrounds", str(bgs), "--static-share", "1",
                 "--procedural-share", "1"])  # fmt: skip
    assert code == 0
    for ann in (out / "annotations").glob("*.json"):
        record = json.loads(ann.read_text())
        assert record["background"] == "procedural"
        for f in record["frames"]:
            assert all(t["speed"] == 0.0 and t["motion"] == "static" for t in f["targets"])
    assert main([*args, "--hover-share", "0.8", "--static-share", "0.8"]) == 2
    assert "add up to at most 1" in capsys.readouterr().err
    assert main([*args, "--procedural-share", "2"]) == 2


def test_speed_and_scr_bins():
    assert [bin_of("speed", v) for v in (0.0, 0.01, 0.5, 2.0, 2.01)] == [
        "0", "<0.5", "0.5-2", "0.5-2", ">2",
    ]  # fmt: skip
    assert [bin_of("scr", v) for v in (1.0, 2.0, 5.9, 6.0, 9.9)] == [
        "<2", "2-4", "4-6", "6-8", ">=8",
    ]  # fmt: skip


@pytest.fixture
def mixed_set(tmp_path):
    out = tmp_path / "mixed"
    assert main(["synth", "--out", str(out), "--sequences", "3", "--frames", "6",
                 "--size", "96x80", "--seed", "2", "--static-share", "0.5", "--quiet"]) == 0  # fmt: skip
    return out


def _predict(gt, out, keep):
    """Predictions at the true centres of the targets ``keep`` accepts."""
    (out / "annotations").mkdir(parents=True)
    for ann in (gt / "annotations").glob("*.json"):
        record = json.loads(ann.read_text())
        frames = [{"frame": f["frame"], "targets": [
            {"x": t["x"], "y": t["y"], "radius": t["radius"], "score": 0.9}
            for t in f["targets"] if keep(t)]} for f in record["frames"]]  # fmt: skip
        (out / "annotations" / ann.name).write_text(json.dumps({"frames": frames}))


def test_pd_by_speed_counts_the_missed_static_targets(mixed_set, tmp_path, capsys):
    _predict(mixed_set, tmp_path / "pred", keep=lambda t: t["speed"] > 0)
    rows = {r["bin"]: r for r in pd_by(tmp_path / "pred", mixed_set, "speed")}
    assert rows["0"]["targets"] > 0 and rows["0"]["pd"] == 0.0
    moving = [r for k, r in rows.items() if k != "0" and r["targets"]]
    assert moving and all(r["pd"] == 100.0 for r in moving)
    scr_rows = pd_by(tmp_path / "pred", mixed_set, "scr")
    assert sum(r["targets"] for r in scr_rows) == sum(r["targets"] for r in rows.values())
    code = main(["eval-detections", "--pred", str(tmp_path / "pred"), "--gt", str(mixed_set),
                 "--by", "speed", "--by", "scr", "--json", "--quiet"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["bin"] for r in out["pd_by_speed"]] == ["0", "<0.5", "0.5-2", ">2"]
    assert out["pd_by_speed"][0]["pd"] == 0.0 and len(out["pd_by_scr"]) == 5
    assert main(["eval-detections", "--pred", str(tmp_path / "pred"), "--gt", str(mixed_set),
                 "--by", "speed", "--quiet"]) == 0  # fmt: skip
    assert "pd by speed: 0: 0.0 %" in capsys.readouterr().out


def test_ground_truth_without_speed_is_a_clear_error(mixed_set, tmp_path, capsys):
    _predict(mixed_set, tmp_path / "pred", keep=lambda t: True)
    for ann in (mixed_set / "annotations").glob("*.json"):
        record = json.loads(ann.read_text())
        for f in record["frames"]:
            for t in f["targets"]:
                t.pop("speed")
        ann.write_text(json.dumps(record))
    code = main(["eval-detections", "--pred", str(tmp_path / "pred"), "--gt", str(mixed_set),
                 "--by", "speed", "--quiet"])  # fmt: skip
    assert code == 2
    assert "without speed" in capsys.readouterr().err
