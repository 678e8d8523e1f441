"""Box-to-mask generators that use the box (Sec. III-D1 and Sec. II-B on boxes as labels).

The SIRSTD-Pixel conversion of Sec. III-D1 seeds PAMG at the box centre and then ignores the
box. A box is more than a seed: it is the annotator's statement about the target's extent. Sec.
II-B notes that loose boxes bring in background and tight boxes may miss the blurred support;
a tight box also carries the team's edge convention, which a single click cannot. Every generator here is ``fn(image, box, support_radius=20,
point_generator="pamg+") -> GeneratedMask`` (the point generator by name, or a point
convention's ``generate``) with ``box = (x0, y0, x1, y1)`` in 0-based
pixel-edge coordinates (x1, y1 exclusive, as the box readers return them):

* ``pamg-box``: the point generator seeded at the strongest response inside the box, its mask
  clipped to the box (the box bounds the growth the point generator cannot bound itself).
* ``pamg-rs``: the point generator seeded there with its support radius Rs (Eq. 6's spatial
  term) set from the box: half the box diagonal, the box's own size instead of a fixed Rs.
* ``box-response``: the target's response inside the box: the pixels that stand at least
  RESPONSE_LEVEL of the peak contrast above the background (the median of a ring around the
  box), the 8-connected part holding the peak, holes filled. Serves loose boxes.
* ``box-fill``: the box filled, shrunk to the target's response: box pixels below FILL_LEVEL of
  the peak contrast (background caught in the box's corners) are dropped. Serves tight boxes.
* ``box-ellipse``: the ellipse inscribed in the box, shrunk the same way.
* ``centre``: the point generator seeded at the box centre with Rs covering the box, the box
  otherwise ignored: the SIRSTD-Pixel conversion of Sec. III-D1, kept as the baseline.
* ``auto``: ``box-fill`` for a tight box, ``box-response`` for a loose one, by :func:`tightness`
  (how much of the box's border ring is background).

Intensities are read raw (8-bit, 16-bit, float alike); a dark target (the box's trough further
below the background than its peak is above) is handled with the response reversed. The levels
are fractions of the local contrast, not grey values, so they do not depend on the sensor's
range; they were chosen on sirst-v1's train split (docs/benchmarks.md, "Box to mask").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from label_irst.core.geometry import CroppedMask
from label_irst.core.result import GeneratedMask, describe
from label_irst.errors import LabelIrstError

BoxCoords = tuple[float, float, float, float]
#: box-fill and box-ellipse drop box pixels below this share of the peak contrast.
FILL_LEVEL = 0.1
#: box-response keeps the pixels at or above this share of the peak contrast.
RESPONSE_LEVEL = 0.25
#: a pixel of the box's border ring is background when it stands less than NOISE_Z times the
#: ring's noise (1.4826 MAD) above the background, or less than NOISE_FLOOR of the peak contrast
NOISE_Z = 2.0
NOISE_FLOOR = 0.05
#: a box is tight when less than this share of its border ring is background.
TIGHT_SHARE = 0.7
#: width (pixels) of the ring around the box that gives the background level.
RING = 2
DEFAULT_SUPPORT_RADIUS = 20.0
#: the largest support radius a box may ask for (PAMG's window grows with Rs squared)
MAX_SUPPORT_RADIUS = 1000.0


def box_window(box: BoxCoords, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box's pixels as integer (c0, r0, c1, r1), exclusive ends, clipped to the frame.

    A pixel belongs to the box when its centre lies inside it; a box holding no pixel centre
    keeps the pixel under its centre. A box with no pixel on the frame is refused."""
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 < x0 or y1 < y0:
        raise LabelIrstError(f"box {x0:g},{y0:g},{x1:g},{y1:g} is not a box")
    c0, r0 = math.floor(x0 + 0.5), math.floor(y0 + 0.5)
    c1, r1 = math.floor(x1 + 0.5), math.floor(y1 + 0.5)
    if c1 <= c0:
        c0 = math.floor((x0 + x1) / 2)
        c1 = c0 + 1
    if r1 <= r0:
        r0 = math.floor((y0 + y1) / 2)
        r1 = r0 + 1
    h, w = shape
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, w), min(r1, h)
    if c0 >= c1 or r0 >= r1:
        raise LabelIrstError(f"box {x0:g},{y0:g},{x1:g},{y1:g} lies outside the {w}x{h} image")
    return c0, r0, c1, r1


