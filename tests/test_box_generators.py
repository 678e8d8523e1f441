"""Box-aware box-to-mask generators, the box convention and eval-masks --boxes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from label_irst.batch.evaluate_boxes import evaluate_boxes
from label_irst.cli import main
from label_irst.core.box_convention import BoxConvention, BoxExample, fit_boxes
from label_irst.core.box_generators import (
    BOX_GENERATORS,
    background_share,
    box_window,
    get_box_generator,
    is_tight,
    loosen,
)
from label_irst.core.geometry import CroppedMask
from label_irst.core.metrics import cropped_iou
from label_irst.errors import LabelIrstError
from label_irst.io.images import write_mask


def _frame(seed: int = 0, shape=(48, 64)):
    """Noisy background with a bright 5x3 blob (its true mask) at rows 20-22, cols 30-34."""
    rng = np.random.default_rng(seed)
    image = rng.normal(60.0, 2.0, shape)
    truth = np.zeros(shape, bool)
    truth[20:23, 30:35] = True
    image[truth] += 80.0
    image[19, 32] += 15.0  # a faint halo above the blob, outside the truth
    return np.clip(image, 0, 255).astype(np.uint8), CroppedMask.from_full(truth)


TIGHT = (30.0, 20.0, 35.0, 23.0)


def test_tight_box_fill_is_the_target_and_the_centre_generator_is_not_box_aware():
    image, truth = _frame()
    fill = get_box_generator("box-fill")(image, TIGHT)
    assert cropped_iou(fill.mask, truth) == 1.0
    assert fill.generator == "box-fill"
    auto = get_box_generator("auto")(image, TIGHT)
    assert auto.generator == "box-fill" and cropped_iou(auto.mask, truth) == 1.0


def test_tightness_of_a_tight_and_a_loose_box():
    image, _ = _frame()
    assert background_share(image, TIGHT) < 0.2 and is_tight(image, TIGHT)
    loose = loosen(TIGHT, 3)
    assert background_share(image, loose) > 0.9 and not is_tight(image, loose)


def test_loose_box_response_finds_the_target_inside():
    image, truth = _frame()
    loose = loosen(TIGHT, 3)
    result = get_box_generator("auto")(image, loose)
    assert result.generator == "box-response"
    assert cropped_iou(result.mask, truth) >= 0.8
    assert not result.mask.to_full(image.shape)[19, 32]  # the faint halo is left out


@pytest.mark.parametrize("name", list(BOX_GENERATORS))
def test_every_box_generator_stays_near_the_box(name):
    image, truth = _frame()
    result = get_box_generator(name)(image, loosen(TIGHT, 1))
    assert result.mask.area > 0
    x0, y0, x1, y1 = result.mask.bbox
    if name not in ("pamg-rs", "centre"):  # the point generators alone are not clipped
        assert x0 >= 29 and y0 >= 19 and x1 <= 36 and y1 <= 24
    assert result.mask.to_full(image.shape)[21, 32]


def test_dark_target_is_handled_with_its_polarity():
    image, truth = _frame()
    dark = (255 - image.astype(int)).astype(np.uint8)
    result = get_box_generator("box-response")(dark, loosen(TIGHT, 2))
    assert result.polarity == "dark" and cropped_iou(result.mask, truth) >= 0.8


def test_bad_boxes_are_refused_with_one_line():
    image, _ = _frame()
    for box in [(100.0, 100.0, 110.0, 110.0), (5.0, 5.0, 2.0, 8.0), (float("nan"), 0, 3, 3)]:
        with pytest.raises(LabelIrstError):
            box_window(box, image.shape)
    with pytest.raises(LabelIrstError, match="unknown box generator"):
        get_box_generator("nope")
    # a box reaching off the frame is clipped to it
    assert box_window((-3.0, -2.0, 4.0, 5.0), image.shape) == (0, 0, 4, 5)


def test_fit_learns_a_wider_teams_convention_from_loose_boxes():
    """A team that draws one pixel further out and boxes two pixels off its masks: the fit
    beats the default on its examples and carries over to a new frame."""
    from label_irst.core.convention import apply_margin

    def example(seed):
        image, truth = _frame(seed)
        wide = apply_margin(truth, 1, image.shape)
        return BoxExample(image, loosen(tuple(map(float, wide.bbox)), 2), wide)

    convention = fit_boxes([example(s) for s in range(6)], now=1.0)
    assert convention.score > convention.default_score + 0.1
    assert not convention.is_default and convention.n_examples == 6
    new = example(99)
    default = cropped_iou(BoxConvention().generate(new.image, new.box).mask, new.mask)
    fitted = cropped_iou(convention.generate(new.image, new.box).mask, new.mask)
    assert fitted > default + 0.1 and fitted > 0.85
    again = BoxConvention.from_json(convention.to_json())
    assert again.params == convention.params and again.n_examples == 6
    assert fit_boxes([]).is_default


def test_fit_prefers_the_default_on_ties():
    image, truth = _frame()
    convention = fit_boxes([BoxExample(image, TIGHT, truth)], now=1.0)
    assert convention.is_default


def test_box_convention_json_is_checked():
    for text in ["{", "[]", json.dumps({"format": "x"}),
                 json.dumps({"format": "label-irst-box-convention", "version": 1,
                             "params": {"method": "nope"}}),
                 json.dumps({"format": "label-irst-box-convention", "version": 1,
                             "params": {"margin": 1.5}})]:  # fmt: skip
        with pytest.raises(LabelIrstError):
            BoxConvention.from_json(text)


def _dataset(root, count=4):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "boxes").mkdir()
    for i in range(count):
        image, truth = _frame(i)
        write_mask(root / "masks" / f"f{i}.png", truth.to_full(image.shape))
        from label_irst.io.images import write_image

        write_image(root / "images" / f"f{i}.png", image)
        (root / "boxes" / f"f{i}.xml").write_text(
            f"<annotation><filename>f{i}</filename><object><name>t</name><bndbox>"
            "<xmin>31</xmin><ymin>21</ymin><xmax>35</xmax><ymax>23</ymax>"
            "</bndbox></object></annotation>"
        )
    return root


def test_eval_masks_boxes_from_the_ground_truth_and_from_files(tmp_path, capsys):
    root = _dataset(tmp_path / "data")
    tight = evaluate_boxes(root).summary()
    assert tight["targets"] == 4 and tight["miou_target"] > 99.0
    from_files = evaluate_boxes(root, root / "boxes").summary()
    assert from_files["miou_target"] == pytest.approx(tight["miou_target"])
    loose = evaluate_boxes(root, box_margin=4, method="box-fill").summary()
    assert loose["miou_target"] == pytest.approx(100 * 15 / 16)  # the halo above is caught
    code = main(["eval-masks", "--dataset", str(root), "--boxes", "--box-margin", "2",
                 "--calibrate", "1", "--json", "--quiet"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["calibrated_on"] == 1 and out["targets"] == 3
    assert out["miou_target"] > 95.0 and out["box_margin"] == 2


def test_eval_masks_boxes_bad_box_file_is_one_line(tmp_path, capsys):
    root = _dataset(tmp_path / "data", 2)
    (root / "boxes" / "f1.xml").write_text("<annotation><object>")
    code = main(["eval-masks", "--dataset", str(root), "--boxes", str(root / "boxes"),
                 "--json", "--quiet"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and "malformed XML" in captured.err
    assert json.loads(captured.out)["targets"] == 2  # f1's target is scored empty, not lost


@pytest.mark.parametrize("name", list(BOX_GENERATORS))
def test_a_box_far_larger_than_the_frame_is_clipped_to_it(name):
    image, truth = _frame()
    result = get_box_generator(name)(image, (-1e6, -1e6, 1e6, 1e6))
    assert result.mask.area > 0 and result.support_radius <= 1000.0
    assert result.mask.to_full(image.shape)[21, 32]
