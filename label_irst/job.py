"""What long work reports to: a progress callback, a cancel flag and collected warnings.

Below every layer (beside :mod:`label_irst.errors`): the dataset readers and writers of ``io``,
the jobs of ``batch``, pre-labelling in ``infer``, training, the app's workers and the commands
all take one, so none of them imports a layer above it to report progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

ProgressFn = Callable[[int, int], None]


@dataclass
class Job:
    """What a batch job reports to: progress(done, total), a cancel event, warnings."""

    progress: ProgressFn | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    warn: Callable[[str], None] | None = None
    warnings: list[str] = field(default_factory=list)

    def step(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def warning(self, message: str) -> None:
        self.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()
