"""One undo history for every edit of the annotation (QUndoStack).

Convention changes made by the user (reset, freeze, unfreeze: :class:`ConventionChange`) go
through it too; the background refits do not (they follow the reviewed targets, and an undo of a
review is itself followed by the next refit).

Each edit is a :class:`TargetEdit`: the targets it touched, as they were before and after (a
``None`` side is a target that did not exist: an added or a deleted one). Seeding, re-seeding,
brush strokes, confirming, rejecting, restoring and deleting all go through it, on any frame:
undoing an edit of another frame first shows that frame. A whole-track edit (confirm, reject,
split or merge a track) is one :class:`TrackEdit`. Other kinds of edits (a change of the
project's settings, say) push their own ``QUndoCommand`` onto :attr:`History.stack`.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from label_irst.io.project import Target

Change = tuple[Target | None, Target | None]  # (before, after)

UNDO_LIMIT = 500


class TargetEdit(QUndoCommand):
    """Targets before and after one edit; ``apply(states)`` writes a list of (id, frame, state)."""

    def __init__(self, apply, text: str, changes: list[Change]):
        super().__init__(text)
        self._apply = apply
        self.changes = changes
        self._done = True  # pushed after the edit was made: the first redo() is a no-op

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._apply([_state(before, after, after) for before, after in self.changes])

    def undo(self) -> None:
        self._apply([_state(before, after, before) for before, after in reversed(self.changes)])


def _state(before: Target | None, after: Target | None, state: Target | None):
    known = after if after is not None else before
    return known.id, known.frame, state


class History:
    """The window's undo stack; ``apply(states)`` is the window's writer of target states."""

    def __init__(self, apply, parent=None):
        self.stack = QUndoStack(parent)
        self.stack.setUndoLimit(UNDO_LIMIT)
        self._apply = apply

    def record(self, text: str, changes: list[Change]) -> None:
        changes = [(b, a) for b, a in changes if b is not None or a is not None]
        if changes:
            self.stack.push(TargetEdit(self._apply, text, changes))

    def record_tracks(self, text: str, changes, apply) -> None:
        """A whole-track edit (:mod:`label_irst.gui.track_edits`) as one step;
        ``apply(changes, after)`` writes one side back and shows it."""
        if changes:
            self.stack.push(TrackEdit(apply, text, changes))

    def undo(self) -> bool:
        if not self.stack.canUndo():
            return False
        self.stack.undo()
        return True

    def redo(self) -> bool:
        if not self.stack.canRedo():
            return False
        self.stack.redo()
        return True

    def clear(self) -> None:
        self.stack.clear()


class TrackEdit(QUndoCommand):
    """The targets a whole-track edit (T, X, K, M) changed: status and track id, before and
    after; ``apply(changes, after)`` writes one side back in one transaction."""

    def __init__(self, apply, text: str, changes):
        super().__init__(text)
        self._apply = apply
        self.changes = list(changes)
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._apply(self.changes, True)

    def undo(self) -> None:
        self._apply(self.changes, False)


class ConventionChange(QUndoCommand):
    """The project's convention before and after a reset or a (un)freeze by the user;
    ``restore(convention)`` stores and uses one of them."""

    def __init__(self, restore, text: str, before, after):
        super().__init__(text)
        self._restore = restore
        self.before, self.after = _copy(before), _copy(after)
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._restore(_copy(self.after))

    def undo(self) -> None:
        self._restore(_copy(self.before))


def _copy(convention):
    from dataclasses import replace

    return replace(convention, params=dict(convention.params))
