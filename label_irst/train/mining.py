"""Hard-negative mining for RPR-Net training (a departure from Sec. IV-A3, off by default).

The operating point asked of pre-annotation is a very low false-alarm rate (Fa <= 1e-5: about
three false pixels per 640x512 frame), while crops centred near targets show the network little
of the clutter that causes false alarms. Each epoch the current model runs on a few whole
training frames; its peaks above a low threshold that lie more than ``MIN_DISTANCE`` px from
every training label are kept as hard negatives, and a share of the next epoch's crops is
centred on them (the label maps stay as they are: background there).
"""

from __future__ import annotations

import numpy as np
import torch

from label_irst.infer.decode import decode

MIN_DISTANCE = 6.0
MINE_THRESHOLD = 0.2


def false_alarms(
    detections: list[tuple[float, float]],
    labels: list[tuple[float, float, float]],
    min_distance: float = MIN_DISTANCE,
) -> list[tuple[float, float]]:
    """The detections (x, y) farther than ``min_distance`` px from every label (x, y, r)."""
    if not labels:
        return list(detections)
    lab = np.array([(x, y) for x, y, _ in labels], float)
    out = []
    for x, y in detections:
        if np.min(np.hypot(lab[:, 0] - x, lab[:, 1] - y)) > min_distance:
            out.append((x, y))
    return out


@torch.no_grad()
def mine(model, sampler, frames: int, rng: np.random.Generator, device) -> int:
    """Run ``model`` on ``frames`` random training frames of ``sampler`` and replace its pool of
    hard negatives with the false alarms found; returns the pool size."""
    was_training = model.training
    model.eval()
    pool: list[tuple[int, int, float, float]] = []
    picks = rng.choice(len(sampler.index), size=min(frames, len(sampler.index)), replace=False)
    for k in picks:
        s, t = sampler.index[int(k)]
        triplet = torch.from_numpy(sampler.triplet(s, t))[None].to(device)
        heat, off, rad = model(triplet)
        h, w = sampler.frames[s][t].shape
        dets = decode(
            torch.sigmoid(heat)[0, 0].cpu().numpy(),
            off[0].cpu().numpy(),
            rad[0, 0].cpu().numpy(),
            MINE_THRESHOLD,
            (h, w),
        )
        found = false_alarms([(d.x, d.y) for d in dets], sampler.targets[s][t])
        pool.extend((s, t, x, y) for x, y in found)
    sampler.negatives = pool
    if was_training:
        model.train()
    return len(pool)
