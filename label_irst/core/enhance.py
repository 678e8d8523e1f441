"""Display-only contrast for infrared frames (the raw frame is never changed).

Window/level by percentiles or min-max, gamma, local contrast (CLAHE), pseudo-colour maps
(grey, inferno, turbo, iron) and inversion. Algorithms (PAMG, Sec. III-A) always run on the raw
frame; this module only turns a raw array into an RGB uint8 picture for the screen, so 16-bit
targets a few levels above their background stay visible instead of being lost in an 8-bit
conversion (the point made in Sec. III-D1 about annotating on raw data).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from label_irst.errors import LabelIrstError

COLORMAPS = ("grey", "inferno", "turbo", "iron")
WINDOW_MODES = ("percentile", "minmax")


@dataclass(frozen=True)
class DisplaySettings:
    """How a raw frame is shown. ``low``/``high`` are percentiles in percentile mode."""

    mode: str = "percentile"
    low: float = 0.5
    high: float = 99.8
    gamma: float = 1.0
    clahe: bool = False
    clahe_clip: float = 2.0
    colormap: str = "grey"
    invert: bool = False

    def with_(self, **changes) -> DisplaySettings:
        return replace(self, **changes)

    def check(self) -> DisplaySettings:
        if self.mode not in WINDOW_MODES:
            raise LabelIrstError(f"unknown window mode {self.mode!r}; choose {WINDOW_MODES}")
        if self.colormap not in COLORMAPS:
            raise LabelIrstError(f"unknown colour map {self.colormap!r}; choose {COLORMAPS}")
        if not 0.0 <= self.low < self.high <= 100.0:
            raise LabelIrstError("the window needs 0 <= low < high <= 100 (percentiles)")
        if not self.gamma > 0:
            raise LabelIrstError("gamma must be positive")
        return self


def window_levels(image: np.ndarray, settings: DisplaySettings) -> tuple[float, float]:
    """The raw (black, white) levels of the display window."""
    data = np.asarray(image)
    if data.size > 262144:  # a strided sample is enough for percentiles of a big frame
        step = int(np.ceil(np.sqrt(data.size / 262144)))
        data = data[::step, ::step]
    if settings.mode == "minmax":
        lo, hi = float(data.min()), float(data.max())
    else:
        lo, hi = (float(v) for v in np.percentile(data, (settings.low, settings.high)))
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def normalise(image: np.ndarray, levels: tuple[float, float], gamma: float = 1.0) -> np.ndarray:
    """Map raw values to uint8 through the window and gamma: out = 255 ((v - lo) / (hi - lo))^(1/gamma)."""
    lo, hi = levels
    unit = (np.asarray(image, dtype=np.float32) - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    np.clip(unit, 0.0, 1.0, out=unit)
    if gamma != 1.0:
        np.power(unit, np.float32(1.0 / gamma), out=unit)
    return (unit * 255.0 + 0.5).astype(np.uint8)


def clahe(grey8: np.ndarray, clip: float = 2.0, tiles: int = 8) -> np.ndarray:
    """Contrast-limited adaptive histogram equalisation (OpenCV) of an 8-bit picture."""
    h, w = grey8.shape
    grid = (max(1, min(tiles, w // 8)), max(1, min(tiles, h // 8)))
    return cv2.createCLAHE(clipLimit=float(clip), tileGridSize=grid).apply(grey8)


def _iron_lut() -> np.ndarray:
    """An iron-bow palette: black, deep blue, purple, red, orange, yellow, white."""
    stops = np.array([0.0, 0.15, 0.35, 0.55, 0.75, 0.9, 1.0])
    colours = np.array(
        [
            [0, 0, 0],
            [32, 0, 140],
            [150, 0, 160],
            [225, 50, 40],
            [250, 150, 0],
            [255, 220, 60],
            [255, 255, 255],
        ],
        dtype=np.float64,
    )
    x = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(x, stops, colours[:, c]) for c in range(3)], 1).astype(np.uint8)


def _opencv_lut(code: int) -> np.ndarray:
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, code).reshape(256, 3)
    return np.ascontiguousarray(bgr[:, ::-1])


_LUTS: dict[str, np.ndarray] = {}


def colormap_lut(name: str) -> np.ndarray:
    """A 256 x 3 uint8 RGB look-up table for a colour map name."""
    if name not in _LUTS:
        if name == "grey":
            ramp = np.arange(256, dtype=np.uint8)
            _LUTS[name] = np.stack([ramp, ramp, ramp], 1)
        elif name == "inferno":
            _LUTS[name] = _opencv_lut(cv2.COLORMAP_INFERNO)
        elif name == "turbo":
            _LUTS[name] = _opencv_lut(cv2.COLORMAP_TURBO)
        elif name == "iron":
            _LUTS[name] = _iron_lut()
        else:
            raise LabelIrstError(f"unknown colour map {name!r}; choose {COLORMAPS}")
    return _LUTS[name]


def to_display(
    image: np.ndarray,
    settings: DisplaySettings = DisplaySettings(),
    levels: tuple[float, float] | None = None,
) -> np.ndarray:
    """An RGB uint8 picture (h, w, 3) of a raw frame; ``levels`` overrides the window."""
    settings.check()
    if levels is None:
        levels = window_levels(image, settings)
    grey = normalise(image, levels, settings.gamma)
    if settings.clahe and min(grey.shape) >= 2:
        grey = clahe(grey, settings.clahe_clip)
    if settings.invert:
        grey = 255 - grey
    return pseudo_colour(grey, settings.colormap)


def pseudo_colour(grey8: np.ndarray, name: str) -> np.ndarray:
    """``colormap_lut(name)[grey8]`` (h, w, 3), through OpenCV's look-up table (``cvtColor``
    for grey, ``applyColorMap`` with the map's own table otherwise): the same bytes, several
    times faster than NumPy's fancy indexing of a 256 x 3 table on a whole frame."""
    lut = colormap_lut(name)
    if grey8.ndim != 2 or grey8.size == 0 or grey8.dtype != np.uint8:
        return lut[grey8]
    grey8 = np.ascontiguousarray(grey8)
    if name == "grey":
        return cv2.cvtColor(grey8, cv2.COLOR_GRAY2RGB)
    return cv2.applyColorMap(grey8, lut.reshape(256, 1, 3))
