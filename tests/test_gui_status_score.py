"""The status bar's line for the selected target shows the model's detection score when the
target has one ("score 0.62") and nothing for a target without one (pytest-qt, the real window
offscreen)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from label_irst.core.geometry import CroppedMask  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import Target  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, _, _ = synthetic_sequence(frames=3, shape=(96, 96), count=2, seed=5, dtype=np.uint16)
    for i, f in enumerate(frames):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "frames")
    return w


def _click(window, target: Target) -> str:
    from label_irst.gui import editing

    y, x = (int(v) for v in np.argwhere(target.mask.crop)[0] + target.mask.offset)
    editing.click(window, window.global_view, x + 0.5, y + 0.5)
    assert window.annotator.selected_target().id == target.id
    return window.target_label.text()


def test_the_status_line_shows_the_detection_score_only_when_there_is_one(window):
    store, a = window.workspace.store, window.annotator
    crop = np.ones((3, 3), bool)
    model = Target(
        sequence_id=a.frame.sequence_id,
        frame=a.frame.index,
        mask=CroppedMask(crop, (10, 12)),
        seed=(13, 11),
        source="model",
        rho=1.25,
        score=0.617,
        status="candidate",
    )
    manual = Target(
        sequence_id=a.frame.sequence_id,
        frame=a.frame.index,
        mask=CroppedMask(crop, (60, 70)),
        seed=(71, 61),
        source="manual",
        rho=0.5,
        status="candidate",
    )
    h, w = a.frame.raw.shape
    model = store.save_target(model, a.frame.name, (h, w))
    manual = store.save_target(manual, a.frame.name, (h, w))
    a.reload()
    window.refresh_masks()

    text = _click(window, model)
    assert f"#{model.id} " in text and "ρ 1.25" in text
    assert text.endswith("score 0.62")
    text = _click(window, manual)
    assert f"#{manual.id} " in text and "ρ 0.50" in text
    assert "score" not in text
    window.seed_at(40, 40)  # a PAMG target: no score either
    seeded = a.selected_target()
    assert seeded.source == "pamg" and seeded.score is None
    assert window.target_label.text().startswith(f"#{seeded.id} ")
    assert "score" not in window.target_label.text()
