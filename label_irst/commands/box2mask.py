"""label-irst box2mask: masks from bounding boxes (box centre -> generator)."""

from __future__ import annotations

import sys


def register(sub) -> None:
    from label_irst.commands._common import add_convention_arg, add_generator_args

    p = sub.add_parser("box2mask", help="grow one mask per bounding box, seeded at its centre")
    p.add_argument("images", help="folder of frames (or one image)")
    p.add_argument(
        "--boxes", required=True, help="Pascal-VOC XML folder, COCO JSON file or YOLO txt folder"
    )
    p.add_argument("--format", default="auto", choices=["auto", "voc", "coco", "yolo"])
    p.add_argument(
        "--voc-exclusive-end",
        action="store_true",
        help="VOC xmax/ymax are one past the last pixel (as in SIRST's published boxes)",
    )
    p.add_argument("--out", required=True, help="folder for <stem>.png masks and targets.csv")
    add_generator_args(p)
    add_convention_arg(p)
    p.add_argument(
        "--force", action="store_true", help="replace a non-empty --out folder (never an input)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convert import boxes_to_masks
    from label_irst.commands._common import ProgressJob
    from label_irst.io.convention import resolve_convention

    convention = resolve_convention(args.generator, args.convention)

    with ProgressJob("box2mask", quiet=args.quiet) as job:
        report = boxes_to_masks(
            args.images, args.boxes, args.out, args.generator, args.rs, args.format,
            args.voc_exclusive_end, job, convention, args.force,
        )  # fmt: skip
    print(report.summary(), file=sys.stderr)
    return 1 if report.skipped else 0
