"""File > Convert boxes: box centres -> candidate masks in the review queue, through a worker."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from label_irst.core.metrics import iou  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402

SHAPE = (96, 128)


def _voc(path, name, boxes):
    objects = "".join(
        f"<object><name>target</name><bndbox><xmin>{a + 1}</xmin><ymin>{b + 1}</ymin>"
        f"<xmax>{c + 1}</xmax><ymax>{d + 1}</ymax></bndbox></object>"
        for a, b, c, d in boxes
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<annotation><filename>{name}</filename>{objects}</annotation>")


@pytest.fixture
def boxed(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, masks = synthetic_sequence(frames=3, shape=SHAPE, count=2, seed=11,
                                               dtype=np.uint16)  # fmt: skip
    for i, f in enumerate(frames):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    for i in (0, 2):  # frame 1 has no box file
        boxes = [
            (round(t.x) - 3, round(t.y) - 3, round(t.x) + 3, round(t.y) + 3) for t in truths[i]
        ]
        _voc(tmp_path / "boxes" / f"f_{i}.xml", f"f_{i}.png", boxes)
    _voc(tmp_path / "boxes" / "other.xml", "other.png", [(1, 1, 5, 5)])  # no such frame
    return tmp_path, masks


@pytest.fixture
def window(qtbot, boxed):
    from label_irst.gui.main_window import MainWindow

    w = MainWindow(QSettings(str(boxed[0] / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    w.open_path(boxed[0] / "frames")
    return w


def test_convert_boxes_fills_the_review_queue(window, boxed, qtbot):
    root, masks = boxed
    warnings = []
    worker = window.convert_boxes(root / "boxes")
    worker.warned.connect(warnings.append)
    # poll, not waitSignal: a quick worker may have finished before a signal wait could start
    qtbot.waitUntil(worker.isFinished, timeout=20000)
    QApplication.processEvents()  # the per-frame results reach the window through its queue
    store, seq = window.workspace.store, window.workspace.sequence_id
    targets = store.targets(seq)
    assert sorted(t.frame for t in targets) == [0, 0, 2, 2]
    assert {(t.source, t.status) for t in targets} == {("box", "candidate")}
    assert all(t.box is not None for t in targets)
    for t in targets:
        assert max(iou(t.mask.to_full(SHAPE), m) for m in masks[t.frame]) > 0.3
    assert window.review.counters.text() == "reviewed 0 · remaining 4"
    assert len(window.annotator.visible()) == 2  # frame 0 is on screen: its candidates show
    window.review_step(True)
    assert sorted(t.status for t in store.targets(seq)) == ["candidate"] * 3 + ["confirmed"]


def test_convert_cancel_and_bad_boxes(window, boxed):
    from label_irst.gui.convert import BoxConvertWorker

    root, _ = boxed
    seq = window.workspace.sequence
    results, failures = [], []
    worker = BoxConvertWorker(seq.source, seq.names, root / "boxes", "pamg", 20.0)
    worker.grown.connect(lambda *args: results.append(args))
    worker.succeeded.connect(results.append)
    worker.job.cancel.set()  # Cancel pressed before the first frame
    worker.run()  # synchronously: the same code the thread runs
    assert results == [0]
    bad = BoxConvertWorker(seq.source, seq.names, root / "missing", "pamg", 20.0)
    bad.failed.connect(failures.append)
    bad.run()
    assert len(failures) == 1 and "\n" not in failures[0]


def test_converting_again_replaces_candidates_and_keeps_reviewed(window, boxed, qtbot):
    root, _ = boxed

    def convert():
        worker = window.convert_boxes(root / "boxes")
        qtbot.waitUntil(worker.isFinished, timeout=20000)
        QApplication.processEvents()
        return window.workspace.store.targets(window.workspace.sequence_id)

    first = convert()
    assert len(first) == 4
    window.review_step(True)  # confirm one
    second = convert()
    assert len(second) == 4  # not 8: the candidates were replaced, the confirmed one kept
    assert sorted(t.status for t in second) == ["candidate"] * 3 + ["confirmed"]
    confirmed = [t for t in first if t.id in {u.id for u in second if u.status == "confirmed"}]
    assert len(confirmed) == 1
