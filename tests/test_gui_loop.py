"""The loop in the real window: frames marked reviewed (V) start a background adaptation of the
detector (a child process, tiny here), then the unreviewed frames are pre-annotated again as
one undo step; confirmed and rejected targets and reviewed frames are never touched, and Cancel
leaves the project as it was."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("torch", reason="the loop's adaptation runs label-irst adapt (train extra)")
from PySide6.QtCore import QProcess, QSettings  # noqa: E402

from label_irst.cli import main  # noqa: E402
from label_irst.core.pamg import pamg  # noqa: E402
from label_irst.gui import loop  # noqa: E402
from label_irst.io.images import read_image  # noqa: E402
from label_irst.io.project import ProjectStore, Target  # noqa: E402
from label_irst.io.project_reviewed import reviewed_frames  # noqa: E402

FRAMES = 10
TINY = ["--epochs", "1", "--steps", "2", "--batch", "2", "--crop", "32", "--mine-frames", "2"]
LONG = 300_000  # ms a background step may take on a loaded machine (a bound, not a measure)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "1", "--frames", str(FRAMES)]
    assert main([*args, "--size", "96x64", "--seed", "4", "--quiet", "--test-fraction", "0"]) == 0
    return root


def _project(data, path: Path) -> None:
    """Frames 0-4 hold their true targets confirmed (frame 1's first one rejected); frame 6 a
    rejected target and frame 8 a confirmed one (unreviewed frames); frame 7 a stale model
    candidate away from every target."""
    folder = data / "images" / "seq0000"
    truth = json.loads((data / "annotations" / "seq0000.json").read_text())["frames"]
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", FRAMES)

        def put(index, x, y, **kw):
            g = pamg(read_image(folder / f"{index:05d}.png"), (x, y))
            kw = {"rho": 0.0, **kw}
            target = Target(sequence_id=sid, frame=index, mask=g.mask, seed=g.seed,
                            generator="pamg", **kw)  # fmt: skip
            store.save_target(target, f"{index:05d}.png", (64, 96))

        for index in range(5):
            for k, t in enumerate(truth[index]["targets"]):
                status = "rejected" if (index, k) == (1, 0) else "confirmed"
                put(index, t["x"], t["y"], source="pamg", status=status, track_id=k + 1)
        first = truth[6]["targets"][0]
        put(6, first["x"], first["y"], source="pamg", status="rejected")
        first = truth[8]["targets"][0]
        put(8, first["x"], first["y"], source="pamg", status="confirmed")
        put(7, 5, 5, source="model", status="candidate")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, data):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(loop, "EXTRA_ARGS", TINY)
    monkeypatch.setattr(loop, "THREADS", 1)
    path = tmp_path / "p.lirst"
    _project(data, path)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.open_path(path)
    win.prefs.set_loop_every(5)
    win.loop.reannotate_kept = True  # re-annotate whether or not the tiny model is adopted
    yield win
    win.loop.stop()
    win.conventions.wait()


def _rows(win) -> dict[int, tuple]:
    """Every target of the project: id -> (frame, status, source, track, mask offset, mask)."""
    ws = win.workspace
    return {
        t.id: (t.frame, t.status, t.source, t.track_id, t.mask.offset, t.mask.crop.tobytes())
        for t in ws.store.targets(ws.sequence_id)
    }


def _state(win):
    store = win.workspace.store
    keys = ("detector/model", "detector/last_adaptation")
    return _rows(win), reviewed_frames(store), {k: store.meta(k) for k in keys}


def _mark_reviewed(win, frames) -> None:
    """V on each frame, as the annotator does."""
    for index in frames:
        win.show_frame(index)
        assert not win.actions["mark_reviewed"].isChecked()
        win.actions["mark_reviewed"].trigger()
        assert win.actions["mark_reviewed"].isChecked()


def test_reviewing_k_frames_runs_the_loop_and_undo_removes_its_reannotation(window, qtbot):
    before = _rows(window)
    kept = {tid: row for tid, row in before.items() if row[1] != "candidate" or row[0] < 5}
    stale = next(tid for tid, row in before.items() if row[0] == 7)
    with qtbot.waitSignal(window.loop.finished, timeout=LONG) as ended:
        _mark_reviewed(window, range(4))
        assert not window.loop.busy  # 4 newly reviewed frames: not yet
        _mark_reviewed(window, [4])
        assert window.loop.busy and window.loop.panel.isVisible()  # the fifth starts it
    assert ended.args == ["applied"]
    assert reviewed_frames(window.workspace.store) == {1: [0, 1, 2, 3, 4]}
    after = _rows(window)
    for tid, row in kept.items():  # confirmed, rejected, and everything on reviewed frames
        assert after[tid] == row
    assert stale not in after  # an unreviewed candidate of an unreviewed frame is replaced
    new = {tid: row for tid, row in after.items() if tid not in before}
    assert new and all(row[1:3] == ("candidate", "model") for row in new.values())
    assert all(row[0] >= 5 for row in new.values())  # nothing added to a reviewed frame
    message = window.statusBar().currentMessage()
    assert message.startswith("detector: ") and "frames re-annotated" in message
    assert "held-back Pd" in message
    summary = window.loop.summary
    detector = window.workspace.store.meta("detector/model")
    assert (detector is not None) == bool(summary["adopted"])
    last = json.loads(window.workspace.store.meta("detector/last_adaptation"))
    assert last["reviewed_frames"] == 5 and window.loop.pending() == 0
    # the re-annotation is one undo step, after the five marks
    window.actions["undo"].trigger()
    assert _rows(window) == before
    assert reviewed_frames(window.workspace.store) == {1: [0, 1, 2, 3, 4]}
    window.actions["redo"].trigger()
    assert _rows(window) == after
    window.actions["undo"].trigger()
    window.actions["undo"].trigger()  # then the fifth mark
    assert reviewed_frames(window.workspace.store) == {1: [0, 1, 2, 3]}


def test_cancel_while_adapting_leaves_the_project_as_it_was(window, qtbot):
    window.prefs.set_loop_every(0)  # only when asked
    _mark_reviewed(window, range(5))
    assert not window.loop.busy
    before = _state(window)
    with qtbot.waitSignal(window.loop.finished, timeout=LONG) as ended:
        window.actions["loop_now"].trigger()
        assert window.loop.process is not None
        window.loop.panel.cancel.click()
    assert ended.args == ["cancelled"]
    assert _state(window) == before
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.loop.panel.isVisible()


def test_cancel_while_reannotating_leaves_the_project_as_it_was(window, qtbot, monkeypatch):
    window.prefs.set_loop_every(0)
    _mark_reviewed(window, range(5))
    before = _state(window)
    reannotate = loop.LoopController._reannotate
    stopped = []

    def reannotate_then_cancel(self):
        reannotate(self)
        stopped.append(self.worker is not None and self.worker.isRunning())
        self.cancel()

    monkeypatch.setattr(loop.LoopController, "_reannotate", reannotate_then_cancel)
    with qtbot.waitSignal(window.loop.finished, timeout=LONG) as ended:
        assert window.loop.start()
    assert stopped == [True]  # cancelled while the worker ran
    assert ended.args == ["cancelled"]
    assert _state(window) == before


def test_pause_holds_the_adaptation_outside_its_budget_and_resume_lets_it_finish(window, qtbot):
    window.prefs.set_loop_every(0)
    _mark_reviewed(window, range(5))
    with qtbot.waitSignal(window.loop.finished, timeout=LONG) as ended:
        window.loop.start()
        window.loop.panel.pause.click()  # the child is still importing torch: not done yet
        assert window.loop.panel.pause.text() == "Resume"
        assert window.loop.pause_file.exists()
        # the child stops at its first optimiser step and says so
        qtbot.waitUntil(lambda: window.loop.panel.label.text() == "detector: paused", timeout=LONG)
        qtbot.wait(1500)
        assert window.loop.process.state() == QProcess.ProcessState.Running
        assert window.loop.summary is None
        window.loop.panel.pause.click()
        assert not window.loop.pause_file.exists()
    assert ended.args == ["applied"]
    assert window.loop.summary["paused_seconds"] >= 1.0
    assert window.loop.summary["seconds"] > 0
    assert window.loop.pause_file is None  # its folder is removed when the loop ends


def test_marking_shows_in_the_timeline_status_bar_and_queue_and_undoes(window, qtbot):
    _mark_reviewed(window, [2])
    assert window.session.marks[2] == "reviewed"
    assert window.session.marks[3] != "reviewed"
    assert "frame reviewed" in window.reviewed.label.text()
    assert "1/10 reviewed" in window.reviewed.label.text()
    assert "frames reviewed 1/10" in window.review.counters.text()
    window.show_frame(3)
    assert "frame reviewed" not in window.reviewed.label.text()
    window.actions["undo"].trigger()
    assert reviewed_frames(window.workspace.store) == {}
    assert window.session.marks[2] != "reviewed"
    window.actions["redo"].trigger()
    assert reviewed_frames(window.workspace.store) == {1: [2]}


def test_a_frame_whose_last_candidate_is_resolved_is_marked_on_stepping_on(window, qtbot):
    store, sid = window.workspace.store, window.workspace.sequence_id
    window.show_frame(7)  # its one candidate (the stale model candidate)
    window.actions["next"].trigger()
    assert reviewed_frames(store) == {}  # a candidate is left: not marked
    window.show_frame(7)
    window.review_step(False)  # reject it: the frame's last candidate
    window.show_frame(8)
    assert reviewed_frames(store) == {}  # the setting is off by default
    window.actions["auto_reviewed"].trigger()
    assert window.prefs.auto_reviewed()
    store.set_status([t.id for t in store.targets(sid, frame=7)], "candidate")  # again
    window.show_frame(7)
    window.review_step(False)
    window.show_frame(8)
    assert reviewed_frames(store) == {sid: [7]}
    window.actions["undo"].trigger()
    assert reviewed_frames(store) == {}
    assert np.all([t.status == "rejected" for t in store.targets(sid, frame=7)])


def test_a_model_not_adopted_reannotates_nothing(window, qtbot, tmp_path, monkeypatch):
    """The default path: when adapt keeps the current model, the loop records the outcome,
    says so, and leaves every target as it was (no re-annotation, no undo step)."""
    import sys

    summary = {"adopted": False, "model": None, "current_pd": 60.0, "new_pd": 55.0,
               "training_frames": 4, "held_back_frames": 1}  # fmt: skip
    fake = tmp_path / "adapt-keeps"
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(summary)}'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))  # the child: `adapt` keeping the model
    window.loop.reannotate_kept = False
    before = _rows(window)
    with qtbot.waitSignal(window.loop.finished, timeout=LONG) as ended:
        _mark_reviewed(window, range(5))
    assert ended.args == ["kept"]
    assert _rows(window) == before
    message = window.statusBar().currentMessage()
    assert message.startswith("detector: kept") and "nothing re-annotated" in message
    assert window.workspace.store.meta("detector/model") is None
    last = json.loads(window.workspace.store.meta("detector/last_adaptation"))
    assert last["reviewed_frames"] == 5
