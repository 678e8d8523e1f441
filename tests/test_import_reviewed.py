"""`label-irst import --reviewed`: the fully annotated imported frames are marked reviewed."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from label_irst.cli import main
from label_irst.io.annotations import ReviewItem
from label_irst.io.formats import read_dataset
from label_irst.io.project import ProjectStore
from label_irst.io.project_reviewed import mark_imported_reviewed, reviewed_frames


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("masks")
    args = ["synth", "--out", str(root), "--sequences", "1", "--frames", "4", "--size", "64x48"]
    assert main([*args, "--seed", "5", "--quiet", "--test-fraction", "0"]) == 0
    return root


def _reviewed(path):
    with ProjectStore.open(path, readonly=True) as store:
        return reviewed_frames(store)


def test_import_reviewed_marks_every_fully_annotated_frame(data, tmp_path, capsys):
    plain, marked = tmp_path / "plain.lirst", tmp_path / "marked.lirst"
    assert main(["import", str(data), "--out", str(plain), "--quiet", "--json"]) == 0
    assert "reviewed" not in json.loads(capsys.readouterr().out)
    assert _reviewed(plain) == {}
    assert main(["import", str(data), "--out", str(marked), "--quiet", "--json", "--reviewed"]) == 0
    assert json.loads(capsys.readouterr().out)["reviewed"] == 4
    assert _reviewed(marked) == {1: [0, 1, 2, 3]}


def test_a_frame_with_candidates_or_review_items_is_not_marked(data, tmp_path):
    path = tmp_path / "p.lirst"
    assert main(["import", str(data), "--out", str(path), "--quiet"]) == 0
    ann = read_dataset(data, "auto")
    frames = sorted(ann.frames, key=lambda f: f.name)
    frames[1].targets[0] = replace(frames[1].targets[0], status="candidate")
    frames[2].review.append(ReviewItem(seed=(10.0, 10.0)))
    frames[3].targets.clear()  # listed with no target: fully annotated, it has none
    with ProjectStore.open(path) as store:
        assert mark_imported_reviewed(store, frames) == 2
        assert reviewed_frames(store) == {1: [0, 3]}
        assert mark_imported_reviewed(store, frames) == 0  # already marked: nothing changes
