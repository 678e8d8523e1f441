"""Sequence > Pre-annotate with RPR-Net: detections -> guided-PAMG candidates in the review queue."""

from functools import partial

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("onnxruntime")
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton  # noqa: E402

from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402

SHAPE = (128, 128)


@pytest.fixture
def model():
    from label_irst.gui.prelabel import default_model

    path = default_model()
    if not path.is_file():
        pytest.skip(f"no shipped model at {path}")
    return path


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, _ = synthetic_sequence(frames=5, shape=SHAPE, count=3, seed=11,
                                           dtype=np.uint16)  # fmt: skip
    for i, f in enumerate(frames):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    w.open_path(tmp_path / "frames")
    w.truths = truths
    return w


def _finish(qtbot, worker):
    qtbot.waitUntil(worker.isFinished, timeout=30000)  # a failing run may end before a wait
    QApplication.processEvents()  # per-frame results reach the window through its queue


def test_prelabel_action_fills_the_review_queue(window, model, qtbot, monkeypatch):
    from label_irst.gui import prelabel

    chosen, asked = [], []

    def pick(parent, start):
        chosen.append(str(start))
        return model

    monkeypatch.setattr(prelabel, "choose_model", pick)
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: asked.append(a[2]) or QMessageBox.StandardButton.Yes
    )
    monkeypatch.setattr(window, "prelabel_sequence", partial(window.prelabel_sequence, threads=1))
    window.actions["prelabel_other"].trigger()
    assert chosen == [str(model)]  # the dialog for another model starts on the shipped one
    assert not asked  # nothing reviewed yet: nothing to ask
    worker = window._prelabel_worker
    _finish(qtbot, worker)
    store, seq = window.workspace.store, window.workspace.sequence_id
    targets = store.targets(seq)
    assert targets and {(t.source, t.status) for t in targets} == {("model", "candidate")}
    near = 0
    for t in targets:  # each candidate lies on a true target or is a false alarm to review
        cx, cy = t.centroid
        near += any(np.hypot(s.x - cx, s.y - cy) <= 3 for s in window.truths[t.frame])
    assert near >= 0.8 * len(targets)
    remaining = len(targets)
    assert window.review.counters.text() == f"reviewed 0 · remaining {remaining}"
    on_screen = [t for t in targets if t.frame == 0]
    assert len(window.annotator.visible()) == len(on_screen)
    assert "CPU provider (its int8 copy)" in window.statusBar().currentMessage()

    # review one, then run again: no duplicate, the reviewed one stays
    window.review_step(True)
    confirmed = [t for t in store.targets(seq) if t.status == "confirmed"]
    assert len(confirmed) == 1
    worker = window.prelabel_sequence(model, threads=1)
    assert len(asked) == 1  # reviewed work: asked first, saying what is replaced and kept
    assert f"{remaining - 1} model candidate(s)" in asked[0] and "1 confirmed" in asked[0]
    _finish(qtbot, worker)
    again = store.targets(seq)
    assert len(again) == remaining
    assert [t.id for t in again if t.status == "confirmed"] == [confirmed[0].id]
    assert len({(t.frame, t.seed) for t in again}) == len(again)


def test_prelabel_cancel_leaves_whole_frames(window, model, qtbot):
    from label_irst.gui.prelabel import PrelabelWorker

    seq = window.workspace.sequence
    frames, summaries = [], []
    worker = PrelabelWorker(seq.source, seq.names, model, threads=1)
    worker.detected.connect(lambda index, *rest: frames.append(index))
    worker.succeeded.connect(summaries.append)
    worker.progress.connect(lambda done, total: done >= 2 and worker.job.cancel.set())
    worker.run()  # synchronously: the same code the thread runs
    assert frames == [0, 1] and summaries[0]["cancelled"] and summaries[0]["frames"] == 2

    worker = window.prelabel_sequence(model, threads=1)
    window._prelabel_dialog.findChild(QPushButton).click()  # Cancel pressed right away
    _finish(qtbot, worker)
    store, seq_id = window.workspace.store, window.workspace.sequence_id
    stored = store.targets(seq_id)
    done = set(store.frames_with_targets(seq_id))
    assert done <= {0, 1, 2, 3, 4}
    assert all(t.mask.area > 0 and t.source == "model" for t in stored)
    assert window.review.counters.text() == f"reviewed 0 · remaining {len(stored)}"


@pytest.mark.parametrize("content", ["not json", '{"format": "other"}', None])
def test_wrong_model_gives_one_line_and_keeps_the_project(window, tmp_path, qtbot, monkeypatch,
                                                          content):  # fmt: skip
    messages = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text: messages.append((title, text))
    )
    store, seq = window.workspace.store, window.workspace.sequence_id
    window.seed_at(*[round(v) for v in (window.truths[0][0].x, window.truths[0][0].y)])
    before = [(t.id, t.source, t.status) for t in store.targets(seq)]
    assert before
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    else:  # a valid record whose graphs are not ONNX
        path.write_text(
            '{"format": "label-irst/rprnet-onnx/1", "encoder": "bad.encoder.onnx",'
            ' "head": "bad.head.onnx"}'
        )
        (tmp_path / "bad.encoder.onnx").write_bytes(b"\x00garbage")
        (tmp_path / "bad.head.onnx").write_bytes(b"\x00garbage")
    worker = window.prelabel_sequence(path, threads=1)
    _finish(qtbot, worker)
    assert len(messages) == 1
    title, text = messages[0]
    assert title == "Pre-annotation failed" and "\n" not in text and "bad" in text
    assert [(t.id, t.source, t.status) for t in store.targets(seq)] == before
    assert window.isVisible()


