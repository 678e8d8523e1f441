"""Safe sequence and frame names for files written by an export.

Names come from imported files (COCO ``file_name``, labelme ``imagePath``, ``img_idx`` lines) and
must never escape the export folder: no absolute paths, no ``..``, no separators inside a name.
Spaces and non-ASCII letters are kept (a sequence called ``Straße 1`` stays ``Straße 1``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from label_irst.errors import LabelIrstError

#: Characters that are not allowed in a file name on at least one common file system.
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
#: Bytes (UTF-8) of a cleaned name: file systems allow 255 per name, and room is kept for a
#: "_2" suffix, an extension and the ".<name>.XXXXXXXX.png" of a temporary file.
MAX_NAME_BYTES = 200


def safe_name(name: str, fallback: str = "unnamed") -> str:
    """One path component: separators and control characters become ``_``, never ``.``/``..``.

    The result is NFC-normalised, stripped of surrounding blanks and dots (no hidden files), and no longer
    than ``MAX_NAME_BYTES`` bytes in UTF-8 (cut between characters); an empty result becomes
    ``fallback``. Unencodable characters (lone surrogates of non-UTF-8 file names) become ``_``.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = text.encode("utf-8", errors="replace").decode("utf-8")  # lone surrogates -> "?" -> "_"
    text = _FORBIDDEN.sub("_", text).strip().strip(".").strip()
    if text.upper().split(".")[0] in _RESERVED:
        text = f"_{text}"
    text = text.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").strip()
    return text or fallback


def split_relative(path: str) -> list[str]:
    """The parts of a relative path read from a file, refusing absolute paths and ``..``.

    Both ``/`` and ``\\`` separate parts; ``.`` parts are dropped.
    """
    text = str(path).strip()
    if not text:
        raise LabelIrstError("an empty path was given where a file name was expected")
    if "\x00" in text:  # no file system allows it; os calls raise ValueError on it
        raise LabelIrstError(f"{text!r}: a file name with a NUL character")
    if (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or re.match(r"^[A-Za-z]:", text)
    ):
        raise LabelIrstError(f"{text!r}: absolute paths are not accepted in dataset files")
    parts = [p for p in re.split(r"[\\/]+", text) if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise LabelIrstError(f"{text!r}: '..' is not accepted in dataset file names")
    if not parts:
        raise LabelIrstError(f"{text!r}: not a file name")
    return parts


def resolve_inside(root: str | os.PathLike, relative: str) -> Path:
    """``root / relative`` after :func:`split_relative`, checked to stay inside ``root``."""
    parts = split_relative(relative)
    try:
        base = Path(root).resolve()
        candidate = base.joinpath(*parts).resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic link loop (RuntimeError before 3.13)
        reason = getattr(exc, "strerror", None) or "a symbolic link loop"
        raise LabelIrstError(f"{relative!r}: cannot be resolved ({reason})") from None
    if candidate != base and base not in candidate.parents:
        raise LabelIrstError(f"{relative!r}: points outside {base}")
    return candidate


class UniqueNames:
    """Hands out sanitised names, adding ``_2``, ``_3``... when two names collide."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, name: str, fallback: str = "unnamed") -> str:
        base = safe_name(name, fallback)
        out, k = base, 2
        while out.casefold() in self._taken:
            out, k = f"{base}_{k}", k + 1
        self._taken.add(out.casefold())
        return out


def require_utf8_path(path: str | os.PathLike, what: str = "the path") -> None:
    """Refuse, in one line, a path whose bytes are not UTF-8 where it must be stored as text
    (a project keeps its frame folders' paths; their frames' names are kept escaped)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise LabelIrstError(
            f"{shown}: {what} is not valid UTF-8 and cannot be stored in a project; rename it"
        ) from None
