"""The loop's evaluation protocol (eval-loop) and the detector adaptation it calls."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer.loop import review_split, score
from label_irst.job import Job
from label_irst.train.adapt import AdaptConfig, ReviewedSequence, adapt, held_back_scores
from label_irst.train.data import TripletSampler

torch.set_num_threads(1)
MODELS = Path(__file__).resolve().parents[1] / "models"
TINY = ["--epochs", "1", "--steps", "2", "--batch", "2", "--crop", "32", "--threads", "1"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp("loop") / "root"
    synth = ["--sequences", "2", "--frames", "6", "--size", "64x48", "--seed", "3", "--quiet"]
    assert main(["synth", "--out", str(out), *synth]) == 0
    return out


def _annotate(root: Path, name: str, frames: dict, **labels) -> None:
    record = {"sequence": name, **labels, "frames": [
        {"frame": stem, "targets": [{"x": x, "y": y} for x, y in pts]} for stem, pts in frames.items()
    ]}  # fmt: skip
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "annotations" / f"{name}.json").write_text(json.dumps(record))


def _frames(root: Path, name: str, count: int) -> None:
    import cv2

    folder = root / "images" / name
    folder.mkdir(parents=True)
    for k in range(count):
        cv2.imwrite(str(folder / f"{k:05d}.png"), np.zeros((20, 10), np.uint8))


def test_review_split_takes_the_first_frames_of_each_sequence(tmp_path):
    _frames(tmp_path, "a", 10)
    _frames(tmp_path, "b", 4)
    _annotate(tmp_path, "a", {f"{k:05d}": [(1.0, 2.0)] for k in range(10)}, distance="far")
    _annotate(tmp_path, "b", {})
    seqs = review_split(tmp_path, 0.25)
    assert [s.reviewed for s in seqs] == [2, 1]  # floor(2.5), floor(1.0)
    assert seqs[0].reviewed_stems == ["00000", "00001"]
    assert seqs[1].remaining_stems == ["00001", "00002", "00003"]
    assert seqs[1].remaining().stems() == ["00001", "00002", "00003"]
    assert seqs[0].distance == "far" and seqs[1].distance is None
    with pytest.raises(LabelIrstError, match="review-share"):
        review_split(tmp_path, 1.0)
    with pytest.raises(LabelIrstError, match="reviews no frame"):
        review_split(tmp_path, 0.05)


def test_score_counts_hits_false_detections_tracks_and_keys(tmp_path):
    _frames(tmp_path, "a", 5)
    truth = {f"{k:05d}": [(5.0, 10.0)] for k in range(5)}
    _annotate(tmp_path, "a", truth, distance="near")
    seqs = review_split(tmp_path, 0.2)  # frame 0 reviewed, 1-4 remain (4 target-frames)
    pred = tmp_path / "pred"
    record = {"frames": [
        {"frame": "00001", "targets": [{"x": 5.5, "y": 10, "radius": 1, "id": 1}]},
        {"frame": "00002", "targets": [{"x": 6, "y": 11, "radius": 1, "id": 1},
                                        {"x": 1, "y": 1, "radius": 1, "id": 2}]},
        {"frame": "00003", "targets": [{"x": 9, "y": 10, "radius": 1}]},  # 4 px off: missed
    ]}  # fmt: skip
    (pred / "annotations").mkdir(parents=True)
    (pred / "annotations" / "a.json").write_text(json.dumps(record))
    total, bins = score(seqs, pred)
    assert total["targets"] == 4 and total["frames"] == 4
    assert total["pd"] == pytest.approx(50.0)  # frames 1 and 2; 3 too far, 4 has no record
    assert total["false_per_frame"] == pytest.approx(2 / 4)
    assert total["fa"] == pytest.approx(2 * np.pi / (4 * 20 * 10))
    assert total["tracks"] == 3  # ids 1 and 2, and the untracked target
    assert total["keys_per_target_frame"] == pytest.approx((3 + 2) / 4)
    assert [b["bin"] for b in bins] == ["near"] and bins[0]["pd"] == total["pd"]
    wider, _ = score(seqs, pred, distance=5.0)
    assert wider["pd"] == pytest.approx(75.0)


class _Peaks(torch.nn.Module):
    """A stand-in detector: fixed heatmap peaks (cell, score), whatever the input."""

    def __init__(self, peaks):
        super().__init__()
        self.peaks = peaks
        self.encoder = torch.nn.Identity()

    def head(self, prev, curr, nxt):
        h, w = curr.shape[2] // 4, curr.shape[3] // 4
        heat = torch.full((1, 1, h, w), -20.0)
        for (i, j), p in self.peaks:
            heat[0, 0, i, j] = float(np.log(p / (1 - p)))
        return heat, torch.zeros(1, 2, h, w), torch.ones(1, 1, h, w)


def test_held_back_pd_is_read_at_the_allowed_false_detections_per_frame(root):
    from label_irst.infer.sequences import read_sequences

    seq = read_sequences(root)[0]
    seq.keep = {seq.frames[0].stem}
    targets = {seq.name: {seq.frames[0].stem: [(20.0, 20.0, 1.0), (40.0, 8.0, 1.0)]}}
    sampler = TripletSampler([seq], targets, crop=32)
    # the two false peaks outscore the second target: at 1 false per frame only one target
    model = _Peaks([((5, 5), 0.9), ((8, 1), 0.8), ((11, 11), 0.7), ((2, 10), 0.6)])
    scores = held_back_scores(model, sampler, [(48, 64)], AdaptConfig(), "cpu")
    assert (scores.frames, scores.targets) == (1, 2)
    assert scores.pd_at(1.0) == pytest.approx(50.0)
    assert scores.pd_at(2.0) == pytest.approx(100.0)
    assert scores.false_per_frame(0.65) == pytest.approx(2.0)


def test_eval_loop_reports_before_and_after_and_writes_the_remaining_frames(root, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["eval-loop", str(root), "--review-share", "0.5", "--out", str(out), "--json"]
    args += ["--held-back-frames", "1"]
    assert main([*args, *TINY, "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    for side in ("before", "after"):
        assert {"pd", "false_per_frame", "fa", "tracks", "keys_per_target_frame"} <= set(
            report[side]
        )
        assert report[side]["frames"] == 6  # 3 remaining frames in each of 2 sequences
    assert report["adapt_seconds"] > 0 and report["reviewed_frames"] == 6
    assert report["held_back"]["frames"] == 2  # the last reviewed frame of each sequence
    written = json.loads((out / "annotations" / "seq0000.json").read_text())
    assert [f["frame"] for f in written["frames"]] == ["00003", "00004", "00005"]
    assert (out / "before" / "annotations" / "seq0001.json").is_file()
    assert (out / "model" / "rprnet-adapted.json").is_file()


def test_eval_loop_refuses_a_model_without_torch_weights(root, tmp_path, capsys):
    models = tmp_path / "m"
    models.mkdir()
    for name in ("rprnet.json", "rprnet.encoder.onnx", "rprnet.head.onnx"):
        shutil.copy(MODELS / name, models / name)
    out = tmp_path / "out"
    args = ["eval-loop", str(root), "--model", str(models / "rprnet.json"), "--out", str(out)]
    assert main([*args, *TINY, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no torch weights rprnet.pt" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def _items(root):
    from label_irst.infer.loop import review_split
    from label_irst.train.loop import reviewed_items

    return reviewed_items(review_split(root, 0.5))


def test_adapt_cancelled_writes_no_model_and_resumes_after_its_last_epoch(root, tmp_path):
    items = _items(root)
    assert isinstance(items[0], ReviewedSequence) and items[0].reviewed == [
        "00000",
        "00001",
        "00002",
    ]
    cfg = AdaptConfig(epochs=2, steps=2, batch=2, crop=32, threads=1, hard_negatives=0.0)
    job = Job()
    job.progress = lambda done, total: job.cancel.set() if done == 3 else None
    logs = []
    first = adapt(items, MODELS / "rprnet.json", tmp_path / "m", cfg, job, log=logs.append)
    assert first.cancelled and first.model is None
    assert not (tmp_path / "m" / "rprnet-adapted.json").exists()
    again = adapt(items, MODELS / "rprnet.json", tmp_path / "m", cfg, Job(), log=logs.append)
    assert "adapt: resumed after epoch 1" in logs
    assert not again.cancelled and again.steps == 4 and again.model.is_file()
    record = json.loads(again.model.read_text())
    held = record["training"]["held_back"]
    assert held["adopted"] == again.adopted and held["frames"] == 2
    assert again.adopted == (again.new_pd > again.current_pd)


def test_adapt_refuses_no_reviewed_frames(root, tmp_path):
    items = _items(root)
    for item in items:
        item.reviewed = []
    with pytest.raises(LabelIrstError, match="no reviewed frames"):
        adapt(items, MODELS / "rprnet.json", tmp_path / "m", AdaptConfig(crop=32))
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("flag", [["--lr", "0"], ["--lr", "nan"], ["--distance", "-1"]])
def test_eval_loop_refuses_bad_settings_in_one_line(root, tmp_path, capsys, flag):
    out = tmp_path / "out"
    code = main(["eval-loop", str(root), "--out", str(out), *TINY, "--quiet", *flag])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("label-irst: ")
    assert not out.exists()


def _copy_model(folder: Path) -> Path:
    folder.mkdir()
    for name in ("rprnet.json", "rprnet.encoder.onnx", "rprnet.head.onnx"):
        shutil.copy(MODELS / name, folder / name)
    record = json.loads((folder / "rprnet.json").read_text())
    record.pop("cpu_variant", None)
    record["training"] = {"held_back": {"adopted": True}}
    (folder / "rprnet.json").write_text(json.dumps(record))
    return folder / "rprnet.json"


def _held_sampler(root):
    from label_irst.train.adapt import labels

    item = _items(root)[0]  # the first 3 frames of the first sequence, with their targets
    return TripletSampler([item.sequence], {item.sequence.name: labels(item, item.reviewed)}, 32)


@pytest.mark.parametrize("current_pd", [0.0, 100.0])
def test_an_adopted_models_int8_copy_is_named_only_if_it_passes_the_adoption_rule(
    root, tmp_path, current_pd
):
    from label_irst.infer.session import load_model
    from label_irst.train.adapt import score_frames
    from label_irst.train.adapt_int8 import int8_copy
    from label_irst.train.operating_point import HeldBackScores

    meta = _copy_model(tmp_path / "m")
    sampler = _held_sampler(root)
    cfg = AdaptConfig(false_per_frame=100.0)  # every detection allowed: Pd is the recall
    # a current model that found nothing (the copy beats it) or everything (it cannot)
    current = HeldBackScores(1, 1, [(0.9, True)] if current_pd else [])
    check = int8_copy(
        meta, sampler, lambda p: score_frames(p, sampler, [(48, 64)], cfg), current,
        float_false=100.0, threshold=0.5, false_per_frame=cfg.false_per_frame,
    )  # fmt: skip
    record = json.loads(meta.read_text())
    assert record["training"]["held_back"]["int8"]["kept"] == check.kept
    copy = tmp_path / "m" / "rprnet-int8.json"
    if current_pd:
        assert not check.kept and "cpu_variant" not in record
        assert not list((tmp_path / "m").glob("rprnet-int8*"))
        assert load_model(meta, "cpu").path == meta  # the float model runs
    else:
        assert check.kept and check.pd > 0 and record["cpu_variant"] == copy.name
        copied = json.loads(copy.read_text())
        assert copied["precision"] == "int8" and "cpu_variant" not in copied
        assert copied["int8_calibration"]["triplets"] == 6  # every frame of the sequence
        model = load_model(meta, "cpu")
        assert model.path == copy and model.named == meta
        assert load_model(meta, "cpu", precision="fp32").path == meta


def test_an_int8_copy_that_adds_false_detections_is_not_kept(root, tmp_path):
    from label_irst.train.adapt import score_frames
    from label_irst.train.adapt_int8 import int8_copy
    from label_irst.train.operating_point import HeldBackScores

    meta = _copy_model(tmp_path / "m")
    sampler = _held_sampler(root)
    cfg = AdaptConfig(false_per_frame=100.0)
    # the float model made no false detection at a threshold where the copy makes some
    check = int8_copy(
        meta, sampler, lambda p: score_frames(p, sampler, [(48, 64)], cfg), HeldBackScores(1, 1),
        float_false=0.0, threshold=0.06, false_per_frame=cfg.false_per_frame,
    )  # fmt: skip
    assert check.false_per_frame > 0.1 and not check.kept
    assert "cpu_variant" not in json.loads(meta.read_text())


def test_an_int8_copy_that_cannot_be_made_leaves_the_adopted_model_as_it_was(
    root, tmp_path, monkeypatch
):
    import label_irst.train.adapt_int8 as adapt_int8
    from label_irst.infer.session import load_model
    from label_irst.train.operating_point import HeldBackScores

    meta = _copy_model(tmp_path / "m")

    def broken(meta, triplets, calibration):
        meta.with_name("rprnet-int8.encoder.onnx").write_bytes(b"half a graph")
        raise ValueError("quantisation failed\nwith a long trace")

    monkeypatch.setattr(adapt_int8, "quantize_triplets", broken)
    check = adapt_int8.int8_copy(
        meta, _held_sampler(root), lambda p: HeldBackScores(), HeldBackScores(1, 1),
        float_false=1.0, threshold=0.5, false_per_frame=1.0,
    )  # fmt: skip
    assert not check.kept and check.error == "ValueError: quantisation failed"
    record = json.loads(meta.read_text())
    assert "cpu_variant" not in record
    assert record["training"]["held_back"]["int8"]["error"] == "ValueError: quantisation failed"
    assert not list((tmp_path / "m").glob("rprnet-int8*"))  # the half-made copy is gone
    assert load_model(meta, "cpu").path == meta


def test_eval_loop_says_whether_the_adopted_models_int8_copy_was_kept(root, capsys, monkeypatch):
    import label_irst.train.loop as loop

    side = {"pd": 90.0, "false_per_frame": 0.2, "fa": 1e-5, "tracks": 3,
            "keys_per_target_frame": 0.1}  # fmt: skip
    report = {
        "before": side, "after": side, "adapt_seconds": 12.0, "adopted": True,
        "held_back": {"pd_current": 50.0, "pd_new": 80.0, "frames": 4}, "by_distance": [],
        "int8": {"kept": True, "pd_new": 75.0},
    }  # fmt: skip
    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs, cfg=next(a for a in args if isinstance(a, AdaptConfig)))
        return report

    monkeypatch.setattr(loop, "eval_loop", fake)
    assert main(["eval-loop", str(root), "--precision", "auto", "--quiet"]) == 0
    assert seen["precision"] == "auto"
    assert "int8 copy kept (held-back Pd 75.0; runs with --precision auto)" in " ".join(
        capsys.readouterr().out.split()
    )
    report["int8"] = {"kept": False, "pd_new": None, "error": "ValueError: x"}
    assert main(["eval-loop", str(root), "--no-int8", "--quiet"]) == 0
    assert "int8 copy ValueError: x (held-back Pd -;" in " ".join(capsys.readouterr().out.split())
    assert seen["precision"] == "fp32" and seen["cfg"].int8 is False
