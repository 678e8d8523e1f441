"""label-irst export: write a project (or any readable dataset) as a dataset folder."""

from __future__ import annotations

import json

EXPORT_CHOICES = ["sirstd-pixel", "sirst", "coco", "labelme", "csv", "mot", "yolo", "voc"]


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="export a project or dataset as SIRSTD-Pixel, SIRST, COCO (RLE), labelme, CSV, "
        "MOT-challenge tracks, or YOLO / Pascal-VOC boxes",
        description="Written into a temporary folder beside --out, then renamed into place. "
        "Splits are by sequence (kept from the source where given). Only confirmed targets "
        "are exported unless --include-candidates is given; rejected targets never are.",
    )
    p.add_argument("source", help="project file (.lirst) or a dataset in any importable format")
    p.add_argument("--format", required=True, choices=EXPORT_CHOICES)
    p.add_argument("--out", required=True, help="destination folder (must be empty or absent)")
    p.add_argument(
        "--include-candidates",
        action="store_true",
        help="also export candidates awaiting review (by default only confirmed targets are)",
    )
    p.add_argument(
        "--only-confirmed", action="store_true", help="the default; kept for old command lines"
    )
    p.add_argument("--force", action="store_true", help="replace a non-empty destination")
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.3,
        help="share of sequences without a split that go to test (default 0.3, seed 3407)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.commands._common import ProgressJob
    from label_irst.io.files import refuse_overlap
    from label_irst.io.formats import export_dataset, read_dataset

    refuse_overlap(args.out, [args.source])
    with ProgressJob("read", quiet=args.quiet) as job:
        ann = read_dataset(args.source, "auto", job)
    warnings = list(job.warnings)
    if ann.review_count:
        warnings.append(f"{ann.review_count} boxes/points without masks were not exported")
    statuses = ("candidate", "confirmed") if args.include_candidates else ("confirmed",)
    with ProgressJob(f"export {args.format}", quiet=args.quiet) as job:
        export_dataset(
            ann,
            args.format,
            args.out,
            force=args.force,
            only_confirmed=not args.include_candidates,
            test_fraction=args.test_fraction,
            job=job,
        )
    warnings += job.warnings
    summary = {
        "format": args.format,
        "frames": len(ann.frames),
        "sequences": len(ann.sequences()),
        "targets": ann.filtered(statuses).target_count,
        "warnings": len(warnings),
        "out": str(args.out),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"exported {summary['frames']} frames ({summary['targets']} targets) to {args.out}")
    return 1 if warnings else 0
