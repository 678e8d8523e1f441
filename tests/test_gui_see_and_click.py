# ruff: noqa: F811 (pytest fixtures imported from test_gui_daily_path)
"""Clicks that land and masks that let the target be seen (the real window, offscreen)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from test_gui_daily_path import stored, unrelated, window  # noqa: E402, F401
from test_gui_window import click, key, truth_pixel  # noqa: E402

from label_irst.core.enhance import COLORMAPS, colormap_lut  # noqa: E402
from label_irst.core.snap import snap_to_extremum  # noqa: E402


def hover(view, x, y):
    """A mouse move without a button over frame pixel (x, y), as the real pointer sends it."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    p = QPointF(view.scene_point(x + 0.5, y + 0.5))
    none = Qt.MouseButton.NoButton
    QTest.mouseMove(view.viewport(), p.toPoint())
    ev = QMouseEvent(QEvent.Type.MouseMove, p, view.viewport().mapToGlobal(p), none, none,
                     Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(view.viewport(), ev)


def test_a_click_inside_the_region_rectangle_seeds(window):
    x0, y0, w, h = window.viewport.region()
    inside = [truth_pixel(t) for t in window.truths[0]]
    inside = [(x, y) for x, y in inside if x0 <= x < x0 + w and y0 <= y < y0 + h]
    assert inside, "the region opens on a target"
    x, y = inside[0]
    hover(window.global_view, x, y)  # the rectangle is under the cursor
    click(window.global_view, x, y)
    target = window.annotator.selected_target()
    assert target is not None and target.mask.to_full((96, 128))[y, x]


def test_snap_moves_a_near_miss_onto_the_peak():
    frame = 100.0 + np.random.default_rng(0).normal(0, 2, (40, 40))
    frame[20, 20] = 400.0
    frame[19:22, 19:22] += 100.0
    assert snap_to_extremum(frame, 22.5, 20.5, 3) == (20, 20)  # 2 px right of the peak
    assert snap_to_extremum(frame, 22.5, 20.5, 0) == (22, 20)  # radius 0: as clicked
    flat = np.full((40, 40), 100.0)
    assert snap_to_extremum(flat, 30.5, 30.5, 3) == (30, 30)  # flat: the click itself
    assert snap_to_extremum(frame, 19.5, 19.5, 3) == (19, 19)  # on the body: kept


def test_a_click_beside_the_target_grows_the_target(window):
    raw = window.annotator.frame.raw
    t = window.truths[0][0]
    x, y = truth_pixel(t)
    r0, c0 = np.unravel_index(np.argmax(raw[y - 1 : y + 2, x - 1 : x + 2]), (3, 3))
    px, py = x - 1 + c0, y - 1 + r0
    miss = (int(px) + 3, int(py))  # 3 px beside the peak
    window.viewport.centre_on((px, py))
    window.parameters.snap.setValue(3)
    hover(window.detail_view, *miss)
    assert window.detail_view.cursor_outline.items  # the snap disc is shown
    click(window.detail_view, *miss)
    target = window.annotator.selected_target()
    assert target.mask.to_full(raw.shape)[py, px]
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    window.parameters.snap.setValue(0)
    click(window.detail_view, *miss)
    assert window.annotator.selected_target().seed == miss


def test_overlay_colours_stay_visible_on_every_colour_map():
    from label_irst.gui.display import palette

    for name in COLORMAPS:
        lut = colormap_lut(name).astype(float)
        for role in ("confirmed", "candidate", "region"):
            rgb = np.array(palette(name)[role], float)
            assert np.sqrt(((lut - rgb) ** 2).sum(1)).min() > 140, (name, role)


def test_outline_mode_covers_no_target_pixel_hide_key_and_opacity(window):
    x, y = truth_pixel(window.truths[0][0])
    window.seed_at(x, y)
    target = window.annotator.selected_target()
    window.session.set_overlay(outline=True)
    assert window.detail_view.overlay.image[..., 3].max() == 0  # nothing painted on pixels
    assert window.detail_view.outlines.items  # lines between pixels instead
    full = window.global_view.overlay.image
    assert full[..., 3][target.mask.to_full(full.shape[:2])].max() == 0  # ring outside only
    assert full[..., 3].max() > 0
    key(window, Qt.Key.Key_O)  # filled
    assert not window.session.overlay.outline and not window.enhance.outline.isChecked()
    window.enhance.opacity.setValue(0.2)
    low = window.detail_view.overlay.image[..., 3].max()
    window.enhance.opacity.setValue(1.0)
    assert window.detail_view.overlay.image[..., 3].max() > low > 0
    key(window, Qt.Key.Key_H)  # hide
    assert window.global_view.overlay.image[..., 3].max() == 0
    assert window.detail_view.overlay.image[..., 3].max() == 0
    key(window, Qt.Key.Key_H)
    assert window.global_view.overlay.image[..., 3].max() > 0
    window.enhance.colormap.setCurrentText("inferno")
    pen = window.global_view.roi.pen.color()
    assert (pen.red(), pen.green(), pen.blue()) == (0, 160, 255)
    window.parameters.snap.setValue(2)
    assert window.prefs.overlay() == (False, 1.0) and window.prefs.snap() == 2  # kept


def test_detail_view_follows_clicks_and_frames(window):
    window.viewport.region_size = 16
    x0, y0, w, h = window.viewport.region()
    click(window.detail_view, x0 + w - 1, y0 + 1)  # near the corner: a new candidate there
    target = window.annotator.selected_target()
    cx, cy = window.viewport.centre
    assert (cx, cy) == pytest.approx(target.centroid)
    key(window, Qt.Key.Key_Right)  # unrelated frame: the region goes to its likeliest target
    x0, y0, w, h = window.viewport.region()
    spots = [truth_pixel(t) for t in window.truths[1]]
    assert any(x0 <= x < x0 + w and y0 <= y < y0 + h for x, y in spots)
    window.seed_at(*spots[-1])
    window.viewport.centre_on((5.0, 5.0))
    key(window, Qt.Key.Key_Left)
    key(window, Qt.Key.Key_Right)  # back on a frame with a target: the region goes to it
    x0, y0, w, h = window.viewport.region()
    assert x0 <= spots[-1][0] < x0 + w and y0 <= spots[-1][1] < y0 + h


def test_brush_defaults_to_one_pixel_with_its_outline_under_the_cursor(window):
    x, y = truth_pixel(window.truths[0][0])
    window.seed_at(x, y)
    area = window.annotator.selected_target().mask.area
    assert window.parameters.brush.value() == 1 and window.annotator.brush_radius == 0.5
    key(window, Qt.Key.Key_E)
    hover(window.detail_view, x, y)
    (path, _, _) = window.detail_view.cursor_outline.items[-1]
    rect = path.boundingRect()
    assert (rect.width(), rect.height()) == (1.0, 1.0)  # one pixel outlined
    click(window.detail_view, x, y)
    assert window.annotator.selected_target().mask.area == area - 1


def test_global_view_zooms_with_the_wheel_and_keeps_it_across_frames(window):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    view = window.global_view
    width = view.box.viewRect().width()
    x, y = truth_pixel(window.truths[0][0])
    p = QPointF(view.scene_point(x + 0.5, y + 0.5))
    for _ in range(3):
        ev = QWheelEvent(p, view.viewport().mapToGlobal(p), QPoint(), QPoint(0, 120),
                         Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                         Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        QApplication.sendEvent(view.viewport(), ev)
    zoomed = view.box.viewRect()
    assert zoomed.width() < 0.7 * width and zoomed.contains(QPointF(x, y))
    key(window, Qt.Key.Key_Right)
    assert view.box.viewRect().width() == pytest.approx(zoomed.width())
    key(window, Qt.Key.Key_F)
    assert view.box.viewRect().width() == pytest.approx(width)