def test_a_re_run_on_reviewed_work_can_be_declined(window, model, qtbot, monkeypatch):
    store, seq = window.workspace.store, window.workspace.sequence_id
    window.seed_at(*[round(v) for v in (window.truths[0][0].x, window.truths[0][0].y)])
    target = store.targets(seq)[0]
    store.set_status([target.id], "confirmed")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    assert window.prelabel_sequence(model, threads=1) is None
    assert [(t.id, t.status) for t in store.targets(seq)] == [(target.id, "confirmed")]


def test_the_model_picker_lists_detector_models_only(window, model, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from label_irst.gui.prelabel import is_detector_model, model_dialog

    models = model.parent
    assert is_detector_model(models / "rprnet.json")
    assert is_detector_model(models / "rprnet-int8.json")
    assert not is_detector_model(models / "edgsp.json")
    assert not is_detector_model(models / "rprnet.encoder.onnx")
    (tmp_path / "broken.json").write_text("{")
    assert not is_detector_model(tmp_path / "broken.json")
    dialog = model_dialog(window, model)
    assert dialog.proxyModel() is not None
    source = dialog.proxyModel().sourceModel()
    root = source.setRootPath(str(models))
    proxy = dialog.proxyModel()
    for name, shown in (("rprnet.json", True), ("edgsp.json", False)):
        row = source.index(str(models / name)).row()
        assert proxy.filterAcceptsRow(row, root) == shown, name
    worker = window.prelabel_sequence(model, threads=1)
    assert window._prelabel_dialog.windowModality() == Qt.WindowModality.WindowModal
    _finish(qtbot, worker)


def test_prelabel_with_lesps_fills_the_queue_from_an_image_set(qtbot, tmp_path, monkeypatch):
    """Sequence > Pre-annotate image by image with LESPS (Ctrl+Alt+P): each image of a set alone,
    the segmenter's own masks as candidates; the project's detector is not changed."""
    from label_irst.gui.main_window import MainWindow
    from label_irst.io.project_settings import ProjectSettings

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    spots = {"sea.png": ((96, 128), (40, 30)), "sky.png": ((128, 96), (70, 90))}
    rng = np.random.default_rng(0)
    for name, (shape, (cx, cy)) in spots.items():
        yy, xx = np.mgrid[: shape[0], : shape[1]]
        spot = 120 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.5**2))
        image = np.clip(60 + rng.normal(0, 3, shape) + spot, 0, 255).astype(np.uint8)
        write_image(tmp_path / "set" / name, image)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "set")
    assert w.actions["prelabel_lesps"].shortcut().toString() == "Ctrl+Alt+P"
    w.actions["prelabel_lesps"].trigger()
    worker = w._prelabel_worker
    assert worker.model.name == "lesps-sirst.json"
    _finish(qtbot, worker)
    store, seq = w.workspace.store, w.workspace.sequence_id
    targets = store.targets(seq)
    assert len(targets) == 2
    for t in targets:
        shape, (cx, cy) = spots[sorted(spots)[t.frame]]
        assert t.generator == "lesps" and t.status == "candidate"
        assert t.mask.to_full(shape)[cy, cx]
    assert "LESPS done: 2 frame(s), 2 candidate(s) added" in w.statusBar().currentMessage()
    assert ProjectSettings(store).detector is None  # a segmenter is never the loop's detector


def test_an_ensemble_of_segmenters_pre_annotates_an_image_set_by_its_own_name(
    qtbot, tmp_path, monkeypatch
):
    """A segmenter ensemble picked as the model runs like one segmenter, and the status bar
    names it by its model (it is not LESPS alone)."""
    from pathlib import Path

    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(1)
    for name, (cx, cy) in {"a.png": (40, 30), "b.png": (20, 50)}.items():
        yy, xx = np.mgrid[:80, :112]
        spot = 120 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.5**2))
        image = np.clip(60 + rng.normal(0, 3, (80, 112)) + spot, 0, 255).astype(np.uint8)
        write_image(tmp_path / "set" / name, image)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "set")
    models = Path(__file__).resolve().parents[1] / "models"
    worker = w.prelabel_sequence(models / "segmenter-sirst.json", threads=1)
    _finish(qtbot, worker)
    targets = w.workspace.store.targets(w.workspace.sequence_id)
    assert sorted((t.frame, t.generator) for t in targets) == [(0, "lesps"), (1, "lesps")]
    assert "segmenter-sirst done: 2 frame(s), 2 candidate(s) added" in (
        w.statusBar().currentMessage()
    )
