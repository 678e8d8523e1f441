"""One shared descriptor per project file (inode) in this process, closed by its last user.

Closing *any* descriptor of a file drops every POSIX advisory lock the process holds on that
file, SQLite's included (https://sqlite.org/howtocorrupt.html, section 2.2). A store that read
a project's header with ``open()``/``close()``, or a refused second lock attempt, therefore
silently unlocked the connections of the same project already open in this process (the app's
writer, while a background job opened the project read-only). Another process could then take
the exclusive lock on close, checkpoint and delete the ``-wal`` under that writer.

So every descriptor of a project file the program opens itself comes from :func:`hold`: one per
inode, shared by its users (a writer's lock, read-only stores, the probe for a writer
elsewhere), and closed only by the last :func:`release`, which callers make after closing their
SQLite connections; headers are read through SQLite. The writer's ``flock`` is taken on that
descriptor (:func:`lock_writer`); a second writer in this process is refused by the table (the
per-process set of locked inodes), since ``flock`` on the same open file would succeed again.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class _Entry:
    fd: int
    users: int = 0
    writer: bool = False
    #: descriptors of the same inode opened in a race with another holder, closed with ``fd``
    spare: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Handle:
    """A reference to the shared descriptor of one inode (``key`` = (device, inode))."""

    key: tuple[int, int]

    @property
    def fd(self) -> int:
        return _TABLE[self.key].fd


_TABLE: dict[tuple[int, int], _Entry] = {}
_GUARD = threading.Lock()


def hold(path: str | os.PathLike) -> Handle:
    """A reference to ``path``'s shared read-only descriptor (opened if this process has none);
    raises :class:`OSError` like ``open``."""
    st = os.stat(path)
    with _GUARD:
        entry = _TABLE.get((st.st_dev, st.st_ino))
        if entry is None:
            fd = os.open(
                path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            )
            got = os.fstat(fd)
            key = (got.st_dev, got.st_ino)
            entry = _TABLE.get(key)
            if entry is None:
                entry = _TABLE[key] = _Entry(fd)
            else:  # replaced between stat and open: keep it, never close it early
                entry.spare.append(fd)
        else:
            key = (st.st_dev, st.st_ino)
        entry.users += 1
        return Handle(key)


def release(handle: Handle) -> None:
    """Let go of ``handle``; the last user's release unlocks and closes the descriptor."""
    with _GUARD:
        entry = _TABLE.get(handle.key)
        if entry is None:
            return
        entry.users -= 1
        if entry.users > 0:
            return
        del _TABLE[handle.key]
        for fd in (entry.fd, *entry.spare):
            try:
                os.close(fd)
            except OSError:
                pass


def lock_writer(handle: Handle) -> bool:
    """Take the exclusive ``flock`` of the inode for this process's one writer; False when a
    writer here or in another process has it."""
    with _GUARD:
        entry = _TABLE[handle.key]
        if entry.writer:
            return False
        if not _lock(entry.fd):
            return False
        entry.writer = True
        return True


def writer_elsewhere(handle: Handle) -> bool:
    """Whether a writer, here or in another process, holds the inode's lock (probed with a
    non-blocking ``flock`` given straight back)."""
    with _GUARD:
        entry = _TABLE[handle.key]
        if entry.writer:
            return True
        if not _lock(entry.fd):
            return True
        _unlock(entry.fd)
        return False


def unlock_writer(handle: Handle) -> None:
    """Give the writer's ``flock`` back (the descriptor stays open for the other users)."""
    with _GUARD:
        entry = _TABLE.get(handle.key)
        if entry is None or not entry.writer:
            return
        _unlock(entry.fd)
        entry.writer = False


#: Windows: the byte locked, far past any project and SQLite's own lock bytes (at 1 GiB); its
#: locks are mandatory, so a lock on the data would shut readers out
_WINDOWS_LOCK_OFFSET = 1 << 40


def _lock(fd: int) -> bool:
    """An exclusive non-blocking lock of the inode on ``fd`` (call under ``_GUARD``)."""
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def users(path: str | os.PathLike) -> int:
    """How many users hold ``path``'s descriptor in this process (0: none open)."""
    st = os.stat(Path(path))
    with _GUARD:
        entry = _TABLE.get((st.st_dev, st.st_ino))
        return entry.users if entry else 0
