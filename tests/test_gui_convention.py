"""The annotation convention in the real window: brush corrections carry over to new clicks."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.core.convention import apply_margin  # noqa: E402
from label_irst.core.pamg_plus import pamg_plus  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.io.convention import project_convention  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import ProjectStore  # noqa: E402

SHAPE = (96, 128)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, _ = synthetic_sequence(frames=4, shape=SHAPE, count=3, seed=5,
                                           dtype=np.uint16, speed=2.0)  # fmt: skip
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"f_{i}.png", f)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitActive(win)
    win.open_path(folder)
    win.frames, win.truths = frames, truths
    yield win
    win.conventions.wait()


def click(view, x, y):
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.scene_point(x + 0.5, y + 0.5))  # fmt: skip


def key(window, k):
    from PySide6.QtWidgets import QApplication

    if QApplication.activeWindow() is not window:
        window.activateWindow()
        QApplication.processEvents()
    window.detail_view.setFocus()
    QTest.keyClick(QApplication.focusWidget() or window, k)


def seed_and_widen(window, x, y):
    """Click a target, paint the one-pixel ring around its mask with the brush, confirm."""
    key(window, Qt.Key.Key_S)
    click(window.global_view, x, y)
    target = window.annotator.selected_target()
    grown = target.mask.to_full(SHAPE)
    ring = apply_margin(target.mask, 1, SHAPE).to_full(SHAPE) & ~grown
    key(window, Qt.Key.Key_B)
    for row, col in zip(*np.nonzero(ring)):
        click(window.detail_view, int(col), int(row))
    corrected = window.annotator.selected_target()
    assert corrected.id == target.id
    np.testing.assert_array_equal(corrected.mask.to_full(SHAPE), grown | ring)
    key(window, Qt.Key.Key_Space)
    assert window.annotator.selected_target().status == "confirmed"


def test_brush_corrections_carry_over_to_the_next_click(window, qtbot):
    window.parameters.brush.setValue(1)  # one pixel per brush click
    window.parameters.snap.setValue(0)  # seeds exactly at the clicks, as pamg_plus below
    assert window.conventions.label.text() == "convention: pamg+ default"
    done = 0
    for frame in range(4):
        if frame:
            key(window, Qt.Key.Key_Right)
        assert window.annotator.frame.index == frame
        for truth in window.truths[frame]:
            if done == 10:
                break
            seed_and_widen(window, int(round(truth.x)), int(round(truth.y)))
            done += 1
    assert done == 10
    conventions = window.conventions
    qtbot.waitUntil(
        lambda: conventions.convention.n_examples == 10 and not conventions.busy, timeout=30000
    )
    assert conventions.convention.params["margin"] == 1
    assert conventions.label.text() == "convention: fitted on 10 targets"

    # the next click (a target never clicked before) follows the correction
    probe = window.truths[3][-1]
    x, y = int(round(probe.x)), int(round(probe.y))
    key(window, Qt.Key.Key_S)
    click(window.global_view, x, y)
    got = window.annotator.selected_target().mask.to_full(SHAPE)
    plain = pamg_plus(window.frames[3], (x, y)).mask
    np.testing.assert_array_equal(got, apply_margin(plain, 1, SHAPE).to_full(SHAPE))
    assert got.sum() > plain.area

    # stored in the project; freeze keeps it, reset goes back to the defaults
    store = window.workspace.store
    assert project_convention(store).params["margin"] == 1
    conventions.freeze_action.trigger()
    assert project_convention(store).frozen and conventions.label.text().endswith("(frozen)")
    conventions.refit()
    assert not conventions.busy  # frozen: no refit starts
    conventions.freeze_action.trigger()
    conventions.reset_action.trigger()
    assert project_convention(store).is_default
    assert conventions.label.text() == "convention: pamg+ default"
    window.annotator.reject()
    click(window.global_view, x, y)
    again = window.annotator.selected_target().mask.to_full(SHAPE)
    np.testing.assert_array_equal(again, plain.to_full(SHAPE))


def test_convention_survives_reopening_the_project_in_the_app(window, qtbot):
    from label_irst.core.convention import Convention
    from label_irst.io.convention import save_project_convention

    path = window.workspace.store.path
    save_project_convention(window.workspace.store, Convention("pamg+", {"margin": 2}, 12, 7.0))
    window.close_workspace()
    with ProjectStore.open(path) as store:
        assert project_convention(store).params["margin"] == 2
    window.open_path(path)
    assert window.conventions.label.text() == "convention: fitted on 12 targets"
    assert window.annotator.convention.params["margin"] == 2
    # the app records its generator in the project: `prelabel PROJECT` picks the same one
    from label_irst.io.convention import project_generator

    assert project_generator(window.workspace.store) == "pamg+"
    assert window.workspace.store.meta("generator") == "pamg+"


def test_convention_reset_and_freeze_are_undone_by_ctrl_z(window):
    from label_irst.core.convention import Convention
    from label_irst.io.convention import save_project_convention

    store = window.workspace.store
    save_project_convention(store, Convention("pamg+", {"margin": 2}, 12, 7.0))
    window.conventions.load()
    window.conventions.reset_action.trigger()
    assert project_convention(store).is_default
    ctrl = Qt.KeyboardModifier.ControlModifier
    QTest.keyClick(window.detail_view, Qt.Key.Key_Z, ctrl)
    assert project_convention(store).params["margin"] == 2
    assert window.annotator.convention.params["margin"] == 2
    window.conventions.freeze_action.trigger()
    assert project_convention(store).frozen
    QTest.keyClick(window.detail_view, Qt.Key.Key_Z, ctrl)
    assert not project_convention(store).frozen and not window.conventions.freeze_action.isChecked()
    QTest.keyClick(window.detail_view, Qt.Key.Key_Y, ctrl)
    assert project_convention(store).frozen
