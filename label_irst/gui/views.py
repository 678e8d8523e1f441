"""The two image views: the Global View (whole frame + region rectangle) and the Detail View
(the region magnified with nearest-neighbour pixels, mask overlay, seed markers, pixel grid).

Views only show pictures and report mouse events in frame pixel coordinates (x = column,
y = row); they never run an algorithm. Pixel (c, r) covers [c, c+1) x [r, r+1) in view units.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen

from label_irst.gui.outline import PixelOutlines, edge_path

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

ZOOMS = (2, 3, 4, 6, 8, 12, 16, 24, 32)


def points_rect(points) -> QRectF:
    """The rectangle of (x, y) points, one pixel wider and taller (empty without points)."""
    if not points:
        return QRectF()
    xs, ys = zip(*points)
    return QRectF(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


class FrameViewBox(pg.ViewBox):
    """A y-down, aspect-locked view box that reports left clicks and (when enabled) drags."""

    sigPixelClicked = Signal(float, float)
    sigPixelDragged = Signal(float, float, str)  # phase: start / move / finish
    sigWheel = Signal(int)

    def __init__(self):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.setMouseEnabled(False, False)
        self.paint_drags = False
        #: the wheel zooms this view itself (else it is reported by ``sigWheel``)
        self.zooms = False
        #: keyboard modifiers of the last click (Shift+click re-seeds)
        self.modifiers = Qt.KeyboardModifier.NoModifier

    def mouseClickEvent(self, ev):
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.modifiers = ev.modifiers()
            p = self.mapSceneToView(ev.scenePos())
            self.sigPixelClicked.emit(p.x(), p.y())
        else:
            ev.ignore()

    def mouseDragEvent(self, ev, axis=None):
        if ev.button() != Qt.MouseButton.LeftButton or not self.paint_drags:
            ev.ignore()
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():  # a drag starts where the button went down, not at the first move
            down = self.mapSceneToView(ev.buttonDownScenePos())
            self.sigPixelDragged.emit(down.x(), down.y(), "start")
        phase = "finish" if ev.isFinish() else "move"
        self.sigPixelDragged.emit(p.x(), p.y(), phase)

    def wheelEvent(self, ev, axis=None):
        ev.accept()
        if self.zooms:  # the global view: zoom about the pointer (1-2 px misses at < 1x)
            factor = 0.8 if ev.delta() > 0 else 1.25
            self.scaleBy((factor, factor), center=self.mapSceneToView(ev.scenePos()))
            return
        self.sigWheel.emit(1 if ev.delta() > 0 else -1)


class SeedMarkers(pg.GraphicsObject):
    """A small cross on each seed pixel, drawn directly (a few lines per seed, no symbol cache)."""

    def __init__(self):
        super().__init__()
        self.points: list[tuple[int, int]] = []
        self._rect = QRectF()

    def set_points(self, points) -> None:
        self.prepareGeometryChange()
        self.points = [(int(x), int(y)) for x, y in points]
        self._rect = points_rect(self.points)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args) -> None:
        pen = QPen(pg.mkColor("#00e5ff"))
        pen.setCosmetic(True)
        pen.setWidthF(2.0)
        painter.setPen(pen)
        for x, y in self.points:
            painter.drawLine(pg.Point(x + 0.15, y + 0.15), pg.Point(x + 0.85, y + 0.85))
            painter.drawLine(pg.Point(x + 0.85, y + 0.15), pg.Point(x + 0.15, y + 0.85))


def show_rgb(item: pg.ImageItem, rgb: np.ndarray) -> None:
    """Show a uint8 RGB or RGBA picture as it is: no levels, so pyqtgraph wraps the array in a
    QImage without rescaling it (levels (0, 255) gave the same pixels through a copy of the
    frame, and the RGBA overlays through pyqtgraph's slow general path)."""
    item.setImage(np.ascontiguousarray(rgb, np.uint8), levels=None)


class _FrameView(pg.GraphicsView):
    """Shared base: a view box, an image item, an RGBA overlay item and seed markers."""

    sigHover = Signal(int, int)

    def __init__(self):
        super().__init__()
        self.setBackground("#202020")
        self.box = FrameViewBox()
        self.setCentralItem(self.box)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay = pg.ImageItem(axisOrder="row-major")
        self.overlay.setZValue(5)
        self.seeds = SeedMarkers()
        self.seeds.setZValue(10)
        for item in (self.image, self.overlay, self.seeds):
            self.box.addItem(item)
        self.scene().sigMouseMoved.connect(self._moved)

    def _moved(self, scene_pos) -> None:
        p = self.box.mapSceneToView(scene_pos)
        if math.isfinite(p.x()) and math.isfinite(p.y()):
            self.sigHover.emit(math.floor(p.x()), math.floor(p.y()))

    def set_seeds(self, points: list[tuple[float, float]]) -> None:
        self.seeds.set_points(points)

    def scene_point(self, x: float, y: float):
        """Widget coordinates of frame point (x, y) (used to drive the view with real events)."""
        scene = self.box.mapViewToScene(pg.Point(x, y))
        return self.mapFromScene(scene)


class RegionRect(pg.ROI):
    """The detail region's rectangle: dragged to move the region; a click falls through to the
    frame below (the rectangle usually sits on the target being annotated)."""

    def mouseClickEvent(self, ev):
        box = self.getViewBox()
        if box is not None and ev.button() == Qt.MouseButton.LeftButton:
            box.mouseClickEvent(ev)  # hovering the rectangle made it the click's receiver
        else:
            ev.ignore()


class GlobalView(_FrameView):
    """The whole frame with a draggable region-of-interest rectangle."""

    sigRegionMoved = Signal(float, float)  # new centre (x, y)

    def __init__(self):
        super().__init__()
        self.roi = RegionRect(
            [0, 0], [32, 32], pen=pg.mkPen("#ffd400", width=1.5), movable=True,
            resizable=False, rotatable=False, removable=False,
        )  # fmt: skip
        self.roi.setZValue(20)
        self.box.addItem(self.roi)
        self.roi.sigRegionChanged.connect(self._roi_moved)
        self._quiet = False
        self.box.zooms = True
        self._shape = None

    def set_frame(self, rgb: np.ndarray) -> None:
        """Show a frame; the zoom is kept while the frames keep their size."""
        show_rgb(self.image, rgb)
        if rgb.shape[:2] != self._shape:
            self._shape = rgb.shape[:2]
            self.fit()

    def fit(self) -> None:
        """The whole frame in view."""
        if self._shape is not None:
            h, w = self._shape
            self.box.setRange(QRectF(0, 0, w, h), padding=0.02)

    def set_overlay(self, rgba: np.ndarray) -> None:
        show_rgb(self.overlay, rgba)

    def set_region_colour(self, rgb) -> None:
        self.roi.setPen(pg.mkPen(pg.mkColor(*rgb), width=1.5))

    def set_region(self, x0: int, y0: int, w: int, h: int) -> None:
        self._quiet = True
        self.roi.setPos((x0, y0), update=False)
        self.roi.setSize((w, h))
        self._quiet = False

    def _roi_moved(self) -> None:
        if self._quiet:
            return
        pos, size = self.roi.pos(), self.roi.size()
        self.sigRegionMoved.emit(pos.x() + size.x() / 2, pos.y() + size.y() / 2)


class _PixelGrid(pg.GraphicsObject):
    """Thin lines between pixels of a region, drawn only when the zoom makes them useful."""

    def __init__(self):
        super().__init__()
        self.rect = QRectF()

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.rect = QRectF(rect)
        self.update()

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter: QPainter, *args) -> None:
        pen = QPen(pg.mkColor(255, 255, 255, 40))
        pen.setCosmetic(True)
        painter.setPen(pen)
        r = self.rect
        top, bottom, left, right = r.top(), r.bottom(), r.left(), r.right()
        # one call for all the lines (QPainter.drawLine is drawLines of one line)
        lines = [QLineF(x, top, x, bottom) for x in range(int(left), int(right) + 1)]
        lines += [QLineF(left, y, right, y) for y in range(int(top), int(bottom) + 1)]
        painter.drawLines(lines)


