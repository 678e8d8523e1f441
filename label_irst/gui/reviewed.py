"""Reviewed frames in the app: the annotator says that every target of a frame is labelled.

* Review › Mark frame reviewed (key V) toggles the frame on screen; each change is one step of
  the window's undo history (:class:`ReviewedEdit`), stored through
  :func:`label_irst.io.project_reviewed.set_reviewed` (one transaction).
* Review › Mark a frame reviewed when its last candidate is resolved (a setting, off by default):
  stepping off a frame that was shown with candidates and now has none, but holds a confirmed or
  rejected target, marks it reviewed (its own undo step).
* The timeline marks reviewed frames (:mod:`label_irst.gui.frame_marks`), the review queue's
  counters and a status-bar label count them, and the status-bar label says when the frame on
  screen is reviewed.
* :attr:`ReviewedFrames.changed` tells the loop (:mod:`label_irst.gui.loop`) how many frames
  were newly marked, so it can adapt the detector after every K of them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QLabel

from label_irst.io.project_reviewed import reviewed_frames, set_reviewed


class ReviewedEdit(QUndoCommand):
    """Frames of a sequence marked (or unmarked) reviewed: undo flips exactly those back."""

    def __init__(self, controller: ReviewedFrames, store, sequence_id: int, frames, on: bool):
        count = len(frames)
        what = f"frame {frames[0] + 1}" if count == 1 else f"{count} frames"
        super().__init__(f"mark {what} {'reviewed' if on else 'not reviewed'}")
        self.controller, self.store, self.sequence_id = controller, store, sequence_id
        self.frames, self.on = list(frames), on
        self._done = True  # pushed after the change was made: the first redo() is a no-op

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._write(self.on)

    def undo(self) -> None:
        self._write(not self.on)

    def _write(self, on: bool) -> None:
        ws = self.controller.window.workspace
        if ws is None or ws.store is not self.store:
            return  # the project was closed: its history went with it
        set_reviewed(self.store, self.sequence_id, self.frames, on)
        self.controller.refresh()


class ReviewedFrames(QObject):
    """The window's reviewed frames: the toggle, the automatic mark and what shows them."""

    #: frames newly marked reviewed (negative: unmarked), after each change
    changed = Signal(int)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.label = QLabel("")
        self.label.setToolTip("reviewed frames of the sequence (V marks the frame on screen)")
        window.statusBar().addPermanentWidget(self.label)
        self._here: tuple | None = None  # (project, sequence, frame) on screen
        self._had_candidates = False  # the frame on screen was shown with candidates
        window.session.events.frame.connect(self._frame_changed)

    # -- reading ---------------------------------------------------------------------------
    def frames(self) -> list[int]:
        """The reviewed frames of the open sequence, in order."""
        ws = self.window.workspace
        if ws is None:
            return []
        return reviewed_frames(ws.store, ws.sequence_id).get(ws.sequence_id, [])

    def is_reviewed(self, index: int | None = None) -> bool:
        index = self.window.session.frame if index is None else index
        return index is not None and index in self.frames()

    # -- writing ---------------------------------------------------------------------------
    def mark(self, frames, on: bool = True) -> int:
        """Mark (or unmark) ``frames`` of the open sequence as one undo step; returns how
        many changed."""
        ws = self.window.workspace
        if ws is None:
            return 0
        changed = set_reviewed(ws.store, ws.sequence_id, frames, on)
        if changed:
            edit = ReviewedEdit(self, ws.store, ws.sequence_id, changed, on)
            self.window.history.stack.push(edit)
            self.refresh()
            self.changed.emit(len(changed) if on else -len(changed))
        return len(changed)

    def set_current(self, on: bool) -> None:
        """Review › Mark frame reviewed (V): the frame on screen."""
        index = self.window.session.frame
        if index is None:
            self.refresh()
            return
        if self.mark([index], on):
            state = "reviewed" if on else "not reviewed"
            self.window.statusBar().showMessage(f"frame {index + 1} marked {state}", 3000)

    # -- stepping on: the automatic mark ---------------------------------------------------
    def _frame_changed(self, index: int | None) -> None:
        ws = self.window.workspace
        here = None if ws is None or index is None else (id(ws.store), ws.sequence_id, index)
        before, had = self._here, self._had_candidates
        self._here = here
        self._had_candidates = here is not None and self._candidates(index) > 0
        if before is not None and here is not None and before[:2] == here[:2] and had:
            self._resolved(before[2])
        self.refresh()

    def _candidates(self, index: int) -> int:
        ws = self.window.workspace
        rows = ws.store.targets(ws.sequence_id, frame=index)
        return sum(t.status == "candidate" for t in rows)

    def _resolved(self, index: int) -> None:
        """The frame just left was shown with candidates: with the setting on, mark it reviewed
        when none is left and it holds a confirmed or rejected target."""
        if not self.window.prefs.auto_reviewed() or self.is_reviewed(index):
            return
        ws = self.window.workspace
        rows = ws.store.targets(ws.sequence_id, frame=index)
        if rows and all(t.status != "candidate" for t in rows):
            self.mark([index], True)

    # -- showing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """The status-bar label, the menu's check mark, the timeline and the queue's counters."""
        ws = self.window.workspace
        action = getattr(self.window, "actions", {}).get("mark_reviewed")
        if ws is None:
            self.label.setText("")
            if action is not None:
                action.setEnabled(False)
            return
        frames = self.frames()
        here = self.is_reviewed()
        self.label.setText(
            f"{'frame reviewed · ' if here else ''}{len(frames)}/{len(ws.sequence)} reviewed"
        )
        if action is not None:
            action.setEnabled(True)
            if action.isChecked() != here:
                action.blockSignals(True)
                action.setChecked(here)
                action.blockSignals(False)
        self.window.refresh_review()
