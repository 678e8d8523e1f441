"""label-irst train-generator: train the EDGSP point-prompt generator (needs the train extra)."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "train-generator",
        help="train the learned point-to-mask generator (edgsp) on masks",
        description="DATA is a dataset root (images/ + masks/, img_idx/SPLIT.txt) or a project "
        "(its confirmed targets). Writes OUT.onnx, OUT.json (metadata and model card), OUT.pt; "
        "checkpoints go to OUT.train/.",
    )
    p.add_argument("data", metavar="DATA|PROJECT")
    p.add_argument("--out", required=True, metavar="models/NAME", help="output path stem")
    p.add_argument("--split", default=None, help="train on img_idx/SPLIT.txt only (e.g. train)")
    p.add_argument("--init", default=None, metavar="MODEL", help="start from a model's weights")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--per-example", type=int, default=8, help="crops per target and epoch")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--crop", type=int, default=32, help="crop size around the click (even)")
    p.add_argument("--width", type=int, default=16, help="feature channels")
    p.add_argument(
        "--tta", type=int, default=2, choices=[1, 2, 4, 8], help="views per click at inference"
    )
    p.add_argument("--val-fraction", type=float, default=0.1, help="held-out share of targets")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--resume", action="store_true", help="carry on from OUT.train/checkpoint.pt")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.edgsp_data import dataset_examples, project_training_examples
        from label_irst.train.edgsp_trainer import GeneratorTrainConfig, train_generator
    except ImportError as exc:
        raise LabelIrstError(
            f"train-generator needs torch ({exc.name} missing): pip install -e '.[train]' "
            "-c constraints.txt"
        ) from None
    from label_irst.infer.project import is_project

    if args.crop < 8 or args.crop % 2:
        raise LabelIrstError(f"--crop must be an even number of at least 8, got {args.crop}")
    if args.epochs < 1:
        raise LabelIrstError(f"--epochs must be at least 1, got {args.epochs}")

    def warn(message: str) -> None:
        print(f"label-irst: warning: {message}", file=sys.stderr)

    data = Path(args.data)
    if data.is_file() and is_project(data):
        examples = project_training_examples(data, warn=warn)
        source = {"kind": "project", "name": data.name}
    else:
        examples = dataset_examples(data, args.split, warn=warn)
        source = {"kind": "dataset", "name": data.name, "split": args.split}
    cfg = GeneratorTrainConfig(
        epochs=args.epochs, per_example=args.per_example, batch=args.batch, lr=args.lr,
        crop=args.crop, width=args.width, val_fraction=args.val_fraction, seed=args.seed,
        threads=args.threads, split=args.split, init=args.init, tta=args.tta,
    )  # fmt: skip

    def progress(done, total, record):
        if not args.quiet:
            print(
                f"epoch {done}/{total}: loss {record['loss']:.4f}, held-out mIoU "
                f"{record['val_miou']:.2f}, {record['seconds']:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    result = train_generator(examples, args.out, cfg, source, args.resume, progress)
    summary = {
        "metadata": str(result.metadata),
        "examples": len(examples),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "held_out_miou": result.best_val_miou,
        "init_held_out_miou": result.init_val_miou,
        "seconds": round(result.seconds, 1),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>20}: {value}")
    return 0
