"""label-irst prelabel: pre-annotate sequences with an RPR-Net ONNX model (+ guided PAMG)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "prelabel",
        help="detect targets in whole sequences with RPR-Net (ONNX); masks by guided pamg+",
        description="DATA is a dataset root (images/<seq>/<frame>.png), one folder of frames, a "
        "video, a folder of videos, or a project (.lirst). A folder of unrelated images (several "
        "sizes, or names that are not one prefix with consecutive numbers) is pre-annotated "
        "image by image, each as a still triplet; --still / --sequence override. Writes OUT/annotations/<seq>.json (and OUT/masks/<seq>/ with "
        "--masks); a second run resumes where the first stopped. For a project, each frame's "
        "guided masks are also stored in it as 'model' candidates for review, replacing "
        "earlier ones and keeping reviewed targets; the project's reviewed frames are left as "
        "they are, and a new track through a confirmed target continues its track. Without "
        "--model a project runs its own detector (adopted by 'label-irst adapt'). Masks use "
        "the project's generator and "
        "fitted annotation convention (or --generator / --convention). Detections are linked "
        "into tracks by default: each target gets an integer 'id' stable along its sequence "
        "(the project's track id); a track starts at a detection scored >= --track-high, "
        "continues through detections >= --track-low, is kept when it spans at least "
        "--track-min-length frames, and gaps of up to --track-max-gap frames are filled by a "
        "guided mask near the predicted position.",
    )
    p.add_argument(
        "data", help="dataset root, folder of frames or videos, video, or project (.lirst)"
    )
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--still",
        action="store_true",
        help="every image alone (a still triplet), even numbered frames of one size",
    )
    how.add_argument(
        "--sequence",
        action="store_true",
        help="every folder is one sequence (frames of one size), even unrelated images",
    )
    p.add_argument(
        "--detector",
        choices=["rprnet", "lesps"],
        default=None,
        help="rprnet: RPR-Net on triplets, masks by guided point-to-mask (the default); lesps: "
        "the single-frame LESPS segmenter for image sets, each image alone, its own masks "
        "(default model models/lesps-sirst.json; --model models/segmenter-sirst.json, its mean "
        "with a second segmenter, has better masks). Without it, the kind of --model decides",
    )
    p.add_argument(
        "--model",
        default=None,
        help="model metadata <stem>.json (or one .onnx graph); default: for a project, its own "
        "detector (adopted by 'label-irst adapt' or the app's loop), else the shipped one",
    )
    p.add_argument(
        "--out", default=None, help="output folder (optional for a project: candidates only)"
    )
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32"],
        help="auto (default): on the CPU, run the int8 copy a model's record names "
        "(cpu_variant; the shipped models have one); fp32: run the model as named",
    )
    p.add_argument("--masks", action="store_true", help="also grow masks in guided mode (Rs = 5 r)")
    p.add_argument(
        "--generator",
        default=None,
        help="point-to-mask generator for the masks (default: the project's, else pamg+)",
    )
    from label_irst.commands._common import add_convention_arg

    add_convention_arg(p)
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="heatmap score threshold with --no-track (default: the model's)",
    )
    p.add_argument("--no-track", action="store_true", help="decide frame by frame, no tracks")
    p.add_argument("--track-high", type=float, default=None, help="score that starts a track")
    p.add_argument("--track-low", type=float, default=None, help="score that continues a track")
    p.add_argument(
        "--track-min-length", type=int, default=None, help="frames a kept track spans at least"
    )
    p.add_argument(
        "--track-max-gap", type=int, default=None, help="missed frames a track survives (filled)"
    )
    p.add_argument(
        "--track-min-score",
        type=float,
        default=None,
        help="lowest track score kept (mean detection score over its frames, gaps count 0)",
    )
    p.add_argument("--split", default=None, help="only sequences of img_idx/SPLIT.txt")
    p.add_argument("--batch", type=int, default=None, help="frames per run (default 1 CPU, 16 GPU)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per graph (default 1: the next frame is encoded beside the head)",
    )
    p.add_argument("--no-cache", action="store_true", help="re-encode all 3 frames of each triplet")
    add_ray_args(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="replace annotation files and masks in OUT that prelabel did not write, and "
        "start again a sequence that an earlier run made with other settings",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import logging
    import math
    import sys

    from label_irst.commands._common import ProgressJob
    from label_irst.errors import LabelIrstError
    from label_irst.infer.decode import DEFAULT_THRESHOLD
    from label_irst.infer.detector_model import load_detector
    from label_irst.infer.pipeline import is_single_frame
    from label_irst.infer.prelabel import prelabel

    logging.basicConfig(format="label-irst: %(message)s", stream=sys.stderr)
    ray = ray_options(args)
    from label_irst.io.convention import read_convention

    convention = None
    if args.convention is not None:
        convention = read_convention(args.convention, args.generator)
    if args.threshold is not None and not (
        math.isfinite(args.threshold) and 0 < args.threshold <= 1
    ):
        raise LabelIrstError(f"--threshold must be in (0, 1], got {args.threshold}")
    if args.batch is not None and args.batch < 1:
        raise LabelIrstError(f"--batch must be at least 1, got {args.batch}")
    model = load_detector(
        model_path(args.model, args.data, args.detector),
        args.device,
        max(args.threads, 1),
        args.precision,
    )
    if args.detector is not None and is_single_frame(model) != (args.detector == "lesps"):
        kind = "a segmenter" if is_single_frame(model) else "an RPR-Net model"
        raise LabelIrstError(
            f"{args.model}: {kind}, not a {args.detector} model (--detector {args.detector})"
        )
    threshold = args.threshold
    if threshold is None:
        threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
    batch = args.batch or (1 if model.provider == "CPUExecutionProvider" else 16)
    tracking = None if args.no_track else tracker_config(args)
    with ProgressJob("prelabel", quiet=args.quiet) as job:
        report = prelabel(
            args.data,
            model,
            args.out,
            masks=args.masks,
            threshold=threshold,
            split=args.split,
            batch=batch,
            cache=not args.no_cache,
            job=job,
            convention=convention,
            generator=args.generator,
            tracking=tracking,
            ray=ray,
            force=args.force,
            mode="still" if args.still else "sequence" if args.sequence else "auto",
        )
    summary = report.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>14}: {value}")
    return 1 if job.warnings or report.warnings else 0  # any skip: exit 1 once the rest is done


def model_path(given, data, detector: str | None = None):
    """The model to run: ``--model`` when given, else the shipped segmenter for ``lesps``, else
    a project's own detector (one line if the one it recorded is missing), else the shipped
    one."""
    from pathlib import Path

    from label_irst.infer.detector_model import (
        SHIPPED_DETECTOR,
        SHIPPED_SEGMENTER,
        project_detector_model,
    )
    from label_irst.infer.project import is_project
    from label_irst.io.project import ProjectStore

    if given is not None:
        return given
    if detector == "lesps":
        return SHIPPED_SEGMENTER
    if Path(data).is_file() and is_project(data):
        with ProjectStore.open(data, readonly=True) as store:
            return project_detector_model(store)
    return SHIPPED_DETECTOR


def add_ray_args(p) -> None:
    """--ray [ADDRESS] and the settings of a cluster run (docs/cluster.md)."""
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run on a Ray cluster (extra 'cluster'): no ADDRESS starts a local one, 'auto' or "
        "ray://HOST:PORT connects to a running one; DATA must be on storage every node sees",
    )
    p.add_argument(
        "--ray-workers", type=int, default=None, help="workers (default: fill the cluster)"
    )
    p.add_argument(
        "--ray-gpus",
        type=float,
        default=1.0,
        help="GPUs per worker on a GPU cluster (0.5: two share one)",
    )
    p.add_argument(
        "--ray-chunk", type=int, default=1000, help="frames per unit; longer sequences are cut"
    )


def ray_options(args):
    """The RayOptions of --ray (None without it); Ray itself must be importable."""
    if args.ray is None:
        return None
    from label_irst.errors import LabelIrstError
    from label_irst.infer.ray_runner import RayOptions, require_ray

    require_ray()
    if (args.ray_workers is not None and args.ray_workers < 1) or args.ray_chunk < 1:
        raise LabelIrstError("--ray-workers and --ray-chunk take a positive number")
    if not 0 < args.ray_gpus <= 64:
        raise LabelIrstError("--ray-gpus takes a positive number of GPUs per worker")
    address = None if args.ray == "local" else args.ray
    return RayOptions(address, args.ray_workers, args.ray_gpus, max(args.threads, 1),
                      args.ray_chunk, device=args.device)  # fmt: skip


def tracker_config(args):
    """The tracker settings of the command line, defaults from DEFAULT_TRACKING."""
    from dataclasses import replace

    from label_irst.errors import LabelIrstError
    from label_irst.infer.tracks import DEFAULT_TRACKING

    given = {
        "high": args.track_high,
        "low": args.track_low,
        "min_length": args.track_min_length,
        "max_gap": args.track_max_gap,
        "min_score": args.track_min_score,
    }
    try:
        return replace(DEFAULT_TRACKING, **{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        raise LabelIrstError(f"tracking: {exc}") from None
