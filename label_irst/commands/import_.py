"""label-irst import: read a dataset (any supported format) into a new project file."""

from __future__ import annotations

import json

IMPORT_CHOICES = [
    "auto",
    "project",
    "sirstd-pixel",
    "sirst",
    "coco",
    "labelme",
    "csv",
    "yolo",
    "voc",
    "boxes",
    "videos",
]


def register(sub) -> None:
    p = sub.add_parser(
        "import",
        help="read a dataset (SIRSTD-Pixel, SIRST, COCO, labelme, CSV, VOC/YOLO boxes) into a project",
        description="Masks are imported losslessly as confirmed targets. Boxes (VOC, YOLO, COCO "
        "bbox-only) and CSV points go to the review queue: box centre or point -> PAMG, status "
        "'candidate'. The project refers to the frames where they are; it does not copy them.",
    )
    p.add_argument(
        "source",
        help="dataset folder, COCO .json, targets .csv, project file, video or folder of videos",
    )
    p.add_argument("--out", required=True, help="project file to create (e.g. data.lirst)")
    p.add_argument("--format", default="auto", choices=IMPORT_CHOICES)
    p.add_argument("--boxes", default=None, help="VOC/YOLO box folder (with --format boxes)")
    p.add_argument(
        "--voc-exclusive-end",
        action="store_true",
        help="VOC xmax/ymax are one past the last pixel (as in SIRST's published boxes)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing project file")
    p.add_argument(
        "--reviewed",
        action="store_true",
        help="mark the fully annotated frames (every target confirmed, nothing for review) as "
        "reviewed: the detector's adaptation (label-irst adapt) learns from them",
    )
    from label_irst.commands._common import add_generator_args

    add_generator_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from label_irst.commands._common import ProgressJob
    from label_irst.io.files import refuse_overlap
    from label_irst.io.formats import box_folders, detect_format, read_dataset
    from label_irst.io.formats.project_file import write_project
    from label_irst.io.formats.review import resolve_review

    refuse_overlap(args.out, [args.source, args.boxes])
    with ProgressJob("read", quiet=args.quiet) as job:
        fmt = args.format
        if (
            args.boxes is not None
            or fmt == "boxes"
            or (fmt == "auto" and detect_format(args.source) == "boxes")
        ):
            boxes = Path(args.boxes) if args.boxes is not None else None
            ann = box_folders.read(
                Path(args.source), job, boxes=boxes, voc_exclusive_end=args.voc_exclusive_end
            )
        else:
            ann = read_dataset(args.source, args.format, job)
    warnings = list(job.warnings)
    with ProgressJob("boxes/points -> masks", quiet=args.quiet) as job:
        grown = resolve_review(ann, args.generator, args.rs, job) if ann.review_count else 0
    warnings += job.warnings
    with ProgressJob("write project", quiet=args.quiet) as job:
        stored = write_project(ann, Path(args.out), force=args.force, job=job)
    warnings += job.warnings
    reviewed = _mark_reviewed(Path(args.out), ann.frames) if args.reviewed else None
    summary = {
        "frames": len(ann.frames),
        "sequences": len(ann.sequences()),
        "targets": stored,
        "from_review": grown,
        "warnings": len(warnings),
        "project": str(args.out),
    }
    if reviewed is not None:
        summary["reviewed"] = reviewed
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"imported {summary['frames']} frames in {summary['sequences']} sequence(s), "
            f"{stored} targets ({grown} grown from boxes/points) into {args.out}"
        )
    if reviewed is not None and not args.json:
        print(f"{reviewed} fully annotated frame(s) marked reviewed")
    return 1 if warnings else 0


def _mark_reviewed(project, frames) -> int:
    """import --reviewed: the fully annotated imported frames marked reviewed."""
    from label_irst.io.project import ProjectStore
    from label_irst.io.project_reviewed import mark_imported_reviewed

    with ProjectStore.open(project) as store:
        return mark_imported_reviewed(store, frames)
