"""label-irst dataset: build training / test dataset roots from real infrared data."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "dataset",
        help="turn real labelled videos or a single-frame benchmark into a dataset root",
        description="videos: a folder with videos/<name>.mp4, labels/<name>.csv "
        "(frame,cx,cy,...) and videos.csv (video,class,distance), split by whole videos "
        "(stratified by class and distance) into point-annotated windows of consecutive frames. "
        "stills: a single-frame benchmark (images/, masks/, img_idx/) with each image as its own "
        "one-frame sequence (still triplets).",
    )
    p.add_argument("kind", choices=["videos", "stills"])
    p.add_argument("src", help="the source folder")
    p.add_argument("--out", required=True, help="dataset root to write (empty or absent)")
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    p.add_argument("--test-share", type=float, default=0.2, help="videos: share held out")
    p.add_argument(
        "--val-share", type=float, default=0.1, help="videos: share of the rest for img_idx/val.txt"
    )
    p.add_argument("--seed", type=int, default=0, help="videos: RNG seed of the split")
    p.add_argument(
        "--distances",
        default="distant,medium,close",
        help="videos: distance bins kept (comma-separated; default all)",
    )
    p.add_argument(
        "--train-frames",
        default=None,
        metavar="BIN=N,...",
        help="videos: frames kept per training video by distance "
        "(default distant=120,medium=40,close=16)",
    )
    p.add_argument("--test-frames", type=int, default=90, help="videos: frames per test video")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _frames(text: str | None) -> dict[str, int] | None:
    from label_irst.errors import LabelIrstError

    if not text:
        return None
    try:
        pairs = (item.split("=") for item in text.split(","))
        return {k.strip(): int(v) for k, v in pairs}
    except ValueError:
        raise LabelIrstError(
            f"--train-frames must look like distant=120,medium=40: {text!r}"
        ) from None


def run(args) -> int:
    from label_irst.batch.real_data import build_still_root, build_video_root
    from label_irst.commands._common import ProgressJob
    from label_irst.errors import LabelIrstError
    from label_irst.io.files import refuse_overlap

    if not 0.0 < args.test_share < 1.0:
        raise LabelIrstError("--test-share must lie in (0, 1)")
    refuse_overlap(args.out, [args.src])
    with ProgressJob(f"dataset {args.kind}", quiet=args.quiet) as job:
        if args.kind == "videos":
            summary = build_video_root(
                args.src,
                args.out,
                test_share=args.test_share,
                seed=args.seed,
                val_share=args.val_share,
                distances=tuple(d.strip() for d in args.distances.split(",") if d.strip()),
                train_frames=_frames(args.train_frames),
                test_frames=args.test_frames,
                force=args.force,
                job=job,
            )
        else:
            summary = build_still_root(args.src, args.out, force=args.force, job=job)
    print(json.dumps(summary))
    return 1 if job.warnings else 0
