"""What each frame of a sequence holds, for the timeline and the frame keys (no Qt).

A frame is ``"candidates"`` when a candidate waits there for review, ``"confirmed"`` when it
holds confirmed targets and no candidate, ``"empty"`` otherwise (rejected targets are not
shown, so a frame holding only them is empty). A frame the annotator marks as reviewed is a
state of its own to come: :data:`MARKS` is where it goes, :func:`frame_marks` where it is read.
"""

from __future__ import annotations

#: the marks, in the timeline's order of precedence
MARKS = ("candidates", "confirmed", "empty")


def frame_marks(rows, frame_count: int) -> list[str]:
    """One mark per frame from the sequence's target rows (``frame`` and ``status`` of each)."""
    marks = ["empty"] * frame_count
    for r in rows:
        if not 0 <= r.frame < frame_count:
            continue
        if r.status == "candidate":
            marks[r.frame] = "candidates"
        elif r.status == "confirmed" and marks[r.frame] == "empty":
            marks[r.frame] = "confirmed"
    return marks


def next_with(marks: list[str], index: int, step: int, mark: str = "candidates") -> int | None:
    """The nearest frame after (``step`` 1) or before (-1) ``index`` with ``mark``, or None."""
    i = index + step
    while 0 <= i < len(marks):
        if marks[i] == mark:
            return i
        i += step
    return None
