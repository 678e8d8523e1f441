"""label-irst ensemble-segmenter: one segmenter model from the mean of several."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "ensemble-segmenter",
        help="combine single-frame segmenters into one model: the mean of their maps",
        description="Writes a segmenter ensemble record (format label-irst/segmenter-ensemble/1) "
        "that prelabel --detector lesps, the app and eval-segmenter run like one segmenter. The "
        "members must lie in the record's folder. Fit its threshold afterwards with "
        "eval-segmenter --fit-threshold (against the members' own training labels).",
    )
    p.add_argument("members", nargs="+", metavar="MODEL.json", help="two or more segmenters")
    p.add_argument("--out", required=True, metavar="models/NAME.json")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="on the mean map (default: the mean of the members' thresholds)",
    )
    p.add_argument(
        "--weights",
        default=None,
        metavar="W1,W2,...",
        help="a weighted mean: one non-negative weight per member, in their order (normalised)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.errors import LabelIrstError
    from label_irst.infer.segmenter_ensemble import write_ensemble

    weights = None
    if args.weights is not None:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            msg = f"--weights: not numbers separated by commas: {args.weights!r}"
            raise LabelIrstError(msg) from None
    out = write_ensemble(args.members, args.out, args.threshold, weights)
    print(out)
    return 0
