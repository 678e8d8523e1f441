"""The GPU path of RPR-Net, measured in one short run (`scripts/gpu_check.sh` calls it).

1. `prelabel --device cuda` (ONNX Runtime's CUDA provider, TensorRT where present) at batch 1
   and 16 on synthetic 640x512 sequences: frames/s, and its detections against the CPU
   provider's (same count; centres within 0.05 px; scores within 1e-3). Where this
   onnxruntime has no GPU provider, that is reported in one line and the step is skipped.
2. The same graphs' torch weights (`models/rprnet.pt`) on the device, batch 1 and 16:
   frames/s of encoder + temporal head, heatmap against ONNX Runtime on the CPU.
3. One epoch of training on the device (`train --device DEVICE`): seconds and steps/s.

    python benchmarks/bench_gpu.py --out OUT [--device cuda] [--frames 32]

Prints one JSON object (also written to OUT/gpu_check.json).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from label_irst.cli import main as cli


def _detections(pred: Path) -> list[tuple[str, str, float, float, float]]:
    out = []
    for ann in sorted((pred / "annotations").glob("*.json")):
        for f in json.loads(ann.read_text())["frames"]:
            for t in f["targets"]:
                out.append((ann.stem, f["frame"], t["x"], t["y"], t.get("score", 0.0)))
    return out


def _agree(a, b) -> dict:
    if len(a) != len(b):
        return {"same_count": False, "cpu": len(a), "gpu": len(b)}
    dxy = max((max(abs(p[2] - q[2]), abs(p[3] - q[3])) for p, q in zip(a, b)), default=0.0)
    ds = max((abs(p[4] - q[4]) for p, q in zip(a, b)), default=0.0)
    return {"same_count": True, "max_xy_px": dxy, "max_score": ds, "ok": dxy <= 0.05 and ds <= 1e-3}


def prelabel_fps(data: Path, out: Path, device: str, batch: int) -> float:
    """Seconds of one run; the float graphs on every device, so CPU and GPU compare."""
    t0 = time.perf_counter()
    rc = cli(["prelabel", str(data), "--model", "models/rprnet.json", "--out", str(out),
              "--device", device, "--batch", str(batch), "--no-track", "--quiet",
              "--precision", "fp32"])  # fmt: skip
    if rc != 0:
        raise RuntimeError(f"prelabel --device {device} exited {rc}")
    return time.perf_counter() - t0


def torch_path(data: Path, device: str, batches=(1, 16)) -> dict:
    import torch

    from label_irst.infer.preprocess import normalise, pad
    from label_irst.infer.sequences import read_sequences
    from label_irst.train.export import load_checkpoint

    model = load_checkpoint("models/rprnet.pt").to(device).eval()
    seq = read_sequences(data)[0]
    frames = torch.from_numpy(
        np.stack([pad(normalise(seq.read(t))) for t in range(len(seq.frames))])
    )
    out = {}
    with torch.no_grad():
        for b in batches:
            x = frames[: b + 2].to(device)[:, None]
            for _ in range(2):  # warm-up
                f = model.encoder(x)
                model.head(f[:-2], f[1:-1], f[2:])
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0, n = time.perf_counter(), 0
            while time.perf_counter() - t0 < 3.0:
                f = model.encoder(x)
                model.head(f[:-2], f[1:-1], f[2:])
                n += x.shape[0] - 2
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            out[f"torch_batch_{b}_fps"] = round(n / (time.perf_counter() - t0), 1)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--frames", type=int, default=32)
    p.add_argument("--train-steps", type=int, default=200)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"device": args.device}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        assert cli(["synth", "--out", str(data), "--sequences", "2", "--frames", str(args.frames),
                    "--size", "640x512", "--seed", "3", "--test-fraction", "0.5", "--quiet"]) == 0  # fmt: skip
        n = 2 * args.frames
        cpu_s = prelabel_fps(data, tmp / "cpu", "cpu", 1)
        result["onnx_cpu_fps"] = round(n / cpu_s, 1)
        for b in (1, 16):
            try:
                s = prelabel_fps(data, tmp / f"gpu{b}", args.device, b)
            except (RuntimeError, SystemExit) as exc:
                result[f"onnx_gpu_batch_{b}"] = f"not run: {exc}"
                continue
            result[f"onnx_gpu_batch_{b}_fps"] = round(n / s, 1)
            result[f"onnx_gpu_batch_{b}_vs_cpu"] = _agree(
                _detections(tmp / "cpu"), _detections(tmp / f"gpu{b}")
            )
        try:
            result.update(torch_path(data, args.device))
        except Exception as exc:  # report, then go on to training
            result["torch_inference"] = f"not run: {type(exc).__name__}: {exc}"
        t0 = time.perf_counter()
        rc = cli(["train", str(data), "--out", str(tmp / "ck"), "--device", args.device,
                  "--epochs", "1", "--steps", str(args.train_steps), "--batch", "32",
                  "--supervision", "points", "--val-frames", "8", "--quiet"])  # fmt: skip
        seconds = time.perf_counter() - t0
        result["train_epoch"] = {"rc": rc, "seconds": round(seconds, 1),
                                 "steps_per_s": round(args.train_steps / seconds, 2), "batch": 32}  # fmt: skip
    (out / "gpu_check.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
