"""label-irst train-segmenter: a single-frame segmenter from points (LESPS) or masks (needs torch)."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "train-segmenter",
        help="train the single-frame segmenter from points by label evolution (lesps)",
        description="DATA is a dataset root (images/ + masks/, img_idx/SPLIT.txt; points from "
        "--points, centroids.csv or the masks' centroids), an image folder with --points, or a "
        "project (its confirmed targets). Writes OUT.onnx, OUT.json, OUT.pt and, for point "
        "supervision, OUT.labels.npz (the evolved labels); checkpoints go to OUT.train/.",
    )
    p.add_argument("data", metavar="DATA|PROJECT")
    p.add_argument("--out", required=True, metavar="models/NAME", help="output path stem")
    p.add_argument(
        "--supervision",
        default="lesps",
        choices=["lesps", "centroid", "masks", "pamg"],
        help="lesps: points grown by label evolution; centroid: fixed points; masks: full; "
        "pamg: points grown once by pamg+, fixed",
    )
    p.add_argument("--points", default=None, metavar="CSV", help="points file (image,x,y)")
    p.add_argument("--split", default=None, help="train on img_idx/SPLIT.txt only (e.g. train)")
    p.add_argument(
        "--negatives",
        default=None,
        metavar="DIR",
        help="a folder of target-free frames (every pixel background) added to the training "
        "frames: real clutter the training set does not show",
    )
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128, help="training crop side (multiple of 8)")
    p.add_argument(
        "--augment",
        default="geometric",
        choices=["geometric", "strong"],
        help="geometric: flips and quarter turns; strong: also scale (0.75-1.33), blur, noise "
        "and contrast, for clutter and sensors the training set does not show",
    )
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--period", type=int, default=5, help="f: epochs between label updates")
    p.add_argument("--t-loss", type=float, default=10.0, help="start evolving below this loss")
    p.add_argument(
        "--start-epoch", type=int, default=0, help="start evolving at this epoch at the latest"
    )
    p.add_argument(
        "--neighbourhood", type=int, default=33, help="d: side of the window updated per target"
    )
    p.add_argument(
        "--alpha",
        type=float,
        default=0.75,
        help="focal loss weight of the target pixels (default 0.75; 1 - alpha for background)",
    )
    p.add_argument("--tb", type=float, default=0.5, help="T_b of the evolution threshold")
    p.add_argument("--k", type=float, default=0.5, help="k of the evolution threshold")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--init",
        default=None,
        metavar="models/NAME.json",
        help="start from a trained segmenter of the same --supervision: its weights and, for "
        "lesps, its evolved labels (e.g. to fine-tune it with --negatives)",
    )
    p.add_argument("--resume", action="store_true", help="carry on from OUT.train/checkpoint.pt")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.lesps import EvolutionConfig
        from label_irst.train.segmenter_data import (
            dataset_frames,
            negative_frames,
            project_frames,
        )
        from label_irst.train.segmenter_trainer import SegmenterTrainConfig, train_segmenter
    except ImportError as exc:
        raise LabelIrstError(
            f"train-segmenter needs torch ({exc.name} missing): pip install -e '.[train]' "
            "-c constraints.txt"
        ) from None
    from label_irst.infer.project import is_project

    if args.crop < 16 or args.crop % 8:
        raise LabelIrstError(f"--crop must be a multiple of 8 of at least 16, got {args.crop}")
    if min(args.epochs, args.batch, args.period, args.neighbourhood) < 1:
        raise LabelIrstError("--epochs, --batch, --period and --neighbourhood must be at least 1")
    if not 0.0 < args.alpha < 1.0:
        raise LabelIrstError(f"--alpha must lie in (0, 1), got {args.alpha}")

    def warn(message: str) -> None:
        print(f"label-irst: warning: {message}", file=sys.stderr)

    data = Path(args.data)
    if data.is_file() and is_project(data):
        frames = project_frames(data, warn=warn)
        source = {"kind": "project", "name": data.name}
    else:
        frames = dataset_frames(data, args.split, args.points, warn=warn)
        source = {"kind": "dataset", "name": data.name, "split": args.split}
        if args.points:
            source["points"] = Path(args.points).name
    if args.negatives:
        negatives = negative_frames(args.negatives, warn=warn)
        frames = frames + negatives
        source["negatives"] = {"name": Path(args.negatives).name, "frames": len(negatives)}
    evolution = EvolutionConfig(
        t_b=args.tb, k=args.k, period=args.period, t_loss=args.t_loss,
        start_epoch=args.start_epoch, neighbourhood=args.neighbourhood,
    )  # fmt: skip
    cfg = SegmenterTrainConfig(
        supervision=args.supervision, epochs=args.epochs, batch=args.batch, crop=args.crop,
        lr=args.lr, seed=args.seed, threads=args.threads, device=args.device, split=args.split,
        evolution=evolution, alpha=args.alpha, augment=args.augment,
    )  # fmt: skip

    def progress(done, total, record):
        if not args.quiet:
            extra = f", label IoU {record['label_iou']:.1f}" if record.get("label_iou") else ""
            mark = " (labels evolved)" if record.get("evolved") else ""
            print(
                f"epoch {done}/{total}: loss {record['loss']:.3f}, label pixels "
                f"{record['label_pixels']}{extra}{mark}, {record['seconds']:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    result = train_segmenter(frames, args.out, cfg, source, args.resume, progress, args.init)
    summary = {
        "metadata": str(result.metadata),
        "frames": len(frames),
        "targets": sum(len(f.points) for f in frames),
        "epochs": len(result.history),
        "seconds": round(result.seconds, 1),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>10}: {value}")
    return 0
