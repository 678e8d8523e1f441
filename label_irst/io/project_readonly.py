"""A read-only connection to a project that leaves the project's folder as it found it.

A project is an SQLite database in WAL mode. To read one, SQLite needs its ``-wal`` file and
its ``-shm`` wal-index: a read-only connection creates both when they are absent (SQLite 3.22
and later, "Read-Only Databases" in SQLite's WAL documentation) and, being read-only, cannot
remove them when it closes. Normally the *last* connection to close a WAL database runs a
checkpoint and deletes both files, and SQLite documents opening the database and closing it
again as the only safe way to remove a WAL file. So:

* in a folder this process cannot write (a read-only location) with no ``-wal`` beside the
  project, no WAL writer can exist (a writer must create the ``-wal`` there): the file is
  opened ``immutable``, which reads without locks and creates nothing;
* otherwise the connection is a plain ``mode=ro`` one, and when the open created the side
  files (neither was there before), closing it opens a read-write connection, reads, and
  closes that too. SQLite removes the files only if that connection is the last one to the
  project (its exclusive lock on the database succeeds): a writer that opened the project
  meanwhile, in this process or another one, keeps its ``-wal`` and ``-shm``. The checkpoint
  of an empty log writes nothing into the project.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from label_irst.io.project_lock import sqlite_uri


def read_only_connection(path: Path) -> tuple[sqlite3.Connection, Callable[[], None]]:
    """A read-only connection to ``path`` and what to call after closing it (see the module)."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    had_side_files = wal.exists() or shm.exists()
    if not wal.exists() and not os.access(path.parent, os.W_OK):
        uri = sqlite_uri(path, mode="ro", immutable="1")
        return sqlite3.connect(uri, uri=True, isolation_level=None), _nothing
    db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, isolation_level=None)
    return db, (_nothing if had_side_files else lambda: _close_as_last_connection(path))


def _nothing() -> None:
    return None


def _close_as_last_connection(path: Path) -> None:
    """Open ``path`` read-write, read it and close it: SQLite deletes the ``-wal`` and ``-shm``
    if no other connection has the project open, and leaves them otherwise."""
    if not (Path(f"{path}-wal").exists() or Path(f"{path}-shm").exists()):
        return
    try:
        db = sqlite3.connect(sqlite_uri(path, mode="rw"), uri=True, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        pass  # the files stay, as SQLite leaves them after any read-only open
