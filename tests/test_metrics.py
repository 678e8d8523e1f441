"""Metrics of Sec. IV-A2 and Table III on hand-made masks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.core.metrics import cropped_iou, detection_counts, iou, roc_auc, target_score


def square(shape, x0, y0, size):
    m = np.zeros(shape, bool)
    m[y0 : y0 + size, x0 : x0 + size] = True
    return m


def test_iou_and_cropped_iou_agree():
    a, b = square((20, 20), 2, 2, 4), square((20, 20), 4, 2, 4)
    assert iou(a, b) == pytest.approx(8 / 24)
    assert cropped_iou(CroppedMask.from_full(a), CroppedMask.from_full(b)) == pytest.approx(8 / 24)
    assert iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0


def test_target_score_table_iii():
    gt = CroppedMask.from_full(square((30, 30), 10, 10, 4))
    pred = CroppedMask.from_full(square((30, 30), 11, 10, 2))
    s = target_score(pred, gt)
    assert s.area_ratio == pytest.approx(4 / 16)
    assert s.centroid_error == pytest.approx(math.hypot(11.5 - 11.5, 10.5 - 11.5))
    assert s.radius_error == pytest.approx(math.sqrt(16 / math.pi) - math.sqrt(4 / math.pi))


def test_pd_fa_with_3_pixel_rule():
    gt = square((50, 50), 10, 10, 3) | square((50, 50), 30, 30, 3)
    pred = square((50, 50), 12, 11, 3) | square((50, 50), 40, 5, 2)  # one hit (2.2 px), one false
    counts = detection_counts(pred, gt)
    assert (counts.true_positives, counts.targets) == (1, 2)
    assert counts.false_pixels == 4
    assert counts.pd == 0.5 and counts.fa == pytest.approx(4 / 2500)
    far = square((50, 50), 15, 10, 3)  # 5 px away: a miss and a false alarm
    assert detection_counts(far, square((50, 50), 10, 10, 3)).true_positives == 0
    total = counts + counts
    assert total.targets == 4 and total.pd == 0.5


def test_roc_auc():
    labels = np.array([0, 0, 1, 1], bool)
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), labels) == pytest.approx(0.75)
