"""Detection scores in the app: the app's pre-annotation stores each candidate's RPR-Net score,
the Tracks dock shows each track's mean score and the review queue starts with the lowest
score (pytest-qt, the real window offscreen)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402

from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.gui.track_dock import COLUMNS  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, _, _ = synthetic_sequence(frames=10, shape=(128, 128), count=3, seed=11,
                                      dtype=np.uint16)  # fmt: skip
    for i, f in enumerate(frames):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "frames")
    return w


def _prelabel(qtbot, window, **options):
    from PySide6.QtWidgets import QApplication

    from label_irst.gui.prelabel import default_model

    worker = window.prelabel_sequence(default_model(), threads=1, **options)
    with qtbot.waitSignal(worker.finished, timeout=60000):
        pass
    QApplication.processEvents()
    window.tracks.refresh()
    window.refresh_review()
    return window.workspace.store.targets(window.workspace.sequence_id)


def test_the_track_list_shows_the_mean_of_the_stored_detection_scores(qtbot, window):
    targets = _prelabel(qtbot, window)
    assert targets and all(t.source == "model" and t.track_id is not None for t in targets)
    scored = [t for t in targets if t.score is not None]
    assert scored and all(0.0 < t.score <= 1.0 for t in scored)
    table = window.tracks.panel.table
    column = COLUMNS.index("score")
    assert table.horizontalHeaderItem(column).text() == "score"
    assert "mean" in table.horizontalHeaderItem(column).toolTip()
    assert table.rowCount() == len({t.track_id for t in targets}) > 0
    for i in range(table.rowCount()):
        track = int(table.item(i, COLUMNS.index("track")).text())
        mine = [t.score for t in targets if t.track_id == track and t.score is not None]
        assert mine, f"track {track} has no detection"  # a track starts at a detection
        text = table.item(i, column).text()
        assert float(text) == pytest.approx(np.mean(mine), abs=0.005)
        assert text == f"{np.mean(mine):.2f}"
    # the review queue starts with the least reliable candidate: the lowest detection score
    head = window.review.list.item(0).text()
    assert f"s={min(t.score for t in scored):.2f}" in head


def test_untracked_pre_annotation_stores_every_detection_score(qtbot, window):
    targets = _prelabel(qtbot, window, tracking=None)
    assert targets and all(t.track_id is None for t in targets)
    assert all(t.score is not None and 0.0 < t.score <= 1.0 for t in targets)
    assert window.tracks.panel.table.rowCount() == 0
