"""Pictures for the views, computed from the raw frame (no Qt): contrast and mask overlays.

The global view uses the frame's window; the detail view either shares it (linked) or takes its
own window from the region (independent), and applies CLAHE to the region only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from label_irst.core.enhance import DisplaySettings, to_display, window_levels
from label_irst.core.geometry import CroppedMask, boundary_pixels
from label_irst.io.project import Target

CONFIRMED_RGBA = (0, 255, 0, 95)
CANDIDATE_RGBA = (0, 255, 255, 95)
SELECTED_ALPHA = 130
INTERIOR_ALPHA = 55
BOUNDARY_ALPHA = 210

#: overlay colours per colour map, chosen far (RGB distance > 140) from every colour the map
#: itself shows, so that masks and the region rectangle never vanish into the picture
PALETTES = {
    "grey": {"confirmed": (0, 255, 0), "candidate": (0, 255, 255),
             "rejected": (255, 0, 255), "region": (255, 212, 0)},
    "inferno": {"confirmed": (0, 255, 0), "candidate": (0, 255, 255),
                "rejected": (255, 0, 255), "region": (0, 160, 255)},
    "iron": {"confirmed": (0, 255, 0), "candidate": (0, 255, 255),
             "rejected": (255, 0, 255), "region": (0, 160, 255)},
    "turbo": {"confirmed": (255, 0, 255), "candidate": (255, 255, 255),
              "rejected": (0, 0, 0), "region": (255, 255, 255)},
}  # fmt: skip


def palette(colormap: str) -> dict[str, tuple[int, int, int]]:
    return PALETTES.get(colormap, PALETTES["grey"])


@dataclass
class OverlayStyle:
    """How masks are drawn: outlines (no target pixel covered) or filled, opacity, hidden; and
    the detail view's pixel grid."""

    outline: bool = True
    opacity: float = 0.5
    hidden: bool = False
    grid: bool = True


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
    colormap: str = "grey",
    opacity: float = 0.5,
    ring: bool = False,
) -> np.ndarray:
    """A (h, w, 4) picture of the region, in the colour map's :func:`palette`.

    Filled: the mask at ``opacity`` (selected a little stronger). With ``outline`` (the
    magnified detail view) the interior is a light tint and the mask's boundary pixels (a
    4-neighbour outside) are strong. With ``ring`` only the pixels just *outside* the mask are
    painted (the outline-only mode of the whole-frame view): no target pixel is covered.
    """
    x0, y0, w, h = region
    out = np.zeros((h, w, 4), np.uint8)
    colours = palette(colormap)
    scale = opacity / 0.5
    for t in sorted(targets, key=lambda t: t.id == selected):
        if t.mask.crop.size == 0:
            continue
        # each target is painted in its own window (its bbox grown by the ring's pixel, clipped
        # to the region), never over the whole region: 20 targets cost 20 small windows
        top, left = t.mask.offset[0] - y0, t.mask.offset[1] - x0
        ya, xa = max(top - 1, 0), max(left - 1, 0)
        yb = min(top + t.mask.crop.shape[0] + 1, h)
        xb = min(left + t.mask.crop.shape[1] + 1, w)
        if ya >= yb or xa >= xb:
            continue
        win = out[ya:yb, xa:xb]
        local = CroppedMask(t.mask.crop, (top - ya, left - xa))
        inside = np.zeros(win.shape[:2], bool)
        local.paint(inside)
        rgb = list(colours[t.status])
        alpha = SELECTED_ALPHA if t.id == selected else CONFIRMED_RGBA[3]
        if ring:
            grown = inside.copy()
            grown[1:] |= inside[:-1]
            grown[:-1] |= inside[1:]
            grown[:, 1:] |= inside[:, :-1]
            grown[:, :-1] |= inside[:, 1:]
            win[grown & ~inside] = rgb + [min(255, int(255 * min(1.0, 2 * opacity)))]
            continue
        if not outline:
            win[inside] = rgb + [min(255, int(alpha * scale))]
            continue
        colour = rgb
        win[inside] = colour[:3] + [min(255, int(INTERIOR_ALPHA * scale))]
        rows, cols = boundary_pixels(local)
        keep = (rows >= 0) & (rows < win.shape[0]) & (cols >= 0) & (cols < win.shape[1])
        win[rows[keep], cols[keep]] = colour[:3] + [min(255, int(BOUNDARY_ALPHA * scale))]
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
