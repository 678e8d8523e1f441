"""Annotation convention (core.convention): fit on generated spots, JSON round trip, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.core.convention import Convention, Example, apply_margin, fit, sweep
from label_irst.core.geometry import CroppedMask
from label_irst.core.pamg_plus import pamg_plus
from label_irst.core.synthetic import SpotTruth, spot
from label_irst.errors import LabelIrstError


def spot_examples(count, margin, seed=0, halfmax=False):
    """``count`` frames with one Gaussian spot each; the annotator's mask is pamg+'s mask (or the
    half-maximum region) with its edge moved ``margin`` pixels."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x, y = rng.uniform(25, 35, 2)
        radius = rng.uniform(1.5, 4.0)
        s = spot((61, 61), SpotTruth(x, y, radius, 0.0, False))
        image = np.clip(100 + 80 * s + rng.normal(0, 2.0, s.shape), 0, 255).astype(np.uint8)
        click = (round(x + rng.uniform(-1, 1)), round(y + rng.uniform(-1, 1)))
        base = CroppedMask.from_full(s >= 0.5) if halfmax else pamg_plus(image, click).mask
        out.append(Example(image, click, apply_margin(base, margin, image.shape)))
    return out


@pytest.mark.parametrize("margin", [-1, 1, 2])
def test_fit_recovers_a_known_margin(margin):
    conv = fit(spot_examples(8, margin), "pamg+")
    assert conv.params["margin"] == margin
    assert conv.score > conv.default_score
    assert conv.n_examples == 8


def test_wider_annotations_give_a_wider_margin():
    tight = fit(spot_examples(10, 0, seed=1, halfmax=True))
    wide = fit(spot_examples(10, 2, seed=1, halfmax=True))
    assert wide.params["margin"] > tight.params["margin"]
    probe = spot_examples(1, 0, seed=5)[0]
    assert (
        wide.generate(probe.image, probe.seed).area > tight.generate(probe.image, probe.seed).area
    )


def test_fit_is_deterministic():
    examples = spot_examples(10, 1, seed=2)
    a, b = fit(examples, now=1.0), fit(examples, now=1.0)
    assert a.to_json() == b.to_json()
    assert sweep(examples) == sweep(examples)


def test_default_is_kept_when_nothing_beats_it():
    examples = spot_examples(6, 0, seed=3)  # the annotator agrees with pamg+ as shipped
    conv = fit(examples)
    assert conv.is_default and conv.score == conv.default_score
    # masks far from any seed: no setting helps, the default stays
    rng = np.random.default_rng(4)
    junk = [
        Example(e.image, e.seed, CroppedMask(np.ones((2, 2), bool), (0, int(rng.integers(0, 50)))))
        for e in examples
    ]
    assert fit(junk).is_default


def test_fit_is_never_worse_than_the_default_on_its_examples():
    for seed in range(4):
        examples = spot_examples(5, seed % 3 - 1, seed=10 + seed, halfmax=True)
        conv = fit(examples)
        assert conv.score >= conv.default_score


def test_margin_moves_the_edge_and_erosion_never_empties():
    mask = CroppedMask(np.ones((3, 3), bool), (5, 5))
    assert apply_margin(mask, 1, (20, 20)).area == 9 + 4 * 3
    assert apply_margin(mask, -1, (20, 20)).area == 1
    single = CroppedMask(np.ones((1, 1), bool), (0, 0))
    assert apply_margin(single, -1, (4, 4)).area == 1
    assert apply_margin(single, 1, (4, 4)).area == 3  # clipped at the frame's corner


