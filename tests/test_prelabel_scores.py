"""prelabel PROJECT stores each model candidate's detection score: the frame's own score in a
tracked frame (not the track's), none in a frame the tracker filled."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.pamg import pamg_guided
from label_irst.core.synthetic import synthetic_frame
from label_irst.errors import LabelIrstError
from label_irst.infer.project import detection_scores, store_detections
from label_irst.io.project import ProjectStore

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"


def test_detection_scores_of_tracked_untracked_and_filled_records():
    records = [
        {"id": 1, "x": 3, "y": 4, "radius": 1.5, "score": 0.52, "det_score": 0.71},
        {"id": 2, "x": 9, "y": 4, "radius": 1.5, "score": 0.52, "filled": True},
        {"x": 3, "y": 4, "radius": 1.5, "score": 0.66},  # --no-track: the detection's own
        {"x": 3, "y": 4, "radius": 1.5, "score": "high"},
        {"x": 3, "y": 4, "radius": 1.5},
        "not a record",
    ]
    assert detection_scores(records) == [0.71, None, 0.66, None, None, None]


def test_store_detections_keeps_each_score_beside_its_mask(tmp_path):
    image, _, truths, _ = synthetic_frame((64, 64), count=3, seed=2, dtype=np.uint16)
    results = [pamg_guided(image, (t.x, t.y), max(t.radius, 1.0)) for t in truths]
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        sid = store.add_sequence(tmp_path, "folder", 1)
        saved = store_detections(store, sid, 0, "f.png", image.shape, [results[0], None,
                                 results[1], results[2]], [4, 5, 6, 7], [0.9, 0.8, None, 0.35])  # fmt: skip
        assert [(t.track_id, t.score) for t in saved] == [(4, 0.9), (6, None), (7, 0.35)]
        assert [(t.track_id, t.score) for t in store.targets(sid)] == [
            (4, 0.9), (6, None), (7, 0.35)]  # fmt: skip
        with pytest.raises(LabelIrstError, match="4 scores"):
            store_detections(store, sid, 0, "f.png", image.shape, results, None, [0.5] * 3 + [1])
        with pytest.raises(LabelIrstError, match="2 scores"):
            store_detections(store, sid, 0, "f.png", image.shape, results, None, [0.5, 0.6])


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "1", "--frames", "10", "--size", "96x64"]
    assert main([*args, "--seed", "4", "--quiet"]) == 0
    return root


@pytest.mark.parametrize("track", [True, False])
def test_prelabel_a_project_stores_the_detection_scores(data, tmp_path, track, capsys):
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(data / "images" / "seq0000", "folder", 10)
    args = ["prelabel", str(path), "--model", str(MODEL), "--device", "cpu", "--quiet"]
    args += ["--out", str(tmp_path / "o")]
    args += ["--track-min-length", "3"] if track else ["--no-track"]
    assert main(args) == 0, capsys.readouterr().err
    record = json.loads((tmp_path / "o" / "annotations" / "seq0000.json").read_text())
    with ProjectStore.open(path, readonly=True) as store:
        targets = store.targets(sid)
    assert targets
    for t in targets:
        frame = record["frames"][t.frame]["targets"]
        if track:  # one project track per sequence track (a fresh project: the same ids)
            (r,) = [r for r in frame if r["id"] == t.track_id]
            assert t.score == (None if r.get("filled") else r["det_score"])
        else:  # the mask grows from the detection it is stored with
            r = min(frame, key=lambda r: np.hypot(r["x"] - t.centroid[0], r["y"] - t.centroid[1]))
            assert t.score == r["score"]
    assert all(t.score is not None for t in targets if not track)
    assert any(t.score is not None for t in targets)
