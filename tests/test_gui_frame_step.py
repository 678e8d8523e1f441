"""A frame step of the real window (offscreen, pytest-qt): what it shows and what it re-reads.

The step is made cheap by keeping what did not change (the review queue, each frame's tracked
centroids for the trails), by painting each view once and by showing the display pictures
without a rescaled copy. These tests check that nothing shown goes stale: after an edit, a
write from another connection, a new queue option or new display settings the views and lists
show the new state, and the pixels on screen are those of the display pipeline.
"""

import sqlite3

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter, QPen, QTransform  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from label_irst.core.enhance import (  # noqa: E402
    COLORMAPS,
    DisplaySettings,
    clahe,
    colormap_lut,
    normalise,
    window_levels,
)
from label_irst.core.geometry import CroppedMask  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.gui.trails import TrailItem, trail_paths  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import ProjectStore, Target  # noqa: E402

FRAMES, SHAPE, TRACKS = 12, (160, 200), 3


@pytest.fixture
def project(tmp_path, monkeypatch):
    """12 uint16 frames; 3 model-candidate tracks (ids 1-3) of 3x3 masks moving 2 px a frame."""
    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, _, _ = synthetic_sequence(frames=FRAMES, shape=SHAPE, count=2, seed=3,
                                      dtype=np.uint16)  # fmt: skip
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"f_{i:02d}.png", f)
    path = tmp_path / "p.lirst"
    crop = np.ones((3, 3), bool)
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", FRAMES)
        for i in range(FRAMES):
            targets = [
                Target(sequence_id=sid, frame=i, mask=CroppedMask(crop, (30 + 40 * k, 20 + 2 * i)),
                       seed=(21 + 2 * i, 31 + 40 * k), source="model", rho=1.0 + 0.1 * k,
                       track_id=k + 1, status="candidate")
                for k in range(TRACKS)
            ]  # fmt: skip
            store.replace_candidates(sid, i, "model", targets, f"f_{i:02d}.png", SHAPE)
    return path


class PaintLog(QObject):
    """Per paint of a view's viewport: the frame shown and the trails drawn at that moment."""

    def __init__(self, window):
        super().__init__()
        self.window, self.paints = window, []
        self.views = {
            window.global_view.viewport(): "global",
            window.detail_view.viewport(): "detail",
        }
        for viewport in self.views:
            viewport.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj in self.views:
            w = self.window
            trails = w.tracks.trails[0 if self.views[obj] == "global" else 1].paths
            self.paints.append((self.views[obj], w.annotator.frame.index, list(trails)))
        return False


def settle(window):
    """Process events until the deferred refresh has run and nothing more is painted (what
    the event loop does after a key press)."""
    for _ in range(200):
        QApplication.processEvents()
        if not window._review_timer.isActive():
            break
        QTest.qWait(1)
    for _ in range(4):
        QApplication.processEvents()


@pytest.fixture
def window(qtbot, project, tmp_path):
    from label_irst.gui.main_window import MainWindow

    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.open_path(project)
    settle(w)
    return w


def _trails_with_centroids(window, index):
    """The trails of frame ``index`` computed from the store's targets by hand (no cache)."""
    store, sid = window.workspace.store, window.workspace.sequence_id
    frames = range(max(index - 8, 0), index + 1)
    kept = {j: [t for t in store.targets(sid, frame=j) if t.status != "rejected"] for j in frames}
    here = {t.track_id for t in kept[index] if t.track_id is not None}
    paths = {tid: [(t.centroid[0] + 0.5, t.centroid[1] + 0.5) for j in frames for t in kept[j]
                   if t.track_id == tid] for tid in here}  # fmt: skip
    return sorted(p for p in paths.values() if len(p) >= 2)


