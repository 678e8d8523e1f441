"""label-irst eval-masks: score a generator against a dataset's ground-truth masks."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "eval-masks",
        help="grow a mask from one seed per ground-truth target and score it",
        description="Seeds come from each 8-connected ground-truth component (RNG seed 3407).",
    )
    p.add_argument("--dataset", required=True, help="folder with images/ and masks/ (same stems)")
    from label_irst.commands._common import add_generator_args

    add_generator_args(p)
    p.add_argument("--seeds", default="random", choices=["centroid", "random", "boundary"])
    p.add_argument(
        "--mode",
        default="blind",
        choices=["blind", "prior"],
        help="prior: hand the ground-truth bbox size to generators that take one (Table I)",
    )
    p.add_argument("--split", default=None, help="read img_idx/SPLIT.txt (e.g. train, test)")
    p.add_argument(
        "--samples", type=int, default=1, help="seeds per target for random/boundary (default 1)"
    )
    p.add_argument(
        "--calibrate",
        type=int,
        default=0,
        metavar="N",
        help="fit the generator's convention on N random ground-truth targets (standing for "
        "an annotator's confirmed masks) and score the other targets only (default 0: no fit)",
    )
    p.add_argument(
        "--calibration-seed", type=int, default=0, metavar="S", help="RNG seed that draws the N"
    )
    p.add_argument(
        "--gt-margin",
        type=int,
        default=0,
        metavar="K",
        help="re-draw the ground truth with its edge K pixels out (+) or in (-), 4-connected",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convert import check_support_radius
    from label_irst.batch.evaluate import evaluate_masks
    from label_irst.commands._common import ProgressJob, json_summary

    check_support_radius(args.rs)

    with ProgressJob("eval-masks", quiet=args.quiet) as job:
        report = evaluate_masks(
            args.dataset,
            args.generator,
            args.seeds,
            args.rs,
            args.split,
            args.samples,
            job,
            args.mode,
            calibrate=args.calibrate,
            calibration_seed=args.calibration_seed,
            gt_margin=args.gt_margin,
        )
    raw = report.summary()
    params = raw.pop("convention", None)
    summary = json_summary(raw, ".4f")
    if params is not None:
        summary["convention"] = params
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>16}: {value}")
    return 1 if report.skipped or report.skipped_seeds else 0
