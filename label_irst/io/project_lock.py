"""Who may write a project file, and how a file is recognised as a project without touching it.

* :class:`ProjectLock`: one writer per project *file*, not per name: an exclusive ``flock`` on
  the database file itself (its inode), so a symbolic or a hard link to a held project is
  refused too, released by the OS if the process dies. It is the only lock: nothing is written
  beside the project to take it. It is taken on the process's shared descriptor of the file
  (:mod:`label_irst.io.inode_handles`): closing any descriptor of a file drops the process's
  POSIX locks on it, SQLite's included.

  Guarding hard links is worth its cost. SQLite names a database's ``-wal`` and ``-shm`` after
  the name it was opened by, so two writers under two names of one file write two logs into
  one database, and a crash loses one of them (sqlite.org/howtocorrupt.html, 2.5). The guard
  costs a ``stat``, an ``open``, an ``flock`` and their undoing per writable open: 35
  microseconds against 2.7 ms for a whole ProjectStore open and close (timeit, best of 3 runs
  of 2,000, on a busy 2-core machine), and the descriptor table of inode_handles (150 lines).
* :func:`check_project_file`: reads the ``meta`` table through a read-only SQLite connection
  (``immutable`` when no ``-wal`` file exists, so not even a ``-shm`` appears; SQLite itself
  reads the header) and refuses a zero-byte file, a file that is not SQLite, a foreign SQLite
  file or a newer schema with one line, before anything is written. The program never opens a
  project's header itself.
* :func:`replace_project`: puts a freshly built project in place of another one under that
  one's lock, dropping its ``-wal`` and ``-shm`` first so that a stale log of a crashed project
  is never replayed into the new file.
* :func:`sqlite_uri`: a ``file:`` URI with the path quoted (``#`` and ``?`` are legal in names).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from label_irst.errors import LabelIrstError
from label_irst.io import inode_handles
from label_irst.io.faults import crash_point

SQLITE_MAGIC = b"SQLite format 3\x00"
PROJECT_TABLES = {"meta", "sequences", "frames", "targets", "history"}
SIDE_FILES = ("-wal", "-shm", "-journal")


def sqlite_uri(path: str | os.PathLike, **params: str) -> str:
    """``file:`` URI of ``path`` (absolute, percent-quoted) with query ``params``."""
    text = quote(os.fsencode(Path(path).absolute()), safe="/")  # any bytes, UTF-8 or not
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{text}" + (f"?{query}" if query else "")


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing: immutable without a -wal file, else mode=ro."""
    if Path(str(path) + "-wal").exists():
        uri = sqlite_uri(path, mode="ro")
    else:
        uri = sqlite_uri(path, mode="ro", immutable="1")
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def check_project_file(path: Path, newest: int, locked: bool = False) -> int:
    """The schema version of the project ``path``; a :class:`LabelIrstError` if it is none.

    Reads only, and only through SQLite: nothing is written into (or beside) a file that turns
    out to be foreign, and no descriptor of the file is opened and closed here. ``locked``: the
    caller holds the file's :class:`ProjectLock`, so no writer elsewhere can hold its tables.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise LabelIrstError(f"{path}: cannot read the project ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise LabelIrstError(f"{path}: not a regular file")
    if info.st_size == 0:
        raise LabelIrstError(f"{path}: not a Label-IRST project (an empty file)")
    try:
        db = _read_only_connection(path)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = None
            if "meta" in tables:
                row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = row[0] if row else None
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        if sqlite_error_code(exc) == "SQLITE_NOTADB":
            raise LabelIrstError(f"{path}: not a Label-IRST project (not an SQLite file)") from None
        raise LabelIrstError(f"{path}: cannot open the project ({exc})") from None
    except sqlite3.Error as exc:
        raise LabelIrstError(f"{path}: cannot open the project ({exc})") from None
    try:
        number = int(str(version))
    except ValueError:
        number = None
    if number is None or not PROJECT_TABLES <= tables:
        if not locked and _written_elsewhere(path):  # its log is beside the writer's name
            raise LabelIrstError(
                f"{path}: the project is open elsewhere (under another name: a hard link); "
                "close it there first"
            )
        raise LabelIrstError(f"{path}: not a Label-IRST project (an SQLite file of another kind)")
    if number > newest:
        raise LabelIrstError(
            f"{path}: project schema version {number} is newer than this program reads "
            f"(up to {newest}); update label-irst to open it"
        )
    return number


def sqlite_error_code(exc: sqlite3.Error) -> str:
    """SQLite's name of the error (``SQLITE_NOTADB``...), or ``""`` where Python has none."""
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+
    if not name and "file is not a database" in str(exc):
        name = "SQLITE_NOTADB"
    return name


