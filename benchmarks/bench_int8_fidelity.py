"""How closely an int8 copy of RPR-Net follows its float model, on frames of several kinds.

For ``--triplets`` triplets spread over each ``ROOT[:SPLIT]`` (default split: test), both models
run on the same normalised frames; per data set it reports the mean |heatmap difference| where
either map exceeds 0.2, the worst pixel (mean over triplets), the pixels above 0.4 in each
model's maps, and the mean |radius| and |offset| differences where the float heatmap exceeds 0.2.

    .venv/bin/python benchmarks/bench_int8_fidelity.py --model models/rprnet-real-int8.json \\
        --reference models/rprnet-real.json DDD:val STILLS:test SYNTH7:test
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from label_irst.infer.preprocess import normalise, pad
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import load_model


def triplets(root: str, split: str, count: int) -> list[np.ndarray]:
    """Middle triplets of up to ``count`` sequences spread over the split."""
    seqs = read_sequences(root, split)
    out = []
    for seq in seqs[:: max(1, len(seqs) // count)][:count]:
        n = len(seq)
        idx = [min(max(n // 2 + d, 0), n - 1) for d in (-1, 0, 1)]
        out.append(np.stack([pad(normalise(seq.read(i))) for i in idx]).astype(np.float32))
    return out


def outputs(model, tri: np.ndarray):
    f = [model.encoder.run(None, {"frame": tri[k][None, None]})[0] for k in range(3)]
    heat, offset, radius = model.head.run(None, {"prev": f[0], "curr": f[1], "next": f[2]})
    return heat[0, 0], offset[0], radius[0, 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+", metavar="ROOT[:SPLIT]")
    ap.add_argument("--model", default="models/rprnet-real-int8.json")
    ap.add_argument("--reference", default="models/rprnet-real.json")
    ap.add_argument("--triplets", type=int, default=12)
    args = ap.parse_args()
    ref = load_model(args.reference, "cpu", 1, precision="fp32")
    test = load_model(args.model, "cpu", 1, precision="fp32")
    report = {"model": args.model, "reference": args.reference}
    for spec in args.data:
        root, _, split = spec.partition(":")
        rows = []
        for tri in triplets(root, split or "test", args.triplets):
            h0, o0, r0 = outputs(ref, tri)
            h1, o1, r1 = outputs(test, tri)
            near = (h0 > 0.2) | (h1 > 0.2)
            hot = h0 > 0.2
            diff = np.abs(h1 - h0)
            rows.append(
                (
                    diff[near].mean() if near.any() else 0.0,
                    diff.max(),
                    (h1 > 0.4).sum(),
                    (h0 > 0.4).sum(),
                    np.abs(r1 - r0)[hot].mean() if hot.any() else 0.0,
                    np.abs(o1 - o0)[:, hot].mean() if hot.any() else 0.0,
                )
            )
        a = np.array(rows, float)
        report[spec] = {
            "triplets": len(rows),
            "mean_abs_diff_above_0.2": round(float(a[:, 0].mean()), 3),
            "worst_pixel": round(float(a[:, 1].mean()), 3),
            "pixels_above_0.4": {"model": int(a[:, 2].sum()), "reference": int(a[:, 3].sum())},
            "radius_abs_diff_px": round(float(a[:, 4].mean()), 3),
            "offset_abs_diff_px": round(float(a[:, 5].mean()), 3),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
