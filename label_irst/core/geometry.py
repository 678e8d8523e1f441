"""Small geometric helpers on masks: bbox-cropped masks, components, centroids, equivalent radius."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CroppedMask:
    """A boolean mask stored as its bounding-box crop plus the crop's (row, col) offset."""

    crop: np.ndarray
    offset: tuple[int, int]

    @classmethod
    def from_full(cls, full: np.ndarray) -> CroppedMask:
        ys, xs = np.nonzero(full)
        if ys.size == 0:
            return cls(np.zeros((0, 0), bool), (0, 0))
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        return cls(np.ascontiguousarray(full[y0:y1, x0:x1], dtype=bool), (int(y0), int(x0)))

    @classmethod
    def from_pixels(cls, rows: np.ndarray, cols: np.ndarray) -> CroppedMask:
        if rows.size == 0:
            return cls(np.zeros((0, 0), bool), (0, 0))
        y0, x0 = int(rows.min()), int(cols.min())
        crop = np.zeros((int(rows.max()) - y0 + 1, int(cols.max()) - x0 + 1), bool)
        crop[rows - y0, cols - x0] = True
        return cls(crop, (y0, x0))

    @property
    def area(self) -> int:
        return int(self.crop.sum())

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) with exclusive ends, in full-frame pixel indices."""
        y0, x0 = self.offset
        h, w = self.crop.shape
        return x0, y0, x0 + w, y0 + h

    def centroid(self) -> tuple[float, float]:
        """Geometric centroid (x, y) in full-frame pixel indices."""
        ys, xs = np.nonzero(self.crop)
        if ys.size == 0:
            return float("nan"), float("nan")
        return float(xs.mean() + self.offset[1]), float(ys.mean() + self.offset[0])

    def to_full(self, shape: tuple[int, int]) -> np.ndarray:
        full = np.zeros(shape, bool)
        self.paint(full)
        return full

    def paint(self, full: np.ndarray, value: bool = True) -> None:
        """Write the mask into a full-frame array (clipped to its bounds)."""
        y0, x0 = self.offset
        h, w = self.crop.shape
        ya, xa = max(y0, 0), max(x0, 0)
        yb, xb = min(y0 + h, full.shape[0]), min(x0 + w, full.shape[1])
        if ya >= yb or xa >= xb:
            return
        sub = self.crop[ya - y0 : yb - y0, xa - x0 : xb - x0]
        full[ya:yb, xa:xb][sub] = value


def equivalent_radius(area: float) -> float:
    """r = sqrt(area / pi), the effective radius of Sec. III-C1."""
    return float(np.sqrt(max(area, 0.0) / np.pi))


def components(mask: np.ndarray, connectivity: int = 8) -> list[CroppedMask]:
    """Connected components of a binary mask (8-connected by default), in label order."""
    binary = np.asarray(mask, dtype=np.uint8)
    if binary.size == 0:
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity)
    out = []
    for k in range(1, count):
        x, y, w, h = stats[k, :4]
        crop = labels[y : y + h, x : x + w] == k
        out.append(CroppedMask(crop, (int(y), int(x))))
    return out


def boundary_pixels(mask: CroppedMask) -> tuple[np.ndarray, np.ndarray]:
    """Full-frame (rows, cols) of mask pixels with a 4-neighbour outside the mask."""
    padded = np.pad(mask.crop, 1)
    core = padded[1:-1, 1:-1]
    inner = core & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    ys, xs = np.nonzero(core & ~inner)
    return ys + mask.offset[0], xs + mask.offset[1]


def centroid_pixel(part: CroppedMask) -> tuple[int, int]:
    """(x, y) of the mask pixel nearest the mask's centroid: where a click on it would land
    (a thin or ring-shaped mask's centroid may lie outside it)."""
    ys, xs = np.nonzero(part.crop)
    i = int(np.argmin((xs - xs.mean()) ** 2 + (ys - ys.mean()) ** 2))
    return int(xs[i] + part.offset[1]), int(ys[i] + part.offset[0])