def test_json_round_trip_and_frozen_flag():
    conv = fit(spot_examples(6, 1, seed=6), now=123.0)
    conv.frozen = True
    again = Convention.from_json(conv.to_json(), "pamg+")
    assert again == conv
    assert again.describe() == "convention: fitted on 6 targets (frozen)"
    assert Convention("pamg").describe() == "convention: pamg default"


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "invalid JSON"),
        ('{"format": "something-else"}', "not a Label-IRST convention"),
        ('{"format": "label-irst-convention", "version": 1, "generator": "pamg",'
         ' "params": {"margin": 1}}', "fitted for generator 'pamg', not 'pamg\\+'"),
        ('{"format": "label-irst-convention", "version": 1, "generator": "pamg+",'
         ' "params": {"margin": "wide"}}', "malformed"),
        ('{"format": "label-irst-convention", "version": 1, "generator": "pamg+",'
         ' "params": {"eps": -1}}', "malformed"),
        ('{"format": "label-irst-convention", "version": 1, "generator": "pamg+",'
         ' "params": {"colour": 1}}', "unknown parameter"),
    ],
)  # fmt: skip
def test_bad_convention_text_is_one_line_error(text, message):
    with pytest.raises(LabelIrstError, match=message) as info:
        Convention.from_json(text, "pamg+", where="conv.json")
    assert "\n" not in str(info.value)


def write_dataset(root, frames=4, margin=2):
    """Generated frames whose 'annotators' drew every target ``margin`` pixels wider."""
    import cv2

    from label_irst.core.synthetic import synthetic_frame
    from label_irst.io.images import write_image, write_mask

    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for s in range(frames):
        frame, union, _, _ = synthetic_frame((96, 128), count=3, seed=20 + s)
        wide = cv2.dilate(union.astype(np.uint8), cross, iterations=margin) > 0
        write_image(root / "images" / f"f{s}.png", frame)
        write_mask(root / "masks" / f"f{s}.png", wide)


def test_eval_masks_calibration_scores_only_the_other_targets(tmp_path):
    from label_irst.batch.evaluate import evaluate_masks

    write_dataset(tmp_path)
    plain = evaluate_masks(tmp_path, "pamg+").summary()
    assert "calibrated_on" not in plain
    calibrated = evaluate_masks(tmp_path, "pamg+", calibrate=5, calibration_seed=1).summary()
    assert calibrated["calibrated_on"] == 5
    assert calibrated["targets"] == plain["targets"] - 5
    assert calibrated["convention"]["margin"] >= 1
    assert calibrated["miou_target"] > plain["miou_target"] + 10
    # the ground truth re-drawn tighter undoes the annotators' extra width
    tighter = evaluate_masks(tmp_path, "pamg+", gt_margin=-2).summary()
    assert tighter["gt_margin"] == -2 and tighter["miou_target"] > plain["miou_target"]
    with pytest.raises(LabelIrstError, match="leaves no target"):
        evaluate_masks(tmp_path, "pamg+", calibrate=plain["targets"])


def test_eval_masks_cli_calibrate_json(tmp_path, capsys):
    import json

    from label_irst.cli import main

    write_dataset(tmp_path / "d", frames=3, margin=1)
    code = main(["eval-masks", "--dataset", str(tmp_path / "d"), "--calibrate", "4",
                 "--calibration-seed", "3", "--gt-margin", "0", "--json", "--quiet"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["calibrated_on"] == 4 and set(out["convention"]) == {"eps", "margin"}


def test_margin_ious_match_apply_margin_then_iou():
    from label_irst.core.convention import MARGINS, margin_ious
    from label_irst.core.metrics import cropped_iou

    rng = np.random.default_rng(9)
    shape = (20, 24)
    for _ in range(40):
        full = np.zeros(shape, bool)
        r, c = rng.integers(0, shape[0] - 3), rng.integers(0, shape[1] - 4)
        full[r : r + rng.integers(1, 4), c : c + rng.integers(1, 5)] = True  # touches edges too
        mask = CroppedMask.from_full(full)
        truth = apply_margin(mask, int(rng.integers(-1, 3)), shape)
        truth = CroppedMask(
            truth.crop, (truth.offset[0], truth.offset[1] + int(rng.integers(0, 2)))
        )
        expected = [cropped_iou(apply_margin(mask, m, shape), truth) for m in MARGINS]
        assert margin_ious(mask, truth, shape) == pytest.approx(expected)
