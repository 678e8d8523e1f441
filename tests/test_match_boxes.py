"""`--match box`: ground truth labelled by boxes is also found by a detection inside its box
(a close airplane found on its hot engine), in eval-detections and eval-loop alike."""

from __future__ import annotations

import json

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer.loop import review_split, score
from label_irst.infer.matching import boxes_for, match
from label_irst.io.images import write_image

BOX = [20.0, 10.0, 60.0, 30.0]  # a 40 x 20 px target, its point (the centre) at (40, 20)


def test_a_detection_inside_the_box_finds_the_target_only_by_the_box_rule():
    engine = [(55.0, 22.0)]  # 15 px from the centre, inside the box
    assert match(engine, [(40.0, 20.0)], 5.0) == ([False], [False])
    assert match(engine, [(40.0, 20.0)], 5.0, [BOX]) == ([True], [True])
    # one target is found once: a second detection on it stays false
    used, hit = match([(55.0, 22.0), (25.0, 12.0)], [(40.0, 20.0)], 5.0, [BOX])
    assert hit == [True] and sorted(used) == [False, True]
    # outside the box and farther than the distance: missed either way
    assert match([(70.0, 20.0)], [(40.0, 20.0)], 5.0, [BOX]) == ([False], [False])
    # a target without a box keeps the point rule
    assert match([(55.0, 22.0)], [(40.0, 20.0)], 5.0, [None]) == ([False], [False])


def test_the_nearest_detection_is_taken_among_those_that_qualify():
    used, hit = match([(58.0, 28.0), (41.0, 21.0)], [(40.0, 20.0)], 3.0, [BOX])
    assert hit == [True] and used == [False, True]


def test_boxes_are_read_and_checked_in_one_line():
    targets = [{"x": 40, "y": 20, "box": BOX}, {"x": 5, "y": 5}]
    assert boxes_for(targets, "point") is None
    assert boxes_for(targets, "box") == [BOX, None]
    with pytest.raises(LabelIrstError, match="x0, y0, x1, y1"):
        boxes_for([{"x": 1, "y": 1, "box": [3, 1, 2]}], "box")
    with pytest.raises(LabelIrstError, match="x0, y0, x1, y1"):
        boxes_for([{"x": 1, "y": 1, "box": [5, 5, 1, 1]}], "box")
    with pytest.raises(LabelIrstError, match="--match"):
        boxes_for(targets, "area")


def _root(tmp_path, frames=5):
    """One sequence, one boxed target per frame; predictions on the target's edge."""
    root = tmp_path / "gt"
    records, preds = [], []
    for t in range(frames):
        write_image(root / "images" / "s" / f"{t:05d}.png", np.zeros((48, 80), np.uint8))
        records.append({"frame": f"{t:05d}", "targets": [{"x": 40, "y": 20, "box": BOX}]})
        preds.append({"frame": f"{t:05d}", "targets": [{"x": 55, "y": 22, "radius": 2,
                                                         "score": 0.9, "id": 1}]})  # fmt: skip
    (root / "annotations").mkdir()
    (root / "annotations" / "s.json").write_text(json.dumps({"frames": records}))
    pred = tmp_path / "pred"
    (pred / "annotations").mkdir(parents=True)
    (pred / "annotations" / "s.json").write_text(json.dumps({"frames": preds}))
    return root, pred


def test_eval_detections_match_box(tmp_path, capsys):
    root, pred = _root(tmp_path)
    base = ["eval-detections", "--pred", str(pred), "--gt", str(root), "--json", "--quiet"]
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["pd"] == 0
    assert main([*base, "--match", "box", "--by", "distance", "--distance", "5"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["pd"] == 100 and got["pd_by_distance"][0]["pd"] == 100


def test_eval_loop_scores_by_the_box_rule(tmp_path):
    root, pred = _root(tmp_path)
    seqs = review_split(root, 0.4)
    point, _ = score(seqs, pred, 5.0)
    box, _ = score(seqs, pred, 5.0, "box")
    assert point["targets"] == box["targets"] == 3  # frames 2-4 remain
    assert point["pd"] == 0 and box["pd"] == 100
    assert point["false_per_frame"] == 1 and box["false_per_frame"] == 0
    assert box["review_keys"] == 1  # one track to accept, nothing to click
