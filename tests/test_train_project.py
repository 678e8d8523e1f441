"""Training RPR-Net from the confirmed targets of a Label-IRST project (Sec. III-C1)."""

import json

import numpy as np
import torch

from label_irst.cli import main
from label_irst.core.pamg import pamg
from label_irst.infer.project import training_sequences
from label_irst.io.images import read_image
from label_irst.io.project import ProjectStore, Target
from label_irst.train.data import TripletSampler

torch.set_num_threads(1)


def _project(tmp_path, confirm=True):
    data = tmp_path / "data"
    synth = ["--sequences", "1", "--frames", "6", "--size", "64x48", "--seed", "5", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0", *synth]) == 0
    folder = data / "images" / "seq0000"
    frames = json.loads((data / "annotations" / "seq0000.json").read_text())["frames"]
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(folder, "folder", 6)
        for index in (2, 3):
            t0 = frames[index]["targets"][0]
            g = pamg(read_image(folder / f"{index:05d}.png"), (t0["x"], t0["y"]))
            status = "confirmed" if confirm else "candidate"
            target = Target(
                sequence_id=seq,
                frame=index,
                mask=g.mask,
                seed=g.seed,
                source="pamg",
                status=status,
                rho=0.0,
            )
            store.save_target(target, f"{index:05d}.png", (48, 64))
    return path


def test_project_frames_with_confirmed_targets_are_the_training_set(tmp_path):
    path = _project(tmp_path)
    seqs, targets = training_sequences(path)
    assert [s.name for s in seqs] == ["seq0000"] and seqs[0].keep == {"00002", "00003"}
    assert len(targets["seq0000"]["00002"]) == 1
    sampler = TripletSampler(seqs, targets, crop=32)
    assert sorted(sampler.index) == [(0, 2), (0, 3)]
    assert sorted(sampler.frames[0]) == [1, 2, 3, 4]  # the triplets' frames only
    triplet, pts = sampler.sample(np.random.default_rng(0))
    assert triplet.shape == (3, 32, 32)


def test_train_command_on_a_project(tmp_path, capsys):
    path = _project(tmp_path)
    capsys.readouterr()
    args = ["train", str(path), "--out", str(tmp_path / "ck"), "--epochs", "1", "--steps", "2"]
    args += ["--batch", "2", "--crop", "32", "--quiet"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["epoch"] == 1 and "2 project frames" in captured.err
    assert (tmp_path / "ck" / "checkpoint.pt").is_file()
    unconfirmed = _project(tmp_path / "u", confirm=False)
    capsys.readouterr()
    assert main(["train", str(unconfirmed), *args[2:]]) == 2
    assert "no confirmed targets" in capsys.readouterr().err
