"""EDGSP on sirst-v1: crop-size coverage and milliseconds per click (docs/benchmarks.md "EDGSP").

    python benchmarks/bench_edgsp.py [--model models/edgsp.json] [--split test] [--repeats 3]

Coverage: for 5 random interior clicks per ground-truth target of the train split (RNG 0), the
share of the target's pixels inside an S x S crop centred on the click, and the share of
clicks whose crop clips the target, for S in 24, 32, 40, 48.
Speed: one random click per target of --split (RNG 3407, as eval-masks draws them), after a
warm-up: the registry's ``edgsp`` one click at a time (crop, TEI/DPE channels, ONNX Runtime
with one thread, BBM, descriptors), the ONNX Runtime call alone, every click of a frame in one
batch (``GeneratorSpec.many``), and ``pamg+`` one click at a time; median and mean ms per
target, best of --repeats passes.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from label_irst.batch.dataset import mask_pairs
from label_irst.batch.evaluate import RNG_SEED, pick_seed
from label_irst.core import edgsp as prompts
from label_irst.core.generators import get_generator
from label_irst.core.geometry import components
from label_irst.io.images import read_image, read_mask


def data_root() -> Path:
    base = Path(
        os.environ.get("LABEL_IRST_DATA", Path(__file__).resolve().parents[2] / "shared/data")
    )
    return base / "sirst-v1"


def coverage(root: Path) -> None:
    rng = np.random.default_rng(0)
    sizes = (24, 32, 40, 48)
    inside = {s: [] for s in sizes}
    for pair in mask_pairs(root, "train"):
        for part in components(read_mask(pair.mask)):
            ys, xs = np.nonzero(part.crop)
            ys, xs = ys + part.offset[0], xs + part.offset[1]
            for _ in range(5):
                i = rng.integers(xs.size)
                for s in sizes:
                    dy, dx = ys - ys[i], xs - xs[i]
                    h = s // 2
                    inside[s].append(np.mean((dy >= -h) & (dy < h) & (dx >= -h) & (dx < h)))
    print("| crop | target pixels inside | clicks whose crop clips the target |")
    print("|---|---|---|")
    for s in sizes:
        v = np.array(inside[s])
        print(f"| {s} | {100 * v.mean():.2f} % | {100 * (v < 1).mean():.1f} % |")


def clicks(root: Path, split: str):
    rng = np.random.default_rng(RNG_SEED)
    out = []
    for pair in mask_pairs(root, split):
        image = read_image(pair.image)
        seeds = [pick_seed(p, "random", rng) for p in components(read_mask(pair.mask))]
        out.append((image, seeds))
    return out


def timed(frames, fn, per_frame: bool) -> list[float]:
    times = []
    for image, seeds in frames:
        if per_frame:
            t0 = time.perf_counter()
            fn(image, seeds)
            times += [1000 * (time.perf_counter() - t0) / len(seeds)] * len(seeds)
        else:
            for s in seeds:
                t0 = time.perf_counter()
                fn(image, s)
                times.append(1000 * (time.perf_counter() - t0))
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--split", default="test")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-coverage", action="store_true")
    args = ap.parse_args()
    root = data_root()
    if not root.is_dir():
        raise SystemExit(f"no sirst-v1 at {root} (set LABEL_IRST_DATA)")
    from label_irst.infer import edgsp as runtime

    if args.model:
        import os

        os.environ[runtime.ENV] = str(args.model)  # the default model of every edgsp call
    if not args.no_coverage:
        coverage(root)
    model = runtime.current_model()
    frames = clicks(root, args.split)
    spec, plus = get_generator("edgsp"), get_generator("pamg+")

    def onnx_only(image, seed):
        x, *_ = prompts.network_input(image, [seed], model.crop, model.sigma)
        return model.probabilities(x)

    rows = {
        "edgsp, one click per call": (lambda im, s: spec.fn(im, s, 20.0), False),
        "  of which ONNX Runtime (with the input channels)": (onnx_only, False),
        "edgsp, every click of a frame in one batch": (
            lambda im, ss: spec.many(im, ss, 20.0),
            True,
        ),
        "pamg+, one click per call": (lambda im, s: plus.fn(im, s, 20.0), False),
    }
    for fn, per_frame in rows.values():  # warm-up (session, numba)
        timed(frames[:3], fn, per_frame)
    n = sum(len(s) for _, s in frames)
    print(f"\n{args.split}: {len(frames)} frames, {n} clicks; provider {model.provider}")
    print("| path | median ms / target | mean ms / target |")
    print("|---|---|---|")
    for name, (fn, per_frame) in rows.items():
        best = min((timed(frames, fn, per_frame) for _ in range(args.repeats)), key=np.mean)
        print(f"| {name} | {np.median(best):.3f} | {np.mean(best):.3f} |")


if __name__ == "__main__":
    main()
