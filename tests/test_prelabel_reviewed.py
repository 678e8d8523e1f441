"""Re-pre-annotation of a project (the loop): `prelabel PROJECT` runs the project's own detector
and replaces only the unreviewed candidates of unreviewed frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.pamg import pamg
from label_irst.io.images import read_image
from label_irst.io.project import ProjectStore, Target
from label_irst.io.project_reviewed import set_project_detector, set_reviewed
from label_irst.io.project_settings import ProjectSettings

MODELS = Path(__file__).resolve().parents[1] / "models"
ARGS = ["--device", "cpu", "--quiet", "--threads", "1", "--track-min-length", "3"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "1", "--frames", "8", "--size", "96x64"]
    assert main([*args, "--seed", "4", "--quiet", "--test-fraction", "0"]) == 0
    return root


def _project(data, tmp_path) -> Path:
    """Frame 0: a confirmed target (track 1); frame 1: a rejected one; frames 2 and 3 reviewed,
    frame 2 holding a model candidate; frame 5 a stale model candidate (unreviewed)."""
    folder = data / "images" / "seq0000"
    truth = json.loads((data / "annotations" / "seq0000.json").read_text())["frames"]
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", 8)

        def put(index, **kw):
            t = truth[index]["targets"][0]
            g = pamg(read_image(folder / f"{index:05d}.png"), (t["x"], t["y"]))
            kw = {"rho": 0.0, **kw}
            target = Target(sequence_id=sid, frame=index, mask=g.mask, seed=g.seed, **kw)
            store.save_target(target, f"{index:05d}.png", (64, 96))

        put(0, source="pamg", status="confirmed", track_id=1)
        put(1, source="pamg", status="rejected")
        put(2, source="model", status="candidate")
        put(5, source="model", status="candidate")
        set_reviewed(store, sid, [2, 3])
    return path


def _same(a: Target, b: Target) -> bool:
    return a.mask.offset == b.mask.offset and np.array_equal(a.mask.crop, b.mask.crop)


def _rows(path):
    with ProjectStore.open(path, readonly=True) as store:
        return {t.id: t for t in store.targets(1)}


def test_prelabel_project_replaces_only_unreviewed_candidates_of_unreviewed_frames(data, tmp_path):
    path = _project(data, tmp_path)
    before = _rows(path)
    stale = next(t.id for t in before.values() if t.frame == 5)
    assert main(["prelabel", str(path), *ARGS]) == 0  # no --model, no --out: the project's
    after = _rows(path)
    for tid, t in before.items():
        if t.frame in (2, 3) or t.status != "candidate":  # reviewed frames, reviewed targets
            assert tid in after and _same(after[tid], t) and after[tid].status == t.status
    assert stale not in after  # an unreviewed frame's candidate is replaced
    new = [t for tid, t in after.items() if tid not in before]
    assert new and all(t.source == "model" and t.status == "candidate" for t in new)
    assert not [t for t in new if t.frame in (2, 3)]  # nothing added to a reviewed frame
    # the model's track through the confirmed target continues its track id
    assert any(t.track_id == 1 for t in new)


def test_prelabel_project_runs_the_projects_recorded_detector(data, tmp_path, capsys):
    path = _project(data, tmp_path)
    folder = tmp_path / "p.models"
    folder.mkdir()
    meta = json.loads((MODELS / "rprnet.json").read_text())
    for key in ("encoder", "head"):
        shutil.copy(MODELS / meta[key], folder / meta[key])
    (folder / "rprnet-1.json").write_text(json.dumps(meta))
    with ProjectStore.open(path) as store:
        set_project_detector(store, folder / "rprnet-1.json")
        assert ProjectSettings(store).detector == (folder / "rprnet-1.json").resolve()
    out = tmp_path / "o"
    assert main(["prelabel", str(path), *ARGS, "--out", str(out)]) == 0
    record = json.loads((out / "annotations" / "seq0000.json").read_text())
    assert record["model"] == "rprnet-1.json"
    (folder / "rprnet-1.json").unlink()
    before = path.read_bytes()
    assert main(["prelabel", str(path), *ARGS]) == 2
    err = capsys.readouterr().err
    assert "detector model" in err and "is missing" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before


def test_the_legacy_detector_key_is_read_and_replaced_by_the_one_key(tmp_path):
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        store.set_meta("app.rprnet_model", str(tmp_path / "old.json"))
        settings = ProjectSettings(store)
        assert settings.detector == tmp_path / "old.json"
        settings.set_detector(tmp_path / "p.models" / "rprnet-2.json")
        assert store.meta("app.rprnet_model") is None
        assert store.meta("detector/model") == "p.models/rprnet-2.json"
