"""prelabel with tracks: ids stable along a sequence, gap filling by guided PAMG, resume,
project track ids, command-line flags."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.pamg import pamg_guided
from label_irst.errors import LabelIrstError
from label_irst.infer.prelabel import prelabel
from label_irst.infer.session import load_model
from label_irst.infer.tracks import DEFAULT_TRACKING, finish_sequence
from label_irst.job import Job

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"
TRACKING = replace(DEFAULT_TRACKING, min_length=3)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "2", "--frames", "8", "--size", "96x64"]
    assert main([*args, "--seed", "4", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL, "cpu", threads=1)


def _records(out):
    return {p.stem: json.loads(p.read_text()) for p in (out / "annotations").glob("*.json")}


def test_tracked_targets_carry_ids_stable_along_the_sequence(model, data, tmp_path):
    report = prelabel(data, model, tmp_path / "o", masks=True, tracking=TRACKING)
    assert report.frames == 16 and report.tracks >= 2
    records = _records(tmp_path / "o")
    truth = {p.stem: json.loads(p.read_text()) for p in (data / "annotations").glob("*.json")}
    for name, record in records.items():
        assert record["complete"] and record["tracking"]["low"] == TRACKING.low
        ids = {t["id"] for t in record["tracks"]}
        assert ids == {t["id"] for f in record["frames"] for t in f["targets"]}
        by_id: dict[int, list] = {}
        for k, f in enumerate(record["frames"]):
            assert "detections" in f  # the raw per-frame detections are kept
            frame_ids = [t["id"] for t in f["targets"]]
            assert len(frame_ids) == len(set(frame_ids))  # one target per track and frame
            for t in f["targets"]:
                assert isinstance(t["id"], int) and t["score"] > 0
                by_id.setdefault(t["id"], []).append((k, t["x"], t["y"]))
        for pts in by_id.values():  # a track moves smoothly, frame after frame
            frames = [k for k, _, _ in pts]
            assert frames == list(range(frames[0], frames[-1] + 1))
            steps = np.hypot(np.diff([x for _, x, _ in pts]), np.diff([y for _, _, y in pts]))
            assert (steps < 5).all()
        # every track follows one ground-truth target (3 px) in most of its frames
        gt = truth[name]["frames"]
        for tid, pts in by_id.items():
            owners = []
            for k, x, y in pts:
                near = [g["id"] for g in gt[k]["targets"] if np.hypot(g["x"] - x, g["y"] - y) <= 3]
                owners.append(near[0] if near else None)
            best = max(set(owners), key=owners.count)
            assert best is not None and owners.count(best) >= 0.8 * len(owners), (name, tid)
    assert len(list((tmp_path / "o" / "masks").rglob("*.png"))) == 16


def test_tracked_prelabel_resumes_and_other_settings_need_force(model, data, tmp_path):
    full = prelabel(data, model, tmp_path / "full", tracking=TRACKING)
    job = Job()
    job.progress = lambda done, total: job.cancel.set() if done >= 3 else None
    part = prelabel(data, model, tmp_path / "part", flush=1, job=job, tracking=TRACKING)
    assert part.frames == 3 and part.tracks == 0
    partial = _records(tmp_path / "part")["seq0000"]
    assert not partial["complete"] and "tracks" not in partial
    rest = prelabel(data, model, tmp_path / "part", tracking=TRACKING)
    assert rest.skipped_frames == 3 and rest.frames == 13 and rest.tracks == full.tracks
    assert _records(tmp_path / "full") == _records(tmp_path / "part")
    again = prelabel(data, model, tmp_path / "part", tracking=TRACKING)
    assert again.frames == 0 and again.skipped_frames == 16
    with pytest.raises(LabelIrstError, match="tracking"):  # other settings: not resumed
        prelabel(data, model, tmp_path / "part", tracking=None)
    other = prelabel(data, model, tmp_path / "part", tracking=None, force=True)  # redone
    assert other.frames == 16
    assert all("id" not in t for r in _records(tmp_path / "part").values()
               for f in r["frames"] for t in f["targets"])  # fmt: skip


def _spot_frames(positions, shape=(40, 60)):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    rng = np.random.default_rng(0)
    out = []
    for x, y in positions:
        img = 40.0 + rng.normal(0, 1.0, shape)
        img += 120.0 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 1.2**2))
        out.append(img.astype(np.float32))
    return out


def test_a_gap_is_filled_at_the_target_not_at_the_interpolated_point():
    # the target turns during the gap: interpolation alone would put it 1.6 px off
    positions = [(10, 20), (12, 20), (14, 20), (16, 20), (19, 17), (21, 17), (23, 17)]
    frames = _spot_frames(positions)
    done = [
        {"frame": f"{k:02d}",
         "detections": [] if k == 3 else [{"x": x, "y": y, "radius": 1.5, "score": 0.9}]}
        for k, (x, y) in enumerate(positions)
    ]  # fmt: skip
    written = []

    def grow(img, dets, t):
        return [pamg_guided(img, (d.x, d.y), d.radius) for d in dets]

    tracks = finish_sequence(
        done,
        TRACKING,
        frames.__getitem__,
        grow,
        lambda t, img, results, targets, ids: written.append((t, ids)),
        need_images=True,
    )
    assert len(tracks) == 1 and tracks[0].length == 7
    (gap,) = done[3]["targets"]
    assert gap["filled"] and "det_score" not in gap and gap["id"] == 1
    assert np.hypot(gap["x"] - 16, gap["y"] - 20) < 1.0  # re-seeded on the spot
    assert [t for t, _ in written] == list(range(7)) and written[3][1] == [1]
    assert all(f["targets"][0]["score"] == pytest.approx(0.9 * 6 / 7, abs=1e-3) for f in done)


def test_prelabel_a_project_stores_track_ids(model, data, tmp_path, capsys):
    from label_irst.io.project import ProjectStore

    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        a = store.add_sequence(data / "images" / "seq0000", "folder", 8)
        b = store.add_sequence(data / "images" / "seq0001", "folder", 8)
    args = ["prelabel", str(path), "--model", str(MODEL), "--device", "cpu", "--quiet"]
    args += ["--track-min-length", "3", "--json", "--out", str(tmp_path / "o")]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["tracks"] >= 2
    records = _records(tmp_path / "o")
    with ProjectStore.open(path, readonly=True) as store:
        stored = {sid: store.targets(sid) for sid in (a, b)}
    seen: set[int] = set()
    for sid, name in ((a, "seq0000"), (b, "seq0001")):
        targets = stored[sid]
        assert targets and all(t.track_id is not None for t in targets)
        ids = {t.track_id for t in targets}
        assert ids.isdisjoint(seen)  # project-wide unique track ids
        seen |= ids
        record = records[name]
        per_track = {}
        for t in targets:  # each project track is one sequence track, frame by frame
            per_track.setdefault(t.track_id, []).append(t.frame)
        lengths = sorted(len(v) for v in per_track.values())
        assert lengths == sorted(
            sum(1 for f in record["frames"] for x in f["targets"] if x["id"] == tr["id"]
                and "mask_area" in x and x["mask_area"] > 0)
            for tr in record["tracks"]
        )  # fmt: skip


def test_bad_tracking_flags_are_one_line_errors(data, tmp_path, capsys):
    args = ["prelabel", str(data), "--model", str(MODEL), "--out", str(tmp_path / "o")]
    assert main([*args, "--track-high", "0.2", "--track-low", "0.5", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "low" in err and "Traceback" not in err


def test_a_track_leaving_the_frame_ends_there_with_its_gaps_filled():
    from label_irst.infer.prelabel import guided_results

    # the spot runs out through the right border (width 60) after frame 5
    positions = [(50, 20), (52, 20), (54, 20), (56, 20), (58, 20), (59.6, 20), (62, 20), (64, 20)]
    frames = _spot_frames(positions)
    done = [
        {"frame": f"{k:02d}",
         "detections": [] if k in (4, 6, 7) else [{"x": x, "y": y, "radius": 1.5, "score": 0.9}]}
        for k, (x, y) in enumerate(positions)
    ]  # fmt: skip
    warnings = []

    def grow(img, dets, t):
        return guided_results(img, dets, warn=warnings.append)

    tracks = finish_sequence(done, TRACKING, frames.__getitem__, grow, None, need_images=False)
    assert [(t.first, t.last) for t in tracks] == [(0, 5)]  # no point outside the frame
    assert [len(f["targets"]) for f in done] == [1, 1, 1, 1, 1, 1, 0, 0]
    assert done[4]["targets"][0]["filled"] and 57 <= done[4]["targets"][0]["x"] <= 59


def test_a_gap_fill_that_leaks_far_beyond_its_target_is_not_proposed():
    from dataclasses import replace

    from label_irst.core.geometry import CroppedMask

    positions = [(10, 20), (12, 20), (14, 20), (16, 20), (18, 20), (20, 20), (22, 20)]
    frames = _spot_frames(positions)
    done = [
        {"frame": f"{k:02d}",
         "detections": [] if k == 3 else [{"x": x, "y": y, "radius": 1.5, "score": 0.9}]}
        for k, (x, y) in enumerate(positions)
    ]  # fmt: skip
    written = {}

    def grow(img, dets, t):
        out = [pamg_guided(img, (d.x, d.y), d.radius) for d in dets]
        if t == 3:  # the fill leaks along a streak: 60 px for a target of radius 1.5
            streak = np.zeros(img.shape, bool)
            streak[20, 0:60] = True
            out = [replace(out[0], mask=CroppedMask.from_full(streak))]
        return out

    finish_sequence(done, TRACKING, frames.__getitem__, grow,
                    lambda t, img, results, targets, ids: written.setdefault(t, results),
                    need_images=True)  # fmt: skip
    (gap,) = done[3]["targets"]
    assert gap["filled"] and "mask_area" not in gap  # kept as a point, no leaked mask
    assert written[3] == [None] and written[2][0] is not None
    assert all("mask_area" in done[k]["targets"][0] for k in (0, 1, 2, 4, 5, 6))
