"""label-irst prelabel: pre-annotate sequences with an RPR-Net ONNX model (+ guided PAMG)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "prelabel",
        help="detect targets in whole sequences with RPR-Net (ONNX); masks by guided pamg+",
        description="DATA is a dataset root (images/<seq>/<frame>.png), one folder of frames, or "
        "a project (.lirst). Writes OUT/annotations/<seq>.json (and OUT/masks/<seq>/ with "
        "--masks); a second run resumes where the first stopped. For a project, each frame's "
        "guided masks are also stored in it as 'model' candidates for review, replacing "
        "earlier ones and keeping reviewed targets. Masks use the project's generator and "
        "fitted annotation convention (or --generator / --convention).",
    )
    p.add_argument("data", help="dataset root, folder of frames, or project (.lirst)")
    p.add_argument("--model", required=True, help="model metadata <stem>.json (or one .onnx graph)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--masks", action="store_true", help="also grow masks in guided mode (Rs = 5 r)")
    p.add_argument(
        "--generator",
        default=None,
        help="point-to-mask generator for the masks (default: the project's, else pamg+)",
    )
    from label_irst.commands._common import add_convention_arg

    add_convention_arg(p)
    p.add_argument("--threshold", type=float, default=None, help="heatmap score threshold")
    p.add_argument("--split", default=None, help="only sequences of img_idx/SPLIT.txt")
    p.add_argument("--batch", type=int, default=None, help="frames per run (default 1 CPU, 16 GPU)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per graph (default 1: the next frame is encoded beside the head)",
    )
    p.add_argument("--no-cache", action="store_true", help="re-encode all 3 frames of each triplet")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    import logging
    import sys

    from label_irst.commands._common import ProgressJob
    from label_irst.infer.decode import DEFAULT_THRESHOLD
    from label_irst.infer.prelabel import prelabel
    from label_irst.infer.session import load_model

    logging.basicConfig(format="label-irst: %(message)s", stream=sys.stderr)
    from label_irst.io.convention import read_convention

    convention = None
    if args.convention is not None:
        convention = read_convention(args.convention, args.generator)
    model = load_model(args.model, args.device, max(args.threads, 1))
    threshold = args.threshold
    if threshold is None:
        threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
    batch = args.batch or (1 if model.provider == "CPUExecutionProvider" else 16)
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
        )
    summary = report.summary()
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key:>14}: {value}")
    return 0
