"""Reviewed frames in the project store and `label-irst adapt PROJECT` (the loop)."""

import json
import shutil
import sqlite3
from pathlib import Path

import torch

from label_irst.cli import main
from label_irst.core.pamg import pamg
from label_irst.infer.detector_model import SHIPPED_DETECTOR
from label_irst.io.images import read_image
from label_irst.io.project import SCHEMA_VERSION, ProjectStore, Target
from label_irst.io.project_reviewed import (
    project_detector,
    reviewed_frames,
    set_project_detector,
    set_reviewed,
)
from label_irst.train.adapt import AdaptConfig
from label_irst.train.project_adapt import LAST_KEY, adapt_project

torch.set_num_threads(1)
MODELS = Path(__file__).resolve().parents[1] / "models"
TINY = AdaptConfig(epochs=1, steps=2, batch=2, crop=32, threads=1, mine_frames=2)


def _project(tmp_path, reviewed=(0, 1, 2, 3)):
    data = tmp_path / "data"
    synth = ["--sequences", "1", "--frames", "6", "--size", "64x48", "--seed", "5", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0", *synth]) == 0
    folder = data / "images" / "seq0000"
    frames = json.loads((data / "annotations" / "seq0000.json").read_text())["frames"]
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(folder, "folder", 6)
        for index in range(4):
            for k, t in enumerate(frames[index]["targets"]):
                g = pamg(read_image(folder / f"{index:05d}.png"), (t["x"], t["y"]))
                status = "rejected" if index == 1 and k == 0 else "confirmed"
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
        if reviewed:
            set_reviewed(store, seq, reviewed)
    return path


def test_reviewed_frames_are_stored_and_undone_exactly(tmp_path):
    path = _project(tmp_path, reviewed=())
    with ProjectStore.open(path) as store:
        assert reviewed_frames(store) == {}
        assert set_reviewed(store, 1, [2, 1]) == [1, 2]
        assert set_reviewed(store, 1, [2, 3]) == [3]  # 2 was already reviewed
        assert reviewed_frames(store) == {1: [1, 2, 3]}
        undo = set_reviewed(store, 1, [3], reviewed=False)
        assert undo == [3] and reviewed_frames(store) == {1: [1, 2]}
        assert store.history(1)[0][2] == "unreviewed"
        assert reviewed_frames(store, 2) == {}


def _as_version_2(path):
    db = sqlite3.connect(path)
    db.execute("DROP TABLE reviewed_frames")
    db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    db.commit()
    db.close()


def test_an_older_project_migrates_on_a_writable_open_only(tmp_path):
    path = _project(tmp_path, reviewed=())
    _as_version_2(path)
    before = path.read_bytes()
    with ProjectStore.open(path, readonly=True) as store:
        assert reviewed_frames(store) == {}
    assert path.read_bytes() == before
    with ProjectStore.open(path) as store:
        assert set_reviewed(store, 1, [0]) == [0]
        version = store.meta("schema_version")
    assert version == str(SCHEMA_VERSION) == "3"


def test_adapt_writes_a_versioned_model_and_records_it_only_if_adopted(tmp_path):
    path = _project(tmp_path)
    first = adapt_project(path, cfg=AdaptConfig(**TINY.__dict__), threads=1, log=lambda m: None)
    folder = tmp_path / "p.models"
    assert Path(first["model"]) == folder / "rprnet-1.json" and (folder / "rprnet-1.pt").is_file()
    assert first["training_frames"] == 3 and first["held_back_frames"] == 1
    with ProjectStore.open(path, readonly=True) as store:
        recorded = project_detector(store)
        last = json.loads(store.meta(LAST_KEY))
    assert last["adopted"] == first["adopted"] == (first["new_pd"] > first["current_pd"])
    assert recorded == (folder / "rprnet-1.json" if first["adopted"] else None)
    second = adapt_project(path, cfg=AdaptConfig(**TINY.__dict__), threads=1, log=lambda m: None)
    assert Path(second["model"]) == folder / "rprnet-2.json"
    # the previous model stays if it was adopted (the project runs it), else it is deleted
    assert (folder / "rprnet-1.json").is_file() == first["adopted"]
    assert (folder / "rprnet-1.pt").is_file() == first["adopted"]
    assert second["current_model"] == str(recorded or SHIPPED_DETECTOR)


def test_prune_keeps_adopted_recorded_and_latest_models_and_names_never_come_back(tmp_path):
    from label_irst.train.project_adapt import _next_stem, prune_unadopted

    folder = tmp_path / "p.models"
    folder.mkdir()

    def made(n, adopted):
        record = {"training": {"held_back": {"adopted": adopted}}}
        (folder / f"rprnet-{n}.json").write_text(json.dumps(record))
        for suffix in (".encoder.onnx", ".head.onnx", ".pt"):
            (folder / f"rprnet-{n}{suffix}").write_bytes(b"x")

    made(1, True)
    made(2, False)
    made(3, False)  # the project's detector, picked by hand
    made(4, False)
    made(5, False)  # the latest
    (folder / "rprnet-6.json").write_text("{ not json")  # unreadable: kept
    made(7, False)
    removed = prune_unadopted(folder, [folder / "rprnet-3.json"])
    assert sorted(p.name for p in removed) == ["rprnet-2.json", "rprnet-4.json", "rprnet-5.json"]
    left = sorted(p.name for p in folder.iterdir())
    assert [n for n in left if n.endswith(".json")] == [
        "rprnet-1.json", "rprnet-3.json", "rprnet-6.json", "rprnet-7.json",
    ]  # fmt: skip
    assert not any(n.startswith(("rprnet-2.", "rprnet-4.", "rprnet-5.")) for n in left)
    assert _next_stem(folder) == "rprnet-8"


def test_adapt_refuses_bad_input_in_one_line_and_changes_nothing(tmp_path, capsys):
    path = _project(tmp_path, reviewed=())
    before = path.read_bytes()
    assert main(["adapt", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no reviewed frames" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    with ProjectStore.open(path) as store:
        set_reviewed(store, 1, [0, 1, 2])
        set_project_detector(store, tmp_path / "gone" / "rprnet.json")
    before = path.read_bytes()
    assert main(["adapt", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "is missing" in err and len(err.strip().splitlines()) == 1
    other = tmp_path / "other"
    other.mkdir()
    for name in ("edgsp.json", "edgsp.onnx", "edgsp.pt"):
        shutil.copy(MODELS / name, other / name)
    with ProjectStore.open(path) as store:
        set_project_detector(store, other / "edgsp.json")
    before = path.read_bytes()
    assert main(["adapt", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not an RPR-Net metadata record" in err and len(err.strip().splitlines()) == 1
    assert path.read_bytes() == before
    assert not (tmp_path / "p.models").exists()


def test_adapt_no_record_reads_the_project_only(tmp_path, capsys):
    path = _project(tmp_path)
    capsys.readouterr()  # synth's report
    before = path.read_bytes()
    tiny = ["--epochs", "1", "--steps", "2", "--batch", "2", "--crop", "32", "--mine-frames", "2"]
    assert (
        main(["adapt", str(path), "--no-record", "--json", "--quiet", "--threads", "1", *tiny]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["reviewed_frames"] == 4 and summary["steps"] == 2
    assert Path(summary["model"]).is_file()  # the model is written, the project is not
    assert path.read_bytes() == before
    assert main(["adapt", str(path), "--steps", "0", "--quiet"]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().err
    assert main(["adapt", str(path), "--false-per-frame-cap", "-1", "--quiet"]) == 2
    assert "--false-per-frame-cap must be 0 or more" in capsys.readouterr().err
    # no shift asked for: none made, and the summary says so
    args = ["adapt", str(path), "--no-record", "--json", "--quiet", "--threads", "1", *tiny]
    assert main([*args, "--false-per-frame-cap", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["score_shift"] == 0.0


def test_held_back_frames_without_a_target_give_no_figure_and_a_readable_record(tmp_path):
    path = _project(tmp_path, reviewed=(0, 1, 2, 3, 4, 5))  # frames 4 and 5 hold no target
    summary = adapt_project(path, cfg=AdaptConfig(**TINY.__dict__), threads=1, log=lambda m: None)
    assert summary["held_back_frames"] == 2 and not summary["adopted"]
    record = json.loads(Path(summary["model"]).read_text())  # no NaN: JSON reads it back
    assert record["training"]["held_back"]["pd_current"] is None


def test_adaptation_notes_say_the_shift_and_a_budget_spent_before_training():
    from label_irst.io.project_reviewed import adaptation_notes

    assert adaptation_notes({"adopted": True, "score_shift": 0.446, "steps": 450}) == [
        "scores shifted +0.45 to the held-back false-detection rate"
    ]
    assert adaptation_notes({"adopted": False, "score_shift": 0.0, "steps": 450}) == []
    notes = adaptation_notes({"adopted": False, "steps": 0, "stopped_by_budget": True})
    assert len(notes) == 1 and "budget ran out before the first training step" in notes[0]
    kept = {"adopted": True, "score_shift": 0.0, "int8": {"kept": True}}
    assert adaptation_notes(kept) == ["int8 copy for the CPU kept"]
    short = adaptation_notes({**kept, "int8": {"kept": False}})
    assert short == ["its int8 copy fell short on the held-back frames: the float model runs"]
    failed = adaptation_notes({**kept, "int8": {"kept": False, "error": "ValueError: x"}})
    assert failed == ["no int8 copy could be made: the float model runs"]


def test_a_budget_spent_before_the_first_step_is_said(tmp_path, capsys):
    path = _project(tmp_path)
    capsys.readouterr()
    before = path.read_bytes()
    tiny = ["--epochs", "1", "--steps", "2", "--batch", "2", "--crop", "32", "--mine-frames", "2"]
    args = ["adapt", str(path), "--quiet", "--no-record", "--threads", "1", "--minutes", "0.001"]
    assert main([*args, *tiny]) == 0
    out = capsys.readouterr().out
    assert "not adopted" in out and "budget ran out before the first training step" in out
    assert path.read_bytes() == before
