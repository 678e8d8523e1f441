"""label-irst adapt: fine-tune the project's RPR-Net on its reviewed frames (the loop)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable


def register(sub) -> None:
    p = sub.add_parser(
        "adapt",
        help="adapt the project's detector (RPR-Net) to its reviewed frames; adopted only if "
        "it beats the current model on the held-back fifth",
        description="Fine-tunes the project's current RPR-Net (the one recorded by an earlier "
        "adaptation, else the shipped models/rprnet-real.json) on the project's reviewed frames: "
        "confirmed targets are positives, rejected candidates hard negatives, the rest of each "
        "reviewed frame background. The last fifth of each sequence's reviewed frames is held "
        "back; the new model (<project>.models/rprnet-N.*, earlier ones kept) is recorded for "
        "the project only if its Pd at 1 false detection per frame there beats the current "
        "model's. Re-running after a stop resumes. Needs torch (the train extra).",
    )
    p.add_argument("project", help="project (.lirst)")
    p.add_argument("--minutes", type=float, default=5.0, help="budget in wall minutes (default 5)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    p.add_argument("--epochs", type=int, default=None, help="epochs (default 3)")
    p.add_argument("--steps", type=int, default=None, help="optimiser steps per epoch (150)")
    p.add_argument("--batch", type=int, default=None, help="crops per step (default 8)")
    p.add_argument("--crop", type=int, default=None, help="crop size, a multiple of 16 (128)")
    p.add_argument(
        "--mine-frames", type=int, default=None, help="frames mined for false alarms (24)"
    )
    p.add_argument(
        "--false-per-frame-cap",
        type=float,
        default=None,
        metavar="F",
        help="after adoption, shift the new model's scores up to the current model's false detections per frame on the held-back frames, while the rate's 90 %% upper confidence limit stays within this many (default 0.3; 0: no shift)",
    )
    p.add_argument(
        "--no-record",
        action="store_true",
        help="only read the project: write the new model and print the outcome, but record "
        "nothing in the project (the app records it with its re-annotation)",
    )
    p.add_argument(
        "--pause-file",
        default=None,
        metavar="PATH",
        help="while PATH exists the adaptation waits at its next optimiser step; the wait "
        "does not count against --minutes (the app's Pause creates it, Resume deletes it)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def pause_check(path: str, say) -> Callable[[], bool]:
    """``job.pause`` for ``--pause-file``: true while ``path`` exists; says each change once."""
    paused = [False]

    def check() -> bool:
        now = os.path.exists(path)
        if now != paused[0]:
            paused[0] = now
            say("adapt: paused" if now else "adapt: resumed")
        return now

    return check


def run(args) -> int:
    import math
    import sys

    from label_irst.commands._common import ProgressJob
    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.project_adapt import adapt_project
    except ImportError as exc:
        raise LabelIrstError(f"this command needs torch ({exc}); install the train extra") from None
    if not (math.isfinite(args.minutes) and args.minutes > 0):
        raise LabelIrstError(f"--minutes must be positive, got {args.minutes}")
    from label_irst.train.adapt import AdaptConfig

    cfg = AdaptConfig()
    for name in ("epochs", "steps", "batch", "crop", "mine_frames"):
        value = getattr(args, name)
        if value is not None:
            if value < 1:
                raise LabelIrstError(f"--{name.replace('_', '-')} must be at least 1")
            setattr(cfg, name, value)
    if args.false_per_frame_cap is not None:
        cap = args.false_per_frame_cap
        if not (math.isfinite(cap) and cap >= 0):
            raise LabelIrstError(f"--false-per-frame-cap must be 0 or more, got {cap}")
        cfg.false_per_frame_cap = cap
    log = (lambda m: None) if args.quiet or args.json else (lambda m: print(m, file=sys.stderr))
    with ProgressJob("adapt", quiet=args.quiet) as job:
        if args.pause_file:
            job.pause = pause_check(
                args.pause_file, lambda m: print(m, file=sys.stderr, flush=True)
            )
        summary = adapt_project(
            args.project, args.minutes, args.device, max(args.threads, 1), job, log, cfg,
            record=not args.no_record,
        )  # fmt: skip
    if args.json:
        from label_irst.commands.eval_loop import _plain

        print(json.dumps(_plain(summary)))
    else:
        from label_irst.io.project_reviewed import adaptation_notes

        print(
            "; ".join([
                f"detector: adapted on {summary['training_frames']} frames, held-back Pd "
                f"{summary['current_pd']:.0f} -> {summary['new_pd']:.0f} % "
                f"({'adopted' if summary['adopted'] else 'not adopted: the current model stays'})",
                *adaptation_notes(summary),
            ])
        )  # fmt: skip
    return 0
