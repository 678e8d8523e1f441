"""One transaction that takes some targets out of a project and puts others back under their
own ids: the undo and redo of an edit of many frames at once (the loop's re-annotation,
:mod:`label_irst.gui.loop`), so that a crash never leaves half of it undone."""

from __future__ import annotations

from label_irst.io.project_rows import COLUMNS, row_values


def swap_targets(store, remove: list[int], restore: list) -> None:
    """Delete the targets ``remove`` (ids) and insert ``restore`` (targets, each under its own
    id, on its own frame) in one transaction."""
    with store._transaction() as db:
        for tid in remove:
            db.execute("DELETE FROM targets WHERE id=?", (tid,))
            store._log(db, tid, "delete", None)
        for target in restore:
            frame_id = store._frame_id(db, target.sequence_id, target.frame, "", None)
            db.execute(
                f"INSERT INTO targets (id, {COLUMNS}, frame_id) VALUES ({', '.join('?' * 21)})",
                (target.id, *row_values(target), frame_id),
            )
            store._log(db, target.id, "restore", {"status": target.status})
