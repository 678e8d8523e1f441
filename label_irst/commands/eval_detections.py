"""label-irst eval-detections: Pd, Fa, AUC and mIoU of pre-labelled detections (Table II)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "eval-detections",
        help="score prelabel output against ground truth: pd, fa, auc, miou_circle, miou_mask, "
        "and identity metrics of tracks",
        description="pd and mIoU in percent (0-100); fa as a fraction of pixels; auc in [0, 1]. "
        "Identity (ground-truth track ids 'id' or 'track_id' against predicted 'id'): "
        "id_switches, idf1, id_dominant and mota in percent, false_per_frame; NaN for "
        "predictions without track ids.",
    )
    p.add_argument("--pred", required=True, help="prelabel output folder")
    p.add_argument("--gt", required=True, help="ground-truth dataset root")
    p.add_argument("--split", default=None, help="only frames of img_idx/SPLIT.txt")
    p.add_argument(
        "--min-score", type=float, default=0.0, help="ignore predictions scored below this"
    )
    p.add_argument(
        "--plot",
        default=None,
        metavar="PNG",
        help="draw the Pd-Fa curve over score thresholds, per frame and with tracking",
    )
    p.add_argument(
        "--by",
        action="append",
        choices=["speed", "scr", "class", "distance", "source"],
        default=[],
        help="also Pd per bin of the targets' speed (0, <0.5, 0.5-2, >2 px/frame) or SCR "
        "(<2, 2-4, 4-6, 6-8, >=8), or per class, distance bin or data source (with false "
        "detections per frame); repeatable",
    )
    p.add_argument(
        "--distance",
        type=float,
        default=None,
        metavar="PX",
        help="--by: match a detection to a point within PX px (default 3, Eq. 18's rule; "
        "points from loose boxes may need more)",
    )
    from label_irst.commands._common import add_match_arg

    add_match_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.commands._common import ProgressJob, json_summary
    from label_irst.infer.evaluate import evaluate_detections
    from label_irst.infer.identity import evaluate_identity

    with ProgressJob("eval-detections", quiet=args.quiet) as job:
        report = evaluate_detections(
            args.pred, args.gt, args.split, job, args.min_score, match_rule=args.match
        )
        identity = evaluate_identity(args.pred, args.gt, args.split, args.min_score, job)
    summary = json_summary({**report.summary(), **identity.summary()}, ".6g")
    if args.plot:
        summary.update(_plot(args))
    by = {}
    if args.by:
        from label_irst.infer.evaluate_bins import pd_by

        for key in dict.fromkeys(args.by):
            by[key] = pd_by(
                args.pred, args.gt, key, args.split, args.min_score, distance=args.distance,
                match_rule=args.match,
            )  # fmt: skip
    if args.json:
        for key, rows in by.items():
            summary[f"pd_by_{key}"] = [json_summary(row, ".6g") for row in rows]
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>14}: {value}")
        for key, rows in by.items():
            cells = ", ".join(
                (
                    f"{r['bin']}: {r['pd']:.1f} % ({r['hits']}/{r['targets']})"
                    if r["targets"]
                    else f"{r['bin']}: no target"
                )
                + (f", {r['false_per_frame']:.2f} false/frame" if "false_per_frame" in r else "")
                for r in rows
            )
            print(f"{'pd by ' + key:>14}: {cells}")
    return 1 if report.skipped or identity.skipped else 0  # a skip, not a remark, means 1


def _plot(args) -> dict:
    """Draw the curves into args.plot; Pd and Fa at the best threshold with Fa <= 1e-5."""
    from label_irst.errors import LabelIrstError
    from label_irst.infer.curves import FA_TARGET, pd_at_fa, pd_fa_curves, plot_curves

    try:
        curves = pd_fa_curves(args.pred, args.gt, args.split)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise LabelIrstError(
            f"--plot: a malformed prediction or ground-truth record ({exc})"
        ) from None
    plot_curves(curves, args.plot)
    out = {"plot": str(args.plot)}
    for label, curve in curves.items():
        best = pd_at_fa(curve, FA_TARGET)
        key = label.replace(" ", "_")
        out[f"{key}_pd_at_fa_1e-5"] = round(best.pd, 3) if best else None
        out[f"{key}_threshold_at_fa_1e-5"] = best.threshold if best else None
    return out
