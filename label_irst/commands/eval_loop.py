"""label-irst eval-loop: the loop measured by replaying the annotator's review on ground truth."""

from __future__ import annotations

import json


def register(sub) -> None:
    from label_irst.commands._common import add_match_arg

    p = sub.add_parser(
        "eval-loop",
        help="replay the review of each sequence's first frames, adapt RPR-Net on them, and "
        "score pre-annotation of the rest before and after",
        description="DATA is a dataset root with annotations/<seq>.json (points suffice). The "
        "first floor(share x frames) frames of each sequence play the annotator's review "
        "(ground-truth targets confirmed, everything else background); the model is adapted "
        "once on the reviewed frames of all sequences (adopted only if it beats the current "
        "one on the held-back fifth), and the remaining frames are pre-annotated with "
        "prelabel's defaults by the model before and after. Reports Pd (%), false detections "
        "per frame, Fa, tracks, the review effort left (one key per predicted track plus one "
        "click per missed target-frame, per target-frame) and adapt_seconds; per distance bin "
        "where sequences carry a 'distance' label. Needs torch (the train extra).",
    )
    p.add_argument("data", help="dataset root, video, or folder of videos (with annotations/)")
    p.add_argument("--review-share", type=float, default=0.2, help="share of frames reviewed")
    p.add_argument(
        "--model",
        default=None,
        help="RPR-Net metadata record with its .pt beside it (default: the shipped detector, "
        "models/rprnet-real.json)",
    )
    p.add_argument(
        "--out",
        default=None,
        help="keep the remaining frames' predictions here (prelabel's layout; the current "
        "model's in OUT/before, the adapted model in OUT/model)",
    )
    p.add_argument("--split", default=None, help="only sequences of img_idx/SPLIT.txt")
    p.add_argument(
        "--distance",
        type=float,
        default=None,
        metavar="PX",
        help="match a detection to a point within PX px (default 3; points from loose boxes "
        "may need 5)",
    )
    add_match_arg(p)
    p.add_argument("--minutes", type=float, default=5.0, help="adaptation budget (wall minutes)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads for the adaptation")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--steps", type=int, default=150, help="optimiser steps per epoch")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128, help="training crop, a multiple of 16")
    p.add_argument("--lr", type=float, default=3e-4, help="adaptation learning rate (3e-4)")
    p.add_argument(
        "--held-back-frames",
        type=int,
        default=120,
        metavar="N",
        help="held-back frames scored for the adoption, at most (evenly spread; default 120)",
    )
    p.add_argument(
        "--false-per-frame-cap",
        type=float,
        default=0.3,
        metavar="F",
        help="after adoption, shift the new model's scores up to the current model's false detections per frame on the held-back frames, while the rate's 90 %% upper confidence limit stays within this many (default 0.3; 0: no shift)",
    )
    p.add_argument(
        "--precision",
        default="fp32",
        choices=["fp32", "auto"],
        help="fp32 (default): both models in float, like for like; auto: as prelabel runs them "
        "on the CPU (each record's int8 cpu_variant where it names one: the shipped model's, "
        "and the adapted model's own copy where it was kept)",
    )
    p.add_argument("--no-int8", action="store_true", help="give the adopted model no int8 copy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import math
    import sys

    from label_irst.commands._common import ProgressJob
    from label_irst.core.metrics import MATCH_DISTANCE
    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.adapt import AdaptConfig
        from label_irst.train.loop import eval_loop
    except ImportError as exc:
        raise LabelIrstError(f"this command needs torch ({exc}); install the train extra") from None
    distance = MATCH_DISTANCE if args.distance is None else args.distance
    if not (math.isfinite(distance) and distance > 0):
        raise LabelIrstError(f"--distance must be a positive number of pixels, got {distance}")
    if not (math.isfinite(args.minutes) and args.minutes > 0):
        raise LabelIrstError(f"--minutes must be positive, got {args.minutes}")
    if args.crop % 16 or args.crop < 32:
        raise LabelIrstError("--crop must be a multiple of 16, at least 32")
    if min(args.epochs, args.steps, args.batch) < 1:
        raise LabelIrstError("--epochs, --steps and --batch take positive numbers")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise LabelIrstError(f"--lr must be a positive number, got {args.lr}")
    if not (math.isfinite(args.false_per_frame_cap) and args.false_per_frame_cap >= 0):
        raise LabelIrstError(
            f"--false-per-frame-cap must be 0 or more, got {args.false_per_frame_cap}"
        )
    from label_irst.infer.detector_model import SHIPPED_DETECTOR

    model = args.model or SHIPPED_DETECTOR
    threads = max(args.threads, 1)
    device = "cpu" if args.device == "auto" else args.device
    cfg = AdaptConfig(
        minutes=args.minutes,
        epochs=args.epochs,
        steps=args.steps,
        batch=args.batch,
        crop=args.crop,
        lr=args.lr,
        distance=distance,
        threads=threads,
        device=device,
        seed=args.seed,
        held_back_limit=max(args.held_back_frames, 1),
        false_per_frame_cap=args.false_per_frame_cap,
        int8=not args.no_int8,
    )
    quiet = args.quiet
    with ProgressJob("eval-loop", quiet=args.quiet) as job:
        report = eval_loop(
            args.data,
            model,
            args.out,
            args.review_share,
            args.split,
            distance,
            cfg,
            args.device,
            job,
            log=(lambda m: None) if quiet else (lambda m: print(m, file=sys.stderr)),
            match_rule=args.match,
            precision=args.precision,
        )
    if not report:
        raise LabelIrstError("cancelled")
    if args.json:
        print(json.dumps(_plain(report)))
        return 0
    keys = ("pd", "false_per_frame", "fa", "tracks", "keys_per_target_frame")
    print(f"{'':>22} {'before':>10} {'after':>10}")
    for key in keys:
        b, a = report["before"][key], report["after"][key]
        print(f"{key:>22} {b:>10.4g} {a:>10.4g}")
    print(f"{'adapt_seconds':>22} {report['adapt_seconds']:>21.1f}")
    held = report["held_back"]
    print(
        f"{'held-back Pd':>22} {held['pd_current']:>10.1f} {held['pd_new']:>10.1f}"
        f"  ({'adopted' if report['adopted'] else 'not adopted'}, {held['frames']} frames)"
    )
    int8 = report.get("int8")
    if int8:
        state = "kept" if int8["kept"] else int8.get("error") or "not kept"
        pd = "-" if int8["pd_new"] is None else f"{int8['pd_new']:.1f}"
        print(f"{'int8 copy':>22} {state} (held-back Pd {pd}; runs with --precision auto)")
    for row in report["by_distance"]:
        b, a = row["before"], row["after"]
        print(
            f"{'distance ' + row['bin']:>22} Pd {b['pd']:.1f} -> {a['pd']:.1f} %, "
            f"false/frame {b['false_per_frame']:.2f} -> {a['false_per_frame']:.2f}, "
            f"keys/target-frame {b['keys_per_target_frame']:.2f} -> "
            f"{a['keys_per_target_frame']:.2f}"
        )
    return 0


def _plain(value):
    """``value`` ready for JSON: NaN becomes null, floats to 6 significant digits."""
    import math

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else float(format(value, ".6g"))
    return value
