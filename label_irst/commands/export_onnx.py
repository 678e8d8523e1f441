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
        metavar="DATA",
        help="also write an int8 CPU model calibrated on DATA's training split",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    import torch

    from label_irst.errors import LabelIrstError
    from label_irst.io.atomic import write_text_atomic
    from label_irst.train.export import export_onnx, load_checkpoint, parity

    if not Path(args.checkpoint).is_file():
        raise LabelIrstError(f"{args.checkpoint}: no such checkpoint")
    torch.set_num_threads(1)
    model = load_checkpoint(args.checkpoint)
    state = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    training = {"train_config": state.get("train_config", {}), "history": state.get("history", [])}
    meta = export_onnx(model, args.out, args.stem, training)
    if args.threshold is not None:
        record = json.loads(meta.read_text())
        record["threshold"] = args.threshold
        write_text_atomic(meta, json.dumps(record, indent=1))
    diff = parity(model, meta)
    info = {"metadata": str(meta), "parity_max_abs_diff": diff}
    if args.int8_calibration:
        from label_irst.train.quantize import quantize_int8

        info["int8_metadata"] = str(quantize_int8(meta, args.int8_calibration))
    print(json.dumps(info))
    return 0
