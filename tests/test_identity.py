"""Identity metrics (ID switches, IDF1, dominant id, MOTA) and Pd-Fa curves with tracking."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.infer.curves import (
    CurveCounts,
    pd_at_fa,
    pd_fa_counts,
    pd_fa_curves,
    pd_gain_interval,
)
from label_irst.infer.identity import evaluate_identity
from label_irst.io.images import write_image

FRAMES = 10


def _path(k, which):
    """Ground-truth target positions: 1 moves right along y=10, 2 moves left along y=30."""
    return (5.0 + 2 * k, 10.0) if which == 1 else (45.0 - 2 * k, 30.0)


@pytest.fixture
def gt(tmp_path):
    root = tmp_path / "gt"
    frames = []
    for k in range(FRAMES):
        write_image(root / "images" / "s" / f"{k:03d}.png", np.zeros((40, 50), np.uint8))
        targets = [{"id": w, "x": _path(k, w)[0], "y": _path(k, w)[1], "radius": 1.5}
                   for w in (1, 2)]  # fmt: skip
        frames.append({"frame": f"{k:03d}", "targets": targets})
    (root / "annotations").mkdir()
    (root / "annotations" / "s.json").write_text(json.dumps({"sequence": "s", "frames": frames}))
    return root


def _pred(tmp_path, name, ids_of, extra=None, detections=None):
    """Predictions at the true positions, ids_of(k, which) -> id (or None: no id key)."""
    frames = []
    for k in range(FRAMES):
        targets = []
        for w in (1, 2):
            x, y = _path(k, w)
            t = {"x": x + 0.5, "y": y, "radius": 1.5, "score": 0.9}
            tid = ids_of(k, w)
            if tid is not None:
                t["id"] = tid
            targets.append(t)
        entry = {"frame": f"{k:03d}", "targets": targets + (extra(k) if extra else [])}
        if detections is not None:
            entry["detections"] = detections(k)
        frames.append(entry)
    out = tmp_path / name
    (out / "annotations").mkdir(parents=True)
    (out / "annotations" / "s.json").write_text(json.dumps({"frames": frames, "complete": True}))
    return out


def test_perfect_tracks(gt, tmp_path):
    pred = _pred(tmp_path, "p", lambda k, w: 4 + w)
    s = evaluate_identity(pred, gt).summary()
    assert s["id_switches"] == 0 and s["idf1"] == 100.0 and s["id_dominant"] == 100.0
    assert s["mota"] == 100.0 and s["false_per_frame"] == 0.0
    assert s["gt_tracks"] == 2 and s["pred_tracks"] == 2


def test_swapped_ids_halfway(gt, tmp_path):
    pred = _pred(tmp_path, "p", lambda k, w: (4 + w) if k < 5 else (7 - w))
    r = evaluate_identity(pred, gt)
    s = r.summary()
    assert s["id_switches"] == 2
    assert s["idf1"] == pytest.approx(50.0) and s["id_dominant"] == pytest.approx(50.0)
    assert s["mota"] == pytest.approx(100.0 * (1 - 2 / 20))


def test_a_broken_track_and_a_false_track(gt, tmp_path):
    # target 2 gets a new id from frame 6 on; a false target sits at (20, 20) in every frame
    ids = lambda k, w: 1 if w == 1 else (2 if k < 6 else 3)  # noqa: E731
    false = lambda k: [{"x": 20.0, "y": 20.0, "radius": 1.0, "score": 0.5, "id": 9}]  # noqa: E731
    s = evaluate_identity(_pred(tmp_path, "p", ids, false), gt).summary()
    assert s["id_switches"] == 1 and s["pred_tracks"] == 4
    assert s["false_per_frame"] == 1.0
    assert s["idf1"] == pytest.approx(100.0 * 2 * (10 + 6) / (20 + 30))
    assert s["id_dominant"] == pytest.approx(100.0 * (10 + 6) / 20)
    s_hi = evaluate_identity(_pred(tmp_path, "q", ids, false), gt, min_score=0.6).summary()
    assert s_hi["false_per_frame"] == 0.0 and s_hi["pred_tracks"] == 3


def test_missing_and_repeated_ids_warn_and_untracked_is_nan(gt, tmp_path):
    pred = _pred(tmp_path, "p", lambda k, w: None if (w == 2 and k == 3) else 1)
    r = evaluate_identity(pred, gt)
    assert any("without an id" in w for w in r.warnings)
    assert any("repeating" in w for w in r.warnings)
    assert math.isfinite(r.summary()["idf1"])
    untracked = evaluate_identity(_pred(tmp_path, "u", lambda k, w: None), gt).summary()
    assert math.isnan(untracked["idf1"]) and math.isnan(untracked["id_switches"])
    assert untracked["false_per_frame"] == 0.0


def test_ground_truth_without_ids_gives_nan_identity(gt, tmp_path):
    for frame in (ann := json.loads((gt / "annotations" / "s.json").read_text()))["frames"]:
        for t in frame["targets"]:
            del t["id"]
    (gt / "annotations" / "s.json").write_text(json.dumps(ann))
    s = evaluate_identity(_pred(tmp_path, "p", lambda k, w: w), gt).summary()
    assert math.isnan(s["idf1"]) and math.isnan(s["gt_tracks"])


def test_curves_per_frame_and_tracked(gt, tmp_path):
    # raw detections: the two targets plus a flickering clutter peak scored 0.5 in even frames;
    # the tracked targets leave the clutter out
    def raw(k):
        dets = [{"x": _path(k, w)[0], "y": _path(k, w)[1], "radius": 1.5, "score": 0.8}
                for w in (1, 2)]  # fmt: skip
        if k % 2 == 0:
            dets.append({"x": 25.0, "y": 5.0, "radius": 1.0, "score": 0.5})
        return dets

    pred = _pred(tmp_path, "p", lambda k, w: w, detections=raw)
    curves = pd_fa_curves(pred, gt)
    per, tracked = curves["per frame"], curves["tracked"]
    at = {p.threshold: p for p in per}
    assert at[0.45].pd == 100.0 and at[0.45].false_per_frame == 0.5
    assert at[0.45].fa == pytest.approx(5 * 5 / (10 * 40 * 50))  # a disc of radius 1: 5 px
    assert at[0.55].fa == 0.0 and at[0.85].pd == 0.0
    assert all(p.fa == 0.0 for p in tracked) and {p.pd for p in tracked[:17]} == {100.0}
    assert pd_at_fa(tracked, 1e-5).pd == 100.0
    assert pd_at_fa(per, 0.0).threshold == 0.55
    untracked = _pred(tmp_path, "u", lambda k, w: None)
    assert list(pd_fa_curves(untracked, gt)) == ["per frame"]


def test_eval_detections_command_with_identity_and_plot(gt, tmp_path, capsys):
    pred = _pred(tmp_path, "p", lambda k, w: w, detections=lambda k: [])
    png = tmp_path / "curve.png"
    args = ["eval-detections", "--pred", str(pred), "--gt", str(gt), "--json", "--quiet"]
    assert main([*args, "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["idf1"] == 100.0 and out["id_switches"] == 0 and out["pd"] == 100.0
    assert out["tracked_pd_at_fa_1e-5"] == 100.0 and out["per_frame_pd_at_fa_1e-5"] == 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_repeated_ground_truth_ids_and_a_broken_file_are_one_line_problems(gt, tmp_path, capsys):
    ann = json.loads((gt / "annotations" / "s.json").read_text())
    for t in ann["frames"][2]["targets"]:
        t["id"] = 1  # both targets of frame 2 claim id 1
    (gt / "annotations" / "s.json").write_text(json.dumps(ann))
    pred = _pred(tmp_path, "p", lambda k, w: w)
    r = evaluate_identity(pred, gt)
    assert any("ground-truth" in w for w in r.warnings)
    assert r.summary()["id_switches"] >= 0
    args = ["eval-detections", "--pred", str(pred), "--gt", str(gt), "--json", "--quiet"]
    assert main(args) == 0
    assert "repeating an id" in capsys.readouterr().err
    (pred / "annotations" / "s.json").write_text("{not json")
    assert main(args) == 2  # the one sequence is skipped (a warning), then nothing is left
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "".join(err) and len(err) <= 2
    assert "skipped sequence s" in err[0] and err[-1].startswith("label-irst: error:")


def test_a_track_leaving_the_frame_is_scored_without_error(gt, tmp_path):
    # ground-truth target 1 leaves the 50-px-wide frame from frame 8 on (x = 51, 53); the
    # predicted track follows it out, partly outside the picture
    ann = json.loads((gt / "annotations" / "s.json").read_text())
    for k in (8, 9):
        ann["frames"][k]["targets"][0]["x"] = 51.0 + 2 * (k - 8)
    (gt / "annotations" / "s.json").write_text(json.dumps(ann))

    def outside(k):
        return (
            [{"x": 51.0 + 2 * (k - 8), "y": 10.0, "radius": 1.5, "score": 0.9, "id": 7}]
            if k >= 8
            else []
        )

    pred = _pred(tmp_path, "p", lambda k, w: w if (w == 2 or k < 8) else None, outside)
    frames = json.loads((pred / "annotations" / "s.json").read_text())
    for f in frames["frames"][8:]:  # target 1 is predicted only by the outside track 7
        f["targets"] = [t for t in f["targets"] if "id" in t]
    (pred / "annotations" / "s.json").write_text(json.dumps(frames))
    s = evaluate_identity(pred, gt).summary()
    assert s["id_switches"] == 1 and s["pred_tracks"] == 3
    curves = pd_fa_curves(pred, gt)
    assert all(math.isfinite(p.fa) for p in curves["per frame"])
    assert main(["eval-detections", "--pred", str(pred), "--gt", str(gt), "--quiet"]) == 0


def test_curve_counts_sum_to_the_curves(gt, tmp_path):
    def raw(k):
        return [{"x": _path(k, 1)[0], "y": _path(k, 1)[1], "radius": 1.5, "score": 0.3 + k / 20}]

    pred = _pred(tmp_path, "p", lambda k, w: w, detections=raw)
    counts = pd_fa_counts(pred, gt)
    curves = pd_fa_curves(pred, gt)
    assert counts["per frame"].names == ["s"]
    for key in curves:
        assert counts[key].curve() == curves[key]
    # a sequence counted twice gives the same rates
    twice = counts["per frame"].curve(rows=[0, 0])
    assert [(p.pd, p.fa) for p in twice] == [(p.pd, p.fa) for p in curves["per frame"]]


def _counts(hits, targets=10):
    """Counts of sequences with ``hits[s]`` of ``targets`` found at every threshold, no false
    alarm at thresholds >= 0.5 and one 5-pixel false alarm per frame below it."""
    grid = (0.3, 0.5)
    n = len(hits)
    return CurveCounts(
        [f"s{k}" for k in range(n)],
        np.array([[h, h] for h in hits], float),
        np.tile([5.0, 0.0], (n, 1)),
        np.tile([1.0, 0.0], (n, 1)),
        np.full(n, float(targets)),
        np.full(n, 100.0),
        np.ones(n),
    ), grid


def test_pd_gain_interval_is_a_paired_bootstrap_over_sequences():
    base, grid = _counts([5, 6, 4, 5, 7, 5, 6, 4])
    other, _ = _counts([6, 8, 5, 7, 8, 6, 8, 5])  # 1 or 2 more targets of 10 in each sequence
    gain, low, high = pd_gain_interval(base, other, grid, fa_target=1e-5, draws=500, seed=1)
    assert gain == pytest.approx(100 * 11 / 80)
    assert 10.0 <= low < gain < high <= 20.0  # every draw gains 10-20 points
    assert pd_gain_interval(base, other, grid, 1e-5, 500, seed=1) == (gain, low, high)
    # a curve that never reaches the Fa counts Pd 0
    never = CurveCounts(*[getattr(other, f) for f in ("names", "hits")], other.false_px + 1,
                        *[getattr(other, f) for f in ("false_n", "targets", "pixels", "frames")])  # fmt: skip
    assert pd_gain_interval(base, never, grid, 1e-5, 200)[0] == pytest.approx(-100 * 42 / 80)
    shuffled = replace(other, names=other.names[::-1])
    with pytest.raises(ValueError, match="same sequences"):
        pd_gain_interval(base, shuffled, grid)
