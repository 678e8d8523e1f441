"""The real main window, offscreen, driven with mouse and key events (pytest-qt)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.core.metrics import iou  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.errors import LabelIrstError  # noqa: E402
from label_irst.io.images import read_mask, write_image  # noqa: E402
from label_irst.io.project import ProjectStore  # noqa: E402


@pytest.fixture
def scene(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, masks = synthetic_sequence(frames=4, shape=(96, 128), count=2, seed=3,
                                               dtype=np.uint16, speed=2.0)  # fmt: skip
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"f_{i}.png", f)
    return folder, truths, masks, tmp_path


@pytest.fixture
def make_window(qtbot, scene):
    from label_irst.gui.main_window import MainWindow

    def make():
        settings = QSettings(str(scene[3] / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitActive(window)
        window.open_path(scene[0])
        return window

    return make


def click(view, x, y, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    QTest.mouseClick(view.viewport(), button, modifier, view.scene_point(x + 0.5, y + 0.5))


SHIFT = Qt.KeyboardModifier.ShiftModifier


def drag(view, points):
    """A press-move-release drag along frame points, with real mouse events."""
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


def key(window, k, modifier=Qt.KeyboardModifier.NoModifier):
    """A key press as the user makes it: to the focused view of the active window."""
    from PySide6.QtWidgets import QApplication

    if QApplication.activeWindow() is not window:
        window.activateWindow()
        QApplication.processEvents()
        window.detail_view.setFocus()
    QTest.keyClick(QApplication.focusWidget() or window, k, modifier)


def truth_pixel(truth):
    return int(round(truth.x)), int(round(truth.y))


def test_click_confirm_brush_undo_redo(make_window, scene):
    window = make_window()
    _, truths, masks, _ = scene
    x, y = truth_pixel(truths[0][0])
    click(window.global_view, x, y)  # seeds and centres the detail region on the target
    target = window.annotator.selected_target()
    assert target is not None and target.status == "candidate"
    assert target.mask.to_full((96, 128))[y, x]
    assert iou(target.mask.to_full((96, 128)), masks[0][0]) > 0.3
    key(window, Qt.Key.Key_Space)
    assert window.annotator.selected_target().status == "confirmed"

    area = target.mask.area
    key(window, Qt.Key.Key_B)
    assert window.session.tool == "brush"
    drag(window.detail_view, [(x + 3, y), (x + 5, y), (x + 7, y)])
    painted = window.annotator.selected_target()
    assert painted.mask.area > area and painted.mask.to_full((96, 128))[y, x + 7]
    key(window, Qt.Key.Key_E)
    drag(window.detail_view, [(x + 7, y), (x + 7, y)])
    erased = window.annotator.selected_target()
    assert not erased.mask.to_full((96, 128))[y, x + 7] and erased.mask.area < painted.mask.area
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.annotator.selected_target().mask.area == painted.mask.area
    key(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.annotator.selected_target().mask.area == area
    key(window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.annotator.selected_target().mask.area == painted.mask.area
    store = window.workspace.store
    saved = store.targets(window.workspace.sequence_id, frame=0)
    assert [t.mask.area for t in saved] == [painted.mask.area]  # every edit is in the file


def test_shift_click_inside_reseeds_and_rs_reruns(make_window, scene):
    window = make_window()
    x, y = truth_pixel(scene[1][0][0])
    click(window.global_view, x, y)
    first = window.annotator.selected_target()
    window.parameters.rs.setValue(6.0)
    click(window.detail_view, x, y, modifier=SHIFT)  # re-seed: same target, the new Rs
    assert len(window.annotator.visible()) == 1
    again = window.annotator.selected_target()
    assert again.id == first.id and again.support_radius == 6.0
    window.parameters.set_tool("seed")
    window.parameters.generator.setCurrentIndex(window.parameters.generator.findData("pamg"))
    window.parameters.rs.setValue(3.0)
    small = window.annotator.selected_target()
    assert small.id == first.id and small.support_radius == 3.0 and small.generator == "pamg"
    window.edits.reject()
    assert window.annotator.visible() == []
    assert window.workspace.store.targets(window.workspace.sequence_id)[0].status == "rejected"


def test_next_frame_carries_confirmed_targets(make_window, scene):
    window = make_window()
    window.set_carries(True)  # the folder's frames form a sequence
    _, truths, masks, _ = scene
    for t in truths[0]:
        click(window.global_view, *truth_pixel(t))
        key(window, Qt.Key.Key_Space)
    for frame in (1, 2):
        key(window, Qt.Key.Key_Right)
        assert window.annotator.frame.index == frame
        carried = window.annotator.visible()
        assert len(carried) == 2 and all(t.status == "candidate" for t in carried)
        for t, mask in zip(sorted(carried, key=lambda t: t.track_id), masks[frame]):
            assert iou(t.mask.to_full((96, 128)), mask) > 0.3
        for t in carried:
            window.annotator.select(t.id)
            key(window, Qt.Key.Key_Return)  # one key per tracked target
        assert {t.status for t in window.annotator.visible()} == {"confirmed"}
    store = window.workspace.store
    tracks = {t.track_id for t in store.targets(window.workspace.sequence_id)}
    assert len(tracks) == 2


def test_review_queue_accept_reject(make_window, scene):
    window = make_window()
    truths = scene[1]
    for frame in (0, 2):
        window.show_frame(frame)
        for t in truths[frame]:
            click(window.global_view, *truth_pixel(t))
    window.refresh_review()
    assert window.review.counters.text() == "reviewed 0 · remaining 4"
    rhos = [float(window.review.list.item(i).text().split("ρ=")[1].split()[0]) for i in range(4)]
    assert rhos == sorted(rhos)
    window.annotator.select(None)
    key(window, Qt.Key.Key_A)
    key(window, Qt.Key.Key_R)
    window.refresh_review()
    assert window.review.counters.text() == "reviewed 2 · remaining 2"
    statuses = sorted(
        t.status for t in window.workspace.store.targets(window.workspace.sequence_id)
    )
    assert statuses == ["candidate", "candidate", "confirmed", "rejected"]


def test_export_and_reopen_identical(make_window, scene, qtbot):
    window = make_window()
    truths = scene[1]
    for t in truths[0]:
        click(window.global_view, *truth_pixel(t))
        key(window, Qt.Key.Key_Space)
    click(window.global_view, 5, 5)  # a candidate: not exported
    out = scene[3] / "out"
    worker = window.export_masks(out)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        pass
    seq_id = window.workspace.sequence_id
    confirmed = window.workspace.store.targets(seq_id, status="confirmed")
    expected = np.zeros((96, 128), bool)
    for t in confirmed:
        t.mask.paint(expected)
    assert sorted(p.name for p in out.iterdir()) == [f"f_{i}.png" for i in range(4)]
    np.testing.assert_array_equal(read_mask(out / "f_0.png"), expected)
    assert read_mask(out / "f_1.png").sum() == 0
    before = {t.id: (t.mask.offset, t.mask.crop.tobytes(), t.status) for t in
              window.workspace.store.targets(seq_id)}  # fmt: skip
    with pytest.raises(LabelIrstError, match="open elsewhere"):
        ProjectStore.open(window.workspace.store.path)
    window.close()
    again = make_window()
    after = {t.id: (t.mask.offset, t.mask.crop.tobytes(), t.status) for t in
             again.workspace.store.targets(again.workspace.sequence_id)}  # fmt: skip
    assert after == before
    assert {t.id for t in again.annotator.visible()} == set(before)


def test_status_bar_shows_raw_16bit_value(make_window, scene):
    window = make_window()
    raw = window.annotator.frame.raw
    assert raw.dtype == np.uint16
    window.viewport.on_hover(10, 20)
    assert window.pixel_label.text() == f"x 10  y 20  value {int(raw[20, 10])} (uint16)"


def test_display_settings_change_pictures_not_raw(make_window):
    window = make_window()
    raw = window.annotator.frame.raw.copy()
    before = window.global_view.image.image.copy()
    window.enhance.colormap.setCurrentText("iron")
    window.enhance.invert.setChecked(True)
    after = window.global_view.image.image
    assert not np.array_equal(before, after)
    np.testing.assert_array_equal(window.annotator.frame.raw, raw)
    zoom = window.viewport.region_size
    window.viewport.zoom_region(1)
    assert window.viewport.region_size < zoom


def test_salient_point_prefers_a_spot_to_a_line():
    from label_irst.gui.display import salient_point

    frame = np.full((120, 160), 100, np.uint16)
    frame[:, 30] = 400  # a long bright line (an edge-like structure) brighter than the spot
    frame[70:73, 110:113] = 300
    x, y = salient_point(frame)
    assert (int(x), int(y)) == (111, 71)


def test_detail_region_opens_on_a_target_and_fills_the_view(make_window, scene):
    window = make_window()
    x0, y0, w, h = window.viewport.region()
    spots = [truth_pixel(t) for t in scene[1][0]]
    assert any(x0 <= x < x0 + w and y0 <= y < y0 + h for x, y in spots)
    aspect = window.detail_view.width() / window.detail_view.height()
    assert abs(w / h - aspect) < 0.1 and min(w, h) == window.viewport.region_size
    assert window.region_label.text().startswith(f"detail {w}×{h} px")


def test_detail_overlay_outlines_the_mask_and_keeps_the_inside_readable():
    from label_irst.core.geometry import CroppedMask
    from label_irst.gui.display import BOUNDARY_ALPHA, INTERIOR_ALPHA, overlay_rgba
    from label_irst.io.project import Target

    t = Target(
        sequence_id=1,
        frame=0,
        mask=CroppedMask(np.ones((5, 5), bool), (10, 20)),
        seed=(22, 12),
        status="confirmed",
        source="pamg",
        rho=0.0,
    )
    rgba = overlay_rgba([t], (18, 8, 10, 10), outline=True)
    assert rgba[2, 2, 3] == BOUNDARY_ALPHA and rgba[4, 4, 3] == INTERIOR_ALPHA  # edge, centre
    assert rgba[1, 1, 3] == 0 and (rgba[..., 3] > 0).sum() == 25
    assert (overlay_rgba([t], (18, 8, 10, 10))[..., 3] > 0).sum() == 25


def test_guided_mode_uses_k_times_the_target_radius(make_window, scene):
    window = make_window()
    x, y = truth_pixel(scene[1][0][0])
    click(window.global_view, x, y)  # blind: Rs from the panel
    first = window.annotator.selected_target()
    assert first.support_radius == window.parameters.rs.value() == 20.0
    window.parameters.mode.setCurrentIndex(1)  # guided, k = 5: the next seeds only
    assert window.annotator.selected_target().support_radius == 20.0
    window.parameters.scale.setValue(2.5)  # a new k re-runs the selected candidate at once
    assert window.annotator.guided_scale == 2.5
    rerun = window.annotator.selected_target()
    assert rerun.id == first.id and rerun.support_radius == pytest.approx(2.5 * first.radius)
    click(window.detail_view, x, y, modifier=SHIFT)  # re-seed inside the target: Rs = k * r
    again = window.annotator.selected_target()
    assert again.id == first.id and again.support_radius == pytest.approx(2.5 * rerun.radius)
    key(window, Qt.Key.Key_Space)
    window.set_carries(True)
    key(window, Qt.Key.Key_Right)  # the carried seed is guided by the previous frame's radius
    carried = window.annotator.visible()
    assert len(carried) == 1
    assert carried[0].support_radius == pytest.approx(2.5 * again.radius)
    window.close()
    assert window.prefs.mode() == (True, 2.5)  # the mode persists
