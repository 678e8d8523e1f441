"""Throughput of `label-irst prelabel --ray` with 1 and 2 local workers against the
single-machine run, on one synthetic set (`label-irst synth --out DATA --sequences 4 --frames 20`).

One single-machine run warms up (numba compiles PAMG) before the timed one. The local Ray
cluster is started once (its start-up is timed apart); each run then counts
from the first unit sent: creating the workers (each loads the model), RPR-Net, tracking,
guided masks (--masks) and the driver's writes. Every run must give the single run's files.

    .venv/bin/label-irst synth --out /tmp/x --sequences 4 --frames 20
    .venv/bin/python benchmarks/bench_ray.py /tmp/x --masks
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from label_irst.infer.prelabel import prelabel
from label_irst.infer.ray_runner import RayOptions
from label_irst.infer.session import load_model
from label_irst.infer.tracks import DEFAULT_TRACKING


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--model", default="models/rprnet.json")
    ap.add_argument("--masks", action="store_true")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local cluster")
    args = ap.parse_args()
    import ray

    model = load_model(args.model, "cpu", 1, precision="fp32")  # as named
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("warm-up", "single"):  # the first run compiles the numba functions
            single = Path(tmp) / name
            report = prelabel(args.data, model, single, masks=args.masks, tracking=DEFAULT_TRACKING)
        rows["single machine"] = {"frames": report.frames, "seconds": round(report.seconds, 2)}
        t0 = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        rows["cluster start"] = {"seconds": round(time.perf_counter() - t0, 2)}
        try:
            for workers in (1, 2):
                out = Path(tmp) / f"ray{workers}"
                report = prelabel(args.data, model, out, masks=args.masks,
                                  tracking=DEFAULT_TRACKING, ray=RayOptions(workers=workers))  # fmt: skip
                rows[f"ray, {workers} worker(s)"] = {
                    "frames": report.frames,
                    "seconds": round(report.seconds, 2),
                    "identical": _files(out) == _files(single),
                }
        finally:
            ray.shutdown()
    for row in rows.values():
        if row.get("frames"):
            row["fps"] = round(row["frames"] / row["seconds"], 2)
    print(json.dumps({"machine": f"{platform.machine()}, {args.cpus} CPUs", **rows}, indent=1))


if __name__ == "__main__":
    main()
