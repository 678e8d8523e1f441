"""Atomic writes: a temporary file (or folder) beside the destination, then os.replace.

:func:`atomic_path` and :func:`write_text_atomic` for one file; :func:`atomic_folder` for a
whole output folder (export, point2mask, box2mask, synth), whose temporary its run holds locked
(an flock on the folder itself) so that the next run can tell a killed run's leftovers
(:func:`clean_stale`) from a live one's, whenever the kill came;
:func:`clean_temp_files` for the leftovers of :func:`atomic_path` in a folder one writer owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from label_irst.io.faults import crash_point


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    A run killed before the rename leaves the old file (or nothing) in place, never a
    half-written one; the temporary file is removed on error. A file-system error (disk full,
    permission denied, a name too long) is a :class:`LabelIrstError` naming ``path``.
    """
    from label_irst.errors import LabelIrstError

    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=suffix or target.suffix or ".tmp", dir=target.parent
        )
    except OSError as exc:
        raise LabelIrstError(f"{target}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        crash_point("write", target)
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError):
            raise LabelIrstError(f"{target}: cannot write ({exc.strerror or exc})") from None
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` as UTF-8, atomically. The lone surrogates of a non-UTF-8 file name (how
    Python spells its bytes) are written as ``\\udcXX`` escapes: valid UTF-8, and in a JSON
    string the escape that reads back as the same name."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", errors="backslashreplace")


#: The lock file that temporaries of earlier versions held inside; still honoured when found.
OWNER = ".label-irst-owner"


class _Held:
    """An exclusive lock on a folder's own inode: it follows the folder through a rename and
    is released when the process dies (flock on the directory's descriptor)."""

    def __init__(self, folder: Path):
        self.fd: int | None = None
        if os.name == "nt":  # pragma: no cover - no flock; temporaries are kept, not removed
            return
        import fcntl

        self.fd = os.open(folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _hold(folder: Path) -> _Held:
    """Hold ``folder`` for this run until it is renamed into place or removed."""
    return _Held(folder)


def _free(path: Path) -> bool:
    """True when nobody holds an flock on ``path`` (a folder or a lock file)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def _abandoned(folder: Path) -> bool:
    """True when no live process holds ``folder``: a killed run's temporary, whatever the moment
    it died (the lock is on the folder itself, so nothing needs removing before the rename)."""
    if os.name == "nt":  # pragma: no cover
        return False
    owner = folder / OWNER  # an earlier version's temporary: its lock file inside
    return _free(folder) and (not owner.exists() or _free(owner))


def clean_stale(out: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of :func:`atomic_folder` runs on ``out`` that were killed.

    A run killed between moving the old ``out`` aside and moving the new one in leaves ``out``
    absent and the old folder in ``.<name>.*.old/previous``: it is moved back first.
    Returns the paths removed.
    """
    import shutil

    out = Path(out)
    removed = []
    try:
        entries = list(out.parent.glob(f".{glob.escape(out.name)}.*"))
    except OSError:
        return removed
    for entry in sorted(entries):
        if entry.suffix not in (".tmp", ".old") or not entry.is_dir() or entry.is_symlink():
            continue
        if not _abandoned(entry):
            continue
        previous = entry / "previous"
        if entry.suffix == ".old" and previous.is_dir() and not os.path.lexists(out):
            os.replace(previous, out)
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_folder(out: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it takes ``out``'s place.

    A non-empty ``out`` is refused unless ``force``; with ``force`` the old folder is replaced
    only after the new one is complete. On error the temporary folder is removed and ``out`` is
    left as it was; the temporaries of a killed run are removed by the next one
    (:func:`clean_stale`).
    """
    import shutil

    from label_irst.errors import LabelIrstError

    out = Path(out)
    try:
        clean_stale(out)
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise LabelIrstError(f"{out}: exists and is not a folder")
        busy = out.is_dir() and any(out.iterdir())
    except OSError as exc:
        raise LabelIrstError(f"{out}: cannot use the folder ({exc.strerror or exc})") from None
    if busy and not force:
        raise LabelIrstError(f"{out}: the folder is not empty (use --force to replace it)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise LabelIrstError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    owner = _hold(tmp)
    old = None
    try:
        yield tmp
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            old_owner = _hold(old)
            crash_point("rename", out)
            os.replace(out, old / "previous")
        crash_point("rename", out)
        os.replace(tmp, out)
    except BaseException:
        if old is not None and (old / "previous").exists() and not os.path.lexists(out):
            os.replace(old / "previous", out)
        owner.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    owner.close()
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        old_owner.close()


_TEMP_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.(png|json|csv|tiff|tmp)$")


def clean_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporaries :func:`atomic_path` left in ``folder`` when a run was killed.

    Call it where one writer works on ``folder`` (a resumed run on its own output)."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if _TEMP_FILE.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed
