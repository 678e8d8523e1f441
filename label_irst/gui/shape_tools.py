"""Box and polygon tools for large targets, where a seed's generator or a brush is slow.

* Box tool (D): drag a box around the target in the detail view; on release the box becomes a
  candidate mask through the box generator (``auto``: ``box-fill`` for a tight box,
  ``box-response`` for a loose one, :mod:`label_irst.core.box_generators`), source "box", its
  box kept beside it as for converted boxes.
* Polygon tool (L): each click adds a vertex at the pixel's centre; a click on the first vertex
  (or L again) closes it, and the polygon's pixels become a "manual" candidate.

Both are one undo step; the outline under the cursor shows the box, or the polygon so far.
"""

from __future__ import annotations

import cv2
import numpy as np

from label_irst.core.box_generators import get_box_generator
from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError


def box_from_drag(p0: tuple[float, float], p1: tuple[float, float], shape) -> tuple[int, ...]:
    """The pixel box (x0, y0, x1, y1), exclusive ends, holding both dragged corners' pixels."""
    h, w = shape
    xs = sorted((int(np.clip(np.floor(p0[0]), 0, w - 1)), int(np.clip(np.floor(p1[0]), 0, w - 1))))
    ys = sorted((int(np.clip(np.floor(p0[1]), 0, h - 1)), int(np.clip(np.floor(p1[1]), 0, h - 1))))
    return xs[0], ys[0], xs[1] + 1, ys[1] + 1


def box_pixels(box: tuple[int, int, int, int]) -> CroppedMask:
    x0, y0, x1, y1 = box
    return CroppedMask(np.ones((y1 - y0, x1 - x0), bool), (y0, x0))


def polygon_pixels(vertices: list[tuple[int, int]], shape) -> CroppedMask:
    """The pixels inside (and on) the polygon through the vertices' pixel centres."""
    full = np.zeros(shape, np.uint8)
    points = np.array(vertices, np.int32).reshape(-1, 1, 2)
    if len(vertices) >= 3:
        cv2.fillPoly(full, [points], 1)
    cv2.polylines(full, [points], len(vertices) >= 3, 1)
    return CroppedMask.from_full(full.astype(bool))


class ShapeTools:
    """The box drag and the polygon's vertices of the window's ``detail`` view."""

    def __init__(self, window, detail):
        self.window, self.detail = window, detail
        self.corner: tuple[float, float] | None = None
        self.vertices: list[tuple[int, int]] = []
        window.session.events.tool.connect(lambda _: self.cancel())

    def cancel(self) -> None:
        self.corner, self.vertices = None, []

    def _preview(self, mask: CroppedMask | None) -> None:
        self.detail.set_footprint(mask, (255, 210, 0))

    # -- box -------------------------------------------------------------------------------
    def drag(self, x: float, y: float, phase: str) -> None:
        a = self.window.annotator
        shape = a.frame.raw.shape
        if phase == "start" or self.corner is None:
            self.corner = (x, y)
        box = box_from_drag(self.corner, (x, y), shape)
        if phase != "finish":
            self._preview(box_pixels(box))
            return
        self.corner = None
        self._preview(None)
        try:
            result = get_box_generator("auto")(a.frame.raw, box, point_generator=a.generator)
            mask = result.mask if result.mask.area else box_pixels(box)
            rho = float(result.boundary_ratio)
        except LabelIrstError:
            mask, rho = box_pixels(box), 0.0
        target = a.add_drawn(mask, "box", box=box, rho=rho)
        self.window.viewport.centre_on(target.centroid)

    # -- polygon ---------------------------------------------------------------------------
    def click(self, x: float, y: float) -> None:
        vertex = (int(np.floor(x)), int(np.floor(y)))
        first = self.vertices[0] if self.vertices else None
        if (
            first is not None
            and len(self.vertices) >= 3
            and max(abs(vertex[0] - first[0]), abs(vertex[1] - first[1])) <= 1
        ):
            self.close_polygon()
            return
        self.vertices.append(vertex)
        self._preview(polygon_pixels(self.vertices, self.window.annotator.frame.raw.shape))
        self.window.statusBar().showMessage(
            f"polygon: {len(self.vertices)} vertex(es); click the first one (or L) to close it",
            3000,
        )

    def close_polygon(self) -> None:
        a = self.window.annotator
        if len(self.vertices) < 3 or a is None or a.frame is None:
            self.window.statusBar().showMessage("a polygon needs three vertices or more", 3000)
            return
        mask = polygon_pixels(self.vertices, a.frame.raw.shape)
        self.cancel()
        self._preview(None)
        target = a.add_drawn(mask, "manual")
        self.window.viewport.centre_on(target.centroid)
