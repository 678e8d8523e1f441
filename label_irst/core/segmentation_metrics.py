"""Whole-frame segmentation scores of single-frame detectors (the LESPS paper's Table 2).

* IoU: total intersection over total union of the predicted and true target pixels, summed
  over the test set (pixel level).
* nIoU: the mean over frames of each frame's IoU (a frame without target or prediction counts 1).
* Pd: detected targets over all targets; a target is detected when a predicted 8-connected
  component's centroid lies within 3 px of its centroid, each component detecting at most one
  target (:func:`label_irst.core.metrics.detection_counts`).
* Fa: the pixels of predicted components that detect no target, over all pixels.

Reported as the paper does: IoU, nIoU and Pd x 100, Fa x 10^6.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from label_irst.core.metrics import DetectionCounts, detection_counts, intersection_union


@dataclass
class SegmentationScores:
    intersection: int = 0
    union: int = 0
    frame_ious: list = field(default_factory=list)
    counts: DetectionCounts = field(default_factory=lambda: DetectionCounts(0, 0, 0, 0))

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        """Score one frame's boolean prediction against its true mask."""
        inter, union = intersection_union(pred, gt)
        self.intersection += inter
        self.union += union
        self.frame_ious.append(inter / union if union else 1.0)
        self.counts = self.counts + detection_counts(pred, gt)

    @property
    def iou(self) -> float:
        return self.intersection / self.union if self.union else float("nan")

    @property
    def niou(self) -> float:
        return float(np.mean(self.frame_ious)) if self.frame_ious else float("nan")

    def as_dict(self) -> dict:
        c = self.counts
        return {
            "frames": len(self.frame_ious),
            "targets": c.targets,
            "iou": round(100.0 * self.iou, 2),
            "niou": round(100.0 * self.niou, 2),
            "pd": round(100.0 * c.pd, 2),
            "fa_e6": round(1e6 * c.fa, 2),
            "detected": c.true_positives,
            "false_pixels": c.false_pixels,
        }
