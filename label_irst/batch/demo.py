"""The demo sequence and the headless demo: synthetic frames -> points at the true centres ->
masks -> summary.

One sequence serves both demos (``label-irst demo`` and ``label-irst gui --demo``):
:data:`DEMO` frames of 16-bit procedural clutter with targets moving at constant velocity
(:func:`label_irst.core.synthetic.synthetic_sequence`), written under a root as
``images/frame_NNNN.png``, ``masks/`` (the exact half-maximum discs) and ``points.csv`` (the true
centres).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.batch.convert import points_to_masks
from label_irst.core.metrics import iou
from label_irst.core.synthetic import SpotTruth, synthetic_sequence
from label_irst.io.atomic import write_text_atomic
from label_irst.io.images import read_mask, write_image, write_mask
from label_irst.job import Job


@dataclass(frozen=True)
class DemoSettings:
    frames: int = 24
    shape: tuple[int, int] = (256, 320)
    targets: int = 3
    speed: float = 1.5  # px/frame
    seed: int = 7

    def describe(self) -> str:
        h, w = self.shape
        return (
            f"{self.frames} synthetic 16-bit frames ({w}x{h}, procedural clutter, "
            f"{self.targets} targets moving {self.speed:g} px/frame, seed {self.seed})"
        )


DEMO = DemoSettings()


def demo_sequence(
    settings: DemoSettings = DEMO,
) -> tuple[list[np.ndarray], list[list[SpotTruth]], list[list[np.ndarray]]]:
    """(frames, per-frame truths, per-frame per-target masks) of the demo sequence."""
    return synthetic_sequence(
        frames=settings.frames,
        shape=settings.shape,
        count=settings.targets,
        seed=settings.seed,
        dtype=np.uint16,
        speed=settings.speed,
    )


def write_demo_sequence(root: Path, settings: DemoSettings = DEMO) -> Path:
    """Write frames, truth masks and a points.csv of the true centres under ``root``."""
    images, truths, masks = demo_sequence(settings)
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
