"""label-irst export-onnx: a training checkpoint to the two RPR-Net ONNX graphs (needs torch)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "export-onnx",
        help="export a checkpoint to <stem>.encoder.onnx, <stem>.head.onnx and <stem>.json",
    )
    p.add_argument("checkpoint", help="checkpoint.pt written by `label-irst train`")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--stem", default="rprnet", help="file-name stem (default rprnet)")
    p.add_argument("--threshold", type=float, default=None, help="score threshold to record")
    p.add_argument(
        "--int8-calibration",
        default=None,
        nargs="+",
        metavar="DATA",
        help="also write an int8 CPU model calibrated on the training split of each DATA "
        "(16 triplets of each: give every kind of frame the model will see)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing model of that stem")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from label_irst.errors import LabelIrstError

    try:
        from label_irst.train.export import export_checkpoint
    except ImportError as exc:
        raise LabelIrstError(f"this command needs torch ({exc}); install the train extra") from None

    if not Path(args.checkpoint).is_file():
        raise LabelIrstError(f"{args.checkpoint}: no such checkpoint")
    existing = [
        name
        for name in (f"{args.stem}.json", f"{args.stem}.encoder.onnx", f"{args.stem}.head.onnx")
        if (Path(args.out) / name).exists()
    ]
    if existing and not args.force:
        raise LabelIrstError(
            f"{args.out} already holds {', '.join(existing)}; choose another --out or --stem, "
            "or pass --force to replace that model"
        )
    info = export_checkpoint(args.checkpoint, args.out, args.stem, args.threshold)
    if args.int8_calibration:
        from label_irst.train.quantize import quantize_int8

        info["int8_metadata"] = str(quantize_int8(info["metadata"], args.int8_calibration))
    print(json.dumps(info))
    return 0
