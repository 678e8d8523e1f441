"""Crash points for the crash tests: a process killed exactly where a test asks.

Inert unless ``LABEL_IRST_CRASH_AT=KIND:N`` is set (tests set it for a child process only).
Then the process kills itself with SIGKILL right after its N-th event of that kind:

* ``write``: a file written to its temporary beside the destination, before the rename into
  place (:func:`label_irst.io.atomic.atomic_path`: masks, frames, JSON and CSV files);
* ``rename``: a finished output folder or project about to replace the old one;
* ``commit``: a project transaction committed.

Before dying it appends ``KIND N WHERE`` (the file, folder or project) to the file named by
``LABEL_IRST_CRASH_LOG``, so that a test can check where each kill landed.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

CRASH_AT = "LABEL_IRST_CRASH_AT"
CRASH_LOG = "LABEL_IRST_CRASH_LOG"
KINDS = ("write", "rename", "commit")

_counts: dict[str, int] = {}
_lock = threading.Lock()


def crash_point(kind: str, where: str | os.PathLike | Callable[[], str]) -> None:
    """Count one ``kind`` event; die here if it is the one ``LABEL_IRST_CRASH_AT`` names."""
    spec = os.environ.get(CRASH_AT)
    if not spec:
        return
    wanted, _, number = spec.partition(":")
    if wanted != kind:
        return
    with _lock:
        _counts[kind] = count = _counts.get(kind, 0) + 1
        if not number.isdigit() or count != int(number):
            return
        log = os.environ.get(CRASH_LOG)
        if log:
            place = where() if callable(where) else os.fspath(where)
            with open(log, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(f"{kind} {count} {place}\n")
        kill = getattr(signal, "SIGKILL", None)
        if kill is None:  # pragma: no cover - Windows: no signal to send oneself
            os._exit(137)
        os.kill(os.getpid(), kill)
