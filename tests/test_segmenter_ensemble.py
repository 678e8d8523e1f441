"""Segmenter ensembles: the mean of the members' maps, run wherever one segmenter runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from label_irst.errors import LabelIrstError
from label_irst.infer.segmenter import load_segmenter
from label_irst.infer.segmenter_ensemble import SegmenterEnsemble, write_ensemble

MODELS = Path(__file__).resolve().parents[1] / "models"


class _Fixed:
    """A stand-in member whose map is a constant."""

    def __init__(self, value: float):
        self.value = value

    def probabilities(self, image):
        return np.full(np.shape(image), self.value, np.float32)


def test_the_ensemble_map_is_the_mean_of_its_members_and_its_threshold_applies_to_it():
    ens = SegmenterEnsemble([_Fixed(0.2), _Fixed(0.9)], {"threshold": 0.5}, Path("e.json"))
    image = np.zeros((4, 6), np.uint8)
    prob = ens.probabilities(image)
    assert prob.shape == (4, 6) and np.allclose(prob, 0.55)
    assert ens.segment(image).all() and not ens.segment(image, 0.6).any()

    weighted = SegmenterEnsemble(
        [_Fixed(0.2), _Fixed(0.9)], {"threshold": 0.5, "weights": [0.6, 0.4]}, Path("e.json")
    )
    assert np.allclose(weighted.probabilities(image), 0.6 * 0.2 + 0.4 * 0.9)
    assert not weighted.segment(image).any()  # 0.48: below the threshold the plain mean passes


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "label_irst", *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture
def members(tmp_path):
    """The two shipped segmenters copied into one folder."""
    for stem in ("lesps-sirst", "segmenter-pamg-sirst"):
        for suffix in (".json", ".onnx", ".labels.npz"):
            shutil.copy(MODELS / f"{stem}{suffix}", tmp_path / f"{stem}{suffix}")
    return tmp_path / "lesps-sirst.json", tmp_path / "segmenter-pamg-sirst.json"


def _spot(shape=(64, 80), centre=(30, 20), seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    spot = 90 * np.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / (2 * 1.5**2))
    return np.clip(60 + rng.normal(0, 2, shape) + spot, 0, 255).astype(np.uint8)


def test_an_ensemble_record_runs_as_one_segmenter_and_as_a_detector(members, tmp_path):
    from label_irst.infer.detector_model import is_segmenter_record, load_detector

    a, b = members
    got = _cli("ensemble-segmenter", a, b, "--out", tmp_path / "both")
    assert got.returncode == 0, got.stderr
    record = json.loads((tmp_path / "both.json").read_text())
    assert record["members"] == [a.name, b.name]
    expected = (json.loads(a.read_text())["threshold"] + json.loads(b.read_text())["threshold"]) / 2
    assert record["threshold"] == pytest.approx(expected)
    image = _spot()
    ens = load_segmenter(tmp_path / "both.json")
    mean = (load_segmenter(a).probabilities(image) + load_segmenter(b).probabilities(image)) / 2
    assert np.allclose(ens.probabilities(image), mean, atol=1e-6)
    assert is_segmenter_record(tmp_path / "both.json")
    detector = load_detector(tmp_path / "both.json", "cpu", 1)
    dets, masks = detector.detect(image)
    assert len(dets) == 1 and abs(dets[0].x - 30) < 1.5 and abs(dets[0].y - 20) < 1.5
    assert masks[0].mask.to_full(image.shape)[20, 30]
    from label_irst.infer.segmenter_eval import labels_files

    assert [p.name for p in labels_files(ens)] == [
        "lesps-sirst.labels.npz",
        "segmenter-pamg-sirst.labels.npz",
    ]
    files = {p.name for p in detector.graphs()}
    assert files == {"both.json", a.name, b.name, "lesps-sirst.onnx", "segmenter-pamg-sirst.onnx"}


def test_a_weighted_ensemble_is_written_normalised_and_runs_as_its_weighted_mean(members, tmp_path):
    a, b = members
    got = _cli("ensemble-segmenter", a, b, "--weights", "2,3", "--out", tmp_path / "w.json")
    assert got.returncode == 0, got.stderr
    record = json.loads((tmp_path / "w.json").read_text())
    assert record["weights"] == [0.4, 0.6] and record["rule"].startswith("weighted mean")
    image = _spot()
    maps = [load_segmenter(m).probabilities(image) for m in (a, b)]
    got_map = load_segmenter(tmp_path / "w.json").probabilities(image)
    assert np.allclose(got_map, 0.4 * maps[0] + 0.6 * maps[1], atol=1e-6)
    assert not np.allclose(got_map, (maps[0] + maps[1]) / 2, atol=1e-4)
    for bad in ("1", "1,-1", "0,0", "a,b", "1,nan"):
        got = _cli("ensemble-segmenter", a, b, "--weights", bad, "--out", tmp_path / "bad.json")
        assert got.returncode == 2 and got.stderr.count("\n") == 1, (bad, got.stderr)
        assert "--weights" in got.stderr
    assert not (tmp_path / "bad.json").exists()


def test_bad_ensembles_are_one_line(members, tmp_path):
    a, b = members
    cases = {
        "members": ([a.name], "bad members or threshold"),
        "missing": ([a.name, "gone.json"], "member gone.json is missing"),
        "weights": ([a.name, b.name], "bad weights"),
    }
    for name, (listed, message) in cases.items():
        path = tmp_path / f"{name}.json"
        record = {"format": "label-irst/segmenter-ensemble/1", "members": listed, "threshold": 0.5}
        if name == "weights":
            record["weights"] = [1.0, "x"]
        path.write_text(json.dumps(record))
        got = _cli("eval-segmenter", "--model", path, "--dataset", tmp_path)
        assert got.returncode == 2 and got.stderr.count("\n") == 1, got.stderr
        assert message in got.stderr
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    with pytest.raises(LabelIrstError, match="must lie in"):
        write_ensemble([a, b], elsewhere / "both.json")
    with pytest.raises(LabelIrstError, match="two or more"):
        write_ensemble([a], tmp_path / "one.json")
    got = _cli("ensemble-segmenter", a, MODELS / "rprnet.json", "--out", tmp_path / "x.json")
    assert got.returncode == 2 and "not a segmenter record" in got.stderr
    assert not (tmp_path / "x.json").exists()


def test_the_shipped_false_alarm_record_weighs_the_shipped_members():
    record = json.loads((MODELS / "segmenter-sirst-fa40.json").read_text())
    assert record["weights"] == [0.6, 0.4] and 0.5 < record["threshold"] < 0.7
    image = _spot(seed=3)
    pamg, lesps = (load_segmenter(MODELS / m) for m in record["members"])
    expected = 0.6 * pamg.probabilities(image) + 0.4 * lesps.probabilities(image)
    ens = load_segmenter(MODELS / "segmenter-sirst-fa40.json")
    assert np.allclose(ens.probabilities(image), expected, atol=1e-6)
    assert ens.segment(image)[20, 30]  # the spot is found at the raised threshold
