"""Box and polygon tools for a large target, on the real window offscreen (pytest-qt)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.core.metrics import iou  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402

SHAPE, CENTRE, RADIUS = (96, 128), (60, 44), 7


def _blob():
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    return (xx - CENTRE[0]) ** 2 + (yy - CENTRE[1]) ** 2 <= RADIUS**2


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(1)
    frame = (1000 + rng.normal(0, 10, SHAPE) + 800 * _blob()).astype(np.uint16)
    write_image(tmp_path / "frames" / "large.png", frame)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    w.open_path(tmp_path / "frames")
    w.viewport.region_size = 48
    w.viewport.centre_on(CENTRE)
    return w


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier):
    window.detail_view.setFocus()
    QTest.keyClick(window.detail_view, k, modifier)


def click(view, x, y):
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.scene_point(x + 0.5, y + 0.5))  # fmt: skip


def drag(view, points):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    widgets = [view.scene_point(x + 0.5, y + 0.5) for x, y in points]
    QTest.mousePress(view.viewport(), left, Qt.KeyboardModifier.NoModifier, widgets[0])
    for p in widgets[1:] + [widgets[-1]]:
        ev = QMouseEvent(QEvent.Type.MouseMove, QPointF(p), view.viewport().mapToGlobal(QPointF(p)),
                         none, left, Qt.KeyboardModifier.NoModifier)  # fmt: skip
        QApplication.sendEvent(view.viewport(), ev)
    QTest.mouseRelease(view.viewport(), left, Qt.KeyboardModifier.NoModifier, widgets[-1])


def stored(window):
    return window.workspace.store.targets(window.workspace.sequence_id)


def test_box_tool_drags_a_box_into_a_mask_and_undo_removes_it(window):
    key(window, Qt.Key.Key_D)
    assert window.session.tool == "box" and window.detail_view.box.paint_drags
    x, y = CENTRE
    drag(window.detail_view, [(x - RADIUS - 1, y - RADIUS - 1), (x, y),
                              (x + RADIUS + 1, y + RADIUS + 1)])  # fmt: skip
    (target,) = stored(window)
    assert target.source == "box" and target.status == "candidate"
    assert target.box == (x - RADIUS - 1, y - RADIUS - 1, x + RADIUS + 2, y + RADIUS + 2)
    assert iou(target.mask.to_full(SHAPE), _blob()) > 0.7
    assert window.annotator.selected_target().id == target.id
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(window) == []


def test_polygon_tool_closes_on_the_first_vertex(window):
    key(window, Qt.Key.Key_L)
    assert window.session.tool == "polygon"
    x, y, r = CENTRE[0], CENTRE[1], RADIUS
    for vx, vy in ((x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)):
        click(window.detail_view, vx, vy)
    assert stored(window) == [] and len(window.shapes.vertices) == 4
    click(window.detail_view, x - r, y - r)  # the first vertex again: closed
    (target,) = stored(window)
    assert target.source == "manual" and target.mask.area == (2 * r + 1) ** 2
    assert window.shapes.vertices == []
    key(window, Qt.Key.Key_Space)
    assert stored(window)[0].status == "confirmed"
    # L with three vertices closes a triangle too
    for vx, vy in ((5, 5), (15, 5), (5, 15)):
        window.viewport.centre_on((10, 10))
        click(window.detail_view, vx, vy)
    key(window, Qt.Key.Key_L)
    assert len(stored(window)) == 2 and stored(window)[1].mask.area > 40
