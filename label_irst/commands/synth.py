"""label-irst synth: write synthetic moving-target sequences as a SIRSTD-Pixel-style dataset."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "synth",
        help="render synthetic moving-target sequences (images, masks, annotations, splits)",
        description="Deterministic from --seed. With --backgrounds, whole scenes are held out "
        "for the test split; without, procedural backgrounds are used.",
    )
    p.add_argument("--out", required=True, help="dataset root to write (empty or absent)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--backgrounds", default=None, help="folder of target-free real frames")
    p.add_argument("--sequences", type=int, default=10, help="number of sequences (default 10)")
    p.add_argument("--frames", type=int, default=30, help="frames per sequence (default 30)")
    p.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    p.add_argument(
        "--size",
        default=None,
        help="WxH of the frames (default: the backgrounds' size, 640x512 for procedural)",
    )
    p.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="share of sequences (and of background scenes) held out for img_idx/test.txt",
    )
    p.add_argument(
        "--static-share",
        type=float,
        default=0.0,
        help="share of targets fixed in the image (speed 0; default 0)",
    )
    p.add_argument(
        "--hover-share",
        type=float,
        default=0.0,
        help="share of targets hovering: a fixed point plus 0.05-0.3 px jitter per frame",
    )
    p.add_argument(
        "--stop-start-share",
        type=float,
        default=0.0,
        help="share of targets that stop and start (phases of 2-6 frames)",
    )
    p.add_argument(
        "--procedural-share",
        type=float,
        default=0.0,
        help="with --backgrounds: share of sequences on a procedural background instead",
    )
    p.add_argument(
        "--real-targets",
        default=None,
        metavar="ROOT",
        help="cut real targets from ROOT's images/ and masks/ (its img_idx/train.txt only) and "
        "draw --real-target-share of the targets with their appearance",
    )
    p.add_argument("--real-target-share", type=float, default=0.5)
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def parse_size(text: str | None) -> tuple[int, int] | None:
    from label_irst.errors import LabelIrstError

    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise LabelIrstError(f"--size must look like 640x512, got {text!r}") from None
    if w < 16 or h < 16:
        raise LabelIrstError(f"--size {text} is too small (at least 16x16)")
    return h, w


def run(args) -> int:
    from label_irst.commands._common import ProgressJob
    from label_irst.core.synthetic_sequences import MotionMix
    from label_irst.errors import LabelIrstError
    from label_irst.io.atomic import atomic_folder
    from label_irst.io.files import refuse_overlap
    from label_irst.io.synth import read_templates, write_synthetic_dataset

    try:
        mix = MotionMix(args.static_share, args.hover_share, args.stop_start_share)
    except ValueError as exc:
        raise LabelIrstError(f"--static-share, --hover-share, --stop-start-share: {exc}") from None
    refuse_overlap(args.out, [args.backgrounds, args.real_targets])
    if not 0.0 <= args.real_target_share <= 1.0:
        raise LabelIrstError("--real-target-share must lie in [0, 1]")
    templates = read_templates(args.real_targets) if args.real_targets else None
    shape = parse_size(args.size)
    # a temporary folder renamed at the end: a killed run leaves --out as it was
    with ProgressJob("synth", quiet=args.quiet) as job, atomic_folder(args.out, args.force) as tmp:
        summary = write_synthetic_dataset(
            tmp,
            args.sequences,
            args.frames,
            seed=args.seed,
            backgrounds=args.backgrounds,
            shape=shape,
            test_fraction=args.test_fraction,
            job=job,
            mix=mix,
            procedural_share=args.procedural_share,
            templates=templates,
            template_share=args.real_target_share,
        )
    info = {
        "sequences": summary.sequences,
        "frames": summary.frames,
        "targets": summary.targets,
        "train_sequences": summary.train_sequences,
        "test_sequences": summary.test_sequences,
        "test_backgrounds": summary.test_backgrounds,
    }
    if args.json:
        print(json.dumps(info))
    else:
        print(
            f"wrote {summary.frames} frames in {summary.sequences} sequences "
            f"({summary.targets} targets) to {args.out}"
        )
    return 0
