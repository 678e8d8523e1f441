"""Carrying confirmed targets to the next frame: junk on unrelated frames, tracks kept on sequences.

The app carries only where frames form a sequence, and keeps a carried candidate only when its
re-grown mask is consistent with its source (label_irst.gui.tracking.consistent: area within
x3, centroid near the prediction, seed on a local peak). Measured here without the first
rule, as if a folder of unrelated frames had been marked as a sequence:

* sirst-v1 (unrelated single frames, natural order): every ground-truth target of frame i is
  taken as confirmed and carried into frame i+1; a carried candidate is junk unless it overlaps
  a true target of frame i+1 (IoU > 0.3).
* synthetic sequences (label_irst.core.synthetic.synthetic_sequence, 10 x 20 frames of 256 x 320,
  3 moving targets each): the same carry; a candidate is right when it overlaps its own track's
  true mask in the next frame (IoU > 0.3).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_carry.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from label_irst.batch.dataset import mask_pairs  # noqa: E402
from label_irst.core.generators import get_generator  # noqa: E402
from label_irst.core.geometry import CroppedMask, components  # noqa: E402
from label_irst.core.metrics import cropped_iou  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.errors import LabelIrstError  # noqa: E402
from label_irst.gui.tracking import carry_seeds, consistent  # noqa: E402
from label_irst.io.images import read_image, read_mask  # noqa: E402
from label_irst.io.project import Target  # noqa: E402


def confirmed(parts: list[CroppedMask], frame: int) -> list[Target]:
    out = []
    for k, part in enumerate(parts):
        t = Target(
            sequence_id=1,
            frame=frame,
            mask=part,
            seed=(0, 0),
            status="confirmed",
            track_id=k + 1,
            source="pamg",
            rho=0.0,
        )
        out.append(t)
    return out


def carry(previous, earlier, raw, generator, rs=20.0):
    """(carried result, track, kept by the consistency check) for every carried seed."""
    out = []
    for seed, source, predicted in carry_seeds(previous, earlier, [], raw):
        try:
            result = generator.fn(raw, seed, rs)
        except LabelIrstError:
            continue  # a flat patch: the app carries nothing there either
        out.append((result, source.track_id, consistent(source, result.mask, predicted, raw, seed)))
    return out


def unrelated(root: Path, generator) -> dict:
    pairs = mask_pairs(root)
    counts = {"carried": 0, "junk": 0, "kept": 0, "junk_kept": 0}
    previous = None
    for i, pair in enumerate(pairs):
        raw, parts = read_image(pair.image), components(read_mask(pair.mask))
        if previous is not None:
            for result, _, kept in carry(previous, [], raw, generator):
                junk = not any(cropped_iou(result.mask, p) > 0.3 for p in parts)
                counts["carried"] += 1
                counts["junk"] += junk
                counts["kept"] += kept
                counts["junk_kept"] += junk and kept
        previous = confirmed(parts, i)
    return counts


def sequences(generator, count=10, frames=20) -> dict:
    counts = {"carried": 0, "right": 0, "kept": 0, "right_kept": 0, "wrong_kept": 0}
    for s in range(count):
        images, _, masks = synthetic_sequence(frames=frames, shape=(256, 320), count=3, seed=s,
                                              dtype=np.uint16)  # fmt: skip
        parts = [[CroppedMask.from_full(m) for m in frame] for frame in masks]
        for t in range(1, frames):
            previous = confirmed(parts[t - 1], t - 1)
            earlier = confirmed(parts[t - 2], t - 2) if t >= 2 else []
            for result, track, kept in carry(previous, earlier, images[t], generator):
                right = cropped_iou(result.mask, parts[t][track - 1]) > 0.3
                counts["carried"] += 1
                counts["right"] += right
                counts["kept"] += kept
                counts["right_kept"] += right and kept
                counts["wrong_kept"] += (not right) and kept
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("LABEL_IRST_DATA", "../shared/data"))
    args = parser.parse_args()
    generator = get_generator("pamg+")
    print("sirst-v1 (unrelated frames):", unrelated(Path(args.data) / "sirst-v1", generator))
    print("synthetic sequences:", sequences(generator))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