def loosen(box: BoxCoords, pixels: float) -> BoxCoords:
    """The box with ``pixels`` added on each side (negative: taken off, never past its centre)."""
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx = max(pixels, -(x1 - x0) / 2 + 0.5)
    dy = max(pixels, -(y1 - y0) / 2 + 0.5)
    return (min(x0 - dx, cx), min(y0 - dy, cy), max(x1 + dx, cx), max(y1 + dy, cy))


@dataclass(frozen=True)
class Response:
    """The target's response inside a box: ``level`` is (I - background) / (peak - background)
    per box pixel (1 at the peak, 0 at the background; reversed for a dark target)."""

    level: np.ndarray
    window: tuple[int, int, int, int]
    peak: tuple[int, int]  # (x, y) in frame pixels
    polarity: str
    #: the ring's noise (1.4826 x its median absolute deviation) in units of the peak contrast
    noise: float = 0.0

    def mask(self, keep: np.ndarray) -> CroppedMask:
        c0, r0, _, _ = self.window
        rows, cols = np.nonzero(keep)
        return CroppedMask.from_pixels(rows + r0, cols + c0)


def response(image: np.ndarray, box: BoxCoords) -> Response:
    """Background = median of a RING-pixel ring around the box (the box's own border where the
    box covers the frame); the polarity is the side the box departs further from it."""
    if image.ndim != 2 or image.size == 0:
        raise LabelIrstError(f"expected a non-empty grey image, got shape {image.shape}")
    c0, r0, c1, r1 = box_window(box, image.shape)
    h, w = image.shape
    a0, b0 = max(c0 - RING, 0), max(r0 - RING, 0)
    a1, b1 = min(c1 + RING, w), min(r1 + RING, h)
    around = image[b0:b1, a0:a1].astype(np.float64)
    outside = np.ones(around.shape, bool)
    outside[r0 - b0 : r1 - b0, c0 - a0 : c1 - a0] = False
    inside = around[r0 - b0 : r1 - b0, c0 - a0 : c1 - a0]
    ring = around[outside] if outside.any() else _border(inside)
    background = float(np.median(ring))
    up, down = float(inside.max()) - background, background - float(inside.min())
    polarity = "dark" if down > up else "bright"
    signed = inside - background if polarity == "bright" else background - inside
    contrast = max(up, down)
    level = signed / contrast if contrast > 0 else np.ones(inside.shape)
    noise = 1.4826 * float(np.median(np.abs(ring - background)))
    py, px = np.unravel_index(int(np.argmax(level)), level.shape)
    return Response(level, (c0, r0, c1, r1), (int(px) + c0, int(py) + r0), polarity,
                    noise / contrast if contrast > 0 else 0.0)  # fmt: skip


def _border(a: np.ndarray) -> np.ndarray:
    ring = np.ones(a.shape, bool)
    ring[1:-1, 1:-1] = False
    return a[ring]


def background_share(image: np.ndarray, box: BoxCoords) -> float:
    """How much of the box's border ring (its outermost pixels) is background: within the
    noise of the ring around the box (NOISE_Z sigma, at least NOISE_FLOOR of the peak
    contrast). A tight box's border runs through the target (low share); a loose box's border
    lies on background (share near 1). Noise, not a share of the peak, decides, so a team
    that draws its edge further out, on fainter pixels, still has tight boxes."""
    r = response(image, box)
    return float(np.mean(_border(r.level) < max(NOISE_Z * r.noise, NOISE_FLOOR)))


def tightness(image: np.ndarray, box: BoxCoords) -> float:
    """1 - :func:`background_share`: the share of the border ring on the target."""
    return 1.0 - background_share(image, box)


def is_tight(image: np.ndarray, box: BoxCoords) -> bool:
    return background_share(image, box) < TIGHT_SHARE


def _result(image, mask: CroppedMask, seed, support_radius, name, polarity) -> GeneratedMask:
    return describe(image, mask, seed, support_radius, name, polarity=polarity)