def test_a_step_paints_each_view_once_with_its_own_trails(window, qtbot):
    log = PaintLog(window)
    for index in range(1, 9):
        before = len(log.paints)
        qtbot.keyClick(window.detail_view, Qt.Key.Key_Right)  # the "next frame" key
        settle(window)
        assert window.annotator.frame.index == index
        step = log.paints[before:]
        assert sorted(view for view, _, _ in step) == ["detail", "global"], step
        for _view, shown, trails in step:  # never the last frame's trails over this frame
            assert shown == index
            assert sorted(trails) == _trails_with_centroids(window, index)
    assert len(_trails_with_centroids(window, 8)) == TRACKS  # 3 trails of 9 points were drawn


def test_trails_follow_edits_of_earlier_frames(window):
    store = window.workspace.store
    window.show_frame(6)
    settle(window)
    assert sorted(window.tracks.trails[0].paths) == _trails_with_centroids(window, 6)
    # reject track 2's target on frame 4 (an earlier frame the trail goes through)
    old = next(t for t in store.targets(window.workspace.sequence_id, frame=4) if t.track_id == 2)
    store.set_status([old.id], "rejected")
    window.show_frame(7)
    settle(window)
    expected = _trails_with_centroids(window, 7)
    assert sorted(window.tracks.trails[1].paths) == expected
    two = next(p for p in expected if p[0][1] == old.centroid[1] + 0.5)
    assert (old.centroid[0] + 0.5, old.centroid[1] + 0.5) not in two and len(two) == 7
    # a split of track 1 at frame 5 (a new track id from frame 5 on) shortens its trail
    later = [t.id for t in store.targets(window.workspace.sequence_id) if t.track_id == 1
             and t.frame >= 5]  # fmt: skip
    store.set_track(later, 99)
    window.show_frame(8)
    settle(window)
    assert sorted(window.tracks.trails[0].paths) == _trails_with_centroids(window, 8)
    assert sorted(len(p) for p in window.tracks.trails[0].paths) == [
        4,
        8,
        9,
    ]  # split off; frame 4 left out; whole


def _queue_texts(window):
    lst = window.review.list
    return [lst.item(i).text() for i in range(lst.count())]


def test_review_queue_is_kept_on_a_plain_step_and_rebuilt_after_any_change(window, monkeypatch):
    from label_irst.gui import main_window

    reads = []
    real = main_window.queue_rows
    monkeypatch.setattr(main_window, "queue_rows", lambda *a: reads.append(1) or real(*a))
    assert len(_queue_texts(window)) == TRACKS * FRAMES
    window.show_frame(1)
    window.show_frame(2)
    settle(window)
    assert reads == []  # a plain step re-reads nothing of the queue
    # an edit through the window
    window.annotator.select(window.annotator.visible()[0].id)
    window.edits.confirm()
    settle(window)
    assert len(_queue_texts(window)) == TRACKS * FRAMES - 1 and len(reads) == 1
    # a write from another connection (another program, a worker's own connection)
    sid = window.workspace.sequence_id
    first = window.workspace.store.targets(sid, frame=5)[0].id
    with sqlite3.connect(window.workspace.store.path) as other:
        other.execute("UPDATE targets SET status='rejected' WHERE id=?", (first,))
    other.close()
    window.show_frame(3)
    settle(window)
    assert len(_queue_texts(window)) == TRACKS * FRAMES - 2
    assert not any(f"#{first} " in text for text in _queue_texts(window))
    # the queue's own options
    window.review.by_track.setChecked(True)
    settle(window)
    assert len(_queue_texts(window)) == TRACKS and len(reads) == 3
    window.review.by_track.setChecked(False)
    window.review.order.setCurrentIndex(window.review.order.findData("frame"))
    settle(window)
    texts = _queue_texts(window)
    assert len(texts) == TRACKS * FRAMES - 2 and texts[0].startswith("frame 1 ")


def _rgb(qimage: QImage) -> np.ndarray:
    image = qimage.convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    data = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return data[:, : 3 * w].reshape(h, w, 3).copy()


def _by_hand(raw, settings: DisplaySettings, levels) -> np.ndarray:
    """The display picture from its definition: window + gamma, CLAHE, inversion, colour map."""
    grey = normalise(raw, levels, settings.gamma)
    if settings.clahe:
        grey = clahe(grey, settings.clahe_clip)
    if settings.invert:
        grey = 255 - grey
    return colormap_lut(settings.colormap)[grey]