class DetailView(_FrameView):
    """The region magnified: nearest-neighbour pixels, overlay, seeds, optional pixel grid."""

    sigResized = Signal()

    def __init__(self):
        super().__init__()
        self.grid = _PixelGrid()
        self.grid.setZValue(8)
        self.box.addItem(self.grid)
        self.show_grid = True
        self.region = QRectF(0, 0, 1, 1)
        self.outlines = PixelOutlines()  # masks in outline mode
        self.outlines.setZValue(7)
        self.cursor_outline = PixelOutlines()  # brush / snap footprint under the cursor
        self.cursor_outline.setZValue(12)
        self.box.addItem(self.outlines)
        self.box.addItem(self.cursor_outline)

    def set_outlines(self, masks) -> None:
        """Outline (mask, rgb, width) triples along pixel edges (no pixel covered)."""
        self.outlines.set_items([(edge_path(m), rgb, width) for m, rgb, width in masks])

    def set_footprint(self, mask, rgb=(255, 255, 255)) -> None:
        """The pixels the next brush stroke or click would use (None hides it)."""
        path = None if mask is None else edge_path(mask)  # dark under light: seen on any pixel
        items = [] if path is None else [(path, (0, 0, 0, 200), 3.0), (path, (*rgb, 230), 1.0)]
        self.cursor_outline.set_items(items)

    def set_region_image(self, rgb: np.ndarray, x0: int, y0: int) -> None:
        h, w = rgb.shape[:2]
        self.region = QRectF(x0, y0, w, h)
        show_rgb(self.image, rgb)
        self.image.setRect(self.region)
        self.box.setRange(self.region, padding=0)
        # the view's new transform now, not at the start of the next paint: applied there, it
        # marks the scene changed again and the view paints a second time
        self.box.prepareForPaint()
        self.grid.setVisible(self.show_grid and self.zoom() >= 8)
        self.grid.set_rect(self.region)

    def set_overlay(self, rgba: np.ndarray) -> None:
        show_rgb(self.overlay, rgba)
        self.overlay.setRect(self.region)

    def aspect(self) -> float:
        """Width / height of the view on screen (1 before it is laid out)."""
        w, h = self.width(), self.height()
        return w / h if w > 50 and h > 50 else 1.0

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self.sigResized.emit()  # the window re-shapes the region to the view and re-labels the zoom

    def zoom(self) -> float:
        """Screen pixels per frame pixel."""
        width = max(self.region.width(), 1.0)
        return min(self.width() / width, self.height() / max(self.region.height(), 1.0))


class Views(NamedTuple):
    """The window's two image views: the whole frame and the detail region."""

    global_view: GlobalView
    detail_view: DetailView
