"""The demo sequence and the headless demo: a real thermal clip -> points at the labelled
centres -> masks -> summary.

One sequence serves both demos (``label-irst demo`` and ``label-irst gui --demo``): the first
:data:`DEMO` frames of ``resources/demo/IR_DRONE_021.mp4``, a distant drone over a tree line
(8-bit thermal infrared, 320x256, CC0; ``resources/demo/NOTICE.md``), from the videos held out
of the detector's training. They are written under a root as ``images/frame_NNNN.png`` with
``points.csv``: each frame's labelled target centre (the centre of the published box, which is
loose: the drone itself is a few pixels inside it).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.batch.convert import points_to_masks
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import write_text_atomic
from label_irst.io.images import read_mask, write_image
from label_irst.job import Job

#: The shipped demo clip and its labels (``frame,cx,cy,x,y,w,h``).
CLIP = Path(__file__).resolve().parents[2] / "resources" / "demo" / "IR_DRONE_021.mp4"


@dataclass(frozen=True)
class Point:
    """A labelled target centre (0-based pixel-centre coordinates)."""

    x: float
    y: float


@dataclass(frozen=True)
class DemoSettings:
    frames: int = 90
    clip: Path = CLIP

    def describe(self) -> str:
        return (
            f"the first {self.frames} frames of a real thermal clip ({self.clip.stem}: a distant "
            "drone over a tree line, 320x256, 8-bit, CC0)"
        )


DEMO = DemoSettings()


def demo_sequence(settings: DemoSettings = DEMO) -> tuple[list[np.ndarray], list[list[Point]]]:
    """(grey frames, per-frame labelled centres) of the demo clip's first frames."""
    from label_irst.batch.real_data import decode_window, read_centres

    if not settings.clip.is_file():
        raise LabelIrstError(f"{settings.clip}: the demo clip is missing")
    frames = decode_window(settings.clip, 0, settings.frames)
    if len(frames) < settings.frames:
        raise LabelIrstError(f"{settings.clip}: only {len(frames)} frames could be decoded")
    centres = read_centres(settings.clip.with_suffix(".csv"))
    truths = [[Point(*centres[t])] if t in centres else [] for t in range(len(frames))]
    return frames, truths


def write_demo_sequence(root: Path, settings: DemoSettings = DEMO) -> Path:
    """Write the frames and a points.csv of the labelled centres under ``root``."""
    images, truths = demo_sequence(settings)
    lines = ["image,x,y"]
    for i, (frame, points) in enumerate(zip(images, truths)):
        stem = f"frame_{i:04d}"
        write_image(root / "images" / f"{stem}.png", frame)
        lines += [f"{stem},{p.x:.2f},{p.y:.2f}" for p in points]
    write_text_atomic(root / "points.csv", "\n".join(lines) + "\n")
    return root


def run_demo(root: Path, generator: str | None = None, job: Job | None = None) -> dict:
    """Convert the demo's labelled points to masks; the clip has no mask truth, so the summary
    gives the masks' sizes and how many stay inside the target's loose box neighbourhood (their
    centroid within 3 px of the labelled centre)."""
    write_demo_sequence(root)
    report = points_to_masks(
        root / "images", root / "points.csv", root / "pred", generator, job=job
    )
    _, truths = demo_sequence()
    with open(root / "points.csv", newline="") as fh:
        points = {row["image"]: (float(row["x"]), float(row["y"])) for row in csv.DictReader(fh)}
    areas, near = [], 0
    for stem, (x, y) in points.items():
        mask = read_mask(root / "pred" / f"{stem}.png")
        ys, xs = np.nonzero(mask)
        if ys.size:
            areas.append(int(ys.size))
            near += int(np.hypot(xs.mean() - x, ys.mean() - y) <= 3.0)
    return {
        "folder": str(root),
        "frames": len(truths),
        "targets": report.targets,
        "median_area": float(np.median(areas)) if areas else 0.0,
        "centred": near,
    }
