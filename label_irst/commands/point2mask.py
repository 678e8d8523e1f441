"""label-irst point2mask: masks from a CSV of seed points (image,x,y)."""

from __future__ import annotations

import sys


def register(sub) -> None:
    from label_irst.commands._common import add_convention_arg, add_generator_args

    p = sub.add_parser("point2mask", help="grow one mask per seed point (CSV image,x,y)")
    p.add_argument("images", help="folder of frames (or one image)")
    p.add_argument("--points", required=True, help="CSV with columns image,x,y (0-based pixels)")
    p.add_argument("--out", required=True, help="folder for <stem>.png masks and targets.csv")
    add_generator_args(p)
    add_convention_arg(p)
    p.add_argument(
        "--force", action="store_true", help="replace a non-empty --out folder (never an input)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convert import points_to_masks
    from label_irst.commands._common import ProgressJob
    from label_irst.io.convention import resolve_convention

    convention = resolve_convention(args.generator, args.convention)

    with ProgressJob("point2mask", quiet=args.quiet) as job:
        report = points_to_masks(
            args.images,
            args.points,
            args.out,
            args.generator,
            args.rs,
            job,
            convention,
            args.force,
        )
    print(report.summary(), file=sys.stderr)
    return 1 if report.skipped else 0
