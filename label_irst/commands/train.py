"""label-irst train: train RPR-Net on a SIRSTD-Pixel-style dataset (needs torch)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train RPR-Net from masks or points (resumable; validation Pd/Fa per epoch)",
        description="DATA is a dataset root (images/<seq>/, masks/<seq>/ or annotations/, "
        "img_idx/train.txt and test.txt), or a project (.lirst): its frames with confirmed "
        "targets, whose masks give the labels (confirm every target of such a frame first). "
        "Re-running with the same --out resumes.",
    )
    p.add_argument("data", help="dataset root or project (.lirst)")
    p.add_argument("--out", required=True, help="checkpoint folder (checkpoint.pt)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--steps", type=int, default=100, help="optimiser steps per epoch")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128, help="training crop, a multiple of 16")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument(
        "--supervision",
        default="masks",
        choices=["masks", "points"],
        help="masks: ground-truth masks; points: PAMG pseudo masks from points (Sec. III-C1)",
    )
    p.add_argument(
        "--single-frame", action="store_true", help="Variant-Single: no temporal modules"
    )
    p.add_argument("--train-split", default="train")
    p.add_argument("--val-split", default="test", help="split validated each epoch ('' for none)")
    p.add_argument("--val-frames", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default 1e-3)")
    p.add_argument("--warmup", type=int, default=0, help="linear warm-up steps before the cosine")
    p.add_argument("--init", default=None, help="start from this checkpoint's weights (fine-tune)")
    p.add_argument(
        "--hard-negatives",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of crops centred on the current model's false alarms, mined each epoch "
        "(0 = the paper's recipe; default 0)",
    )
    p.add_argument("--mine-frames", type=int, default=48, help="training frames searched per epoch")
    p.add_argument(
        "--repeat-frame",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of triplets made of the current frame repeated (a static camera and target: "
        "temporal context that does not reward motion alone; default 0)",
    )
    p.add_argument(
        "--mix",
        action="append",
        default=[],
        metavar="ROOT=SHARE[:points|masks]",
        help="another dataset root drawn for SHARE of the crops with its own supervision "
        "(repeatable; DATA gets the rest), e.g. --mix stills=0.2:masks",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from label_irst.commands._common import ProgressJob
    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.trainer import TrainConfig, train
    except ImportError as exc:
        raise LabelIrstError(f"this command needs torch ({exc}); install the train extra") from None

    if not 0.0 <= args.hard_negatives < 1.0:
        raise LabelIrstError("--hard-negatives must lie in [0, 1)")
    if not 0.0 <= args.repeat_frame <= 1.0:
        raise LabelIrstError("--repeat-frame must lie in [0, 1]")
    if args.crop % 16 or args.crop < 32:
        raise LabelIrstError("--crop must be a multiple of 16, at least 32")
    from dataclasses import asdict

    from label_irst.train.mix import parse_source

    mix = [asdict(parse_source(text)) for text in args.mix]
    if sum(m["share"] for m in mix) >= 1.0:
        raise LabelIrstError("the --mix shares must sum below 1 (DATA takes the rest)")
    cfg = TrainConfig(
        epochs=args.epochs,
        steps=args.steps,
        batch=args.batch,
        crop=args.crop,
        supervision=args.supervision,
        temporal=not args.single_frame,
        seed=args.seed,
        device=args.device,
        train_split=args.train_split or None,
        val_split=args.val_split or None,
        val_frames=args.val_frames,
        threads=args.threads,
        lr=args.lr,
        warmup=args.warmup,
        init=args.init,
        hard_negatives=args.hard_negatives,
        mine_frames=max(args.mine_frames, 1),
        repeat_frame=args.repeat_frame,
        mix=mix,
    )
    with ProgressJob("train", quiet=args.quiet) as job:
        record = train(args.data, args.out, cfg, job, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(record))
    return 0
