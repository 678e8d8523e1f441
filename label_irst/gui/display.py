"""Pictures for the views, computed from the raw frame (no Qt): contrast and mask overlays.

The global view uses the frame's window; the detail view either shares it (linked) or takes its
own window from the region (independent), and applies CLAHE to the region only.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.enhance import DisplaySettings, to_display, window_levels
from label_irst.core.geometry import CroppedMask, boundary_pixels
from label_irst.io.project import Target

CONFIRMED_RGBA = (255, 30, 30, 95)
CANDIDATE_RGBA = (255, 170, 0, 95)
SELECTED_ALPHA = 130
INTERIOR_ALPHA = 55
BOUNDARY_ALPHA = 210


class DisplayPipeline:
    """Display settings plus the cached window of the current frame."""

    def __init__(self, settings: DisplaySettings | None = None, linked: bool = True):
        self.settings = settings or DisplaySettings()
        self.linked = linked
        self._levels_for: int | None = None
        self._levels = (0.0, 1.0)

    def levels(self, raw: np.ndarray) -> tuple[float, float]:
        key = id(raw)
        if self._levels_for != key:
            self._levels = window_levels(raw, self.settings)
            self._levels_for = key
        return self._levels

    def set_settings(self, settings: DisplaySettings, linked: bool) -> None:
        self.settings = settings.check()
        self.linked = linked
        self._levels_for = None

    def global_rgb(self, raw: np.ndarray) -> np.ndarray:
        return to_display(raw, self.settings.with_(clahe=False), self.levels(raw))

    def detail_rgb(self, raw: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
        x0, y0, w, h = region
        crop = raw[y0 : y0 + h, x0 : x0 + w]
        levels = self.levels(raw) if self.linked else None
        return to_display(crop, self.settings, levels)


def overlay_rgba(
    targets: list[Target],
    region: tuple[int, int, int, int],
    selected: int | None = None,
    outline: bool = False,
) -> np.ndarray:
    """A (h, w, 4) picture of the region: confirmed targets red, candidates orange.

    With ``outline`` (the magnified detail view) the interior is a light tint and the mask's
    boundary pixels (a 4-neighbour outside) are strong, so the target's own pixels stay
    readable under the mask while its edge is unmistakable.
    """
    x0, y0, w, h = region
    out = np.zeros((h, w, 4), np.uint8)
    for t in sorted(targets, key=lambda t: t.id == selected):
        if t.mask.crop.size == 0:
            continue
        local = CroppedMask(t.mask.crop, (t.mask.offset[0] - y0, t.mask.offset[1] - x0))
        inside = np.zeros((h, w), bool)
        local.paint(inside)
        colour = list(CONFIRMED_RGBA if t.status == "confirmed" else CANDIDATE_RGBA)
        if t.id == selected:
            colour[3] = SELECTED_ALPHA
        if not outline:
            out[inside] = colour
            continue
        out[inside] = colour[:3] + [INTERIOR_ALPHA]
        rows, cols = boundary_pixels(local)
        keep = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        out[rows[keep], cols[keep]] = colour[:3] + [BOUNDARY_ALPHA]
    return out


def salient_point(raw: np.ndarray, step: int = 4) -> tuple[float, float]:
    """The most target-like pixel (x, y) of a frame, where the detail region opens.

    A local contrast measure in the spirit of Sec. II's small-target priors: the 3x3 mean at a
    pixel minus the brightest of the eight 3x3 means ``step`` pixels away. A small bright spot
    beats every neighbour block; an edge or a thin line keeps at least one neighbour as bright
    as itself and scores low. Display only: nothing is seeded.
    """
    h, w = raw.shape
    margin = step + 1
    if h <= 2 * margin or w <= 2 * margin:
        return w / 2, h / 2
    image = raw.astype(np.float32, copy=False)
    pad = np.pad(image, 1, mode="edge")
    mean = sum(pad[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)) / 9.0
    core = mean[margin:-margin, margin:-margin]
    score = np.full_like(core, np.inf)
    for dy in (-step, 0, step):
        for dx in (-step, 0, step):
            if dy or dx:
                shifted = mean[margin + dy : h - margin + dy, margin + dx : w - margin + dx]
                np.minimum(score, core - shifted, out=score)
    row, col = np.unravel_index(int(np.argmax(score)), score.shape)
    return col + margin + 0.5, row + margin + 0.5
