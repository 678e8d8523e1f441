"""Pd per speed and SCR bin of an RPR-Net run, and Pd at Fa <= 1e-5 (still and slow targets).

Reads one low-threshold, per-frame ``prelabel`` run (``--no-track --threshold 0.05``) of a
synthetic set made with ``label-irst synth ... --static-share/--hover-share/--stop-start-share``
and reports:

* Pd / Fa at the model's own threshold (``--threshold``, default: its metadata record's), with
  Pd per speed bin (0, < 0.5, 0.5-2, > 2 px/frame) and per SCR bin;
* the lowest threshold on a 0.05 grid at which these frames meet Fa <= ``--fa-target`` and Pd
  there (with its speed bins).

With ``--calibration-sequences N`` the threshold is instead calibrated as the model card's is:
the lowest one (0.01 grid) with Fa <= ``--fa-target`` on the first N *training* sequences of
``--gt`` (pre-labelled here at 0.05).

    .venv/bin/python benchmarks/bench_speed_bins.py --pred PRED --gt DATA --split test \\
        --model models/rprnet.json [--calibration-sequences 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from label_irst.infer.evaluate import evaluate_detections
from label_irst.infer.evaluate_bins import pd_by
from label_irst.infer.prelabel import prelabel
from label_irst.infer.session import load_model

sys.path.insert(0, str(Path(__file__).parent))
from bench_prelabel_accuracy import LOW, subset  # noqa: E402


def calibrate(model_path: str, data: Path, count: int, fa_target: float) -> float:
    """The lowest 0.01-grid threshold with Fa <= fa_target on ``count`` training sequences."""
    model = load_model(model_path, "cpu", 1, precision="fp32")  # as named
    with tempfile.TemporaryDirectory() as tmp:
        calib = subset(data, "train", count, Path(tmp) / "calib")
        prelabel(calib, model, Path(tmp) / "pred", threshold=LOW)
        for thr in np.round(np.arange(LOW, 0.96, 0.01), 2):
            s = evaluate_detections(Path(tmp) / "pred", calib, min_score=float(thr)).summary()
            if s["fa"] <= fa_target:
                return float(thr)
    return 0.95


def bins(pred, gt, split, threshold, key):
    rows = pd_by(pred, gt, key, split, threshold)
    return {r["bin"]: (round(r["pd"], 1) if r["targets"] else None, r["targets"]) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pred", required=True)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--model", default="models/rprnet.json")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--fa-target", type=float, default=1e-5)
    ap.add_argument("--calibration-sequences", type=int, default=0)
    args = ap.parse_args()
    threshold = args.threshold
    if args.calibration_sequences:
        threshold = calibrate(args.model, Path(args.gt), args.calibration_sequences, args.fa_target)
    elif threshold is None:
        with open(args.model) as fh:
            threshold = float(json.load(fh)["threshold"])
    out = {"model": args.model, "threshold": threshold}
    s = evaluate_detections(args.pred, args.gt, args.split, min_score=threshold).summary()
    out["at_threshold"] = {
        "pd": round(s["pd"], 1),
        "fa": float(f"{s['fa']:.2g}"),
        "targets": s["targets"],
        "frames": s["frames"],
        "pd_by_speed": bins(args.pred, args.gt, args.split, threshold, "speed"),
        "pd_by_scr": bins(args.pred, args.gt, args.split, threshold, "scr"),
    }
    for t in np.round(np.arange(0.1, 1.0, 0.05), 2):
        s = evaluate_detections(args.pred, args.gt, args.split, min_score=float(t)).summary()
        if s["fa"] <= args.fa_target:
            out["at_fa_target"] = {
                "threshold": float(t),
                "pd": round(s["pd"], 1),
                "fa": float(f"{s['fa']:.2g}"),
                "pd_by_speed": bins(args.pred, args.gt, args.split, float(t), "speed"),
            }
            break
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