def _grab(view) -> np.ndarray:
    view.viewport().repaint()
    return _rgb(view.viewport().grab().toImage())


@pytest.mark.parametrize("colormap", COLORMAPS)
def test_views_show_the_display_pixels_and_follow_new_settings(window, colormap):
    window.show_frame(4)
    settle(window)
    raw = window.annotator.frame.raw
    settings = DisplaySettings(colormap=colormap, gamma=1.4, invert=colormap == "iron", clahe=True)
    window.enhance.changed.emit(settings, True)  # the Enhancement tab's signal
    settle(window)
    levels = window_levels(raw, settings)
    shown = _rgb(window.global_view.image.qimage)
    np.testing.assert_array_equal(shown, _by_hand(raw, settings.with_(clahe=False), levels))
    x0, y0, w, h = window.viewport.region()
    detail = _rgb(window.detail_view.image.qimage)
    np.testing.assert_array_equal(detail, _by_hand(raw[y0 : y0 + h, x0 : x0 + w], settings, levels))
    # on screen: the same pixels as the images shown through pyqtgraph's levels (0, 255)
    window.session.set_overlay(
        outline=False
    )  # filled masks: an RGBA overlay on the detail view too
    for view in (window.global_view, window.detail_view):
        now = _grab(view)
        for item in (view.image, view.overlay):
            item.setImage(item.image.copy(), autoLevels=False, levels=(0, 255))
        np.testing.assert_array_equal(_grab(view), now)
    window.session.set_overlay(outline=True)


def _paint(draw, transform: QTransform) -> np.ndarray:
    image = QImage(300, 240, QImage.Format.Format_RGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setTransform(transform)
    draw(painter)
    painter.end()
    return _rgb(image)


def _one_by_one(segments, colour, width):
    """The reference drawing: one ``drawLine`` per segment with the item's pen."""

    def draw(painter):
        pen = QPen(colour)
        pen.setCosmetic(True)
        if width is not None:
            pen.setWidthF(width)
        painter.setPen(pen)
        for (xa, ya), (xb, yb) in segments:
            painter.drawLine(QPointF(xa, ya), QPointF(xb, yb))

    return draw


def test_trails_and_grid_drawn_in_one_call_are_their_lines_drawn_one_by_one(qtbot):
    import pyqtgraph as pg

    from label_irst.gui.views import _PixelGrid

    rng = np.random.default_rng(1)
    trails = TrailItem()
    trails.set_paths([list(map(tuple, rng.uniform(0, 60, (9, 2)))) for _ in range(6)])
    segments = [(a, b) for path in trails.paths for a, b in zip(path, path[1:])]
    grid = _PixelGrid()
    grid.set_rect(QRectF(3, 5, 21, 17))
    lines = [((x, 5), (x, 22)) for x in range(3, 25)] + [((3, y), (24, y)) for y in range(5, 23)]
    for scale in (1.0, 2.5, 3.7, 8.0, 13.0):
        t = QTransform().translate(rng.uniform(-5, 5), rng.uniform(-5, 5)).scale(scale, scale)
        drawn = _paint(trails.paint, t)
        assert drawn.any()
        np.testing.assert_array_equal(
            drawn, _paint(_one_by_one(segments, pg.mkColor("#ffd54f"), 1.5), t)
        )
        drawn = _paint(grid.paint, t)
        assert drawn.any()
        np.testing.assert_array_equal(
            drawn, _paint(_one_by_one(lines, pg.mkColor(255, 255, 255, 40), None), t)
        )


def test_trail_paths_match_the_store_with_many_frames(window):
    for index in (0, 1, 5, 11, 3):  # forwards, backwards, past the cache's frames
        got = trail_paths(window.workspace.store, window.workspace.sequence_id, index)
        expected = _trails_with_centroids(window, index)
        assert sorted([(x + 0.5, y + 0.5) for x, y in p] for p in got.values()) == expected
