"""Small things of the window seen in use, on the real window offscreen (pytest-qt)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.core.synthetic import synthetic_frame  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))

    def make(path=None):
        w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        qtbot.waitExposed(w)
        if path is not None:
            w.open_path(path)
        return w

    return make


@pytest.fixture
def pictures(tmp_path):
    """A plain folder of 3 unrelated pictures with 2 targets each."""
    folder, truths = tmp_path / "pictures", []
    for i in range(3):
        frame, _, spots, _ = synthetic_frame((96, 128), count=2, seed=40 + i, dtype=np.uint16)
        write_image(folder / f"shot_{'abc'[i]}.png", frame)
        truths.append(spots)
    return folder, truths


def test_a_plain_folder_lists_no_one_frame_tracks(make_window, pictures):
    folder, truths = pictures
    window = make_window(folder)
    assert not window.carries()
    for frame in range(3):
        window.show_frame(frame)
        for spot in truths[frame]:
            window.seed_at(int(round(spot.x)), int(round(spot.y)))
            window.edits.confirm()
    store, sid = window.workspace.store, window.workspace.sequence_id
    assert len(store.targets(sid, status="confirmed")) == 6
    window.tracks.refresh()
    assert window.tracks.panel.rows == [] and window.tracks.panel.table.rowCount() == 0
    assert "unrelated pictures" in window.tracks.panel.summary.text()
    window.actions["carry"].setChecked(True)  # the user says the frames form a sequence
    window.tracks.refresh()
    assert len(window.tracks.panel.rows) == 6


def test_the_title_names_the_project_and_the_demo_is_the_demo(make_window, pictures, tmp_path):
    window = make_window(pictures[0])
    assert window.windowTitle() == "Label-IRST — pictures"  # the app's own project: the folder
    from label_irst.gui.workspace import write_demo

    window.open_path(write_demo())
    assert window.windowTitle() == "Label-IRST — demo"


def test_a_long_learning_message_leaves_the_selected_targets_score_in_view(make_window, pictures):
    from label_irst.gui.learn import _show

    window = make_window(pictures[0])
    target = window.annotator.seed(*map(int, map(round, (pictures[1][0][0].x,
                                                          pictures[1][0][0].y))))  # fmt: skip
    window.workspace.store.save_target(target.copy(score=0.87))
    window.annotator.reload()
    window.annotator.select(target.id)
    window.refresh_masks()
    long = "learning: kept pamg+ (new 61.2 vs pamg+ 63.4 mean IoU on 12 held-back targets) " * 3
    _show(window.learning.label, long)
    QTest.qWait(0)
    window.statusBar().layout().activate()
    label = window.target_label
    assert "score 0.87" in label.text()
    assert label.width() >= label.fontMetrics().horizontalAdvance(label.text())
    assert window.learning.label.toolTip() == long


def test_the_key_sheet_shows_whole_rows_and_the_k_box_explains_itself(make_window):
    window = make_window()
    window.actions["shortcuts"].trigger()
    sheet = window._shortcut_sheet
    QTest.qWait(0)
    table = sheet.table
    assert table.horizontalScrollBar().maximum() == 0  # nothing cut on the right
    assert table.columnWidth(0) >= table.sizeHintForColumn(0)
    sheet.close()
    labels = [w for w in window.parameters.findChildren(type(window.target_label))
              if w.text() == "k"]  # fmt: skip
    assert labels and "Rs = k" in labels[0].toolTip()
