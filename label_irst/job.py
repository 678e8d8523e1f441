"""What long work reports to: a progress callback, a cancel flag and collected warnings.

Below every layer (beside :mod:`label_irst.errors`): the dataset readers and writers of ``io``,
the jobs of ``batch``, pre-labelling in ``infer``, training, the app's workers and the commands
all take one, so none of them imports a layer above it to report progress.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ProgressFn = Callable[[int, int], None]

#: how often a paused job looks again whether it may go on (seconds)
PAUSE_POLL_S = 0.1


@dataclass
class Job:
    """What a batch job reports to: progress(done, total), a cancel event, warnings, and an
    optional pause: while ``pause()`` is true, :meth:`step` waits (until it turns false or the
    job is cancelled) and adds the wait to ``paused_seconds``, so that a wall-time budget can
    leave it out."""

    progress: ProgressFn | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    warn: Callable[[str], None] | None = None
    warnings: list[str] = field(default_factory=list)
    pause: Callable[[], bool] | None = None
    paused_seconds: float = 0.0

    def step(self, done: int, total: int) -> None:
        if self.pause is not None and not self.cancelled and self.pause():
            since = time.perf_counter()
            while not self.cancelled and self.pause():
                self.cancel.wait(PAUSE_POLL_S)
            self.paused_seconds += time.perf_counter() - since
        if self.progress is not None:
            self.progress(done, total)

    def warning(self, message: str) -> None:
        self.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()
