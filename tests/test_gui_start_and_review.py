# ruff: noqa: F811 (pytest fixtures imported from test_gui_daily_path)
"""Start page, help, settings, review queue and export from the app (the real window)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMessageBox  # noqa: E402
from test_gui_daily_path import confirm_truths, stored, unrelated, window  # noqa: E402, F401
from test_gui_window import click, drag, key, truth_pixel  # noqa: E402

CTRL = Qt.KeyboardModifier.ControlModifier


def test_scripted_session_of_the_issue(window):
    """Ten unrelated frames add nothing; a click keeps a brush-edited target; → after the Rs box."""
    x, y = truth_pixel(window.truths[0][0])
    confirm_truths(window)
    window.viewport.centre_on((x, y))
    click(window.detail_view, x, y)
    key(window, Qt.Key.Key_B)
    drag(window.detail_view, [(x + 2, y + 2), (x + 3, y + 2)])
    key(window, Qt.Key.Key_S)
    edited = window.annotator.selected_target()
    before = {t.id: (t.mask.crop.tobytes(), t.mask.offset, t.status) for t in stored(window)}
    for _ in range(10):
        key(window, Qt.Key.Key_Right)
    assert window.annotator.frame.index == 10
    assert {t.id for t in stored(window)} == set(before)  # no new candidate
    for _ in range(10):
        key(window, Qt.Key.Key_Left)
    window.viewport.centre_on((x, y))
    click(window.detail_view, x, y)
    assert window.annotator.selected == edited.id
    after = {t.id: (t.mask.crop.tobytes(), t.mask.offset, t.status) for t in stored(window)}
    assert after == before and after[edited.id][2] == "confirmed"
    rs = window.parameters.rs
    rs.setFocus()
    rs.lineEdit().selectAll()
    QTest.keyClicks(rs.lineEdit(), "15")
    QTest.keyClick(rs.lineEdit(), Qt.Key.Key_Right)
    assert window.annotator.frame.index == 1 and rs.value() == 15.0


def test_review_queue_by_frame_and_counters_without_deleted(window):
    for frame in (2, 0):
        window.show_frame(frame)
        for t in window.truths[frame]:
            window.seed_at(*truth_pixel(t))
    window.review.order.setCurrentIndex(window.review.order.findData("frame"))
    window.refresh_review()
    frames = [int(window.review.list.item(i).text().split()[1]) for i in range(4)]
    assert frames == sorted(frames) == [1, 1, 3, 3]
    window.annotator.select(None)
    key(window, Qt.Key.Key_A)  # the head of the by-frame queue: frame 0
    assert window.annotator.frame.index == 0
    key(window, Qt.Key.Key_Delete)  # a deletion is not a review
    window.refresh_review()
    assert window.review.counters.text() == "reviewed 1 · remaining 2"


def test_model_is_remembered_per_project_and_defaults_to_the_shipped_one(window, monkeypatch,
                                                                        tmp_path):  # fmt: skip
    from label_irst.gui import prelabel

    used = []
    monkeypatch.setattr(window, "prelabel_sequence", lambda model, **k: used.append(model))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: pytest.fail("asked"))
    window.actions["prelabel"].trigger()
    assert used == [prelabel.default_model()]
    other = tmp_path / "other.json"
    other.write_text("{}")
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    worker = prelabel.start(window, other, threads=1)  # fails to load; the choice is kept
    worker.wait()
    window.actions["prelabel"].trigger()
    assert used[-1] == other.resolve()


def test_added_count_leaves_out_detections_inside_kept_targets(window):
    from label_irst.core.generators import get_generator
    from label_irst.gui import prelabel

    raw = window.annotator.frame.raw
    confirm_truths(window)
    spots = [truth_pixel(t) for t in window.truths[0]]
    results = [get_generator().fn(raw, spots[0], 20.0), get_generator().fn(raw, (5, 5), 20.0)]
    added = prelabel.save_frame(window, 0, "img_00.png", raw.shape, results)
    assert added == 1  # the detection on the confirmed target was dropped
    prelabel.finished(window, {"frames": 1, "targets": 2, "provider": "CPUExecutionProvider",
                               "cancelled": False, "added": added})  # fmt: skip
    assert "1 candidate(s) added" in window.statusBar().currentMessage()


def test_export_every_format_from_the_app_and_pickers_at_the_project(window, qtbot, monkeypatch,
                                                                     unrelated):  # fmt: skip
    from label_irst.commands.export import EXPORT_CHOICES
    from label_irst.gui.export_dialog import export_dataset

    confirm_truths(window)
    window.seed_at(5, 5)  # a candidate: left out
    for fmt in EXPORT_CHOICES:
        out = unrelated[2] / f"out-{fmt}"
        worker = export_dataset(window, out, fmt)
        with qtbot.waitSignal(worker.finished, timeout=20000):
            pass
        assert (out / "meta.json").is_file(), fmt
        assert f"exported 2 target(s) as {fmt}" in window.statusBar().currentMessage()
    starts = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, title, start="", *a: starts.append(start) or "")  # fmt: skip
    window.actions["export"].trigger()
    window.actions["convert"].trigger()
    assert starts == [str(unrelated[0].parent)] * 2  # the frames' folder, not the last model's


def test_export_pickers_open_at_a_project_kept_in_the_data_folder(window, monkeypatch,
                                                                   unrelated):  # fmt: skip
    """A project the user made (here inside LABEL_IRST_HOME, its frames elsewhere): the export
    pickers open at the project's folder, not beside the frames (only a project the app made
    for frames opened without one, in the data folder's projects/, opens beside them)."""
    from label_irst.gui import export_dialog

    folder = (unrelated[2] / "home" / "work").resolve()
    folder.mkdir(parents=True)
    window.open_path(unrelated[0], folder / "runway.lirst")
    assert window.workspace.store.path.resolve().parent == folder
    starts = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda parent, title, start="", *a: starts.append(start) or "")  # fmt: skip
    window.actions["export"].trigger()  # Export masks
    dialogs = []

    def shown(dialog):
        dialogs.append(dialog)
        dialog._browse()  # its Choose… button
        return export_dialog.QDialog.DialogCode.Rejected

    monkeypatch.setattr(export_dialog.ExportDialog, "exec", shown)
    window.actions["export_dataset"].trigger()
    assert starts == [str(folder)] * 2
    assert dialogs[0].folder.text() == str(folder / "runway-export")


