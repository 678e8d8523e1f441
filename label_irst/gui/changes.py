"""Has the project changed since a picture was built from it? A cheap version of the store.

SQLite counts the rows changed through a connection (``total_changes``) and tells a connection
when another one committed (``PRAGMA data_version``); together they change whenever any row of
the project changes, from this window or from a worker's own connection. Lists built from the
store's rows (the review queue, the trails) are rebuilt only when this version moves, so a
frame step that writes nothing costs no re-read of the whole sequence.
"""

from __future__ import annotations

from label_irst.io.project import ProjectStore


def store_version(store: ProjectStore) -> tuple[int, int]:
    """(rows changed through the store's connection, commits seen from other connections)."""
    db = store._db  # the store's one connection; read-only use of two counters
    return db.total_changes, db.execute("PRAGMA data_version").fetchone()[0]
