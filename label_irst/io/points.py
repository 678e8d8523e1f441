"""Seed points from CSV: columns image,x,y (x, y in 0-based pixel indices; image = name or stem)."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.files import read_text

REQUIRED = ("image", "x", "y")


def read_points(
    path: str | Path, warn: Callable[[str], None] | None = None
) -> dict[str, list[tuple[float, float]]]:
    """``{image stem: [(x, y), ...]}`` from a CSV with a header naming image, x and y."""
    path = Path(path)
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise LabelIrstError(f"{path}: malformed CSV ({exc})") from None
    if not rows:
        raise LabelIrstError(f"{path}: the CSV is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise LabelIrstError(f"{path}: the CSV header lacks column(s) {', '.join(missing)}")
    col = {c: header.index(c) for c in REQUIRED}
    points: dict[str, list[tuple[float, float]]] = {}
    for line_no, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            name = row[col["image"]].strip()
            x, y = float(row[col["x"]]), float(row[col["y"]])
            if not name or not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError
        except (ValueError, IndexError):
            message = f"{path}:{line_no}: expected image,x,y, got {','.join(row)!r}"
            if warn is None:
                raise LabelIrstError(message) from None
            warn(f"skipped: {message}")
            continue
        points.setdefault(Path(name).stem, []).append((x, y))
    return points
