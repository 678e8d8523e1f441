"""Hard-negative mining for RPR-Net training: false alarms away from labels, crops on them."""

import json

import numpy as np
import torch

from label_irst.cli import main
from label_irst.infer.sequences import read_sequences
from label_irst.train.data import TripletSampler
from label_irst.train.mining import false_alarms, mine
from label_irst.train.model import RPRNet
from label_irst.train.supervision import supervision

torch.set_num_threads(1)


def test_false_alarms_are_the_detections_far_from_every_label():
    labels = [(10.0, 10.0, 2.0), (50.0, 20.0, 1.0)]
    dets = [(11.0, 12.0), (30.0, 30.0), (55.0, 20.0), (57.0, 20.0)]
    assert false_alarms(dets, labels, min_distance=6.0) == [(30.0, 30.0), (57.0, 20.0)]
    assert false_alarms(dets, []) == dets


def _sampler(tmp_path, size="128x128"):
    data = tmp_path / "data"
    args = ["--sequences", "1", "--frames", "3", "--size", size, "--seed", "2", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0", *args]) == 0
    seqs = read_sequences(data, "train")
    return TripletSampler(seqs, supervision(data, seqs, "masks"), crop=32, hard_bias=1.0)


def test_crops_are_centred_on_hard_negatives(tmp_path):
    sampler = _sampler(tmp_path)
    sampler.frames[0][1][90, 20] = 1000.0  # a marker at the false alarm (x 20, y 90)
    sampler.negatives = [(0, 1, 20.0, 90.0)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        triplet, _ = sampler.sample(rng)
        assert (triplet == 1000.0).any()
    sampler.negatives = []  # no pool yet: ordinary crops
    hits = sum((sampler.sample(rng)[0] == 1000.0).any() for _ in range(20))
    assert hits < 20


def test_mining_keeps_only_peaks_away_from_labels(tmp_path):
    sampler = _sampler(tmp_path)
    model = RPRNet()
    with torch.no_grad():
        model.head.heatmap[-1].bias.fill_(6.0)  # every cell scores high: peaks everywhere
    found = mine(model, sampler, frames=2, rng=np.random.default_rng(0), device="cpu")
    assert found == len(sampler.negatives) > 0
    for s, t, x, y in sampler.negatives:
        for lx, ly, _ in sampler.targets[s][t]:
            assert np.hypot(lx - x, ly - y) > 6.0
    assert model.training  # mining leaves the model in training mode


def test_train_command_mines_each_epoch(tmp_path, capsys):
    data = tmp_path / "data"
    synth = ["--sequences", "2", "--frames", "3", "--size", "64x48", "--seed", "1", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0.5", *synth]) == 0
    capsys.readouterr()
    args = [str(data), "--out", str(tmp_path / "ck"), "--steps", "2", "--batch", "2"]
    args += ["--crop", "32", "--val-frames", "2", "--epochs", "1", "--quiet"]
    assert main(["train", *args, "--hard-negatives", "0.3", "--mine-frames", "2"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["epoch"] == 1 and record["hard_negatives"] >= 0
    assert main(["train", *args, "--hard-negatives", "1.5"]) == 2
    assert "--hard-negatives" in capsys.readouterr().err


def test_repeated_frame_triplets_are_the_current_frame_three_times(tmp_path):
    sampler = _sampler(tmp_path)
    sampler.hard_bias = 0.0
    rng = np.random.default_rng(1)
    assert not any(np.array_equal(t[0], t[2]) for t, _ in (sampler.sample(rng) for _ in range(10)))
    sampler.repeat_frame = 1.0
    for _ in range(10):
        triplet, pts = sampler.sample(rng)
        assert np.array_equal(triplet[0], triplet[1]) and np.array_equal(triplet[1], triplet[2])
    code = main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "ck"),
                 "--repeat-frame", "1.5", "--quiet"])  # fmt: skip
    assert code == 2
