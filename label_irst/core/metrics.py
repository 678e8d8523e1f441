"""Mask and detection metrics (Sec. IV-A2, Table III).

IoU = TP / (TP + FP + FN) (Eq. 19); area ratio |M_pred| / |M_gt|; centroid error (Euclidean
distance between mask centroids); radius error |r_pred - r_gt| with r = sqrt(area/pi);
Pd = N_TP / N_total and Fa = N_FP / N_pixels (Eq. 18) with the usual IRSTD matching rule (a
ground-truth target is detected when a predicted component's centroid lies within 3 px of its
centroid); ROC AUC of a score map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from label_irst.core.geometry import CroppedMask, components, equivalent_radius

MATCH_DISTANCE = 3.0


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Pixel IoU of two same-shape boolean masks (1.0 when both are empty)."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    union = np.logical_or(pred, gt).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(pred, gt).sum() / union)


def intersection_union(pred: np.ndarray, gt: np.ndarray) -> tuple[int, int]:
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    return int(np.logical_and(pred, gt).sum()), int(np.logical_or(pred, gt).sum())


def cropped_iou(a: CroppedMask, b: CroppedMask) -> float:
    """IoU of two bbox-cropped masks without building full frames."""
    if a.area == 0 and b.area == 0:
        return 1.0
    ax0, ay0, ax1, ay1 = a.bbox
    bx0, by0, bx1, by1 = b.bbox
    x0, y0, x1, y1 = min(ax0, bx0), min(ay0, by0), max(ax1, bx1), max(ay1, by1)
    canvas_a = np.zeros((y1 - y0, x1 - x0), bool)
    canvas_b = np.zeros_like(canvas_a)
    CroppedMask(a.crop, (a.offset[0] - y0, a.offset[1] - x0)).paint(canvas_a)
    CroppedMask(b.crop, (b.offset[0] - y0, b.offset[1] - x0)).paint(canvas_b)
    return iou(canvas_a, canvas_b)


@dataclass(frozen=True)
class TargetScore:
    """Per-target geometry scores of Table III."""

    iou: float
    area_ratio: float
    centroid_error: float
    radius_error: float


def target_score(pred: CroppedMask, gt: CroppedMask) -> TargetScore:
    gt_area, pred_area = gt.area, pred.area
    px, py = pred.centroid()
    gx, gy = gt.centroid()
    centroid_error = math.hypot(px - gx, py - gy) if pred_area else float("nan")
    return TargetScore(
        iou=cropped_iou(pred, gt),
        area_ratio=pred_area / gt_area if gt_area else float("nan"),
        centroid_error=centroid_error,
        radius_error=abs(equivalent_radius(pred_area) - equivalent_radius(gt_area)),
    )


@dataclass(frozen=True)
class DetectionCounts:
    """Counts for Pd / Fa accumulated over frames."""

    true_positives: int
    targets: int
    false_pixels: int
    pixels: int

    def __add__(self, other: DetectionCounts) -> DetectionCounts:
        return DetectionCounts(
            self.true_positives + other.true_positives,
            self.targets + other.targets,
            self.false_pixels + other.false_pixels,
            self.pixels + other.pixels,
        )

    @property
    def pd(self) -> float:
        return self.true_positives / self.targets if self.targets else float("nan")

    @property
    def fa(self) -> float:
        return self.false_pixels / self.pixels if self.pixels else float("nan")


def match_centres(
    pred: list[tuple[float, float]],
    gt: list[tuple[float, float]],
    distance: float = MATCH_DISTANCE,
) -> tuple[list[bool], list[bool]]:
    """Greedy IRSTD matching: each ground-truth centre takes the nearest unused predicted centre
    within ``distance`` px. Returns (prediction matched flags, ground truth matched flags)."""
    used = [False] * len(pred)
    hit = [False] * len(gt)
    for g, (gx, gy) in enumerate(gt):
        best, best_d = -1, distance
        for i, (px, py) in enumerate(pred):
            d = math.hypot(px - gx, py - gy)
            if not used[i] and d <= best_d:
                best, best_d = i, d
        if best >= 0:
            used[best] = True
            hit[g] = True
    return used, hit


def detection_counts(
    pred: np.ndarray, gt: np.ndarray, distance: float = MATCH_DISTANCE
) -> DetectionCounts:
    """Pd / Fa counts for one frame.

    Ground-truth and predicted components are matched by their centroids (:func:`match_centres`);
    the pixels of predicted components left unmatched are the false-alarm pixels.
    """
    pred_parts = components(pred)
    used, hit = match_centres(
        [p.centroid() for p in pred_parts], [g.centroid() for g in components(gt)], distance
    )
    false_pixels = sum(p.area for p, u in zip(pred_parts, used) if not u)
    return DetectionCounts(sum(hit), len(hit), false_pixels, int(np.asarray(gt).size))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of a pixel score map (Mann-Whitney rank statistic, ties halved)."""
    scores = np.asarray(scores, np.float64).ravel()
    labels = np.asarray(labels, bool).ravel()
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, np.float64)
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    rank_sum = ranks[labels].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
