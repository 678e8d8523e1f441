"""EDGSP calibrated on N targets: fine-tuning (bounded time) plus the convention fit.

    python benchmarks/bench_edgsp_calibrate.py [--split all] [--gt-margins 0 1] [--draws 3]

For each --gt-margin K and --calibration-seed S = 0..draws-1, the N targets that
``label-irst eval-masks --calibrate N --calibration-seed S --gt-margin K`` draws (same seeds,
same masks re-drawn K pixels out) fine-tune the shipped model (``train-generator --init``:
--epochs epochs of --per-example jittered, augmented crops each, no held-out part, one torch
thread); then ``eval-masks --generator edgsp --calibrate N --calibration-seed S --gt-margin K``
runs with the fine-tuned model (it also fits the margin convention on the same N targets) and
scores the other targets. Prints per-target mIoU of the plain and the fine-tuned model and the
fine-tuning wall time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from label_irst.batch.dataset import mask_pairs
from label_irst.batch.evaluate import RNG_SEED, _load, evaluate_masks, pick_seed
from label_irst.core.convention import Example
from label_irst.train.edgsp_trainer import GeneratorTrainConfig, train_generator

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "edgsp.json"


def calibration_examples(pairs, count: int, seed: int, gt_margin: int) -> list[Example]:
    """The targets eval-masks --calibrate draws (random seeds, one sample)."""
    rng = np.random.default_rng(RNG_SEED)
    keys = []
    for done, pair in enumerate(pairs):
        _, originals, _ = _load(pair, 0)
        for j, original in enumerate(originals):
            keys.append((done, j, pick_seed(original, "random", rng)))
    chosen = np.random.default_rng(seed).choice(len(keys), count, replace=False)
    out = []
    for done, j, click in sorted(keys[int(i)] for i in chosen):
        image, _, parts = _load(pairs[done], gt_margin)
        out.append(Example(image, click, parts[j]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all")
    ap.add_argument("--gt-margins", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--calibrate", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--per-example", type=int, default=24)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    base = Path(
        os.environ.get("LABEL_IRST_DATA", Path(__file__).resolve().parents[2] / "shared/data")
    )
    root = base / "sirst-v1"
    split = None if args.split == "all" else args.split
    pairs = mask_pairs(root, split)
    print("| K | S | edgsp --calibrate (margin) | fine-tuned + margin | margins | fine-tune s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for k in args.gt_margins:
            for s in range(args.draws):
                common = dict(seeds="random", split=split, calibrate=args.calibrate,
                              calibration_seed=s, gt_margin=k)  # fmt: skip
                plain = evaluate_masks(root, "edgsp", **common).summary()
                examples = calibration_examples(pairs, args.calibrate, s, k)
                cfg = GeneratorTrainConfig(
                    epochs=args.epochs, per_example=args.per_example, batch=64, lr=args.lr,
                    val_fraction=0.0, init=str(SHIPPED), threads=1, seed=s,
                )  # fmt: skip
                out = Path(tmp) / f"ft{k}_{s}"
                t0 = time.perf_counter()
                train_generator(examples, out, cfg, {"kind": "calibration"})
                spent = time.perf_counter() - t0
                tuned_model = str(out.with_suffix(".json"))
                tuned = evaluate_masks(
                    root, "edgsp", **common, prepare=lambda _examples, m=tuned_model: m
                ).summary()
                print(
                    f"| {k:+d} | {s} | {plain['miou_target']:.1f} | {tuned['miou_target']:.1f} "
                    f"| {plain['convention']['margin']:+d} / {tuned['convention']['margin']:+d} "
                    f"| {spent:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