def is_sqlite_file(path: Path) -> bool:
    """Whether SQLite reads ``path`` as a database (format detection, read through SQLite so
    that no descriptor of a project open in this process is closed)."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return False
        db = _read_only_connection(path)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            db.close()
    except (OSError, sqlite3.Error):
        return False
    return True


def _written_elsewhere(path: Path) -> bool:
    """Whether a writer holds the file's lock: a project reached through a hard link while it
    is open reads as empty, its tables still in the writer's -wal."""
    try:
        handle = inode_handles.hold(path)
    except OSError:
        return False
    try:
        return inode_handles.writer_elsewhere(handle)
    finally:
        inode_handles.release(handle)


class ProjectLock:
    """The write lock of one project file, whatever name it is reached by: the exclusive
    ``flock`` of its inode, on the process's shared descriptor of the file. The file must exist
    (an empty file is fine: SQLite treats it as a new database)."""

    def __init__(self, path: Path):
        self._handle = None
        self._writer = False
        try:
            self._handle = inode_handles.hold(path)
        except OSError as exc:
            raise LabelIrstError(f"{path}: cannot open the project ({exc.strerror})") from None
        self._writer = inode_handles.lock_writer(self._handle)
        if not self._writer:
            self.release()
            raise LabelIrstError(f"{path}: the project is open elsewhere{_names(path)}; "
                                 "close it there first")  # fmt: skip

    def release(self) -> None:
        if self._handle is not None:
            if self._writer:  # never another store's lock on the same inode
                inode_handles.unlock_writer(self._handle)
                self._writer = False
            inode_handles.release(self._handle)
            self._handle = None


def _names(path: Path) -> str:
    """`` (under another name: a hard link)`` hint where the file has several names."""
    try:
        links = os.stat(path).st_nlink
    except OSError:
        return ""
    return " (perhaps under another name: a hard link)" if links > 1 else ""


def remove_side_files(path: Path) -> None:
    """Drop ``-wal``, ``-shm`` and ``-journal`` of ``path`` (call with its lock held)."""
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(path) + suffix)


def replace_project(new: Path, out: Path) -> None:
    """Move the closed project ``new`` onto ``out`` (resolved), holding ``out``'s lock.

    A project open elsewhere is refused; a crashed one's ``-wal``/``-shm`` are removed before
    the rename, so the new file never meets the old file's log.
    """
    out = Path(os.path.realpath(out))
    lock = ProjectLock(out) if out.exists() else None
    try:
        remove_side_files(out)
        crash_point("rename", out)
        os.replace(new, out)
    finally:
        if lock is not None:
            lock.release()


def clean_stale_builds(out: Path) -> list[Path]:
    """Remove ``.<name>.*.tmp`` projects beside ``out`` left by a killed build (not locked)."""
    import glob

    out = Path(os.path.realpath(out))
    removed = []
    for tmp in sorted(out.parent.glob(f".{glob.escape(out.name)}.*.tmp")):
        if not tmp.is_file() or tmp.is_symlink():
            continue
        try:
            lock = ProjectLock(tmp)
        except LabelIrstError:
            continue  # another build is running
        try:
            remove_side_files(tmp)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        finally:
            lock.release()
        with contextlib.suppress(FileNotFoundError):  # an earlier version's lock file
            os.unlink(f"{tmp}.lock")
        removed.append(tmp)
    return removed
