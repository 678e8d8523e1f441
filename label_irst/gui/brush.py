"""Pixel-precise brush: round stamps joined along the mouse path, painting or erasing a mask."""

from __future__ import annotations

import numpy as np

from label_irst.core.geometry import CroppedMask


def stroke_pixels(
    points: list[tuple[float, float]], radius: float, shape: tuple[int, int]
) -> CroppedMask:
    """Pixels covered by discs of ``radius`` centred on the path ``points`` (x, y), clipped."""
    if not points:
        return CroppedMask(np.zeros((0, 0), bool), (0, 0))
    dense = [points[0]]
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        steps = int(np.ceil(max(abs(xb - xa), abs(yb - ya)) / max(radius * 0.5, 0.5)))
        for k in range(1, steps + 1):
            dense.append((xa + (xb - xa) * k / steps, ya + (yb - ya) * k / steps))
    pts = np.rint(np.array(dense)).astype(int)
    r = int(np.ceil(radius))
    h, w = shape
    x0, y0 = max(pts[:, 0].min() - r, 0), max(pts[:, 1].min() - r, 0)
    x1, y1 = min(pts[:, 0].max() + r + 1, w), min(pts[:, 1].max() + r + 1, h)
    if x1 <= x0 or y1 <= y0:
        return CroppedMask(np.zeros((0, 0), bool), (0, 0))
    yy, xx = np.mgrid[y0:y1, x0:x1]
    out = np.zeros((y1 - y0, x1 - x0), bool)
    limit = max(radius, 0.5) ** 2
    for x, y in pts:
        out |= (xx - x) ** 2 + (yy - y) ** 2 <= limit
    return CroppedMask(out, (int(y0), int(x0)))


def apply_stroke(mask: CroppedMask, stroke: CroppedMask, erase: bool) -> CroppedMask:
    """``mask`` with the stroke's pixels added (paint) or removed (erase)."""
    boxes = [m.bbox for m in (mask, stroke) if m.crop.size]
    if not boxes:
        return mask
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    canvas = np.zeros((y1 - y0, x1 - x0), bool)
    if mask.crop.size:
        CroppedMask(mask.crop, (mask.offset[0] - y0, mask.offset[1] - x0)).paint(canvas)
    if stroke.crop.size:
        CroppedMask(stroke.crop, (stroke.offset[0] - y0, stroke.offset[1] - x0)).paint(
            canvas, not erase
        )
    out = CroppedMask.from_full(canvas)
    return CroppedMask(out.crop, (out.offset[0] + y0, out.offset[1] + x0))
