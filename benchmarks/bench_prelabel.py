"""CPU throughput of `label-irst prelabel` at 640x512 and the encoder cache's speed-up.

Renders one synthetic 640x512 sequence (procedural background, or a real one with
--backgrounds), then times prelabel over it twice in the same process: with the encoder cache
(encoder once per frame), with the cache but no background encoding thread, and without the
cache (encoder three times per frame). Frames/s count the whole
pre-labelling (reading, normalising, both graphs, decoding, writing JSON), not masks unless
--masks is given.

    .venv/bin/python benchmarks/bench_prelabel.py --model models/rprnet.json --frames 60
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path

from label_irst.infer.prelabel import prelabel
from label_irst.infer.session import load_model
from label_irst.io.synth import write_synthetic_dataset


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/rprnet.json")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--threads", type=int, default=1, help="threads per graph")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--masks", action="store_true")
    ap.add_argument(
        "--precision", default="fp32", choices=["auto", "fp32"], help="fp32: the model as named"
    )
    ap.add_argument("--backgrounds", default=None)
    args = ap.parse_args()
    model = load_model(args.model, args.device, args.threads, args.precision)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        write_synthetic_dataset(
            data, 1, args.frames, seed=11, backgrounds=args.backgrounds, test_fraction=0.0
        )
        # warm-up: first session runs allocate and pick kernels
        prelabel(data, model, Path(tmp) / "warm", batch=args.batch)
        runs = {}
        modes = (("cache", True, True), ("cache_serial", True, False), ("no_cache", False, False))
        for name, cache, pipeline in modes:
            r = prelabel(
                data,
                model,
                Path(tmp) / name,
                masks=args.masks,
                batch=args.batch,
                cache=cache,
                pipeline=pipeline,
            )
            runs[name] = r.summary()
    print(
        json.dumps(
            {
                "frames": args.frames,
                "size": "640x512",
                "provider": model.provider,
                "threads": args.threads,
                "batch": args.batch,
                "masks": args.masks,
                "fps_cache": runs["cache"]["fps"],
                "fps_cache_serial": runs["cache_serial"]["fps"],
                "fps_no_cache": runs["no_cache"]["fps"],
                "speedup_cache": round(runs["cache_serial"]["fps"] / runs["no_cache"]["fps"], 2),
                "speedup_cache_pipeline": round(runs["cache"]["fps"] / runs["no_cache"]["fps"], 2),
                "encoder_runs": [runs["cache"]["encoder_runs"], runs["no_cache"]["encoder_runs"]],
                "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
            }
        )
    )


if __name__ == "__main__":
    main()
