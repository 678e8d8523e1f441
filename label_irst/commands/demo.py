"""label-irst demo: a headless tour — synthetic frames, points to masks, a summary."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("demo", help="generate synthetic frames, convert points to masks, summarise")
    p.add_argument("--out", default=None, help="folder to keep the demo files (default: temporary)")
    p.add_argument("--generator", default=None, help="generator (default: the best one)")
    p.set_defaults(func=run)


def run(args) -> int:
    import tempfile
    from pathlib import Path

    from label_irst.batch.demo import run_demo
    from label_irst.commands._common import ProgressJob
    from label_irst.core.generators import get_generator

    spec = get_generator(args.generator)
    with tempfile.TemporaryDirectory(prefix="label-irst-demo-") as tmp:
        root = Path(args.out) if args.out else Path(tmp)
        with ProgressJob("demo") as job:
            summary = run_demo(root, spec.name, job)
        print(
            f"Label-IRST demo ({spec.name}): {summary['frames']} synthetic frames, "
            f"{summary['targets']} targets clicked at their true centres"
        )
        print(
            f"mask mIoU against the synthetic truth (half-maximum discs): {summary['miou_image']:.1f}%"
        )
        if args.out:
            print(f"frames, truth masks, points.csv and predicted masks are in {root}")
        print("Open the desktop app on a demo sequence with: label-irst gui --demo")
    return 0
