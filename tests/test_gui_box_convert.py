"""File > Convert boxes in the real window uses the box: box-aware masks from tight boxes, the
source box drawn beside the mask, doubtful conversions first, and the annotator's confirmed
corrections changing the next conversion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from label_irst.core.box_generators import get_box_generator, loosen  # noqa: E402
from label_irst.core.geometry import CroppedMask  # noqa: E402
from label_irst.core.metrics import cropped_iou  # noqa: E402
from label_irst.gui.review import QueueRow, box_doubt, review_queue  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402

SHAPE = (48, 64)
BLOBS = [(10, 10, 5, 3), (40, 30, 3, 4)]  # x0, y0, w, h
FRAMES = 4


def _frames(folder):
    """Blurred blobs on faint noise; the team's masks run out to a tenth of each peak."""
    truths = []
    for i in range(FRAMES):
        rng = np.random.default_rng(i)
        image = rng.normal(50.0, 0.5, SHAPE)
        parts = []
        for x0, y0, w, h in BLOBS:
            blob = np.zeros(SHAPE)
            blob[y0 + i % 2 : y0 + i % 2 + h, x0 + i : x0 + i + w] = 1.0
            blob = cv2.GaussianBlur(blob, (0, 0), 1.0)
            image += blob * 150.0 / blob.max()
            parts.append(CroppedMask.from_full(blob * 150.0 / blob.max() >= 15.0))
        write_image(folder / f"f_{i}.png", np.clip(image, 0, 255).astype(np.uint8))
        truths.append(parts)
    return truths


def _voc(path, name, boxes):
    objects = "".join(
        f"<object><name>target</name><bndbox><xmin>{a + 1}</xmin><ymin>{b + 1}</ymin>"
        f"<xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>"
        for a, b, c, d in boxes
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<annotation><filename>{name}</filename>{objects}</annotation>")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from label_irst.gui.main_window import MainWindow

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    (tmp_path / "frames").mkdir()
    truths = _frames(tmp_path / "frames")
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    w.open_path(tmp_path / "frames")
    return w, truths, tmp_path


def _convert(window, qtbot, boxes):
    worker = window.convert_boxes(boxes)
    qtbot.waitUntil(worker.isFinished, timeout=30000)
    QApplication.processEvents()
    store, seq = window.workspace.store, window.workspace.sequence_id
    return [t for t in store.targets(seq) if t.status == "candidate"]


def _by_box(targets):
    return {tuple(t.box): t for t in targets}


def test_tight_boxes_give_box_aware_masks_and_the_box_is_drawn(window, qtbot):
    w, truths, root = window
    for i, parts in enumerate(truths):
        _voc(root / "tight" / f"f_{i}.xml", f"f_{i}.png", [p.bbox for p in parts])
    candidates = _convert(w, qtbot, root / "tight")
    assert len(candidates) == 2 * FRAMES
    assert {t.generator for t in candidates} == {"box-fill"}  # auto: the boxes are tight
    raw0 = w.annotator.frame.raw
    for t in candidates:
        truth = next(p for p in truths[t.frame] if tuple(p.bbox) == tuple(t.box))
        assert cropped_iou(t.mask, truth) > 0.85
        if t.frame == 0:  # the box-centre conversion of before misses the team's edge
            centre = get_box_generator("centre")(raw0, tuple(map(float, t.box)))
            assert cropped_iou(centre.mask, truth) < cropped_iou(t.mask, truth) - 0.2
    # the review shows the source box beside the selected conversion's mask
    first = next(t for t in candidates if t.frame == 0)
    w.go_to_target(first.frame, first.id)
    w.refresh_masks()
    detail = w.source_boxes.items[1]
    x0, y0, x1, y1 = first.box
    assert detail.isVisible() and detail.rect().getCoords() == (x0, y0, x1, y1)
    w.annotator.select(None)
    w.refresh_masks()
    assert not detail.isVisible()


def test_a_confirmed_correction_changes_the_next_conversion(window, qtbot):
    """Loose boxes (2 px off the team's masks): the first conversion guesses; the annotator
    corrects frames 0 and 1 with the brush and confirms them; converting again fits the
    project's box convention and frames 2 and 3 come out nearer the team's masks."""
    w, truths, root = window
    for i, parts in enumerate(truths):
        boxes = [tuple(int(v) for v in loosen(tuple(map(float, p.bbox)), 2)) for p in parts]
        _voc(root / "loose" / f"f_{i}.xml", f"f_{i}.png", boxes)

    def score(targets, frames):
        out = []
        for t in targets:
            if t.frame in frames:
                truth = max(truths[t.frame], key=lambda p: cropped_iou(t.mask, p))
                out.append(cropped_iou(t.mask, truth))
        return float(np.mean(out))

    before = _convert(w, qtbot, root / "loose")
    a = w.annotator
    for t in sorted(before, key=lambda t: (t.frame, t.id)):
        if t.frame > 1:
            continue
        w.go_to_target(t.frame, t.id)
        truth = max(truths[t.frame], key=lambda p: cropped_iou(t.mask, p))
        want = truth.to_full(SHAPE)
        have = a.selected_target().mask.to_full(SHAPE)
        for erase, (ys, xs) in (
            (False, np.nonzero(want & ~have)),
            (True, np.nonzero(have & ~want)),
        ):
            for y, x in zip(ys, xs):  # one-pixel brush strokes, as the annotator paints
                a.begin_stroke(float(x), float(y), erase)
                a.end_stroke()
        assert np.array_equal(a.selected_target().mask.to_full(SHAPE), want)
        w.review_step(True)
    store, seq = w.workspace.store, w.workspace.sequence_id
    assert sum(t.status == "confirmed" for t in store.targets(seq)) == 4
    after = _convert(w, qtbot, root / "loose")
    assert len(after) == 2 * (FRAMES - 2)
    assert score(after, {2, 3}) > score(before, {2, 3}) + 0.1
    assert score(after, {2, 3}) > 0.85
    from label_irst.batch.convention import stored_box_convention

    stored = stored_box_convention(store)
    assert stored.n_examples == 4 and not stored.is_default


def _row(tid, area, box=None, source="box", score=None, rho=1.0):
    return QueueRow(tid, 0, "candidate", source, rho, None, area, box, score)


def test_doubtful_box_conversions_come_first_among_unscored_candidates():
    tight = (0, 0, 4, 4)  # 16 px
    rows = [
        _row(1, 14, tight, rho=0.5),  # fills its box: fine
        _row(2, 3, tight, rho=3.0),  # fills little of it
        _row(3, 30, tight, rho=2.0),  # leaks out of it
        _row(4, 9, None, source="pamg", rho=0.1),
        _row(5, 9, None, source="model", score=0.4, rho=5.0),
    ]
    assert box_doubt(rows[0]) == 0.0 and box_doubt(rows[3]) == 0.0
    assert box_doubt(rows[2]) > box_doubt(rows[1]) > 0.0
    assert [t.id for t in review_queue(rows)] == [5, 3, 2, 4, 1]
    assert [t.id for t in review_queue(rows, order="frame")][0] == 5
