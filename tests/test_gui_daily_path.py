"""The annotator's daily path, driven through the real window (pytest-qt, offscreen): nothing
changes a target silently, one undo history, keys that keep working, clicks that land."""

import json

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from test_gui_window import SHIFT, click, drag, key, truth_pixel  # noqa: E402

from label_irst.core.synthetic import synthetic_frame  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def unrelated(tmp_path, monkeypatch):
    """A folder of 11 unrelated frames (a new background and new targets each), named as
    pictures are, not as a video's numbered frames (those open as a sequence)."""
    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    folder, truths = tmp_path / "frames", []
    for i in range(11):
        frame, _, spots, _ = synthetic_frame((96, 128), count=2, seed=100 + i, dtype=np.uint16)
        write_image(folder / f"img_{i:02d}_ir.png", frame)
        truths.append(spots)
    return folder, truths, tmp_path


@pytest.fixture
def window(qtbot, unrelated):
    from label_irst.gui.main_window import MainWindow

    settings = QSettings(str(unrelated[2] / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    w.open_path(unrelated[0])
    w.truths = unrelated[1]
    return w


def stored(window):
    return window.workspace.store.targets(window.workspace.sequence_id)


def confirm_truths(window, frame=0):
    for t in window.truths[frame]:
        window.seed_at(*truth_pixel(t))
        key(window, Qt.Key.Key_Space)
    return [t for t in stored(window) if t.status == "confirmed"]


def test_stepping_through_unrelated_frames_adds_no_candidate(window):
    confirmed = confirm_truths(window)
    assert len(confirmed) == 2 and not window.carries()  # a folder is not a sequence by default
    for frame in range(1, 11):
        key(window, Qt.Key.Key_Right)
        assert window.annotator.frame.index == frame
    assert [t.id for t in stored(window)] == [t.id for t in confirmed]


def test_a_marked_sequence_keeps_only_consistent_carried_candidates(window):
    confirm_truths(window)
    window.actions["carry"].setChecked(True)  # the user's switch, kept in the project
    assert window.carries()
    assert window.workspace.store.meta(f"sequence:{window.workspace.sequence_id}") == "1"
    for _ in range(10):
        key(window, Qt.Key.Key_Right)
    assert window.annotator.frame.index == 10
    assert [t for t in stored(window) if t.status == "candidate"] == []  # nothing consistent


def test_selecting_a_brush_edited_confirmed_target_never_changes_it(window, monkeypatch):
    x, y = truth_pixel(window.truths[0][0])
    click(window.global_view, x, y)
    key(window, Qt.Key.Key_Space)
    key(window, Qt.Key.Key_B)
    drag(window.detail_view, [(x + 3, y), (x + 4, y)])
    key(window, Qt.Key.Key_S)
    edited = window.annotator.selected_target()
    assert edited.status == "confirmed" and window.annotator.has_manual_edits(edited)
    snapshot = (edited.mask.offset, edited.mask.crop.tobytes(), edited.status)

    def same():
        t = window.workspace.store.targets(window.workspace.sequence_id, frame=0)
        t = next(u for u in t if u.id == edited.id)
        return (t.mask.offset, t.mask.crop.tobytes(), t.status) == snapshot

    window.annotator.select(None)
    click(window.detail_view, x, y)  # a plain click selects
    assert window.annotator.selected == edited.id and same()
    click(window.global_view, x + 1, y)
    assert window.annotator.selected == edited.id and same()
    window.parameters.rs.setValue(5.0)  # a new Rs leaves a reviewed, edited target alone
    assert same()
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No)  # fmt: skip
    click(window.detail_view, x, y, modifier=SHIFT)  # re-seed asks first; No keeps the edits
    assert len(asked) == 1 and same()
    key(window, Qt.Key.Key_S, SHIFT)
    assert len(asked) == 2 and same()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    click(window.detail_view, x, y, modifier=SHIFT)
    # a re-seeded confirmed target stays confirmed: re-seeding corrects its mask, not its review
    assert not same() and window.annotator.selected_target().status == "confirmed"
    key(window, Qt.Key.Key_Z, CTRL)  # the re-seed is undone by Ctrl+Z
    assert same()


def test_one_undo_history_for_seed_confirm_delete_reject(window):
    x, y = truth_pixel(window.truths[0][0])
    click(window.global_view, x, y)
    tid = window.annotator.selected
    key(window, Qt.Key.Key_Space)
    key(window, Qt.Key.Key_Delete)  # delete: gone from the project
    assert stored(window) == [] and window.annotator.visible() == []
    key(window, Qt.Key.Key_Z, CTRL)  # back, same id, confirmed
    assert [(t.id, t.status) for t in stored(window)] == [(tid, "confirmed")]
    assert window.annotator.selected == tid
    key(window, Qt.Key.Key_Z, CTRL)  # the confirm undone
    assert [(t.id, t.status) for t in stored(window)] == [(tid, "candidate")]
    key(window, Qt.Key.Key_Z, CTRL)  # the seed undone
    assert stored(window) == []
    for _ in range(3):
        key(window, Qt.Key.Key_Y, CTRL)
    assert stored(window) == []  # redone up to the delete
    key(window, Qt.Key.Key_Z, CTRL)
    # rejected targets: hidden, shown on request, restored
    key(window, Qt.Key.Key_Delete, CTRL)
    assert [t.status for t in stored(window)] == ["rejected"]
    assert window.annotator.visible() == []
    key(window, Qt.Key.Key_H, SHIFT)
    assert [t.id for t in window.annotator.visible()] == [tid]
    click(window.detail_view, x, y)
    key(window, Qt.Key.Key_R, SHIFT)
    assert [t.status for t in stored(window)] == ["candidate"]
    key(window, Qt.Key.Key_Z, CTRL)
    assert [t.status for t in stored(window)] == ["rejected"]


def test_undo_reaches_an_edit_of_another_frame(window):
    x, y = truth_pixel(window.truths[0][0])
    click(window.global_view, x, y)
    key(window, Qt.Key.Key_Right)
    key(window, Qt.Key.Key_Z, CTRL)  # the seed on frame 0: the window goes back there
    assert window.annotator.frame.index == 0 and stored(window) == []


def test_export_command_defaults_to_confirmed_targets(tmp_path, capsys):
    from label_irst.cli import main
    from label_irst.core.geometry import CroppedMask
    from label_irst.io.images import read_mask
    from label_irst.io.project import ProjectStore, Target

    frame, _, _, _ = synthetic_frame((40, 48), count=0, seed=1, dtype=np.uint16)
    write_image(tmp_path / "frames" / "a.png", frame)
    project = tmp_path / "p.lirst"
    with ProjectStore.open(project, create=True) as store:
        seq = store.add_sequence(tmp_path / "frames", "folder", 1)
        for status, at in (("confirmed", (5, 5)), ("candidate", (20, 20))):
            mask = CroppedMask(np.ones((3, 3), bool), at)
            t = Target(
                sequence_id=seq,
                frame=0,
                mask=mask,
                seed=(at[1] + 1, at[0] + 1),
                status=status,
                source="pamg",
                rho=0.0,
            )
            store.save_target(t, "a.png", (40, 48))

    def export(*extra):
        out = tmp_path / f"out{len(extra)}{extra[:1]}"
        args = ["export", str(project), "--format", "sirstd-pixel", "--out", str(out)]
        assert main([*args, "--quiet", "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)["targets"], read_mask(
            next((out / "masks").rglob("a.png"))
        )

    count, mask = export()
    assert count == 1 and mask.sum() == 9 and mask[6, 6] and not mask[21, 21]
    count, mask = export("--include-candidates")
    assert count == 2 and mask.sum() == 18
    assert export("--only-confirmed")[0] == 1  # the old flag still works (the default)


def test_keys_work_after_touching_the_panels(window, qtbot):
    window.seed_at(*truth_pixel(window.truths[0][0]))
    rs = window.parameters.rs
    qtbot.mouseClick(rs, Qt.MouseButton.LeftButton)
    rs.setFocus()
    rs.lineEdit().selectAll()
    QTest.keyClicks(rs.lineEdit(), "12")
    QTest.keyClick(rs.lineEdit(), Qt.Key.Key_Right)  # next frame, not the text cursor
    assert window.annotator.frame.index == 1
    assert rs.value() == 12.0  # the typed value was committed first
    rs.setFocus()
    QTest.keyClick(rs.lineEdit(), Qt.Key.Key_Left)
    assert window.annotator.frame.index == 0
    window.annotator.select(window.annotator.visible()[0].id)
    rs.setFocus()
    QTest.keyClick(rs.lineEdit(), Qt.Key.Key_Space)  # confirms
    assert window.annotator.selected_target().status == "confirmed"
    combo = window.parameters.generator
    combo.setFocus()
    grid = window.detail_view.show_grid
    QTest.keyClick(combo, Qt.Key.Key_G)
    assert window.detail_view.show_grid != grid
    tabs = window.parameters.parentWidget().parentWidget()
    tabs.tabBar().setFocus()
    QTest.keyClick(tabs.tabBar(), Qt.Key.Key_Right)
    assert window.annotator.frame.index == 1
    rs.setFocus()
    QTest.keyClick(rs.lineEdit(), Qt.Key.Key_Escape)
    assert window.focusWidget() is window.detail_view
