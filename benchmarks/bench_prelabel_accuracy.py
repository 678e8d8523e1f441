"""Detection and mask quality of an RPR-Net model on a synthetic dataset (Table II quantities).

1. prelabel a few *training* sequences at a low threshold and choose the operating threshold:
   the lowest score threshold whose false-alarm rate there is <= --fa-target (default 1e-5);
2. prelabel the *test* sequences (backgrounds held out of training) at a low threshold, read
   pd / fa / auc / miou_circle at the chosen threshold;
3. prelabel the test sequences again at that threshold with guided-PAMG masks: miou_mask.

For information only, the output also gives the threshold at which the *test* frames themselves
meet the false-alarm target (a 0.05 grid), which says how far the calibration carries over.

    .venv/bin/python benchmarks/bench_prelabel_accuracy.py --data DATA --model models/rprnet.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from label_irst.infer.evaluate import evaluate_detections
from label_irst.infer.matching import match
from label_irst.infer.prelabel import prelabel
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import load_model

LOW = 0.05
SCR_BINS = (1, 2, 4, 6, 8, 11)


def pd_by_scr(pred: Path, gt: Path, threshold: float) -> dict[str, float]:
    """Pd (%) of the test targets per SCR bin of the synthetic annotations (3 px rule)."""
    hits = np.zeros(len(SCR_BINS) - 1)
    total = np.zeros(len(SCR_BINS) - 1)
    for ann in sorted((gt / "annotations").glob("*.json")):
        truth = {f["frame"]: f["targets"] for f in json.loads(ann.read_text())["frames"]}
        pred_file = pred / "annotations" / ann.name
        found = json.loads(pred_file.read_text()) if pred_file.is_file() else {"frames": []}
        dets = {
            f["frame"]: [(d["x"], d["y"]) for d in f["targets"] if d["score"] >= threshold]
            for f in found["frames"]
        }
        for frame, targets in truth.items():
            _, hit = match(dets.get(frame, []), [(t["x"], t["y"]) for t in targets])
            for t, h in zip(targets, hit):
                k = min(max(int(np.searchsorted(SCR_BINS, t["scr"], side="right")) - 1, 0), 4)
                hits[k] += h
                total[k] += 1
    return {
        f"{a}-{b}": round(float(100.0 * h / n), 1) if n else float("nan")
        for a, b, h, n in zip(SCR_BINS, SCR_BINS[1:], hits, total)
    }


def subset(data: Path, split: str, count: int, out: Path) -> Path:
    """A dataset folder of links to the first ``count`` sequences of a split (all their frames)."""
    seqs = read_sequences(data, split)[:count]
    for sub in ("images", "masks"):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for s in seqs:
            (out / sub / s.name).symlink_to((data / sub / s.name).resolve())
    (out / "annotations").mkdir(exist_ok=True)
    for s in seqs:
        shutil.copy(data / "annotations" / f"{s.name}.json", out / "annotations")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", default="models/rprnet.json")
    ap.add_argument("--calibration-sequences", type=int, default=8)
    ap.add_argument("--fa-target", type=float, default=1e-5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    data = Path(args.data)
    model = load_model(args.model, "cpu", args.threads, precision="fp32")  # as named
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        calib = subset(data, "train", args.calibration_sequences, tmp / "calib")
        prelabel(calib, model, tmp / "calib_pred", threshold=LOW)
        grid = np.round(np.arange(LOW, 0.96, 0.01), 2)
        chosen = float(grid[-1])
        for thr in grid:
            s = evaluate_detections(tmp / "calib_pred", calib, min_score=float(thr)).summary()
            if s["fa"] <= args.fa_target:
                chosen = float(thr)
                break
        calib_point = evaluate_detections(tmp / "calib_pred", calib, min_score=chosen).summary()
        test = subset(data, "test", 10**6, tmp / "test")
        low = prelabel(test, model, tmp / "test_low", threshold=LOW)
        sweep = {}
        for thr in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, chosen}):
            sweep[thr] = evaluate_detections(tmp / "test_low", test, min_score=thr).summary()
        # for information only (it looks at the test set): the test frames' own operating point
        oracle = None
        for thr in np.round(np.arange(0.3, 0.96, 0.05), 2):
            s = evaluate_detections(tmp / "test_low", test, min_score=float(thr)).summary()
            if s["fa"] <= args.fa_target:
                oracle = {"threshold": float(thr), "pd": s["pd"], "fa": s["fa"]}
                break
        by_scr = pd_by_scr(tmp / "test_low", test, chosen)
        masked = prelabel(test, model, tmp / "test_masks", masks=True, threshold=chosen)
        final = evaluate_detections(tmp / "test_masks", test).summary()
    print(
        json.dumps(
            {
                "model": str(args.model),
                "variant": model.meta.get("variant"),
                "threshold": chosen,
                "calibration": {k: calib_point[k] for k in ("pd", "fa", "frames", "targets")},
                "test": final,
                "test_fps_low_threshold": low.summary()["fps"],
                "test_fps_masks": masked.summary()["fps"],
                "pd_by_scr": by_scr,
                "test_operating_point_for_information": oracle,
                "sweep": {str(k): {m: v[m] for m in ("pd", "fa")} for k, v in sweep.items()},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
