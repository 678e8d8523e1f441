"""The detail region and the painting of both views (Sec. III-D1, Fig. 3).

The global view shows the whole frame with the region rectangle; the detail view shows the
region, ``region_size`` pixels across its narrower side, centred on ``centre``. The region
follows the selected target, the wheel zooms it, dragging its rectangle moves it.
"""

from __future__ import annotations

import numpy as np

from label_irst.gui import overlay
from label_irst.gui.display import salient_point

REGION_SIZES = (8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


class Viewport:
    """Where the detail region is, and the repaint of the frame and the region: the window's
    ``views`` through its display ``pipeline``, the pixel under the cursor in ``pixel_label``
    and the region in ``region_label``."""

    def __init__(self, window, views, pipeline, pixel_label, region_label):
        self.window = window
        self.views, self.pipeline = views, pipeline
        self.pixel_label, self.region_label = pixel_label, region_label
        self.region_size = 32
        self.centre = (0.0, 0.0)
        for view in views:
            view.sigHover.connect(self.on_hover)
        detail = views.detail_view
        detail.sigHover.connect(lambda col, row: overlay.show_footprint(window, detail, col, row))
        detail.box.sigWheel.connect(self.zoom_region)
        detail.sigResized.connect(self.resized)
        views.global_view.sigRegionMoved.connect(self.move_region)

    def _shown(self) -> bool:
        a = self.window.annotator
        return a is not None and a.frame is not None

    # -- where -----------------------------------------------------------------------------
    def nearest_target(self):
        """The visible target nearest the detail region's centre (the region follows it)."""
        visible = [t for t in self.window.annotator.visible() if np.isfinite(t.centroid[0])]
        cx, cy = self.centre
        return min(visible, key=lambda t: np.hypot(t.centroid[0] - cx, t.centroid[1] - cy),
                   default=None)  # fmt: skip

    def follow(self, opening: bool, unrelated: bool) -> None:
        """Centre the region for a frame just shown: on the selected target, else the target
        nearest the region; a sequence's first frame opens on its first saved target (else the
        most target-like pixel), and an unrelated frame without target on its most
        target-like pixel."""
        a = self.window.annotator
        if opening:
            visible = sorted(a.visible(), key=lambda t: (t.status != "confirmed", t.id))
            self.centre = visible[0].centroid if visible else salient_point(a.frame.raw)
        target = a.selected_target() or self.nearest_target()
        if target is not None:
            self.centre = target.centroid
        elif unrelated:
            self.centre = salient_point(a.frame.raw)

    def region(self) -> tuple[int, int, int, int]:
        """The detail region (x0, y0, w, h): ``region_size`` pixels across the narrower side of
        the detail view, the other side stretched to the view's shape so no space is wasted."""
        h, w = self.window.annotator.frame.raw.shape
        aspect = self.views.detail_view.aspect()
        across, down = (self.region_size * aspect, self.region_size) if aspect >= 1 else (
            self.region_size, self.region_size / aspect)  # fmt: skip
        size_w, size_h = min(int(round(across)), w), min(int(round(down)), h)
        x0 = int(np.clip(round(self.centre[0] - size_w / 2), 0, w - size_w))
        y0 = int(np.clip(round(self.centre[1] - size_h / 2), 0, h - size_h))
        return x0, y0, size_w, size_h

    # -- painting --------------------------------------------------------------------------
    def refresh_frame(self) -> None:
        """Repaint both pictures (frame change, contrast change)."""
        if not self._shown():
            return
        raw = self.window.annotator.frame.raw
        self.views.global_view.set_frame(self.pipeline.global_rgb(raw))
        self.refresh_region()

    def refresh_region(self) -> None:
        raw = self.window.annotator.frame.raw
        region = self.region()
        detail = self.views.detail_view
        self.views.global_view.set_region(*region)
        detail.set_region_image(self.pipeline.detail_rgb(raw, region), *region[:2])
        x0, y0, width, height = region
        self.region_label.setText(
            f"detail {width}×{height} px at ({x0}, {y0})  ×{detail.zoom():.0f}"
        )
        self.window.refresh_masks()

    def centre_on(self, point: tuple[float, float]) -> None:
        """Move the detail region to ``point`` (both views follow) and repaint."""
        if np.isfinite(point[0]) and np.isfinite(point[1]):
            self.centre = (float(point[0]), float(point[1]))
        self.refresh_region()

    # -- the views' signals ----------------------------------------------------------------
    def on_hover(self, col: int, row: int) -> None:
        if not self._shown():
            return
        raw = self.window.annotator.frame.raw
        if 0 <= row < raw.shape[0] and 0 <= col < raw.shape[1]:
            value = raw[row, col]
            text = f"{value:.4g}" if raw.dtype.kind == "f" else str(int(value))
            self.pixel_label.setText(f"x {col}  y {row}  value {text} ({raw.dtype})")

    def resized(self) -> None:
        if self._shown():
            self.refresh_region()

    def move_region(self, cx: float, cy: float) -> None:
        if self._shown():
            self.centre = (cx, cy)
            self.refresh_region()

    def zoom_region(self, direction: int) -> None:
        k = REGION_SIZES.index(self.region_size) if self.region_size in REGION_SIZES else 4
        self.region_size = REGION_SIZES[int(np.clip(k - direction, 0, len(REGION_SIZES) - 1))]
        if self._shown():
            self.refresh_region()
