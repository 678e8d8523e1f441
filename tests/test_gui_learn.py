"""Generator › Learn from confirmed targets in the real window (training in a child process)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("torch", reason="learning runs train-generator (the train extra)")
from PySide6.QtCore import QSettings  # noqa: E402

from label_irst.core.geometry import components  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.gui import learn  # noqa: E402
from label_irst.infer import edgsp as runtime  # noqa: E402
from label_irst.io.generator_model import project_model, set_project_model  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import Target  # noqa: E402

SHAPE = (96, 128)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(learn, "EPOCHS", 1)
    monkeypatch.setattr(learn, "EXTRA_ARGS", ["--per-example", "2", "--batch", "16"])
    frames, _, masks = synthetic_sequence(frames=4, shape=SHAPE, count=3, seed=5,
                                          dtype=np.uint16, speed=2.0)  # fmt: skip
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"f_{i}.png", f)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.open_path(folder)
    win.masks = masks
    yield win
    win.learning.stop()
    win.conventions.wait()
    runtime.forget_models()


def confirm_truth(win, frames=range(4)) -> int:
    """Store every ground-truth target of ``frames`` as a confirmed, seeded target."""
    store, seq = win.workspace.store, win.workspace.sequence_id
    n = 0
    for i in frames:
        full = np.zeros(SHAPE, bool)
        for m in win.masks[i]:
            full |= m
        for part in components(full):
            ys, xs = np.nonzero(part.crop)
            seed = (int(xs[0] + part.offset[1]), int(ys[0] + part.offset[0]))
            t = Target(
                sequence_id=seq,
                frame=i,
                mask=part,
                seed=seed,
                source="pamg",
                status="confirmed",
                generator="pamg+",
                rho=0.0,
            )
            store.save_target(t, f"f_{i}.png", SHAPE)
            n += 1
    return n


def test_too_few_targets_says_so(window):
    confirm_truth(window, frames=[0])
    window.learning.start()
    assert window.learning.process is None
    assert "at least 10 confirmed targets" in window.statusBar().currentMessage()


def test_learning_adopts_only_a_better_model_and_the_project_remembers_it(window, qtbot):
    n = confirm_truth(window)
    assert n >= 10
    window.learning.start()
    assert window.learning.dialog.isVisible()
    qtbot.waitUntil(lambda: window.learning.last_result is not None, timeout=180_000)
    new, current, held, adopted = window.learning.last_result
    assert held == round(0.2 * n) and 0 <= new <= 100 and 0 <= current <= 100
    assert adopted == (new > current)
    out = window.learning.out
    assert not out.with_name(out.name + ".train").exists()  # checkpoints are cleaned up
    assert f"{current:.1f}" in window.learning.label.text()
    assert f"{new:.1f}" in window.learning.label.text()
    store = window.workspace.store
    if adopted:
        assert project_model(store) == out.with_suffix(".json")
        assert window.parameters.generator.currentData() == "edgsp"
        assert window.annotator.convention.model == str(out.with_suffix(".json"))  # clicks use it
    else:
        assert project_model(store) is None and not out.with_suffix(".onnx").exists()


def test_cancel_kills_the_training_and_changes_nothing(window, qtbot):
    confirm_truth(window)
    window.learning.start()
    out = window.learning.out
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    qtbot.mouseClick(window.learning.dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.learning.busy, timeout=30_000)
    assert "cancelled" in window.statusBar().currentMessage()
    assert window.learning.last_result is None
    assert not out.with_suffix(".json").exists() and project_model(window.workspace.store) is None


def test_a_missing_model_file_falls_back_to_pamg_plus_with_a_warning(window, tmp_path):
    store = window.workspace.store
    set_project_model(store, tmp_path / "gone.json")
    path = store.path
    window.close_workspace()
    window.open_path(path)
    assert "missing" in window.learning.label.text()
    assert "gone.json" in window.statusBar().currentMessage()
    window.parameters.generator.setCurrentIndex(window.parameters.generator.findData("edgsp"))
    frame = window.annotator.frame.raw
    y, x = np.unravel_index(np.argmax(window.masks[0][0]), SHAPE)
    assert window.annotator.generate(int(x), int(y), 20.0).generator == "pamg+"
    assert frame.dtype == np.uint16


def test_learning_starts_on_its_own_after_every_m_confirmations(window, qtbot):
    n = confirm_truth(window)
    window.prefs.set_learn_every(3)
    store, seq = window.workspace.store, window.workspace.sequence_id
    confirmed = [t for t in store.targets(seq) if t.status == "confirmed"]
    assert len(confirmed) == n
    window.learning.note_saved(confirmed[0])
    window.learning.note_saved(confirmed[1].copy(status="candidate"))  # not a confirmation
    window.learning.note_saved(confirmed[1])
    assert window.learning.process is None  # two confirmations: not yet
    window.learning.note_saved(confirmed[2])
    assert window.learning.process is not None and window.learning.busy
    assert window.learning.dialog is None  # in the background: no dialog
    assert "learning" in window.learning.label.toolTip() + window.learning.label.text()
    window.learning.note_saved(confirmed[3])  # busy: counted, no second run
    window.learning.cancel()
    qtbot.waitUntil(lambda: not window.learning.busy, timeout=30_000)
    assert project_model(store) is None
    window.prefs.set_learn_every(0)
    for t in confirmed:
        window.learning.note_saved(t)
    assert window.learning.process.state() == window.learning.process.state().NotRunning
