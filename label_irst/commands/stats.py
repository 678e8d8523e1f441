"""label-irst stats: target scale and saliency distributions of a dataset (Fig. 4 of the paper)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "stats",
        help="area and SCR distributions, targets per frame and per sequence (PNG + HTML)",
        description="DATASET is anything `label-irst import` reads that holds masks "
        "(SIRST/SIRSTD-Pixel folder, COCO, labelme, project).",
    )
    p.add_argument("dataset", help="dataset folder, COCO .json or project file")
    p.add_argument("--out", required=True, help="report folder (index.html, *.png, stats.json)")
    p.add_argument(
        "--force", action="store_true", help="replace report files not written by this command"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.stats import check_report_folder, dataset_statistics, write_report
    from label_irst.commands._common import ProgressJob
    from label_irst.io.files import refuse_overlap
    from label_irst.io.formats import read_dataset

    refuse_overlap(args.out, [args.dataset])
    check_report_folder(args.out, args.force)
    with ProgressJob("read", quiet=args.quiet) as job:
        ann = read_dataset(args.dataset, "auto", job)
    warnings = list(job.warnings)
    with ProgressJob("stats", quiet=args.quiet) as job:
        stats = dataset_statistics(ann, job)
    warnings += job.warnings
    page = write_report(stats, args.out)
    summary = stats.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            print(f"{key:>24}: {value}")
        print(f"report: {page}")
    return 1 if warnings else 0
