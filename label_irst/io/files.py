"""Reading input files defensively: regular files only, bounded JSON, folders listed entry by entry.

Inputs come from users' disks and from other tools, so every oddity is a one-line
:class:`LabelIrstError` (or a skipped entry with a warning), never a traceback or a hang:

* only regular files are opened (a FIFO would block forever, a folder is not a file);
  symbolic-link loops, names too long, permission denied, non-UTF-8 text become errors naming
  the file;
* JSON is parsed strictly: ``NaN``/``Infinity`` are refused, too deep a nesting is an error,
  and integers beyond 64 bits are refused where they are used
  (:func:`as_int`);
* :func:`scan_folder` lists a folder's entries, skipping (with a warning) those that cannot be
  looked at (a link loop, a dangling link) and the non-regular ones.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import stat
from collections.abc import Callable
from pathlib import Path

from label_irst.errors import LabelIrstError

INT64 = 2**63


def os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def regular_file(path: str | os.PathLike) -> Path:
    """``path`` when it is a regular file (symbolic links followed), else a LabelIrstError."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise LabelIrstError(f"{path}: no such file") from None
        raise LabelIrstError(f"{path}: cannot read ({os_reason(exc)})") from None
    except ValueError:  # an embedded NUL
        raise LabelIrstError(f"{path!r}: not a valid file name") from None
    if stat.S_ISDIR(mode):
        raise LabelIrstError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise LabelIrstError(f"{path}: not a regular file (a pipe, socket or device); skipped")
    return path


def is_regular_file(path: str | os.PathLike) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_folder(path: str | os.PathLike) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_bytes(path: str | os.PathLike) -> bytes:
    path = regular_file(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LabelIrstError(f"{path}: cannot read ({os_reason(exc)})") from None
    except MemoryError:
        raise LabelIrstError(f"{path}: too large to read") from None


def read_text(path: str | os.PathLike, encoding: str = "utf-8-sig") -> str:
    """The text of a regular file; undecodable bytes are a LabelIrstError naming the file."""
    data = read_bytes(path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LabelIrstError(
            f"{path}: not {encoding.removesuffix('-sig').upper()} text (byte {exc.start})"
        ) from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def loads_json(text: str, where: str | os.PathLike):
    """Strict JSON: NaN/Infinity refused, nesting bounded; errors name ``where``."""
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (json.JSONDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LabelIrstError(f"{where}: malformed JSON ({first})") from None
    except RecursionError:
        raise LabelIrstError(f"{where}: JSON nested too deeply") from None


def read_json(path: str | os.PathLike):
    """A JSON file read with :func:`loads_json` (UTF-8, a BOM allowed)."""
    return loads_json(read_text(path), path)


def as_int(value, what: str = "value") -> int:
    """An integer that fits 64 bits (JSON booleans and non-integral floats refused)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"{what} must be an integer, got {value!r}")
        value = int(value)
    elif isinstance(value, str):
        value = int(value.strip())
    else:
        raise ValueError(f"{what} must be an integer, got {type(value).__name__}")
    if not -INT64 <= value < INT64:
        raise ValueError(f"{what} {str(value)[:20]}... does not fit 64 bits")
    return value


def as_float(value, what: str = "value") -> float:
    """A finite float (JSON booleans and strings refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{what} is too large") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def scan_folder(
    folder: str | os.PathLike,
    warn: Callable[[str], None] | None = None,
    accept: Callable[[str], bool] | None = None,
    folders: bool = False,
) -> list[Path]:
    """Regular files (or, with ``folders``, sub-folders) of ``folder`` whose name ``accept``s.

    An accepted name whose entry cannot be looked at (a symbolic-link loop, a dangling link,
    permission denied) or is not a regular file (a FIFO, a socket) is skipped with a warning.
    """
    folder = Path(folder)
    out = []
    try:
        with os.scandir(folder) as entries:
            listed = [e for e in entries if accept is None or accept(e.name)]
    except OSError as exc:
        raise LabelIrstError(f"{folder}: cannot list the folder ({os_reason(exc)})") from None
    for entry in listed:
        try:
            if entry.is_file(follow_symlinks=False):  # d_type: no system call
                mode = stat.S_IFREG
            elif entry.is_dir(follow_symlinks=False):
                mode = stat.S_IFDIR
            else:  # a symbolic link, a FIFO, a socket or an unknown type: look closer
                mode = entry.stat().st_mode
        except OSError as exc:
            if warn is not None:
                warn(f"skipped {folder / entry.name}: {os_reason(exc)}")
            continue
        if stat.S_ISDIR(mode):
            if folders:
                out.append(folder / entry.name)
        elif folders:
            continue
        elif stat.S_ISREG(mode):
            out.append(folder / entry.name)
        elif warn is not None:
            warn(f"skipped {folder / entry.name}: not a regular file")
    return out


def refuse_overlap(out: str | os.PathLike, inputs, flag: str = "--out") -> None:
    """Refuse an output that is, or holds, one of ``inputs`` (paths resolved, links followed).

    Writing there would replace the sources (frames, masks, the points file) with outputs.
    """
    try:
        target = Path(os.path.realpath(out))
    except (OSError, ValueError):
        raise LabelIrstError(f"{out!r}: not a usable path") from None
    for item in inputs:
        if item is None:
            continue
        try:
            source = Path(os.path.realpath(item))
        except (OSError, ValueError):
            continue
        if target == source or target in source.parents:
            what = "is" if target == source else "holds"
            raise LabelIrstError(
                f"{flag} {out} {what} the input {item}: writing there would replace the sources; "
                "choose another folder"
            )


def read_head(path: str | os.PathLike, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a regular file; b"" for anything else (format detection)."""
    if not is_regular_file(path):
        return b""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return b""
