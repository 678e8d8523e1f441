"""Real-data checks on sirst-v1 (skipped with a reason when ../shared/data is absent)."""

from __future__ import annotations

import numpy as np

from label_irst.batch.convert import boxes_to_masks
from label_irst.batch.evaluate import evaluate_masks
from label_irst.io.images import read_image


def test_every_sirst_image_reads_as_8_bit_grey(sirst_v1):
    paths = sorted((sirst_v1 / "images").glob("*.png"))
    assert len(paths) == 427
    for path in paths[::20]:
        image = read_image(path)
        assert image.ndim == 2 and image.dtype == np.uint8


def test_pamg_plus_reaches_75_miou_from_random_seeds(sirst_v1):
    summary = evaluate_masks(sirst_v1, "pamg+", "random", 20.0).summary()
    assert summary["targets"] == 533
    assert summary["miou_target"] >= 75.0


def test_faithful_pamg_is_below_pamg_plus_on_train(sirst_v1):
    faithful = evaluate_masks(sirst_v1, "pamg", "random", 20.0, split="train").summary()
    plus = evaluate_masks(sirst_v1, "pamg+", "random", 20.0, split="train").summary()
    assert 55.0 < faithful["miou_target"] < plus["miou_target"]


def test_box2mask_on_sirst_boxes(sirst_v1, tmp_path):
    report = boxes_to_masks(
        sirst_v1 / "images", sirst_v1 / "boxes", tmp_path, voc_exclusive_end=True
    )
    assert report.images_written == 427 and report.targets == 533 and report.skipped == 0


def test_calibrated_convention_on_sirst(sirst_v1):
    """--calibrate 10 keeps sirst-v1's own convention and learns a one-pixel-wider one."""
    for seed in (0, 1):
        own = evaluate_masks(sirst_v1, "pamg+", calibrate=10, calibration_seed=seed).summary()
        assert own["calibrated_on"] == 10 and own["targets"] == 523
        assert own["miou_target"] >= 75.0
    default = evaluate_masks(sirst_v1, "pamg+", gt_margin=1).summary()
    wider = evaluate_masks(sirst_v1, "pamg+", gt_margin=1, calibrate=10).summary()
    assert wider["convention"]["margin"] == 1
    assert wider["miou_target"] >= default["miou_target"] + 10.0
