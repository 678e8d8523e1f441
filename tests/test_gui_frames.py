"""Frame keys, the go-to box and the timeline, on the real window offscreen (pytest-qt)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.core.geometry import CroppedMask  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.gui.carry import numbered  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import ProjectStore, Target  # noqa: E402

FRAMES, SHAPE = 12, (96, 128)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """12 numbered frames; candidates on frames 3 and 8, a confirmed target on frame 5."""
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, _, masks = synthetic_sequence(frames=FRAMES, shape=SHAPE, count=1, seed=2)
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"seq_{i:03d}.png", f)
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", FRAMES)
        for i, status in ((3, "candidate"), (5, "confirmed"), (8, "candidate")):
            mask = CroppedMask.from_full(masks[i][0])
            cx, cy = mask.centroid()
            t = Target(
                sequence_id=sid,
                frame=i,
                mask=mask,
                seed=(int(cx), int(cy)),
                source="pamg",
                status=status,
                rho=0.0,
            )
            store.save_target(t, f"seq_{i:03d}.png", SHAPE)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    w.open_path(path)
    return w


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier):
    from PySide6.QtWidgets import QApplication

    if QApplication.activeWindow() is not window:
        window.activateWindow()
        QApplication.processEvents()
    if QApplication.focusWidget() is None:
        window.detail_view.setFocus()
    QTest.keyClick(QApplication.focusWidget() or window, k, modifier)


def test_a_numbered_frame_folder_opens_as_a_sequence(window):
    assert window.carries()  # seq_000.png ... seq_011.png: a video's frames
    assert numbered([f"f_{i:04d}.tif" for i in range(5)])
    assert not numbered([f"Misc_{i}.png" for i in range(1, 12)])  # unrelated pictures
    assert not numbered(["a_01.png", "b_02.png"]) and not numbered(["f_01.png", "f_03.png"])


def test_home_end_and_the_go_to_box(window):
    window.detail_view.setFocus()
    key(window, Qt.Key.Key_End)
    assert window.annotator.frame.index == FRAMES - 1
    key(window, Qt.Key.Key_Home)
    assert window.annotator.frame.index == 0
    key(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    box = window.navigation.go_to
    assert box.hasFocus()
    QTest.keyClicks(box, "7")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert window.annotator.frame.index == 6  # frames are numbered from 1 on screen
    key(window, Qt.Key.Key_Escape)
    assert window.detail_view.hasFocus()
    key(window, Qt.Key.Key_Home)
    assert window.annotator.frame.index == 0


def test_next_and_previous_frame_with_candidates_and_the_timeline(window):
    window.refresh_review()
    marks = window.session.marks
    assert marks[3] == marks[8] == "candidates" and marks[5] == "confirmed"
    assert marks.count("empty") == FRAMES - 3
    assert window.navigation.timeline.marks == list(marks)
    window.detail_view.setFocus()
    key(window, Qt.Key.Key_N)
    assert window.annotator.frame.index == 3
    key(window, Qt.Key.Key_N)
    assert window.annotator.frame.index == 8
    key(window, Qt.Key.Key_N)
    assert window.annotator.frame.index == 8 and "no frame" in window.statusBar().currentMessage()
    key(window, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert window.annotator.frame.index == 3
    # confirming frame 3's candidate turns its mark green
    window.annotator.select(next(iter(window.annotator.targets)))
    key(window, Qt.Key.Key_Space)
    window.refresh_review()
    assert window.session.marks[3] == "confirmed"
    timeline = window.navigation.timeline
    x = int((10 + 0.5) * timeline.width() / FRAMES)
    QTest.mouseClick(timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, timeline.height() // 2))  # fmt: skip
    assert window.annotator.frame.index == 10
    assert np.isfinite(timeline.current) and timeline.current == 10
