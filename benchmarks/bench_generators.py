"""Table I protocol (Sec. IV-B1) for every registered point-to-mask generator.

Prior mode: the point nearest each ground-truth component's centroid, and the component's bbox
size handed to generators that take a size prior. Blind mode: one uniformly random interior
point per component (NumPy generator seeded 3407), no prior. Per-image mIoU, per-target mIoU,
area ratio, centroid and radius error, median ms per target (one call to warm up first).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_generators.py \
        [--data ../shared/data] [--generators pamg,pmg,...] [--sets train,test,synthetic]

Prints a Markdown table. The synthetic set (40 frames of 256 x 320 with 3 PSF-blurred targets
each, radius 1-3.5 px, SCR 6-15, a quarter of them dark) is written to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from label_irst.batch.evaluate import evaluate_masks  # noqa: E402
from label_irst.core.generators import available  # noqa: E402
from label_irst.core.synthetic import synthetic_frame  # noqa: E402
from label_irst.io.images import write_image, write_mask  # noqa: E402

MODES = (("prior", "centroid"), ("blind", "random"))


def synthetic_set(folder: Path, frames: int = 40) -> Path:
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    for i in range(frames):
        frame, union, _, _ = synthetic_frame((256, 320), count=3, seed=1000 + i, dark_fraction=0.25)
        write_image(folder / "images" / f"syn_{i}.png", frame)
        write_mask(folder / "masks" / f"syn_{i}.png", union)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("LABEL_IRST_DATA", str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--data", default=default_data)
    parser.add_argument("--generators", default=",".join(s.name for s in available()))
    parser.add_argument("--sets", default="train,test,synthetic")
    args = parser.parse_args()
    names = [n for n in args.generators.split(",") if n]
    sirst = Path(args.data) / "sirst-v1"
    print(
        "| set | generator | mode | mIoU (image) | mIoU (target) | area ratio "
        "| centroid err (px) | radius err (px) | ms / target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for set_name in args.sets.split(","):
            if set_name == "synthetic":
                root, split = synthetic_set(Path(tmp) / "synthetic"), None
            else:
                root, split = sirst, set_name
                if not root.is_dir():
                    print(f"skipped {set_name}: no {root}", file=sys.stderr)
                    continue
            for name in names:
                for mode, seeds in MODES:
                    s = evaluate_masks(root, name, seeds, split=split, mode=mode).summary()
                    print(
                        f"| {set_name} | {name} | {mode} | {s['miou_image']:.2f} "
                        f"| {s['miou_target']:.2f} | {s['area_ratio']:.2f} "
                        f"| {s['centroid_error']:.2f} | {s['radius_error']:.2f} "
                        f"| {s['ms_per_target']:.2f} |",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