def test_start_page_recent_projects_and_demo(qtbot, unrelated, monkeypatch):
    from label_irst.gui.main_window import MainWindow
    from label_irst.io.project import ProjectStore

    home = unrelated[2] / "home"
    for name in ("a", "b"):  # two projects of the same name over different folders
        folder = unrelated[2] / name / "seq0000"
        folder.mkdir(parents=True)
        with ProjectStore.open(unrelated[2] / name / "seq0000.lirst", create=True) as store:
            store.add_sequence(folder, "folder", 1)
    settings = QSettings(str(unrelated[2] / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue("recent", [str(unrelated[2] / n / "seq0000.lirst") for n in "ab"])
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    assert window.pages.currentWidget() is window.start_page
    labels = [window.start_page.recent.item(i).text() for i in range(2)]
    assert labels[0] != labels[1] and str(unrelated[2] / "a" / "seq0000") in labels[0]
    qtbot.mouseClick(window.start_page.buttons["demo"], Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.views_page
    assert window.workspace is not None and home in window.workspace.sequence.source.parents
    assert window.carries()


def test_settings_live_under_label_irst_home(unrelated):
    from label_irst.gui.settings import AppSettings

    prefs = AppSettings()
    prefs.add_recent("x.lirst")
    prefs.q.sync()
    assert prefs.q.fileName() == str(unrelated[2] / "home" / "settings.ini")
    assert (unrelated[2] / "home" / "settings.ini").is_file()


def test_help_sheet_keys_and_tooltips(window):
    from label_irst.gui.actions import KEYS

    assert window.actions["open_folder"].shortcut() == QKeySequence("Ctrl+O")
    assert window.actions["quit"].shortcut() == QKeySequence("Ctrl+Q")
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[-1] == "&Help" and "&Tracks" in menus  # Help stays the last menu
    key(window, Qt.Key.Key_F1)
    sheet = window._shortcut_sheet
    assert sheet.isVisible() and sheet.table.rowCount() >= len(KEYS)
    texts = {sheet.table.item(i, 1).text() for i in range(sheet.table.rowCount())}
    assert KEYS["delete"][1] in texts and KEYS["hide"][1] in texts
    assert "Rs" in window.parameters.rs.toolTip()
    assert "k ·" in window.parameters.scale.toolTip() or "k:" in window.parameters.scale.toolTip()
    assert "ρ" in window.review.order.toolTip() and "ρ" in window.target_label.toolTip()
    assert np.all([a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
                   for a in window.actions.values()])  # fmt: skip
