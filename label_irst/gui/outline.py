"""Outlines drawn along pixel edges: masks in outline mode and the brush / snap footprint under
the cursor. A line between pixels covers none of them, so the target stays fully readable."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen

from label_irst.core.geometry import CroppedMask


def edge_path(mask: CroppedMask) -> QPainterPath:
    """The edges between the mask's pixels and the pixels outside it, in frame coordinates."""
    path = QPainterPath()
    crop = np.asarray(mask.crop, bool)
    if crop.size == 0:
        return path
    y0, x0 = mask.offset
    padded = np.zeros((crop.shape[0] + 2, crop.shape[1] + 2), bool)
    padded[1:-1, 1:-1] = crop
    horizontal = padded[1:, 1:-1] != padded[:-1, 1:-1]  # edge above row r (r = 0..h)
    vertical = padded[1:-1, 1:] != padded[1:-1, :-1]  # edge left of column c (c = 0..w)
    move, line = path.moveTo, path.lineTo
    rows, cols = np.nonzero(horizontal)
    for y, x in zip((rows + y0).tolist(), (cols + x0).tolist()):
        move(x, y)
        line(x + 1, y)
    rows, cols = np.nonzero(vertical)
    for y, x in zip((rows + y0).tolist(), (cols + x0).tolist()):
        move(x, y)
        line(x, y + 1)
    return path


class PixelOutlines(pg.GraphicsObject):
    """Paths with a colour and a cosmetic (screen-pixel) width each."""

    def __init__(self):
        super().__init__()
        self.items: list[tuple[QPainterPath, tuple, float]] = []
        self._rect = QRectF()

    def set_items(self, items) -> None:
        self.prepareGeometryChange()
        self.items = list(items)
        rect = QRectF()
        for path, _, _ in self.items:
            rect = rect.united(path.boundingRect())
        self._rect = rect.adjusted(-1, -1, 1, 1) if self.items else QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args) -> None:
        for path, colour, width in self.items:
            pen = QPen(pg.mkColor(*colour))
            pen.setCosmetic(True)
            pen.setWidthF(width)
            painter.setPen(pen)
            painter.drawPath(path)
