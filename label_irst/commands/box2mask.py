"""label-irst box2mask: masks from bounding boxes with a box generator that uses the box."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    from label_irst.commands._common import add_convention_arg, add_generator_args
    from label_irst.core.box_generators import BOX_GENERATORS

    p = sub.add_parser("box2mask", help="one mask per bounding box, from the box and its target")
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
    p.add_argument(
        "--box-generator",
        default=None,
        choices=list(BOX_GENERATORS),
        help="box generator (default: the convention's choice, else auto: box-fill for a tight "
        "box, box-response for a loose one; centre: PAMG from the box centre, as before)",
    )
    add_generator_args(p)
    add_convention_arg(p)
    p.add_argument(
        "--force", action="store_true", help="replace a non-empty --out folder (never an input)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convention import read_box_convention
    from label_irst.batch.convert import boxes_to_masks
    from label_irst.commands._common import ProgressJob
    from label_irst.io.convention import resolve_convention
    from label_irst.io.formats.project_file import detect

    boxes = read_box_convention(args.convention) if args.convention else None
    point_source = args.convention
    if boxes is not None and not detect(Path(args.convention)):
        point_source = None  # a box convention file holds no point convention
    convention = resolve_convention(args.generator, point_source)

    with ProgressJob("box2mask", quiet=args.quiet) as job:
        report = boxes_to_masks(
            args.images, args.boxes, args.out, args.generator, args.rs, args.format,
            args.voc_exclusive_end, job, convention, args.force, args.box_generator, boxes,
        )  # fmt: skip
    print(report.summary(), file=sys.stderr)
    return 1 if report.skipped else 0
