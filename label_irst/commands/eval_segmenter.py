"""label-irst eval-segmenter: IoU, nIoU, Pd and Fa of a segmenter on a dataset split."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "eval-segmenter",
        help="score a single-frame segmenter (train-segmenter) on a dataset: IoU, nIoU, Pd, Fa",
        description="IoU (total over the set), nIoU (mean per frame), Pd (a target is found when "
        "a predicted component's centroid lies within 3 px of it) and Fa (falsely predicted "
        "pixels over all pixels, x 1e-6), as the LESPS paper's Table 2. --export-labels DIR "
        "writes the model's evolved training labels as masks and scores them per target "
        "against the true masks of --labels-split, beside pamg+ from the same points.",
    )
    p.add_argument("--model", required=True, metavar="models/NAME.json")
    p.add_argument("--dataset", required=True, metavar="DIR", help="images/, masks/, img_idx/")
    p.add_argument(
        "--split",
        default="test",
        help="img_idx/SPLIT.txt to score (default test; all: every frame)",
    )
    p.add_argument("--threshold", type=float, default=None, help="instead of the model's")
    p.add_argument("--export-labels", default=None, metavar="DIR")
    p.add_argument("--labels-split", default="train", help="split the labels were trained on")
    p.add_argument(
        "--fit-threshold",
        action="store_true",
        help="first choose the model's threshold (0.3-0.8) as the one whose maps agree best with "
        "its own training labels on the frames of --dataset it was trained on (no mask read), "
        "and write it into the model's record",
    )
    p.add_argument(
        "--clutter",
        default=None,
        metavar="DIR",
        help="a folder of target-free frames the model never trained on: raise the threshold "
        "(the fitted one, or the model's) to the lowest one that marks at most --max-fa of "
        "their pixels, and write it into the model's record",
    )
    p.add_argument(
        "--max-fa",
        type=float,
        default=40.0,
        metavar="E6",
        help="false-alarm budget for --clutter, in false pixels per million (default 40)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.errors import LabelIrstError
    from label_irst.infer.segmenter import load_segmenter
    from label_irst.infer.segmenter_eval import (
        evaluate_segmenter,
        export_labels,
        false_alarm_threshold,
        fit_threshold,
        set_threshold,
    )
    from label_irst.job import Job

    if args.threshold is not None and not 0.0 < args.threshold < 1.0:
        raise LabelIrstError(f"--threshold must be between 0 and 1, got {args.threshold}")
    model = load_segmenter(args.model, threads=args.threads)
    job = Job(warn=lambda m: print(f"label-irst: warning: {m}", file=sys.stderr))
    if not 0.0 < args.max_fa < 1e6:
        raise LabelIrstError(f"--max-fa must be between 0 and 1e6 per million, got {args.max_fa}")
    fitted = false_alarm = None
    best = model.threshold
    if args.fit_threshold:
        best, fitted = fit_threshold(model, args.dataset, args.labels_split, job)
        print(f"threshold fitted on the training labels: {best:g} {fitted}", file=sys.stderr)
    if args.clutter:
        floor, false_alarm = false_alarm_threshold(model, args.clutter, args.max_fa * 1e-6, job)
        print(
            f"threshold for Fa <= {args.max_fa:g}e-6 on {false_alarm['frames']} target-free "
            f"frame(s): {floor:g}",
            file=sys.stderr,
        )
        best = max(best, floor)
    if fitted is not None or false_alarm is not None:
        set_threshold(model, best, fitted, false_alarm)
    split = None if args.split == "all" else args.split
    scores = evaluate_segmenter(model, args.dataset, split, args.threshold, job)
    summary = {
        "model": str(model.path),
        "supervision": model.meta.get("supervision"),
        "split": args.split,
        "threshold": args.threshold if args.threshold is not None else model.threshold,
        **scores.as_dict(),
    }
    if fitted is not None:
        summary["fitted_iou_by_threshold"] = {f"{t:g}": v for t, v in fitted.items()}
    if false_alarm is not None:
        summary["false_alarm_fit"] = false_alarm
    if args.export_labels:
        written = export_labels(model, args.export_labels)
        summary["labels_written"] = len(written)
        summary.update(_score_labels(model, args.dataset, args.labels_split))
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>22}: {value}")
    return 0


def _score_labels(model, dataset: str, split: str) -> dict:
    """Per-target mIoU of the evolved labels and of pamg+ at the same (centroid) points."""
    from label_irst.batch.evaluate import evaluate_masks
    from label_irst.infer import segmenter_labels
    from label_irst.infer.segmenter_eval import labels_file
    from label_irst.job import Job

    segmenter_labels.use_labels(labels_file(model))
    try:
        out = {}
        for name in ("lesps-labels", "pamg+"):
            report = evaluate_masks(dataset, name, seeds="centroid", split=split, job=Job())
            s = report.summary()
            key = name.replace("+", "_plus").replace("-", "_")
            out[f"{key}_miou_target"] = round(s["miou_target"], 2)
            out[f"{key}_targets"] = report.targets
            if name == "lesps-labels":
                out[f"{key}_missing"] = report.skipped_seeds
        return out
    finally:
        segmenter_labels.use_labels(None)
