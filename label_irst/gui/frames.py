"""Raw frames of a sequence, cached, with the neighbours prefetched in a worker thread.

The worker only reads files (no widget is touched); the window asks for a frame, gets it from
the cache when it is there (the common case while stepping) and otherwise waits for the read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from label_irst.io.sequence import Sequence


class FrameCache:
    """An LRU cache of raw frames with background prefetch of ``ahead`` frames each way."""

    def __init__(self, sequence: Sequence, capacity: int = 16, ahead: int = 2, prefetch=True):
        self.sequence = sequence
        self.capacity = max(capacity, 2 * ahead + 1)
        self.ahead = ahead
        self.prefetch_enabled = prefetch
        self._lock = threading.Lock()
        self._frames: OrderedDict[int, Future] = OrderedDict()
        # video decoding is sequential: a single worker keeps reads in order
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-prefetch")

    def get(self, index: int) -> np.ndarray:
        """The raw frame ``index`` (raises the reader's LabelIrstError for a bad file)."""
        future = self._future(index)
        if self.prefetch_enabled:
            for k in range(1, self.ahead + 1):
                for j in (index + k, index - k):
                    if 0 <= j < len(self.sequence):
                        self._future(j)
        return future.result()

    def _future(self, index: int) -> Future:
        with self._lock:
            future = self._frames.get(index)
            if future is None:
                future = self._pool.submit(self.sequence.frame, index)
                self._frames[index] = future
            self._frames.move_to_end(index)
            while len(self._frames) > self.capacity:
                self._frames.popitem(last=False)
            return future

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.sequence.close()
