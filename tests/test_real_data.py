"""Dataset roots from labelled videos and still benchmarks, and training on a mix of sources."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from label_irst.batch.real_data import Video, build_still_root, build_video_root, split_videos
from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer.sequences import read_annotation, read_sequences


def _video(path, frames, spot):
    """A small grey video with a bright 3x3 spot at ``spot(t)``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for t in range(frames):
        img = np.full((48, 64, 3), 40, np.uint8)
        x, y = spot(t)
        img[y - 1 : y + 2, x - 1 : x + 2] = 220
        writer.write(img)
    writer.release()


def _video_set(root, n=6, frames=12):
    (root / "videos").mkdir(parents=True)
    (root / "labels").mkdir()
    rows = ["video,class,number,distance\n"]
    for i in range(n):
        name = f"IR_DRONE_{i:03d}"
        _video(root / "videos" / f"{name}.avi", frames, lambda t: (10 + 2 * t, 20))
        (root / "videos" / f"{name}.avi").rename(root / "videos" / f"{name}.mp4")
        labels = ["frame,cx,cy,x,y,w,h\n"]
        # the box in MATLAB spatial coordinates: 8 x 8 around the centre (pixel centres at 1)
        labels += [f"{t},{10 + 2 * t},20,{7 + 2 * t},17,8,8\n" for t in range(frames) if t != 3]
        (root / "labels" / f"{name}.csv").write_text("".join(labels))
        rows.append(f"{name},drone,{i},{'distant' if i % 2 else 'medium'}\n")
    (root / "videos.csv").write_text("".join(rows))


def test_split_is_by_whole_video_and_stratified():
    videos = [Video(f"v{i}", "drone" if i < 10 else "bird", "distant") for i in range(20)]
    test = split_videos(videos, 0.2, seed=0)
    assert len(test) == 4
    assert sum(v.startswith("v1") and len(v) == 3 for v in test) == 2  # 2 of the 10 birds
    assert split_videos(videos, 0.2, seed=0) == test
    assert split_videos(videos, 0.2, seed=1) != test


def test_video_root_holds_point_annotated_windows_split_by_video(tmp_path):
    src = tmp_path / "src"
    _video_set(src)
    out = tmp_path / "root"
    summary = build_video_root(
        src,
        out,
        test_share=0.34,
        val_share=0.0,
        train_frames={"distant": 8, "medium": 4},
        test_frames=6,
    )
    assert summary["skipped"] == 0
    train = {line.split("/")[0] for line in (out / "img_idx/train.txt").read_text().split()}
    test = {line.split("/")[0] for line in (out / "img_idx/test.txt").read_text().split()}
    assert train and test and not train & test
    seqs = {s.name: s for s in read_sequences(out)}
    for name in test:
        assert len(seqs[name].frames) == 6  # one window of consecutive frames
    for name in train:
        assert len(seqs[name].frames) in (4, 8)
    name = sorted(train)[0]
    ann = read_annotation(out / "annotations" / f"{name}.json")
    for stem, targets in ann.items():
        t = int(stem)
        if t == 3:
            assert targets == []  # a frame without a label row has no target
        else:
            assert targets[0]["x"] == pytest.approx(10 + 2 * t)
            # the labelled box, in the point's 0-based pixel-centre coordinates
            assert targets[0]["box"] == [6 + 2 * t, 16, 14 + 2 * t, 24]
            # the point sits on the spot in the written frame
            frame = seqs[name].read(seqs[name].stems().index(stem))
            assert frame[20, 10 + 2 * t] > 150
    assert "00003" not in (out / "img_idx/train.txt").read_text().split(f"{name}/")[1][:5]


def test_a_broken_video_is_skipped_with_a_warning(tmp_path):
    from label_irst.job import Job

    src = tmp_path / "src"
    _video_set(src, n=3)
    (src / "labels" / "IR_DRONE_001.csv").write_text("frame,cx\nx,1\n")
    job = Job()
    summary = build_video_root(src, tmp_path / "root", test_share=0.5, val_share=0.0, job=job)
    assert summary["skipped"] == 1 and "IR_DRONE_001" in job.warnings[0]
    with pytest.raises(LabelIrstError, match="videos.csv"):
        build_video_root(tmp_path / "nothing", tmp_path / "root2")


def _stills(root):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "img_idx").mkdir()
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(40, 50), (64, 64), (48, 60), (52, 40)]):
        img = rng.normal(60, 4, (h, w)).clip(0, 255).astype(np.uint8)
        mask = np.zeros((h, w), np.uint8)
        img[10:13, 12:15] = 200
        mask[10:13, 12:15] = 255
        cv2.imwrite(str(root / "images" / f"Misc_{i}.png"), img)
        cv2.imwrite(str(root / "masks" / f"Misc_{i}.png"), mask)
    (root / "img_idx" / "train.txt").write_text("Misc_0\nMisc_1\nMisc_2\n")
    (root / "img_idx" / "test.txt").write_text("Misc_3\n")


