"""RPR-Net over a sequence with a sliding-window encoder cache (Sec. III-B1, III-C2).

Frame t is predicted from the triplet {I(t-1), I(t), I(t+1)}; the first and last frames use
themselves as the missing neighbour (replication). The encoder runs once per frame and its
features are reused by the three triplets that need them, so a sequence of n frames costs n
encoder runs and n head runs (without the cache: 3n encoder runs). Frames are normalised and
padded to a multiple of 16 (never stretched); detections are in original pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
    ):
        self.model = model
        self.threshold = threshold
        self.cache = cache
        self.batch = max(int(batch), 1)
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
    ) -> Iterator[tuple[int, np.ndarray, list[Detection]]]:
        """Yield (t, frame, detections) for t = start .. count-1, in order."""
        if count <= 0 or start >= count:
            return
        frames: dict[int, np.ndarray] = {}
        feats: dict[int, np.ndarray] = {}
        shape: tuple[int, int] | None = None

        def clamp(t: int) -> int:
            return min(max(t, 0), count - 1)

        def frame(t: int) -> np.ndarray:
            nonlocal shape
            if t not in frames:
                img = load(t)
                if shape is None:
                    shape = img.shape
                elif img.shape != shape:
                    raise LabelIrstError(
                        f"frame {t} is {img.shape[1]}x{img.shape[0]}, the sequence is "
                        f"{shape[1]}x{shape[0]}: a sequence needs frames of one size"
                    )
                frames[t] = img
            return frames[t]

        t = start
        while t < count:
            chunk = list(range(t, min(t + self.batch, count)))
            if self.cache:
                needed = sorted({clamp(u) for c in chunk for u in (c - 1, c, c + 1)} - set(feats))
                if needed:
                    out = self.encode([frame(u) for u in needed])
                    feats.update({u: out[k : k + 1] for k, u in enumerate(needed)})
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
