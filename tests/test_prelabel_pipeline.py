"""One pre-annotation pipeline: a resumed run never mixes settings, `prelabel PROJECT` grows masks
with the project's learned generator, and track identities survive the product's own formats
(synth -> import -> export SIRSTD-Pixel / MOT -> import), checked with py-motmetrics."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer.prelabel import prelabel
from label_irst.infer.session import load_model
from label_irst.io.project import ProjectStore
from label_irst.job import Job

MODELS = Path(__file__).resolve().parents[1] / "models"
MODEL = MODELS / "rprnet.json"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "2", "--frames", "6", "--size", "96x64"]
    assert main([*args, "--seed", "4", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL, "cpu", threads=1)


def _cancel_after(n: int) -> Job:
    job = Job()
    job.progress = lambda done, total: job.cancel.set() if done >= n else None
    return job


def _renamed_copy(tmp_path: Path, note: str) -> Path:
    """The shipped model under the same file name, its record changed: another model."""
    folder = tmp_path / note
    folder.mkdir()
    meta = json.loads(MODEL.read_text())
    for key in ("encoder", "head"):
        shutil.copy(MODELS / meta[key], folder / meta[key])
    meta["note"] = note
    (folder / "rprnet.json").write_text(json.dumps(meta))
    return folder / "rprnet.json"


def test_resuming_with_another_threshold_or_model_is_refused(model, data, tmp_path):
    out = tmp_path / "o"
    part = prelabel(data, model, out, threshold=0.3, flush=1, job=_cancel_after(4))
    assert part.frames == 4
    before = {p.name: p.read_bytes() for p in (out / "annotations").iterdir()}
    with pytest.raises(LabelIrstError, match="--force"):
        prelabel(data, model, out, threshold=0.9)
    other = load_model(_renamed_copy(tmp_path, "b"), "cpu", threads=1)
    with pytest.raises(LabelIrstError, match="--force"):  # same name and threshold, other model
        prelabel(data, other, out, threshold=0.3)
    assert {p.name: p.read_bytes() for p in (out / "annotations").iterdir()} == before
    again = prelabel(data, model, out, threshold=0.9, force=True)  # starts again: 12 frames
    assert again.frames == 12 and again.skipped_frames == 0
    for p in (out / "annotations").iterdir():
        assert json.loads(p.read_text())["threshold"] == 0.9


def test_the_command_refuses_a_resume_with_other_settings(data, tmp_path, capsys):
    args = ["prelabel", str(data), "--model", str(MODEL), "--device", "cpu", "--quiet"]
    args += ["--no-track", "--out", str(tmp_path / "o")]
    assert main([*args, "--threshold", "0.3"]) == 0
    assert main([*args, "--threshold", "0.9"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--threshold", "0.9", "--force"]) == 0


def _edgsp_copy(tmp_path: Path) -> Path:
    """A learned generator that differs from the shipped one (a higher mask threshold)."""
    meta = json.loads((MODELS / "edgsp.json").read_text())
    folder = tmp_path / "p.models"
    folder.mkdir()
    shutil.copy(MODELS / meta["graph"], folder / meta["graph"])
    meta["threshold"] = 0.9
    (folder / "learned.json").write_text(json.dumps(meta))
    return folder / "learned.json"


def _edgsp_project(tmp_path: Path, data: Path, name: str, learned: Path | None) -> Path:
    from label_irst.io.project_settings import ProjectSettings

    path = tmp_path / f"{name}.lirst"
    with ProjectStore.open(path, create=True) as store:
        store.add_sequence(data / "images" / "seq0000", "folder", 6)
        settings = ProjectSettings(store)
        settings.set_generator("edgsp")
        if learned is not None:
            settings.set_learned_generator(learned)
    return path


def _areas(path: Path) -> list[tuple]:
    with ProjectStore.open(path, readonly=True) as store:
        return sorted((t.frame, t.seed, t.mask.area) for t in store.targets(1))


def test_prelabel_project_grows_masks_with_the_projects_learned_generator(
    model, data, tmp_path, monkeypatch
):
    from label_irst.infer import edgsp

    learned = _edgsp_copy(tmp_path)
    runs = {}
    with monkeypatch.context() as env:  # the learned model as the default one: the reference
        env.setenv(edgsp.ENV, str(learned))
        reference = _edgsp_project(tmp_path, data, "reference", None)
        prelabel(reference, model, tmp_path / "o-ref")
    runs["reference"] = _areas(reference)
    shipped = _edgsp_project(tmp_path, data, "shipped", None)
    prelabel(shipped, model, tmp_path / "o-shipped")
    runs["shipped"] = _areas(shipped)
    project = _edgsp_project(tmp_path, data, "project", learned)
    prelabel(project, model, tmp_path / "o-project")
    runs["project"] = _areas(project)
    assert runs["reference"] and runs["reference"] != runs["shipped"]
    assert runs["project"] == runs["reference"]


# -- track identities through synth, import and export ----------------------------------------


def _truth(root: Path, seq: str) -> list[list[tuple[int, float, float]]]:
    record = json.loads((root / "annotations" / f"{seq}.json").read_text())
    return [[(t["id"], t["x"], t["y"]) for t in f["targets"]] for f in record["frames"]]


def _mot_rows(path: Path) -> dict[int, list[tuple[int, float, float]]]:
    from label_irst.io.formats.mot import read_gt

    out: dict[int, list] = {}
    for frame, tid, left, top, width, height in read_gt(path):
        x, y = left - 1 + (width - 1) / 2, top - 1 + (height - 1) / 2  # the box's centre pixel
        out.setdefault(frame, []).append((tid, x, y))
    return out


def _identity(truth, rows) -> dict:
    mm = pytest.importorskip("motmetrics", reason="the 'dev' extra installs py-motmetrics")
    acc = mm.MOTAccumulator(auto_id=True)
    for k, gt in enumerate(truth, 1):
        hyp = rows.get(k, [])
        a = np.array([[x, y] for _, x, y in gt], float).reshape(-1, 2)
        b = np.array([[x, y] for _, x, y in hyp], float).reshape(-1, 2)
        d = mm.distances.norm2squared_matrix(a, b, max_d2=9.0)  # matched within 3 px
        acc.update([i for i, _, _ in gt], [i for i, _, _ in hyp], d)
    metrics = ["num_switches", "num_matches", "num_objects", "idf1"]
    return mm.metrics.create().compute(acc, metrics=metrics, name="s").iloc[0].to_dict()


def test_track_identities_survive_synth_import_export_import(tmp_path, capsys):
    synth = tmp_path / "synth"
    args = ["synth", "--out", str(synth), "--sequences", "2", "--frames", "10", "--size", "96x64"]
    assert main([*args, "--seed", "3", "--quiet"]) == 0
    first = tmp_path / "first.lirst"
    assert main(["import", str(synth), "--out", str(first), "--quiet"]) == 0
    with ProjectStore.open(first, readonly=True) as store:
        targets = [t for s in store.sequences() for t in store.targets(s.id)]
    assert targets and all(t.track_id is not None for t in targets)
    exported = tmp_path / "sirstd"
    assert main(["export", str(first), "--format", "sirstd-pixel", "--out", str(exported)]) == 0
    second = tmp_path / "second.lirst"
    assert main(["import", str(exported), "--out", str(second), "--quiet"]) == 0
    capsys.readouterr()
    for project, name in ((first, "mot-first"), (second, "mot-second")):
        out = tmp_path / name
        assert main(["export", str(project), "--format", "mot", "--out", str(out)]) == 0
        assert "new ids" not in capsys.readouterr().err  # every target kept its track id
        for seq in ("seq0000", "seq0001"):
            found = _identity(_truth(synth, seq), _mot_rows(out / seq / "gt" / "gt.txt"))
            assert found["num_switches"] == 0, (name, seq, found)
            assert found["num_matches"] >= 0.9 * found["num_objects"], (name, seq, found)
            assert found["idf1"] >= 0.9, (name, seq, found)


def test_a_project_is_pre_annotated_without_an_output_folder(model, data, tmp_path):
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(data / "images" / "seq0000", "folder", 6)
    before = set(tmp_path.iterdir())
    report = prelabel(path, model, None)
    assert report.frames == 6
    with ProjectStore.open(path, readonly=True) as store:
        assert any(t.source == "model" for t in store.targets(sid))
    assert {p for p in tmp_path.iterdir() if not p.name.startswith(".")} <= before
    with pytest.raises(LabelIrstError, match="output folder"):
        prelabel(data, model, None)