def box_fill(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The box filled, less the pixels below FILL_LEVEL of the peak contrast."""
    r = response(image, box)
    return _result(image, r.mask(r.level >= FILL_LEVEL), r.peak, support_radius, "box-fill",
                   r.polarity)  # fmt: skip


def inscribed_ellipse(window: tuple[int, int, int, int], box: BoxCoords) -> np.ndarray:
    """Pixels of ``window`` whose centre lies in the ellipse inscribed in ``box``."""
    c0, r0, c1, r1 = window
    x0, y0, x1, y1 = box
    a, b = max((x1 - x0) / 2, 0.5), max((y1 - y0) / 2, 0.5)
    ys, xs = np.mgrid[r0:r1, c0:c1] + 0.5
    return ((xs - (x0 + x1) / 2) / a) ** 2 + ((ys - (y0 + y1) / 2) / b) ** 2 <= 1.0


def box_ellipse(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The inscribed ellipse, less the pixels below FILL_LEVEL of the peak contrast."""
    r = response(image, box)
    keep = inscribed_ellipse(r.window, box) & (r.level >= FILL_LEVEL)
    if not keep.any():
        keep = np.zeros(r.level.shape, bool)
        keep[r.peak[1] - r.window[1], r.peak[0] - r.window[0]] = True
    return _result(image, r.mask(keep), r.peak, support_radius, "box-ellipse", r.polarity)


def box_response(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The 8-connected region of pixels at or above RESPONSE_LEVEL holding the peak, holes
    filled."""
    r = response(image, box)
    above = (r.level >= RESPONSE_LEVEL).astype(np.uint8)
    _, labels = cv2.connectedComponents(above, connectivity=8)
    keep = labels == labels[r.peak[1] - r.window[1], r.peak[0] - r.window[0]]
    keep = ndimage.binary_fill_holes(keep)
    return _result(image, r.mask(keep), r.peak, support_radius, "box-response", r.polarity)


def _point(image, seed, support_radius, point_generator) -> GeneratedMask:
    """``point_generator``: a registered generator's name, or ``fn(image, seed, Rs)`` (a point
    convention's ``generate``)."""
    if callable(point_generator):
        return point_generator(image, seed, support_radius)
    from label_irst.core.generators import get_generator

    return get_generator(point_generator).fn(image, seed, support_radius)


def pamg_box(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The point generator from the box's peak, its mask clipped to the box."""
    r = response(image, box)
    grown = _point(image, r.peak, support_radius, point_generator)
    c0, r0, c1, r1 = r.window
    full = np.zeros(r.level.shape, bool)
    CroppedMask(grown.mask.crop, (grown.mask.offset[0] - r0, grown.mask.offset[1] - c0)).paint(full)
    full[r.peak[1] - r0, r.peak[0] - c0] = True
    return _result(image, r.mask(full), r.peak, grown.support_radius, "pamg-box",
                   grown.polarity)  # fmt: skip


def box_support_radius(box: BoxCoords) -> float:
    """Rs from the box: half its diagonal (at least 1.5 px, at most MAX_SUPPORT_RADIUS)."""
    x0, y0, x1, y1 = box
    return min(max(0.5 * math.hypot(x1 - x0, y1 - y0), 1.5), MAX_SUPPORT_RADIUS)


def pamg_rs(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The point generator from the box's peak with Rs = :func:`box_support_radius`."""
    r = response(image, box)
    grown = _point(image, r.peak, box_support_radius(box), point_generator)
    grown.generator = "pamg-rs"
    return grown


def centre(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """The point generator at the box centre, Rs = max(support_radius, half the diagonal)."""
    from label_irst.core.pamg import check_seed

    x0, y0, x1, y1 = box
    seed = check_seed(image, ((x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5))
    return _point(image, seed, max(support_radius, box_support_radius(box)), point_generator)


def auto(image, box, support_radius=DEFAULT_SUPPORT_RADIUS, point_generator="pamg+"):
    """``box-fill`` for a tight box, ``box-response`` for a loose one (:func:`is_tight`)."""
    fn = box_fill if is_tight(image, box) else box_response
    return fn(image, box, support_radius, point_generator)


BoxGeneratorFn = Callable[..., GeneratedMask]

#: name -> (function, one-line summary); ``auto`` first, the default.
BOX_GENERATORS: dict[str, tuple[BoxGeneratorFn, str]] = {
    "auto": (auto, "box-fill for a tight box, box-response for a loose one (border ring)"),
    "box-fill": (box_fill, "the box filled, shrunk to the target's response"),
    "box-ellipse": (box_ellipse, "the inscribed ellipse, shrunk to the target's response"),
    "box-response": (box_response, "the target's response inside the box (loose boxes)"),
    "pamg-box": (pamg_box, "the point generator from the box's peak, clipped to the box"),
    "pamg-rs": (pamg_rs, "the point generator from the box's peak, Rs from the box size"),
    "centre": (centre, "the point generator at the box centre, the box otherwise ignored"),
}
DEFAULT_BOX_GENERATOR = "auto"


def get_box_generator(name: str | None = None) -> BoxGeneratorFn:
    key = name or DEFAULT_BOX_GENERATOR
    if key not in BOX_GENERATORS:
        raise LabelIrstError(
            f"unknown box generator {key!r}; choose one of: {', '.join(BOX_GENERATORS)}"
        )
    return BOX_GENERATORS[key][0]
