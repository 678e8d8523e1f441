"""Time PAMG per target (Rs = 20 by default) on sirst-v1, or on synthetic frames without it.

    python benchmarks/bench_pamg.py [--generator pamg] [--rs 20] [--repeat 5]

Reports the median, mean and 90th percentile of the wall time of one ``generator(image, seed)``
call (the whole call: window, polarity, growth, backtracking, descriptors), after a warm-up,
and the median thread CPU time (less sensitive to other jobs on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from label_irst.core.generators import get_generator
from label_irst.core.geometry import components
from label_irst.core.synthetic import synthetic_frame


def targets():
    """(image, seed) pairs: sirst-v1 centroid seeds when the data is found, else synthetic."""
    env = os.environ.get("LABEL_IRST_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    root = root / "sirst-v1"
    if (root / "images").is_dir():
        from label_irst.batch.dataset import mask_pairs
        from label_irst.batch.evaluate import pick_seed
        from label_irst.io.images import read_image, read_mask

        rng = np.random.default_rng(3407)
        for pair in mask_pairs(root):
            image = read_image(pair.image)
            for part in components(read_mask(pair.mask)):
                yield image, pick_seed(part, "random", rng)
        return
    print("sirst-v1 not found: timing synthetic 640x512 frames", file=sys.stderr)
    for seed in range(100):
        frame, _, truths, _ = synthetic_frame((512, 640), count=5, seed=seed)
        for t in truths:
            yield frame, (t.x, t.y)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", default="pamg")
    parser.add_argument("--rs", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fn = get_generator(args.generator).fn
    pairs = list(targets())
    fn(*pairs[0], args.rs)  # compile / warm up
    wall, cpu = [], []
    for image, seed in pairs:
        w_times, c_times = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.thread_time()
            fn(image, seed, args.rs)
            w_times.append(time.perf_counter() - t0)
            c_times.append(time.thread_time() - c0)
        wall.append(min(w_times) * 1000.0)
        cpu.append(min(c_times) * 1000.0)
    print(
        f"{args.generator} Rs={args.rs:g}: {len(pairs)} targets, ms per target: wall "
        f"median {statistics.median(wall):.3f}, mean {statistics.fmean(wall):.3f}, "
        f"p90 {np.percentile(wall, 90):.3f}; thread CPU median {statistics.median(cpu):.3f} "
        f"(best of {args.repeat} per target; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()})"
    )


if __name__ == "__main__":
    main()
