"""The headless demo: synthetic frames -> points at the true centres -> masks -> summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from label_irst.batch.convert import points_to_masks
from label_irst.batch.progress import Job
from label_irst.core.metrics import iou
from label_irst.core.synthetic import synthetic_sequence
from label_irst.io.atomic import write_text_atomic
from label_irst.io.images import read_mask, write_image, write_mask


def write_demo_sequence(root: Path, frames: int = 8, seed: int = 0) -> Path:
    """Write frames, truth masks and a points.csv of the true centres under ``root``."""
    images, truths, masks = synthetic_sequence(frames=frames, count=3, seed=seed)
    lines = ["image,x,y"]
    for i, (frame, frame_truths, frame_masks) in enumerate(zip(images, truths, masks)):
        stem = f"frame_{i:04d}"
        write_image(root / "images" / f"{stem}.png", frame)
        write_mask(root / "masks" / f"{stem}.png", np.any(frame_masks, axis=0))
        lines += [f"{stem},{t.x:.3f},{t.y:.3f}" for t in frame_truths]
    write_text_atomic(root / "points.csv", "\n".join(lines) + "\n")
    return root


def run_demo(root: Path, generator: str | None = None, job: Job | None = None) -> dict:
    """Convert the demo's points to masks and score them against the synthetic truth."""
    write_demo_sequence(root)
    report = points_to_masks(
        root / "images", root / "points.csv", root / "pred", generator, job=job
    )
    stems = sorted(p.stem for p in (root / "masks").glob("*.png"))
    scores = [
        iou(read_mask(root / "pred" / f"{s}.png"), read_mask(root / "masks" / f"{s}.png"))
        for s in stems
    ]
    return {
        "folder": str(root),
        "frames": len(stems),
        "targets": report.targets,
        "miou_image": 100.0 * float(np.mean(scores)),
    }
