"""Click snapping (label_irst.core.snap): PAMG masks from clicks near a target, before and after.

For every ground-truth 8-connected component of sirst-v1 one click is drawn per kind, with
NumPy's generator seeded 3407 (the same clicks for every snap radius):

* peak: the component's brightest pixel;
* random: a uniformly random interior pixel;
* boundary: a random boundary pixel (a 4-neighbour outside), as ``eval-masks --seeds boundary``;
* outside: a random pixel 1 or 2 px outside the mask (Chebyshev distance), a near miss.

Each click is snapped with radius 0 (no snapping: the click as made), 2, 3, 4 px: always
(keep 0), or only when the click does not already stand out by ``keep`` x the disc's best, or by
``k`` robust sigmas of the window (the app's rule: r = 3, 5 sigma), and grown with
``pamg+`` at Rs = 20. Reported: per-target mIoU (%) and the share of masks with IoU < 0.3, per
split (train.txt to choose the radius, test.txt and the whole set to report).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_click_snap.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from label_irst.batch.dataset import mask_pairs  # noqa: E402
from label_irst.core.generators import get_generator  # noqa: E402
from label_irst.core.geometry import boundary_pixels, components  # noqa: E402
from label_irst.core.metrics import target_score  # noqa: E402
from label_irst.core.snap import snap_to_extremum  # noqa: E402
from label_irst.io.images import read_image, read_mask  # noqa: E402

KINDS = ("peak", "random", "boundary", "outside")
#: (radius, keep[, keep_sigmas]) variants: keep = 0 always snaps; keep = 0.5 keeps a click that
#: already stands out by half the disc's best departure; keep_sigmas = 5 one that stands out by
#: five robust sigmas of the window (the default of label_irst.core.snap)
RADII = ((0, 0.0), (2, 0.0), (3, 0.0), (4, 0.0), (3, 0.5), (3, 0.0, 3.0), (3, 0.0, 5.0),
         (3, 0.0, 8.0), (4, 0.0, 5.0))  # fmt: skip


def clicks(image: np.ndarray, part, rng: np.random.Generator, shape) -> dict[str, tuple]:
    ys, xs = np.nonzero(part.crop)
    ys, xs = ys + part.offset[0], xs + part.offset[1]
    values = image[ys, xs].astype(np.float64)
    out = {"peak": (int(xs[np.argmax(values)]), int(ys[np.argmax(values)]))}
    i = int(rng.integers(xs.size))
    out["random"] = (int(xs[i]), int(ys[i]))
    by, bx = boundary_pixels(part)
    i = int(rng.integers(bx.size))
    out["boundary"] = (int(bx[i]), int(by[i]))
    full = part.to_full(shape)
    near = np.zeros(shape, bool)
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            near |= np.roll(np.roll(full, dy, 0), dx, 1)
    ring = near & ~full
    ring[:2, :] = ring[-2:, :] = False
    ring[:, :2] = ring[:, -2:] = False
    ry, rx = np.nonzero(ring)
    i = int(rng.integers(rx.size))
    out["outside"] = (int(rx[i]), int(ry[i]))
    return out


def run(root: Path, split: str | None, generator, rs: float) -> dict:
    rng = np.random.default_rng(3407)
    ious = {(k, r): [] for k in KINDS for r in RADII}
    for pair in mask_pairs(root, split):
        image, gt = read_image(pair.image), read_mask(pair.mask)
        for part in components(gt):
            for kind, (x, y) in clicks(image, part, rng, gt.shape).items():
                for r in RADII:
                    sigmas = r[2] if len(r) > 2 else None
                    seed = snap_to_extremum(image, x, y, r[0], r[1], sigmas)
                    result = generator.fn(image, seed, rs)
                    ious[kind, r].append(target_score(result.mask, part).iou)
    return ious


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("LABEL_IRST_DATA", "../shared/data"))
    parser.add_argument("--generator", default="pamg+")
    parser.add_argument("--rs", type=float, default=20.0)
    args = parser.parse_args()
    root = Path(args.data) / "sirst-v1"
    generator = get_generator(args.generator)
    for split in ("train", "test", None):
        ious = run(root, split, generator, args.rs)
        n = len(ious[KINDS[0], RADII[0]])
        print(f"\n#### {split or 'all'} ({n} targets): mIoU % / share of IoU < 0.3 (%)\n")
        heads = [
            "no snap" if not v[0] else f"r {v[0]}, keep {v[1]}" if len(v) == 2 else
            f"r {v[0]}, keep {v[2]:g} σ" for v in RADII
        ]  # fmt: skip
        print("| click | " + " | ".join(heads) + " |")
        print("|---|" + "---|" * len(RADII))
        for kind in (*KINDS, "mean"):
            cells = []
            for r in RADII:
                values = (
                    np.concatenate([ious[k, r] for k in KINDS])
                    if kind == "mean"
                    else np.asarray(ious[kind, r])
                )
                cells.append(f"{100 * values.mean():.1f} / {100 * (values < 0.3).mean():.1f}")
            print(f"| {kind} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
