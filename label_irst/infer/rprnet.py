"""RPR-Net over a sequence with a sliding-window encoder cache (Sec. III-B1, III-C2).

Frame t is predicted from the triplet {I(t-1), I(t), I(t+1)}; the first and last frames use
themselves as the missing neighbour (replication). The encoder runs once per frame and its
features are reused by the three triplets that need them, so a sequence of n frames costs n
encoder runs and n head runs (without the cache: 3n encoder runs). Frames are normalised and
padded to a multiple of 16 (never stretched); detections are in original pixels. With
``pipeline`` a background thread reads and encodes the next frame while the temporal head runs
on the current one (onnxruntime releases the GIL), so two CPU cores are both kept busy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD, Detection, decode
from label_irst.infer.preprocess import normalise, pad
from label_irst.infer.session import RPRModel


class SequenceRunner:
    """Run a loaded model over frames given by ``load(t)``, ``count`` frames in all."""

    def __init__(
        self,
        model: RPRModel,
        threshold: float = DEFAULT_THRESHOLD,
        cache: bool = True,
        batch: int = 1,
        pipeline: bool = True,
    ):
        self.model = model
        self.threshold = threshold
        self.cache = cache
        self.batch = max(int(batch), 1)
        self.pipeline = pipeline
        self.encoder_runs = 0

    def encode(self, frames: list[np.ndarray]) -> np.ndarray:
        x = np.stack([pad(normalise(f)) for f in frames])[:, None].astype(np.float32)
        self.encoder_runs += len(frames)
        return self.model.encoder.run(None, {"frame": x})[0]

    def head(self, prev: np.ndarray, curr: np.ndarray, nxt: np.ndarray):
        return self.model.head.run(None, {"prev": prev, "curr": curr, "next": nxt})

    def run(
        self,
        load: Callable[[int], np.ndarray],
        count: int,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[tuple[int, np.ndarray, list[Detection]]]:
        """Yield (t, frame, detections) for t = start .. stop-1 (default: count-1), in order.

        A range [start, stop) of a longer sequence reads its temporal context (frames start-1
        and stop, replicated at the sequence's ends), so detections are those of a whole run.
        """
        stop = count if stop is None else min(stop, count)
        if count <= 0 or start >= stop:
            return
        frames: dict[int, np.ndarray] = {}
        feats: dict[int, np.ndarray] = {}
        shape: tuple[int, int] | None = None

        def clamp(t: int) -> int:
            return min(max(t, 0), count - 1)

        def check(img: np.ndarray, t: int) -> None:
            nonlocal shape
            if shape is None:
                shape = img.shape
            elif img.shape != shape:
                raise LabelIrstError(
                    f"frame {t} is {img.shape[1]}x{img.shape[0]}, the sequence is "
                    f"{shape[1]}x{shape[0]}: a sequence needs frames of one size"
                )

        def frame(t: int) -> np.ndarray:
            if t not in frames:
                img = load(t)
                check(img, t)
                frames[t] = img
            return frames[t]

        def encode_job(us: list[int]):
            imgs = [load(u) for u in us]
            for img, u in zip(imgs, us):
                check(img, u)
            return imgs, self.encode(imgs)

        def put(us: list[int], result) -> None:
            imgs, out = result
            for k, u in enumerate(us):
                frames[u] = imgs[k]
                feats[u] = out[k : k + 1]

        def triplets(chunk: list[int]) -> list[int]:
            return sorted({clamp(u) for c in chunk for u in (c - 1, c, c + 1)} - set(feats))

        pool = ThreadPoolExecutor(1) if self.cache and self.pipeline else None
        pending = None
        t = start
        try:
            while t < stop:
                chunk = list(range(t, min(t + self.batch, stop)))
                if self.cache:
                    if pending is not None:
                        put(pending[0], pending[1].result())
                        pending = None
                    needed = triplets(chunk)
                    if needed:
                        put(needed, encode_job(needed))
                    ahead = triplets(
                        list(range(chunk[-1] + 1, min(chunk[-1] + 1 + self.batch, stop)))
                    )
                    if ahead and pool is not None:  # encode the next frames while the head runs
                        pending = (ahead, pool.submit(encode_job, ahead))
                    prev = np.concatenate([feats[clamp(c - 1)] for c in chunk])
                    curr = np.concatenate([feats[c] for c in chunk])
                    nxt = np.concatenate([feats[clamp(c + 1)] for c in chunk])
                else:
                    trip = [[frame(clamp(c + d)) for c in chunk] for d in (-1, 0, 1)]
                    prev, curr, nxt = (self.encode(x) for x in trip)
                heat, off, rad = self.head(prev, curr, nxt)
                for k, c in enumerate(chunk):
                    img = frame(c)
                    dets = decode(heat[k, 0], off[k], rad[k, 0], self.threshold, img.shape)
                    yield c, img, dets
                # keep only what the next chunk can still use
                low = chunk[-1]
                for store in (feats, frames):
                    for u in [u for u in store if u < low]:
                        del store[u]
                t = chunk[-1] + 1
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
