"""Training samples for RPR-Net: triplets {I(t-1), I(t), I(t+1)} cropped around targets.

Frames are normalised over the whole frame (as at inference), then a crop of ``crop`` px (a
multiple of 16) is cut, centred near a target most of the time; first and last frames use
themselves as the missing neighbour (replication, as at inference). With ``hard_bias`` > 0 that
share of crops is centred on hard negatives (:mod:`label_irst.train.mining`) when there are
some. Random flips and 90-degree rotations are applied to the whole triplet. With
``repeat_frame`` > 0 that share of triplets is {I(t), I(t), I(t)}: the current frame repeated, as
a static camera sees a static target, so that a target is not learnt as "what moves" alone.
"""

from __future__ import annotations

import numpy as np
import torch

from label_irst.infer.preprocess import normalise, pad
from label_irst.infer.sequences import Sequence
from label_irst.train.losses import make_targets


class TripletSampler:
    """Random training triplets from sequences held in memory (normalised float16): the frames
    of the wanted triplets only, so a long project sequence with a few labelled frames stays
    small."""

    def __init__(
        self,
        sequences: list[Sequence],
        targets: dict[str, dict[str, list]],
        crop: int = 128,
        target_bias: float = 0.8,
        hard_bias: float = 0.0,
        repeat_frame: float = 0.0,
    ):
        if crop % 16:
            raise ValueError("crop must be a multiple of 16")
        self.crop = crop
        self.repeat_frame = repeat_frame
        self.target_bias = target_bias
        self.hard_bias = hard_bias
        #: (sequence, frame, x, y) of false alarms to centre crops on (filled by mining)
        self.negatives: list[tuple[int, int, float, float]] = []
        self.frames: list[list[np.ndarray]] = []
        self.targets: list[list[list]] = []
        self.index: list[tuple[int, int]] = []
        self.lengths: list[int] = []
        for seq in sequences:
            n = len(seq)
            wanted = [
                t for t, stem in enumerate(seq.stems()) if seq.keep is None or stem in seq.keep
            ]
            # only the frames of the wanted triplets are held (edges replicated)
            needed = sorted({min(max(u, 0), n - 1) for t in wanted for u in (t - 1, t, t + 1)})
            imgs = {t: pad(normalise(seq.read(t))).astype(np.float16) for t in needed}
            if imgs and (imgs[needed[0]].shape[0] < crop or imgs[needed[0]].shape[1] < crop):
                imgs = {t: _pad_to(i, crop) for t, i in imgs.items()}
            stems = seq.stems()
            tg = [targets[seq.name].get(stem, []) for stem in stems]
            k = len(self.frames)
            self.frames.append(imgs)
            self.targets.append(tg)
            self.lengths.append(n)
            self.index.extend((k, t) for t in wanted)
        if not self.index:
            raise ValueError("no training frames")

    def triplet(self, s: int, t: int) -> np.ndarray:
        """The float32 triplet (3, H, W) of frame ``t`` of sequence ``s`` (edges replicated)."""
        imgs = self.frames[s]
        n = self.lengths[s]  # the sequence's length: only the wanted triplets' frames are held
        return np.stack([imgs[max(t - 1, 0)], imgs[t], imgs[min(t + 1, n - 1)]]).astype(np.float32)

    def sample(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
        c = self.crop
        hard = bool(self.negatives) and rng.random() < self.hard_bias
        if hard:
            s, t, hx, hy = self.negatives[int(rng.integers(len(self.negatives)))]
        else:
            s, t = self.index[int(rng.integers(len(self.index)))]
        tg = self.targets[s][t]
        triplet = self.triplet(s, t)
        h, w = triplet.shape[1:]
        if hard:
            x0 = int(np.clip(hx - rng.uniform(8, c - 8), 0, w - c))
            y0 = int(np.clip(hy - rng.uniform(8, c - 8), 0, h - c))
        elif tg and rng.random() < self.target_bias:
            x, y, _ = tg[int(rng.integers(len(tg)))]
            x0 = int(np.clip(x - rng.uniform(8, c - 8), 0, w - c))
            y0 = int(np.clip(y - rng.uniform(8, c - 8), 0, h - c))
        else:
            x0, y0 = int(rng.integers(0, w - c + 1)), int(rng.integers(0, h - c + 1))
        triplet = triplet[:, y0 : y0 + c, x0 : x0 + c]
        pts = [(x - x0, y - y0, r) for x, y, r in tg if x0 <= x < x0 + c and y0 <= y < y0 + c]
        # flips and rotations of the whole triplet (coordinates follow: pixel centres at integers)
        if rng.random() < 0.5:
            triplet = triplet[:, :, ::-1]
            pts = [(c - 1 - x, y, r) for x, y, r in pts]
        if rng.random() < 0.5:
            triplet = triplet[:, ::-1, :]
            pts = [(x, c - 1 - y, r) for x, y, r in pts]
        if rng.random() < 0.5:
            triplet = triplet.transpose(0, 2, 1)
            pts = [(y, x, r) for x, y, r in pts]
        if rng.random() < 0.25:  # reversed time: motion cues must work both ways
            triplet = triplet[::-1]
        if self.repeat_frame > 0 and rng.random() < self.repeat_frame:
            triplet = triplet[[1, 1, 1]]
        return np.ascontiguousarray(triplet), pts

    def batch(
        self, size: int, rng: np.random.Generator
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        xs, ys = [], []
        for _ in range(size):
            x, pts = self.sample(rng)
            xs.append(x)
            ys.append(make_targets(pts, self.crop, self.crop))
        inputs = torch.from_numpy(np.stack(xs))
        targets = {k: torch.from_numpy(np.stack([y[k] for y in ys])) for k in ys[0]}
        return inputs, targets


def _pad_to(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape
    return np.pad(image, ((0, max(size - h, 0)), (0, max(size - w, 0))), mode="edge")
