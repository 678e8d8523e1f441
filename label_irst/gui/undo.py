"""Undo/redo of mask edits as diffs: the bbox of the changed pixels with their old and new bits.

One brush stroke is one entry (napari's labels layer groups the same way). The history is
bounded both in steps and in bytes; the oldest entries drop first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from label_irst.core.geometry import CroppedMask


@dataclass(frozen=True)
class MaskDiff:
    """Changed pixels of one target: bbox (row, col) offset, changed-pixel map, old and new bits."""

    target_id: int
    offset: tuple[int, int]
    changed: np.ndarray
    old: np.ndarray
    new: np.ndarray

    @property
    def nbytes(self) -> int:
        return self.changed.nbytes + self.old.nbytes + self.new.nbytes

    @classmethod
    def between(cls, target_id: int, before: CroppedMask, after: CroppedMask) -> MaskDiff | None:
        """The diff turning ``before`` into ``after`` (None when they hold the same pixels)."""
        y0, x0, y1, x1 = _union_box(before, after)
        if y1 <= y0 or x1 <= x0:
            return None
        a, b = _window(before, y0, x0, y1, x1), _window(after, y0, x0, y1, x1)
        changed = a != b
        if not changed.any():
            return None
        rows, cols = np.nonzero(changed)
        r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        return cls(
            target_id,
            (int(y0 + r0), int(x0 + c0)),
            changed[r0:r1, c0:c1].copy(),
            a[r0:r1, c0:c1].copy(),
            b[r0:r1, c0:c1].copy(),
        )

    def apply(self, mask: CroppedMask, forward: bool) -> CroppedMask:
        """The mask with this diff applied forward (redo) or backward (undo)."""
        values = self.new if forward else self.old
        h, w = self.changed.shape
        y0, x0, y1, x1 = _union_box(mask, CroppedMask(self.changed, self.offset))
        canvas = _window(mask, y0, x0, y1, x1)
        r, c = self.offset[0] - y0, self.offset[1] - x0
        region = canvas[r : r + h, c : c + w]
        region[self.changed] = values[self.changed]
        out = CroppedMask.from_full(canvas)
        return CroppedMask(out.crop, (out.offset[0] + y0, out.offset[1] + x0))


def _union_box(a: CroppedMask, b: CroppedMask) -> tuple[int, int, int, int]:
    boxes = [m.bbox for m in (a, b) if m.crop.size]
    if not boxes:
        return 0, 0, 0, 0
    return (
        min(bx[1] for bx in boxes),
        min(bx[0] for bx in boxes),
        max(bx[3] for bx in boxes),
        max(bx[2] for bx in boxes),
    )


def _window(mask: CroppedMask, y0: int, x0: int, y1: int, x1: int) -> np.ndarray:
    out = np.zeros((y1 - y0, x1 - x0), bool)
    if mask.crop.size:
        CroppedMask(mask.crop, (mask.offset[0] - y0, mask.offset[1] - x0)).paint(out)
    return out


class UndoStack:
    """Bounded undo/redo history of :class:`MaskDiff` entries."""

    def __init__(self, max_steps: int = 200, max_bytes: int = 32 * 1024 * 1024):
        self.max_steps = max_steps
        self.max_bytes = max_bytes
        self._done: list[MaskDiff] = []
        self._undone: list[MaskDiff] = []

    def push(self, diff: MaskDiff | None) -> None:
        if diff is None:
            return
        self._done.append(diff)
        self._undone.clear()
        while len(self._done) > self.max_steps or (
            len(self._done) > 1 and sum(d.nbytes for d in self._done) > self.max_bytes
        ):
            self._done.pop(0)

    def undo(self) -> MaskDiff | None:
        if not self._done:
            return None
        diff = self._done.pop()
        self._undone.append(diff)
        return diff

    def redo(self) -> MaskDiff | None:
        if not self._undone:
            return None
        diff = self._undone.pop()
        self._done.append(diff)
        return diff

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()

    def __len__(self) -> int:
        return len(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)
