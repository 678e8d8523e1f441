"""The adopted model's operating point: its scores shifted back to the current false rate."""

from __future__ import annotations

import math

import pytest
import torch

from label_irst.train.model import RPRNet
from label_irst.train.operating_point import (
    MAX_SHIFT,
    MIN_FRAMES,
    HeldBackScores,
    allowed_false,
    logit,
    poisson_upper,
    score_shift,
    shift_heatmap,
    unshifted_note,
)

FLOOR = 0.05


def scores(frames, false, hits=(0.9,)):
    return HeldBackScores(
        frames, len(hits), [(s, False) for s in false] + [(s, True) for s in hits]
    )


def test_false_per_frame_and_threshold_for_a_rate():
    s = scores(20, [0.9, 0.7, 0.6, 0.3, 0.1])
    assert s.false_per_frame(0.5) == pytest.approx(3 / 20)
    # one false detection in 20 frames is allowed at 0.05 per frame: above the second one
    assert s.threshold_for(0.05, FLOOR) == pytest.approx(0.7)
    assert s.false_per_frame(s.threshold_for(0.05, FLOOR)) <= 0.05
    assert s.threshold_for(10.0, FLOOR) == FLOOR  # every false detection allowed


def test_a_cautious_new_model_is_shifted_up_to_the_current_false_rate():
    current = scores(MIN_FRAMES, [0.9, 0.8, 0.7, 0.6])  # 4 false above 0.5: 0.2 per frame
    new = scores(MIN_FRAMES, [0.55, 0.4, 0.3, 0.2, 0.1])  # 1 above 0.5: 0.05 per frame
    b = score_shift(current, new, 0.5, cap=1.0, floor=FLOOR)
    assert b > 0
    shifted = HeldBackScores(new.frames, new.targets, [
        (1 / (1 + math.exp(-(logit(sc) + b))), hit) for sc, hit in new.scored
    ])  # fmt: skip
    assert shifted.false_per_frame(0.5) == pytest.approx(0.2)


def test_the_cap_bounds_the_upper_confidence_limit_not_the_held_back_rate():
    # 100 frames; the current model makes 0.3 false detections per frame, the new one 0.02
    current = scores(100, [0.9] * 30)
    new = scores(100, [0.6, 0.55] + [0.45 - 0.01 * i for i in range(30)])
    assert allowed_false(100, 0.15) == 9  # Garwood 90 %: 9 seen -> 14.2 <= 15 < 15.4 (10 seen)
    assert poisson_upper(9) <= 15 < poisson_upper(10)
    b = score_shift(current, new, 0.5, cap=0.15, floor=FLOOR)
    assert b > 0
    assert new.shifted(b).false_per_frame(0.5) == pytest.approx(0.09)  # within 0.15, with room
    # a cap that not even zero false detections would meet with confidence: no shift
    assert allowed_false(10, 0.1) == -1
    assert (
        score_shift(scores(MIN_FRAMES, [0.9] * 9), scores(MIN_FRAMES, [0.4]), 0.5, 0.1, FLOOR) == 0
    )


def test_no_shift_when_the_new_model_is_not_more_cautious_or_too_few_frames_were_held_back():
    current = scores(MIN_FRAMES, [0.9])
    assert score_shift(current, scores(MIN_FRAMES, [0.9, 0.8]), 0.5, 1.0, FLOOR) == 0.0
    few = MIN_FRAMES - 1
    assert score_shift(scores(few, [0.9, 0.8]), scores(few, [0.1]), 0.5, 1.0, FLOOR) == 0.0
    # never more than MAX_SHIFT logits, however far the new model's scores fell
    far = score_shift(
        scores(MIN_FRAMES, [0.9] * 40), scores(MIN_FRAMES, [0.06] * 40), 0.5, 5, FLOOR
    )
    assert far == pytest.approx(MAX_SHIFT)


def test_shift_heatmap_adds_to_the_logits_only():
    torch.manual_seed(0)
    model = RPRNet().eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        heat, off, rad = model(x)
        shift_heatmap(model, 0.75)
        heat2, off2, rad2 = model(x)
    assert torch.allclose(heat2, heat + 0.75, atol=1e-5)
    assert torch.equal(off, off2) and torch.equal(rad, rad2)


def test_the_note_says_why_a_more_cautious_model_was_not_shifted():
    current = scores(40, [0.9] * 14)  # 0.35 per frame
    new = scores(40, [0.8] * 8 + [0.3] * 10)  # 0.2 per frame: 8 > the 7 that 0.3 allows
    assert score_shift(current, new, 0.5, 0.3, FLOOR) == 0.0
    note = unshifted_note(current, new, 0.5, 0.3)
    assert note is not None and "current 0.35, new 0.20" in note and "at most 7 on 40" in note
    # shifted, or not more cautious: no note
    assert unshifted_note(current, scores(40, [0.8] * 2 + [0.3] * 10), 0.5, 0.3) is None
    assert unshifted_note(new, current, 0.5, 0.3) is None
    assert unshifted_note(current, new, 0.5, 0.0) is None
