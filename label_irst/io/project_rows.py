"""How a target is stored as a row of the project's ``targets`` table, and read back.

The mask is kept as its bounding-box crop, bit-packed (``np.packbits``), with the crop's
(row, col) offset; :func:`row_values` gives a target's stored values in :data:`COLUMNS` order,
:func:`unpack` rebuilds a mask and refuses a damaged one. Used by
:mod:`label_irst.io.project` only.
"""

from __future__ import annotations

import json
import time

import numpy as np

from label_irst.core.geometry import CroppedMask

#: the stored columns of a target, in the order :func:`row_values` gives their values
COLUMNS = (
    "track_id, off_row, off_col, height, width, mask, seed_x, seed_y, cx, cy, radius, rho,"
    " support_radius, generator, source, status, box, updated, score"
)
#: the mask column as read: a field that is not a blob (garbage text) reads as NULL, so it is
#: never decoded as text (the row is then damaged, see project_schema.DAMAGED)
MASK_COLUMN = "CASE WHEN typeof(t.mask) = 'blob' THEN t.mask END"
INSERT = f"INSERT INTO targets ({COLUMNS}, frame_id) VALUES ({', '.join('?' * 20)})"


def pack(mask: CroppedMask) -> tuple[int, int, int, int, bytes]:
    crop = np.asarray(mask.crop, dtype=bool)
    h, w = crop.shape
    return mask.offset[0], mask.offset[1], h, w, np.packbits(crop, axis=None).tobytes()


COORD = 2**31


def unpack(off_row: int, off_col: int, h: int, w: int, blob: bytes) -> CroppedMask:
    """The mask of a stored row; a damaged row (sizes, offsets, bits) is a ValueError."""
    values = (off_row, off_col, h, w)
    if not all(isinstance(v, int) and -COORD < v < COORD for v in values):
        raise ValueError(f"mask geometry {values} is not four small integers")
    if h < 0 or w < 0 or not isinstance(blob, bytes) or h * w > 8 * len(blob):
        raise ValueError(f"a {h}x{w} mask does not fit its {len(blob or b'')} stored bytes")
    bits = np.unpackbits(np.frombuffer(blob, np.uint8), count=h * w).astype(bool)
    return CroppedMask(bits.reshape(h, w), (int(off_row), int(off_col)))


def row_values(target) -> tuple:
    """The stored values of a target, in :data:`COLUMNS` order; a source the store does not
    know, or a target without a seed, is refused in one line (LabelIrstError)."""
    from label_irst.errors import LabelIrstError
    from label_irst.io.project_schema import SOURCES

    if target.source not in SOURCES:
        raise LabelIrstError(f"unknown target source {target.source!r}; choose {SOURCES}")
    if target.seed is None:
        raise LabelIrstError("a target stored in a project needs the seed it was grown from")
    off_row, off_col, h, w, blob = pack(target.mask)
    box = json.dumps(list(target.box)) if target.box is not None else None
    cx, cy = target.centroid
    return (
        target.track_id, off_row, off_col, h, w, blob, int(target.seed[0]), int(target.seed[1]),
        number_or_none(cx), number_or_none(cy), float(target.radius), number_or_none(target.rho),
        float(target.support_radius), target.generator, target.source, target.status, box,
        time.time(), number_or_none(target.score),
    )  # fmt: skip


def read_box(text) -> tuple[float, float, float, float] | None:
    """A stored source box, or None when it is absent or unreadable (it is only a hint)."""
    if not text:
        return None
    try:
        values = json.loads(text, parse_constant=lambda c: None)
        box = tuple(float(v) for v in values)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None
    return box if len(box) == 4 and all(np.isfinite(box)) else None


def number_or_none(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def nan_if_none(value) -> float:
    return float("nan") if value is None else float(value)
