"""What each frame of a sequence holds, for the timeline and the frame keys (no Qt).

A frame is ``"candidates"`` when a candidate waits there for review, ``"reviewed"`` when the
annotator marked it reviewed (every target labelled; :mod:`label_irst.gui.reviewed`) and no
candidate waits there, ``"confirmed"`` when it holds confirmed targets and no candidate,
``"empty"`` otherwise (rejected targets are not shown, so a frame holding only them is empty).
"""

from __future__ import annotations

#: the marks, in the timeline's order of precedence
MARKS = ("candidates", "reviewed", "confirmed", "empty")


def frame_marks(rows, frame_count: int, reviewed=()) -> list[str]:
    """One mark per frame from the sequence's target rows (``frame`` and ``status`` of each)
    and its reviewed frames."""
    marks = ["empty"] * frame_count
    for index in reviewed:
        if 0 <= index < frame_count:
            marks[index] = "reviewed"
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
