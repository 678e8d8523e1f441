"""Peer generators PMG and MCLC on synthetic blobs with known masks."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.batch.evaluate import evaluate_masks
from label_irst.core.generators import get_generator
from label_irst.core.metrics import iou
from label_irst.core.peers import crf, mclc, pmg
from label_irst.core.synthetic import synthetic_frame
from label_irst.errors import LabelIrstError
from label_irst.io.images import write_image, write_mask


def _targets(dark_fraction: float = 0.0, frames: int = 4, dtype=np.uint8):
    for s in range(frames):
        frame, _, truths, masks = synthetic_frame(
            (128, 160),
            count=3,
            seed=s,
            radius=(1.5, 3.5),
            scr=(8, 15),
            dark_fraction=dark_fraction,
            dtype=dtype,
        )
        for truth, mask in zip(truths, masks):
            ys, xs = np.nonzero(mask)
            prior = (int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
            yield frame, (round(truth.x), round(truth.y)), mask, prior, truth


def _mean_iou(name: str, dark_fraction: float = 0.0, with_prior: bool = False, dtype=np.uint8):
    spec = get_generator(name)
    scores = []
    for frame, seed, mask, prior, _ in _targets(dark_fraction, dtype=dtype):
        extra = {"size_prior": prior} if with_prior else {}
        result = spec.fn(frame, seed, 20.0, **extra)
        scores.append(iou(result.to_full(frame.shape), mask))
    return float(np.mean(scores))


def test_registry_knows_the_peers_and_their_prior():
    assert get_generator("pmg").uses_prior is False
    assert get_generator("mclc").uses_prior is True
    assert get_generator("square3").uses_prior is False


# floors measured on these 12 targets: pmg 0.78, mclc blind 0.71, mclc prior 0.68,
# square3 about 0.4; dark: pmg 0.75, mclc 0.68 / 0.70
@pytest.mark.parametrize(
    ("name", "with_prior", "floor"),
    [("pmg", False, 0.68), ("mclc", False, 0.6), ("mclc", True, 0.58)],
)
def test_bright_blobs_beat_floor_and_square_baseline(name, with_prior, floor):
    score = _mean_iou(name, with_prior=with_prior)
    assert score > floor
    assert score > _mean_iou("square3") + 0.15


@pytest.mark.parametrize(("name", "with_prior"), [("pmg", False), ("mclc", False), ("mclc", True)])
def test_dark_blobs_are_segmented_as_dark(name, with_prior):
    spec = get_generator(name)
    frame, seed, mask, prior, truth = next(_targets(dark_fraction=1.0))
    assert truth.dark
    result = spec.fn(frame, seed, 20.0, **({"size_prior": prior} if with_prior else {}))
    assert result.polarity == "dark"
    assert _mean_iou(name, dark_fraction=1.0, with_prior=with_prior) > 0.58


def test_results_carry_descriptors():
    frame, seed, mask, _, _ = next(_targets())
    for name in ("pmg", "mclc"):
        result = get_generator(name).fn(frame, seed, 20.0)
        assert result.generator == name
        assert result.seed == seed
        assert result.area == result.mask.area > 0
        assert result.radius == pytest.approx(np.sqrt(result.area / np.pi))
        cx, cy = result.centroid
        assert abs(cx - seed[0]) < 3 and abs(cy - seed[1]) < 3
        assert result.to_full(frame.shape)[seed[1], seed[0]]


def test_sixteen_bit_frames_work_like_eight_bit():
    assert _mean_iou("pmg", dtype=np.uint16) > 0.68
    assert _mean_iou("mclc", dtype=np.uint16) > 0.6


@pytest.mark.parametrize("name", ["pmg", "mclc"])
def test_seed_outside_the_image_is_refused(name):
    frame, *_ = next(_targets())
    with pytest.raises(LabelIrstError, match="outside"):
        get_generator(name).fn(frame, (500, 5), 20.0)
    with pytest.raises(LabelIrstError):
        get_generator(name).fn(frame, (float("nan"), 5), 20.0)


def test_bad_size_prior_and_options_are_refused():
    frame, seed, *_ = next(_targets())
    with pytest.raises(LabelIrstError, match="size prior"):
        mclc.mclc(frame, seed, size_prior=(0, 3))
    with pytest.raises(LabelIrstError, match="refinement"):
        mclc.mclc(frame, seed, refine="magic")
    with pytest.raises(LabelIrstError):
        pmg.pmg(frame, seed, l_ep=0)


def test_mclc_is_reproducible_and_its_tpm_is_a_probability():
    frame, seed, *_ = next(_targets())
    a, b = mclc.mclc(frame, seed), mclc.mclc(frame, seed)
    assert np.array_equal(a.mask.crop, b.mask.crop) and a.mask.offset == b.mask.offset
    v, (r0, c0), _ = mclc.clustering_crop(frame, *seed)
    assert v.shape == (32, 32)
    tpm = mclc.target_probability_map(v, seed[1] - r0, seed[0] - c0, runs=10)
    assert tpm.min() >= 0.0 and tpm.max() <= 1.0
    assert tpm[seed[1] - r0, seed[0] - c0] == 1.0  # the point is always in its own segment
    assert 1 < (tpm > 0).sum() < tpm.size


def test_mclc_prior_crop_follows_the_size_class():
    assert mclc.crop_box((200, 200), 100, 100, (3, 3)) == (96, 105, 96, 105)
    assert mclc.crop_box((200, 200), 100, 100, (6, 6)) == (90, 111, 90, 111)
    assert mclc.crop_box((200, 200), 100, 100, (20, 12)) == (80, 121, 80, 121)
    assert mclc.crop_box((200, 200), 100, 100, None) == (84, 116, 84, 116)
    assert mclc.crop_box((50, 50), 2, 48, None) == (32, 50, 0, 18)


def test_pmg_box_encloses_a_clean_blob():
    yy, xx = np.mgrid[0:61, 0:61]
    image = 20.0 + 200.0 * np.exp(-((xx - 30) ** 2 + (yy - 28) ** 2) / (2 * 2.0**2))
    x0, y0, x1, y1 = pmg.point_to_box(image, 30, 28)
    truth = image >= 20.0 + 100.0  # half maximum
    ys, xs = np.nonzero(truth)
    assert x0 <= xs.min() and y0 <= ys.min() and x1 > xs.max() and y1 > ys.max()
    assert x1 - x0 < 20 and y1 - y0 < 20  # far tighter than the 51 px search strips
    result = pmg.pmg(image, (30, 28))
    assert iou(result.to_full(image.shape), truth) > 0.6


def test_dense_crf_keeps_a_clean_square_and_drops_weak_noise():
    grey = np.full((20, 20), 40.0)
    grey[8:12, 8:12] = 220.0
    tpm = np.zeros((20, 20))
    tpm[7:13, 7:13] = 0.6  # a loose TPM around the square
    q = crf.dense_crf(tpm, grey)
    assert q.shape == (20, 20)
    assert (q[8:12, 8:12] >= 0.5).all()
    assert (q[:5, :] < 0.5).all()


def test_eval_masks_prior_mode_reaches_mclc(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for s in range(2):
        frame, union, _, _ = synthetic_frame((96, 128), count=2, seed=10 + s)
        write_image(tmp_path / "images" / f"f{s}.png", frame)
        write_mask(tmp_path / "masks" / f"f{s}.png", union)
    blind = evaluate_masks(tmp_path, "mclc", "centroid", mode="blind").summary()
    prior = evaluate_masks(tmp_path, "mclc", "centroid", mode="prior").summary()
    assert blind["mode"] == "blind" and prior["mode"] == "prior"
    assert blind["targets"] == prior["targets"] == 4
    assert prior["miou_image"] > 40.0
    assert blind["area_ratio"] != prior["area_ratio"]  # the crop really changed
    with pytest.raises(LabelIrstError, match="mode"):
        evaluate_masks(tmp_path, "mclc", "centroid", mode="oracle")
