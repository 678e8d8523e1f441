"""Box-to-mask conversion on sirst-v1 (skipped with a reason when ../shared/data is absent)."""

from __future__ import annotations

from label_irst.batch.evaluate_boxes import evaluate_boxes


def test_published_boxes_reach_82_miou(sirst_v1):
    summary = evaluate_boxes(sirst_v1, sirst_v1 / "boxes", voc_exclusive_end=True).summary()
    assert summary["targets"] == 533
    assert summary["miou_target"] >= 82.0 and summary["miou_image"] >= 82.0


def test_loose_boxes_calibrated_beat_the_centre_seed(sirst_v1):
    centre = evaluate_boxes(sirst_v1, box_margin=2, method="centre", split="test").summary()
    fitted = evaluate_boxes(sirst_v1, box_margin=2, split="test", calibrate=10).summary()
    assert fitted["miou_target"] >= centre["miou_target"]
