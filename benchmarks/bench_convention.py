"""Annotation convention on sirst-v1: fit speed and the calibration table of docs/benchmarks.md.

    python benchmarks/bench_convention.py [--splits all test train] [--generator pamg+] [--speed-only]

Speed: :func:`label_irst.core.convention.fit` on 200 sirst-v1 targets (random seeds, RNG 3407,
masks re-drawn one pixel out so that the fit has something to find), best of 5 after a
warm-up, wall and CPU time.
Table, for each --gt-margin K in -1, 0, +1 and each split:
* default: ``label-irst eval-masks --dataset sirst-v1 [--split S] --gt-margin K`` (no fit);
* best fixed: the best (eps, margin) cell of :func:`label_irst.core.convention.sweep` over every
  target of the split (an oracle: it sees all the masks it is scored on);
* --calibrate 10: ``eval-masks ... --gt-margin K --calibrate 10 --calibration-seed S`` for
  S = 0..4, mean (min-max) of the per-target mIoU on the remaining targets, and the margins fitted.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from label_irst.batch.dataset import mask_pairs
from label_irst.batch.evaluate import RNG_SEED, _load, evaluate_masks, pick_seed
from label_irst.core.convention import Example, fit, sweep


def examples(root: Path, split: str | None, gt_margin: int) -> list[Example]:
    """Every target with the seed eval-masks draws for it (RNG 3407, random seeds)."""
    rng = np.random.default_rng(RNG_SEED)
    out = []
    for pair in mask_pairs(root, split):
        image, originals, parts = _load(pair, gt_margin)
        for original, part in zip(originals, parts):
            out.append(Example(image, pick_seed(original, "random", rng), part))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", nargs="+", default=["all", "test", "train"])
    parser.add_argument("--generator", default="pamg+")
    parser.add_argument("--calibrate", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5, help="calibration seeds 0..S-1")
    parser.add_argument("--speed-only", action="store_true", help="only time the fit")
    args = parser.parse_args()
    env = os.environ.get("LABEL_IRST_DATA")
    data = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    root = data / "sirst-v1"
    if not (root / "images").is_dir():
        raise SystemExit(f"sirst-v1 not found under {root}: set LABEL_IRST_DATA")

    sample = examples(root, None, 1)[:200]
    fit(sample[:5], args.generator)
    times, cpu = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        conv = fit(sample, args.generator)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(
        f"fit on {len(sample)} examples: {min(times):.3f} s wall, {min(cpu):.3f} s CPU (best of "
        f"5; load average {os.getloadavg()[0]:.1f}), params {conv.params}\n"
    )
    if args.speed_only:
        return

    print(f"| split | K | default | best fixed (eps, margin) | --calibrate {args.calibrate} "
          "mean (min-max) | fitted margins |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for split_name in args.splits:
        split = None if split_name == "all" else split_name
        for k in (-1, 0, 1):
            default = evaluate_masks(root, args.generator, split=split, gt_margin=k).summary()
            table = sweep(examples(root, split, k), args.generator)
            (eps, margin), best = max(table.items(), key=lambda kv: kv[1])
            runs = [
                evaluate_masks(root, args.generator, split=split, gt_margin=k,
                               calibrate=args.calibrate, calibration_seed=s).summary()
                for s in range(args.seeds)
            ]  # fmt: skip
            scores = [r["miou_target"] for r in runs]
            fitted = ", ".join(
                f"{r['convention']['margin']:+d}"
                + (f"/eps {r['convention']['eps']:g}" if r["convention"].get("eps") != 0.2 else "")
                for r in runs
            )
            print(
                f"| {split_name} | {k:+d} | {default['miou_target']:.1f} | {100 * best:.1f} "
                f"({eps:g}, {margin:+d}) | {np.mean(scores):.1f} ({min(scores):.1f}-"
                f"{max(scores):.1f}) | {fitted} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
