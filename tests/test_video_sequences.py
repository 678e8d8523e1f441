"""Videos are sequences everywhere: a root with videos/ (or a folder of videos, or one video)
and its ground truth beside it is read by prelabel, eval-detections, eval-loop, train and
import alike, frames named by index and read where they are stored."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.infer.sequences import read_sequences
from label_irst.io.images import read_image

MODELS = Path(__file__).resolve().parents[1] / "models"
TINY = ["--epochs", "1", "--steps", "2", "--batch", "2", "--crop", "32", "--threads", "1"]


def _video(path: Path, frames: list[np.ndarray]) -> None:
    import cv2

    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h), False)
    assert writer.isOpened()
    for f in frames:
        writer.write(f.astype(np.uint8))
    writer.release()


@pytest.fixture(scope="module")
def vroot(tmp_path_factory):
    """A synthetic root turned into videos/<seq>.avi with annotations/ and img_idx/ renamed to
    the video's index names."""
    base = tmp_path_factory.mktemp("videos")
    synth = ["--sequences", "2", "--frames", "6", "--size", "64x48", "--seed", "3", "--quiet"]
    assert main(["synth", "--out", str(base / "synth"), *synth]) == 0
    root = base / "root"
    (root / "videos").mkdir(parents=True)
    (root / "annotations").mkdir()
    (root / "img_idx").mkdir()
    for seq in read_sequences(base / "synth"):
        frames = [read_image(p) for p in seq.frames]
        _video(root / "videos" / f"{seq.name}.avi", frames)
        record = json.loads(seq.annotation.read_text())
        for i, entry in enumerate(record["frames"]):
            entry["frame"] = f"{seq.name}_{int(entry['frame']):06d}"
            assert int(entry["frame"][-6:]) == i
        (root / "annotations" / f"{seq.name}.json").write_text(json.dumps(record))
    lines = [f"{s}/{s}_{i:06d}" for s in ("seq0000", "seq0001") for i in range(6)]
    (root / "img_idx" / "train.txt").write_text("\n".join(lines) + "\n")
    return root


def test_a_root_of_videos_is_read_with_its_ground_truth_and_windows(vroot):
    seqs = read_sequences(vroot)
    assert [s.name for s in seqs] == ["seq0000", "seq0001"]
    seq = seqs[0]
    assert len(seq) == 6 and seq.annotation == vroot / "annotations" / "seq0000.json"
    assert seq.stems()[2] == "seq0000_000002" and seq.shape(0) == (48, 64)
    window = seq.window(2, 5)
    assert window.stems() == [f"seq0000_{i:06d}" for i in (2, 3, 4)]
    for k in range(3):
        assert np.array_equal(window.read(k), seq.read(2 + k))
    one = read_sequences(vroot / "videos" / "seq0001.avi")[0]
    assert one.annotation is None  # a lone video finds its ground truth beside it only
    split = read_sequences(vroot, "train")
    assert all(len(s.keep) == 6 for s in split)


def test_eval_detections_scores_the_prelabel_of_a_root_of_videos(vroot, tmp_path, capsys):
    out = tmp_path / "pred"
    args = ["--model", str(MODELS / "rprnet.json"), "--device", "cpu", "--quiet"]
    assert main(["prelabel", str(vroot), "--out", str(out), *args]) == 0
    capsys.readouterr()
    assert main(["eval-detections", "--pred", str(out), "--gt", str(vroot), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    truth = sum(
        len(f["targets"])
        for p in (vroot / "annotations").glob("*.json")
        for f in json.loads(p.read_text())["frames"]
    )
    assert report["frames"] == 12 and report["targets"] == truth
    assert 0.0 <= report["pd"] <= 100.0


def test_eval_loop_and_train_take_videos(vroot, tmp_path, capsys):
    out = tmp_path / "loop"
    args = ["eval-loop", str(vroot), "--review-share", "0.5", "--out", str(out), "--json"]
    assert main([*args, "--held-back-frames", "1", *TINY, "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["before"]["frames"] == 6 and report["reviewed_frames"] == 6
    written = json.loads((out / "annotations" / "seq0001.json").read_text())
    assert [f["frame"] for f in written["frames"]] == [f"seq0001_{i:06d}" for i in (3, 4, 5)]
    ckpt = tmp_path / "ckpt"
    train = ["train", str(vroot), "--out", str(ckpt), "--supervision", "points"]
    assert main([*train, "--val-split", "", *TINY, "--quiet"]) == 0
    assert (ckpt / "checkpoint.pt").is_file()


def test_import_of_videos_keeps_their_frames_and_track_ids(vroot, tmp_path):
    project = tmp_path / "v.lirst"
    assert main(["import", str(vroot), "--out", str(project), "--quiet"]) == 0
    db = sqlite3.connect(project)
    kinds = db.execute("SELECT kind, frame_count FROM sequences ORDER BY id").fetchall()
    assert kinds == [("video", 6), ("video", 6)]
    tracks = {r[0] for r in db.execute("SELECT DISTINCT track_id FROM targets").fetchall()}
    truth = {
        t["id"]
        for f in json.loads((vroot / "annotations" / "seq0000.json").read_text())["frames"]
        for t in f["targets"]
    }
    assert truth <= tracks  # the records' track ids survive the import
    db.close()
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "clip.avi").write_bytes((vroot / "videos" / "seq0000.avi").read_bytes())
    assert main(["import", str(bare / "clip.avi"), "--out", str(tmp_path / "b.lirst")]) == 0
    db = sqlite3.connect(tmp_path / "b.lirst")
    assert db.execute("SELECT kind, frame_count FROM sequences").fetchall() == [("video", 6)]
    assert db.execute("SELECT COUNT(*) FROM targets").fetchone() == (0,)
    db.close()


def test_a_broken_video_is_skipped_with_a_warning_by_import(tmp_path, capsys):
    folder = tmp_path / "vids"
    folder.mkdir()
    _video(folder / "good.avi", [np.full((32, 32), 40 + k, np.uint8) for k in range(3)])
    (folder / "bad.avi").write_bytes(b"not a video at all")
    assert main(["import", str(folder), "--out", str(tmp_path / "p.lirst"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "bad.avi" in err
    db = sqlite3.connect(tmp_path / "p.lirst")
    assert db.execute("SELECT frame_count FROM sequences").fetchall() == [(3,)]
    db.close()
