"""Box to mask on sirst-v1: every box generator x box margin, the table of docs/benchmarks.md.

    python benchmarks/bench_boxes.py [--splits train test all] [--margins 0 1 2 4] [--gt-margin K]
                                     [--calibrate-only]

Each cell is ``label-irst eval-masks --dataset sirst-v1 --boxes --box-margin K --box-generator G
[--split S]`` (boxes: each ground-truth component's bounding box loosened by K), per-target /
per-image mIoU; the "published" column is ``--boxes sirst-v1/boxes --voc-exclusive-end``. Then
``--calibrate 10 --calibration-seed S`` (S = 0..4) for each margin: mean (min-max) per-target
mIoU and the conventions fitted.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

import numpy as np

from label_irst.batch.evaluate_boxes import evaluate_boxes
from label_irst.core.box_generators import BOX_GENERATORS


def _cell(s: dict) -> str:
    return f"{s['miou_target']:.1f} / {s['miou_image']:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(os.environ.get("LABEL_IRST_DATA", "../shared/data")) / "sirst-v1"
    parser.add_argument("--dataset", default=str(default))
    parser.add_argument("--splits", nargs="+", default=["train", "test", "all"])
    parser.add_argument("--margins", nargs="+", type=int, default=[0, 1, 2, 4])
    parser.add_argument("--gt-margin", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--calibrate-only", action="store_true", help="only the --calibrate rows")
    args = parser.parse_args()
    root = Path(args.dataset)
    for split_name in args.splits:
        split = None if split_name == "all" else split_name
        print(f"\n#### {split_name} (gt margin {args.gt_margin})\n")
        heads = [f"margin {k}" for k in args.margins]
        print("| generator | " + " | ".join(heads) + " | published boxes |")
        print("|---|" + "---|" * (len(heads) + 1))
        for name in [] if args.calibrate_only else BOX_GENERATORS:
            row = []
            for k in args.margins:
                s = evaluate_boxes(root, None, k, name, split=split, gt_margin=args.gt_margin)
                row.append(_cell(s.summary()))
            pub = evaluate_boxes(root, root / "boxes", 0, name, split=split,
                                 gt_margin=args.gt_margin, voc_exclusive_end=True)  # fmt: skip
            row.append(_cell(pub.summary()))
            print(f"| `{name}` | " + " | ".join(row) + " |", flush=True)
        row = []
        for k in args.margins:
            scores, fitted = [], Counter()
            for seed in range(args.seeds):
                s = evaluate_boxes(root, None, k, None, split=split, calibrate=10,
                                   calibration_seed=seed, gt_margin=args.gt_margin)  # fmt: skip
                scores.append(s.summary()["miou_target"])
                p = s.convention.params
                fitted[f"{p['method']} bm{p['box_margin']} m{p['margin']}"] += 1
            row.append(f"{np.mean(scores):.1f} ({min(scores):.1f}-{max(scores):.1f})")
            print(f"  calibrate 10, margin {k}: {dict(fitted)}", flush=True)
        print("| `--calibrate 10` (5 draws) | " + " | ".join(row) + " | |")


if __name__ == "__main__":
    main()
