"""Who may write a project file, and how a file is recognised as a project without touching it.

* :class:`ProjectLock`: one writer per project *file*, not per name. It holds an exclusive
  ``flock`` on the database file itself (its inode: a hard link or a symbolic link to a held
  project is refused too) and on ``<real path>.lock`` beside it, which names the holder. Both
  are released by the OS if the process dies.
* :func:`check_project_file`: reads the SQLite header and the ``meta`` table read-only (an
  ``immutable`` connection when no ``-wal`` file exists, so not even a ``-shm`` appears) and
  refuses a zero-byte file, a foreign SQLite file or a newer schema with one line, before
  anything is written.
* :func:`replace_project`: puts a freshly built project in place of another one under that
  one's lock, dropping its ``-wal`` and ``-shm`` first so that a stale log of a crashed project
  is never replayed into the new file.
* :func:`sqlite_uri`: a ``file:`` URI with the path quoted (``#`` and ``?`` are legal in names).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
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


def check_project_file(path: Path, newest: int) -> int:
    """The schema version of the project ``path``; a :class:`LabelIrstError` if it is none.

    Reads only: nothing is written into (or beside) a file that turns out to be foreign.
    """
    try:
        if not path.is_file():
            raise LabelIrstError(f"{path}: not a regular file")
        handle = inode_handles.hold(path)  # never a close that would unlock this process
        try:
            head = inode_handles.read_head(handle, 100)
        finally:
            inode_handles.release(handle)
    except OSError as exc:
        raise LabelIrstError(f"{path}: cannot read the project ({exc.strerror})") from None
    if not head:
        raise LabelIrstError(f"{path}: not a Label-IRST project (an empty file)")
    if not head.startswith(SQLITE_MAGIC):
        raise LabelIrstError(f"{path}: not a Label-IRST project (not an SQLite file)")
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
    except sqlite3.Error as exc:
        raise LabelIrstError(f"{path}: cannot open the project ({exc})") from None
    try:
        number = int(str(version))
    except ValueError:
        number = None
    if number is None or not PROJECT_TABLES <= tables:
        if _written_elsewhere(path):  # its log sits beside the name the writer used
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


def _flock(fh) -> bool:
    """Try an exclusive non-blocking lock on ``fh``; False when another holder has it."""
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class ProjectLock:
    """The write lock of one project file, whatever name it is reached by.

    ``<real path>.lock`` (the name of the file with symbolic links resolved) names the holder;
    the lock on the database file itself covers hard links. The database file must exist
    (an empty file is fine: SQLite treats it as a new database). That lock is taken on the
    process's shared descriptor of the file (:mod:`label_irst.io.inode_handles`), never on one
    of its own: closing any descriptor of a file drops the process's POSIX locks on it,
    SQLite's included.
    """

    def __init__(self, path: Path):
        real = Path(os.path.realpath(path))
        self.path = real.with_name(real.name + ".lock")
        self._side = None
        self._handle = None
        self._writer = False
        try:
            self._side = open(self.path, "a+")  # noqa: SIM115 - held for the store's lifetime
        except OSError as exc:
            raise LabelIrstError(
                f"{self.path}: cannot create the lock file ({exc.strerror})"
            ) from None
        if not _flock(self._side):
            self._side.seek(0)
            holder = self._side.read().strip() or "another process"
            self.release()
            raise LabelIrstError(
                f"{path}: the project is open elsewhere ({holder}); close it there first"
            )
        try:
            self._handle = inode_handles.hold(real)
        except OSError as exc:
            self.release()
            raise LabelIrstError(f"{path}: cannot open the project ({exc.strerror})") from None
        self._writer = inode_handles.lock_writer(self._handle)
        if not self._writer:
            self.release()
            raise LabelIrstError(
                f"{path}: the project is open elsewhere (under another name: a hard link); "
                "close it there first"
            )
        self._side.seek(0)
        self._side.truncate()
        self._side.write(f"pid {os.getpid()}")
        self._side.flush()

    def release(self) -> None:
        if self._handle is not None:
            if self._writer:
                inode_handles.unlock_writer(self._handle)
                self._writer = False
            inode_handles.release(self._handle)
            self._handle = None
        if self._side is not None and not self._side.closed:
            self._side.close()


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
            with contextlib.suppress(FileNotFoundError):
                lock.path.unlink()
        removed.append(tmp)
    return removed
