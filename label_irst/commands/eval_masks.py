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
        "--fine-tune",
        action="store_true",
        help="with --calibrate N and --generator edgsp: fine-tune the learned generator on the N "
        "targets first, as the app's Learn from confirmed targets does (needs torch)",
    )
    p.add_argument(
        "--gt-margin",
        type=int,
        default=0,
        metavar="K",
        help="re-draw the ground truth with its edge K pixels out (+) or in (-), 4-connected",
    )
    p.add_argument(
        "--boxes",
        nargs="?",
        const="",
        default=None,
        metavar="FILE|DIR",
        help="score box-to-mask conversion instead: boxes from a VOC/YOLO folder or a COCO file; "
        "without a value, each ground-truth component's bounding box",
    )
    p.add_argument(
        "--box-margin",
        type=int,
        default=0,
        metavar="K",
        help="with --boxes: loosen every box by K pixels on each side (default 0)",
    )
    from label_irst.core.box_generators import BOX_GENERATORS

    p.add_argument(
        "--box-generator",
        default=None,
        choices=list(BOX_GENERATORS),
        help="with --boxes: the box generator (default auto: by the box's tightness)",
    )
    p.add_argument(
        "--voc-exclusive-end",
        action="store_true",
        help="with --boxes: VOC xmax/ymax are one past the last pixel (SIRST's boxes)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.batch.convert import check_support_radius
    from label_irst.batch.evaluate import evaluate_masks
    from label_irst.commands._common import ProgressJob

    check_support_radius(args.rs)
    if args.boxes is not None or args.box_margin or args.box_generator:
        return _run_boxes(args)

    tune = _fine_tune(args)
    with ProgressJob("eval-masks", quiet=args.quiet) as job, _closing(tune):
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
            prepare=tune,
        )
    return _print(report, args, tune.summary() if tune is not None else None)


def _run_boxes(args) -> int:
    from label_irst.batch.evaluate_boxes import evaluate_boxes
    from label_irst.commands._common import ProgressJob

    with ProgressJob("eval-masks --boxes", quiet=args.quiet) as job:
        report = evaluate_boxes(
            args.dataset,
            args.boxes or None,
            args.box_margin,
            args.box_generator,
            args.generator or "pamg+",
            args.rs,
            args.split,
            job,
            calibrate=args.calibrate,
            calibration_seed=args.calibration_seed,
            gt_margin=args.gt_margin,
            voc_exclusive_end=args.voc_exclusive_end,
        )
    return _print(report, args, {"box_margin": args.box_margin})


def _fine_tune(args):
    """The --fine-tune hook (None without the flag); refuses what it cannot do in one line."""
    if not args.fine_tune:
        return None
    from label_irst.errors import LabelIrstError

    if args.calibrate <= 0 or args.generator != "edgsp":
        raise LabelIrstError("--fine-tune needs --calibrate N and --generator edgsp")
    try:
        from label_irst.train.edgsp_calibrate import FineTune
    except ImportError as exc:
        raise LabelIrstError(f"--fine-tune needs torch ({exc}); install the train extra") from None
    import sys

    return FineTune(log=None if args.quiet else (lambda m: print(m, file=sys.stderr)))


def _closing(tune):
    """Puts the registry's edgsp model back after a --fine-tune run (nothing without one)."""
    import contextlib

    return contextlib.nullcontext() if tune is None else contextlib.closing(tune)


def _print(report, args, extra=None) -> int:
    from label_irst.commands._common import json_summary

    raw = {**report.summary(), **(extra or {})}
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
