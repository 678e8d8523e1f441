"""A scripted review of the app's demo on the real window offscreen (pytest-qt): every track
confirmed or rejected by one key, a track split and two chosen tracks merged, every edit undone
back to the start and redone, and a MOT export with one identity per true target."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.batch.demo import DEMO, demo_sequence  # noqa: E402
from label_irst.cli import main  # noqa: E402
from label_irst.io.formats.mot import read_gt  # noqa: E402

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow
    from label_irst.gui.workspace import write_demo

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    asked = []
    monkeypatch.setattr("label_irst.gui.track_dock.ask_merge",
                        lambda parent, text, mixed: asked.append((text, mixed)) or True)  # fmt: skip
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    w.open_path(write_demo())
    w.refresh_review()
    w.tracks.refresh()
    w.asked = asked
    return w


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier):
    from PySide6.QtWidgets import QApplication

    if QApplication.activeWindow() is not window:
        window.activateWindow()
        QApplication.processEvents()
    window.detail_view.setFocus()
    QTest.keyClick(window.detail_view, k, modifier)


def states(window):
    store, sid = window.workspace.store, window.workspace.sequence_id
    return {t.id: (t.status, t.track_id, t.mask.area) for t in store.targets(sid)}


#: the clip's labels are centres of loose boxes: a mask centroid lies within a few px of one
NEAR = 5


def truth_of(target, truths):
    """The index of the labelled target within NEAR px of the target's centroid, else None."""
    x, y = target.centroid
    near = [k for k, s in enumerate(truths[target.frame]) if np.hypot(s.x - x, s.y - y) <= NEAR]
    return near[0] if near else None


def test_scripted_review_of_the_demo_merge_undo_everything_and_export_mot(window, tmp_path):
    _, truths = demo_sequence(DEMO)
    start = states(window)
    assert any(s == "candidate" for s, _, _ in start.values())
    presses = edits = 0
    window.tracks.panel.select_track(window.tracks.panel.rows[0].track_id)
    while any(s == "candidate" for s, _, _ in states(window).values()):
        target = window.annotator.selected_target()
        assert target is not None and target.track_id is not None
        before = states(window)
        key(window, Qt.Key.Key_T if truth_of(target, truths) is not None else Qt.Key.Key_X)
        presses += 1
        assert presses <= 40
        if states(window) != before:  # T that stops on an unseen gap fill keeps its track
            edits += 1
            assert window.tracks.panel.selected_tracks() == []  # no choice left behind
    reviewed = states(window)
    store, sid = window.workspace.store, window.workspace.sequence_id
    confirmed = [t for t in store.targets(sid) if t.status == "confirmed"]
    assert confirmed and all(truth_of(t, truths) is not None for t in confirmed)

    # split the longest confirmed track in the middle, then merge the two halves back, chosen
    # in the track list
    rows = [r for r in window.tracks.panel.rows if r.status == "confirmed"]
    longest = max(rows, key=lambda r: r.frames)
    middle = (longest.first + longest.last) // 2 + 1
    window.show_frame(middle)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == longest.track_id]
    window.annotator.select(mine.id)
    key(window, Qt.Key.Key_K)
    new = window.annotator.selected_target().track_id
    assert new != longest.track_id
    panel = window.tracks.panel
    panel.select_track(longest.track_id)
    model = panel.table.selectionModel()
    row = [r.track_id for r in panel.rows].index(new)
    model.select(panel.table.model().index(row, 0),
                 model.SelectionFlag.Select | model.SelectionFlag.Rows)  # fmt: skip
    key(window, Qt.Key.Key_M)
    text, mixed = window.asked[-1]
    assert not mixed and f"into track {min(longest.track_id, new)}" in text
    assert states(window) == reviewed  # the halves are one track again

    # export MOT: one id per true target over all its frames, no two targets sharing one
    out = tmp_path / "mot"
    assert main(["export", str(store.path), "--format", "mot", "--out", str(out), "--quiet"]) == 0
    (gt,) = list(out.glob("*/gt/gt.txt"))
    ids: dict[int, set[int]] = {}
    for frame, tid, left, top, width, height in read_gt(gt):
        cx, cy = left - 1 + (width - 1) / 2, top - 1 + (height - 1) / 2
        near = [k for k, s in enumerate(truths[frame - 1]) if np.hypot(s.x - cx, s.y - cy) <= NEAR]
        assert len(near) == 1
        ids.setdefault(near[0], set()).add(tid)
    assert all(len(v) == 1 for v in ids.values())  # no identity switch
    assert len(set().union(*ids.values())) == len(ids)

    # every edit undone, one key each, back to the project as it opened; then redone
    steps = window.history.stack.index()
    assert steps >= edits + 2
    for _ in range(steps):
        key(window, Qt.Key.Key_Z, CTRL)
    assert states(window) == start
    key(window, Qt.Key.Key_Z, CTRL)
    assert window.statusBar().currentMessage() == "nothing to undo"
    for _ in range(steps):
        key(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert states(window) == reviewed
