"""Training data drawn from several sources at fixed shares (real videos, real still images,
synthetic sequences): a departure from Sec. IV-A3, which trains on one dataset.

Each source is a dataset root read with its own supervision (points through PAMG for
point-labelled video, masks for a benchmark with pixel masks, Sec. III-C1) into its own
:class:`~label_irst.train.data.TripletSampler`; every crop of a batch first draws its source
with the given shares, so a small source (a few hundred still images) is not drowned by a large
one (tens of thousands of video frames). Hard negatives are mined per source, in proportion to
the shares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from label_irst.errors import LabelIrstError
from label_irst.train.data import TripletSampler
from label_irst.train.losses import make_targets
from label_irst.train.mining import mine


@dataclass(frozen=True)
class Source:
    """One training source: a dataset root, its share of the crops and its supervision."""

    root: str
    share: float
    supervision: str = "points"


def parse_source(text: str) -> Source:
    """``ROOT=SHARE[:SUPERVISION]`` (for ``train --mix``)."""
    root, sep, rest = text.rpartition("=")
    share_text, _, sup = rest.partition(":")
    try:
        share = float(share_text)
    except ValueError:
        share = -1.0
    if not sep or not root or not 0.0 < share < 1.0:
        raise LabelIrstError(f"--mix must look like ROOT=SHARE[:points|masks], got {text!r}")
    sup = sup or "points"
    if sup not in ("points", "masks"):
        raise LabelIrstError(f"--mix {text!r}: supervision must be points or masks")
    return Source(root, share, sup)


class MixedSampler:
    """Crops from several :class:`TripletSampler` at fixed shares (same interface for the
    training loop: :meth:`batch`)."""

    def __init__(self, samplers: list[TripletSampler], shares: list[float]):
        if len(samplers) != len(shares) or not samplers:
            raise ValueError("one share per sampler")
        total = float(sum(shares))
        if total <= 0:
            raise ValueError("shares must sum to more than 0")
        self.samplers = samplers
        self.shares = np.asarray(shares, float) / total
        self.crop = samplers[0].crop

    def batch(
        self, size: int, rng: np.random.Generator
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        xs, ys = [], []
        picks = rng.choice(len(self.samplers), size=size, p=self.shares)
        for k in picks:
            x, pts = self.samplers[int(k)].sample(rng)
            xs.append(x)
            ys.append(make_targets(pts, self.crop, self.crop))
        inputs = torch.from_numpy(np.stack(xs))
        targets = {k: torch.from_numpy(np.stack([y[k] for y in ys])) for k in ys[0]}
        return inputs, targets

    def mine(self, model, frames: int, rng: np.random.Generator, device) -> int:
        """Hard negatives of every source, ``frames`` whole frames searched in all, split by
        share (at least one per source)."""
        found = 0
        for sampler, share in zip(self.samplers, self.shares):
            found += mine(model, sampler, max(int(round(frames * share)), 1), rng, device)
        return found
