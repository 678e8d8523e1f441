"""label-irst eval-detections: Pd, Fa, AUC and mIoU of pre-labelled detections (Table II)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "eval-detections",
        help="score prelabel output against ground truth: pd, fa, auc, miou_circle, miou_mask",
        description="pd and mIoU in percent (0-100); fa as a fraction of pixels; auc in [0, 1].",
    )
    p.add_argument("--pred", required=True, help="prelabel output folder")
    p.add_argument("--gt", required=True, help="ground-truth dataset root")
    p.add_argument("--split", default=None, help="only frames of img_idx/SPLIT.txt")
    p.add_argument(
        "--min-score", type=float, default=0.0, help="ignore predictions scored below this"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.commands._common import ProgressJob, json_summary
    from label_irst.infer.evaluate import evaluate_detections

    with ProgressJob("eval-detections", quiet=args.quiet) as job:
        report = evaluate_detections(args.pred, args.gt, args.split, job, args.min_score)
    summary = json_summary(report.summary(), ".6g")
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>14}: {value}")
    return 0