def test_still_root_makes_each_image_its_own_sequence(tmp_path):
    _stills(tmp_path / "sirst")
    build_still_root(tmp_path / "sirst", tmp_path / "stills")
    seqs = read_sequences(tmp_path / "stills", "train")
    assert sorted(s.name for s in seqs) == ["Misc_0", "Misc_1", "Misc_2"]
    assert all(len(s.frames) == 1 and s.mask_dir is not None for s in seqs)


def test_training_draws_every_source_at_its_share(tmp_path, capsys):
    from label_irst.train.data import TripletSampler
    from label_irst.train.mix import MixedSampler, parse_source

    assert parse_source("a/b=0.25:masks").share == 0.25
    for bad in ("a/b", "a=1.5", "a=0.2:boxes", "=0.2"):
        with pytest.raises(LabelIrstError):
            parse_source(bad)

    class Tagged(TripletSampler):
        def __init__(self, tag):
            self.crop, self.tag = 32, tag

        def sample(self, rng):
            return np.full((3, 32, 32), self.tag, np.float32), []

    mixed = MixedSampler([Tagged(0), Tagged(1)], [0.8, 0.2])
    x, _ = mixed.batch(400, np.random.default_rng(0))
    share = float(x[:, 0, 0, 0].mean())
    assert 0.15 < share < 0.25

    # the command: synthetic sequences as DATA, still images mixed in with their masks
    data = tmp_path / "data"
    synth = ["--sequences", "2", "--frames", "3", "--size", "64x48", "--seed", "1", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0.5", *synth]) == 0
    _stills(tmp_path / "sirst")
    build_still_root(tmp_path / "sirst", tmp_path / "stills")
    capsys.readouterr()
    args = [str(data), "--out", str(tmp_path / "ck"), "--steps", "2", "--batch", "2", "--crop"]
    args += ["32", "--supervision", "points", "--val-frames", "2", "--epochs", "1", "--quiet"]
    args += ["--mix", f"{tmp_path / 'stills'}=0.5:masks", "--hard-negatives", "0.3"]
    args += ["--mine-frames", "2"]
    assert main(["train", *args]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["epoch"] == 1
    assert "mix:" in out.err and "masks on 3 frames" in out.err
    assert main(["train", *args[:-6], "--mix", f"{tmp_path / 'stills'}=1.2"]) == 2


def test_eval_detections_reports_point_truth_by_distance_and_class(tmp_path, capsys):
    src = tmp_path / "src"
    _video_set(src, n=4, frames=6)
    root = tmp_path / "root"
    build_video_root(src, root, test_share=0.5, val_share=0.0, test_frames=6)
    pred = tmp_path / "pred"
    (pred / "annotations").mkdir(parents=True)
    for ann in (root / "annotations").glob("*.json"):
        record = json.loads(ann.read_text())
        distant = record["distance"] == "distant"
        for f in record["frames"]:
            # distant: every target found 2 px off, plus one false detection per frame
            f["targets"] = [
                {"x": t["x"] + 2, "y": t["y"], "score": 0.9} for t in f["targets"] if distant
            ] + ([{"x": 60.0, "y": 5.0, "score": 0.9}] if distant else [])
        ann_out = pred / "annotations" / ann.name
        ann_out.write_text(json.dumps(record))
    capsys.readouterr()
    args = ["--pred", str(pred), "--gt", str(root), "--split", "test", "--json", "--quiet"]
    main(["eval-detections", *args, "--by", "distance", "--by", "source", "--by", "class"])
    out = json.loads(capsys.readouterr().out)
    rows = {r["bin"]: r for r in out["pd_by_distance"]}
    assert rows["distant"]["pd"] == 100.0 and rows["medium"]["pd"] == 0.0
    assert rows["distant"]["false_per_frame"] == 1.0 and rows["medium"]["false_per_frame"] == 0.0
    assert [r["bin"] for r in out["pd_by_source"]] == ["src"]
    assert [r["bin"] for r in out["pd_by_class"]] == ["drone"]
    main(["eval-detections", *args, "--by", "distance", "--distance", "1.5"])
    rows = {r["bin"]: r for r in json.loads(capsys.readouterr().out)["pd_by_distance"]}
    assert rows["distant"]["pd"] == 0.0  # 2 px off is beyond 1.5 px


def test_triplets_of_a_sparsely_labelled_sequence_use_their_true_neighbours():
    from label_irst.infer.sequences import Sequence
    from label_irst.train.data import TripletSampler

    class Frames(Sequence):
        def read(self, index):  # the frame at position i: one bright pixel in column i
            img = np.zeros((32, 32), np.float32)
            img[0, index] = 100.0
            return img

    # frames 40..59, only 50 and 51 labelled: 4 frames held (49..52)
    seq = Frames("s", [Path(f"{i:03d}.png") for i in range(40, 60)], keep={"050", "051"})
    sampler = TripletSampler([seq], {"s": {}}, crop=32)
    k = sampler.index.index((0, 11))  # frame 051
    triplet = sampler.triplet(*sampler.index[k])
    columns = [int(np.argmax(f[0])) for f in triplet]
    assert columns == [10, 11, 12]  # frames 050-052, not a neighbour clipped to the 4 held
