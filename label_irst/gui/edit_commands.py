"""The Edit menu's commands on the selected target (confirm, reject, restore, delete, re-seed,
show rejected) and the undo history's keys; each repaints what it changed."""

from __future__ import annotations

from label_irst.gui import editing


class EditCommands:
    def __init__(self, window):
        self.window = window

    def _done(self, changed) -> None:
        if changed:
            self.window.refresh_masks()

    def confirm(self) -> None:
        a = self.window.annotator
        self._done(a is not None and a.confirm())

    def reject(self) -> None:
        a = self.window.annotator
        self._done(a is not None and a.reject())

    def restore(self) -> None:
        a = self.window.annotator
        self._done(a is not None and a.restore())

    def delete(self) -> None:
        a = self.window.annotator
        self._done(a is not None and a.delete())

    def reseed(self) -> None:
        """Grow the selected target again from its seed (asks before discarding brush edits)."""
        a = self.window.annotator
        if a is not None and a.selected is not None:
            editing.reseed(self.window, a.selected)

    def set_show_rejected(self, on: bool) -> None:
        a = self.window.annotator
        if a is not None:
            a.show_rejected = on
            self._done(a.frame is not None)

    def undo(self) -> None:
        if not self.window.history.undo():
            self.window.statusBar().showMessage("nothing to undo", 2000)

    def redo(self) -> None:
        if not self.window.history.redo():
            self.window.statusBar().showMessage("nothing to redo", 2000)
