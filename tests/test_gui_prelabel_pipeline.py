"""The app's Pre-annotate runs the pipeline of `prelabel PROJECT`: the same targets and track ids
on the same project, a confirmation made while it runs keeps its own track id, and opening a
project writes nothing to it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("onnxruntime")
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from label_irst.cli import main  # noqa: E402
from label_irst.core.pamg_plus import pamg_plus  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import ProjectStore, Target  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"
SHAPE = (128, 128)


@pytest.fixture
def frames(tmp_path):
    images, truths, _ = synthetic_sequence(frames=5, shape=SHAPE, count=3, seed=11,
                                           dtype=np.uint16)  # fmt: skip
    for i, f in enumerate(images):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    return tmp_path / "frames", images, truths


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    return w


def _project(path: Path, folder: Path, confirm=None, meta=None) -> Path:
    """A project of the frame folder; ``confirm`` (frame, image, x, y): one confirmed target."""
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", 5)
        for key, value in (meta or {}).items():
            store.set_meta(key, value)
        if confirm is not None:
            k, image, x, y = confirm
            grown = pamg_plus(image, (x, y), 20.0)
            target = Target(
                sequence_id=sid,
                frame=k,
                mask=grown.mask,
                seed=grown.seed,
                source="pamg",
                status="confirmed",
                track_id=store.new_track_id(),
                rho=0.0,
            )
            store.save_target(target, f"f_{k}.png", SHAPE)
    return path


def _finish(qtbot, worker):
    qtbot.waitUntil(worker.isFinished, timeout=60000)
    QApplication.processEvents()


def _rows(store: ProjectStore) -> list[tuple]:
    return sorted(
        (t.frame, t.track_id, t.status, t.source, t.seed, t.mask.area,
         None if t.score is None else round(t.score, 4))
        for t in store.targets(1)
    )  # fmt: skip


def test_the_app_and_prelabel_project_give_the_same_targets_and_tracks(
    window, frames, qtbot, tmp_path, monkeypatch
):
    folder, images, truths = frames
    spot = truths[2][0]
    confirm = (2, images[2], round(spot.x), round(spot.y))
    app = _project(tmp_path / "app.lirst", folder, confirm)
    command = tmp_path / "command.lirst"
    shutil.copy(app, command)
    assert main(["prelabel", str(command), "--model", str(MODEL), "--device", "cpu", "--quiet",
                 "--out", str(tmp_path / "out")]) == 0  # fmt: skip
    window.open_path(app)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    _finish(qtbot, window.prelabel_sequence(MODEL, threads=1))
    got = _rows(window.workspace.store)
    with ProjectStore.open(command, readonly=True) as store:
        expected = _rows(store)
    assert any(row[2] == "candidate" for row in expected)
    assert got == expected
    # the model track through the confirmed target continues its track id in both
    confirmed = next(row for row in got if row[2] == "confirmed")
    assert any(row[1] == confirmed[1] and row[2] == "candidate" for row in got)


def test_a_confirmation_made_while_pre_annotation_runs_keeps_its_track_id(
    window, frames, qtbot, tmp_path
):
    folder, images, _ = frames
    window.open_path(_project(tmp_path / "p.lirst", folder))
    store = window.workspace.store
    worker = window.prelabel_sequence(MODEL, threads=1)
    # confirmed while the model runs (its results reach the window after this)
    grown = pamg_plus(images[0], (6, 6), 20.0)
    mine = store.save_target(
        Target(sequence_id=1, frame=0, mask=grown.mask, seed=grown.seed, source="pamg",
               status="confirmed", track_id=store.new_track_id(), rho=0.0), "f_0.png", SHAPE,
    )  # fmt: skip
    _finish(qtbot, worker)
    targets = store.targets(1)
    assert any(t.source == "model" and t.track_id is not None for t in targets)
    sharing = [t for t in targets if t.track_id == mine.track_id]
    assert [t.id for t in sharing] == [mine.id]


def test_opening_a_project_writes_nothing(window, frames, tmp_path):
    folder, _, _ = frames
    path = _project(tmp_path / "p.lirst", folder, meta={"generator": "square3"})
    before = path.read_bytes()
    window.open_path(path)
    assert window.workspace is not None
    window.close_workspace()
    assert path.read_bytes() == before
    with ProjectStore.open(path, readonly=True) as store:
        assert store.meta("generator") == "square3"
