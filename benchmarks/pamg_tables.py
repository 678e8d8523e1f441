"""Tables III and IV of the paper on sirst-v1: seed location x Rs, train and test, per generator.

    python benchmarks/pamg_tables.py [--generators pamg pamg+] > tables.md

Every cell is exactly ``label-irst eval-masks --dataset DATA/sirst-v1 --split SPLIT
--generator G --seeds S --rs RS --json`` (one seed per target, RNG 3407).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from label_irst.batch.evaluate import evaluate_masks

RS_VALUES = (8, 12, 16, 20, 24, 32)
SEEDS = ("centroid", "random", "boundary")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generators", nargs="+", default=["pamg", "pamg+"])
    parser.add_argument("--splits", nargs="+", default=["train", "test"])
    args = parser.parse_args()
    env = os.environ.get("LABEL_IRST_DATA")
    root = (
        Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    ) / "sirst-v1"
    if not (root / "images").is_dir():
        raise SystemExit(f"sirst-v1 not found under {root}: set LABEL_IRST_DATA")
    for split in args.splits:
        print(f"\n#### sirst-v1 {split} split: per-target mIoU (%) by seed location and Rs\n")
        print("| generator | seeds | " + " | ".join(f"Rs={r}" for r in RS_VALUES) + " |")
        print("|---|---|" + "---|" * len(RS_VALUES))
        details = []
        for gen in args.generators:
            for seeds in SEEDS:
                cells = []
                for rs in RS_VALUES:
                    s = evaluate_masks(root, gen, seeds, float(rs), split=split).summary()
                    cells.append(f"{s['miou_target']:.2f}")
                    if rs == 20:
                        details.append((gen, seeds, s))
                print(f"| {gen} | {seeds} | " + " | ".join(cells) + " |")
        print(f"\n#### sirst-v1 {split} split at Rs = 20 (Table III columns)\n")
        print(
            "| generator | seeds | mIoU target | mIoU image | IoU dataset | area ratio | centroid err (px) | radius err (px) | ms/target |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for gen, seeds, s in details:
            print(
                f"| {gen} | {seeds} | {s['miou_target']:.2f} | {s['miou_image']:.2f} | "
                f"{s['iou_dataset']:.2f} | {s['area_ratio']:.3f} | {s['centroid_error']:.3f} | "
                f"{s['radius_error']:.3f} | {s['ms_per_target']:.3f} |"
            )


if __name__ == "__main__":
    main()
