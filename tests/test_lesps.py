"""LESPS: the label evolution rule, the segmenter's training, export, evaluation and labels."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from label_irst.core.segmentation_metrics import SegmentationScores

torch = pytest.importorskip("torch", reason="training needs the train extra (torch)")

from label_irst.train import lesps  # noqa: E402


def blob(shape, cx, cy, sigma, peak=1.0):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (peak * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))).astype(np.float32)


def test_evolution_grows_a_point_towards_the_blob_and_not_beyond():
    shape = (64, 64)
    pred = blob(shape, 30, 30, 2.5, 0.9) + blob(shape, 42, 30, 1.0, 0.9)  # a separate false alarm
    cfg = lesps.EvolutionConfig()
    label = lesps.point_label(shape, [(30, 30)])
    sizes = []
    for _ in range(8):
        label = lesps.evolve(label, pred, [(30, 30)], cfg)
        sizes.append(int((label > 0.5).sum()))
    # Eq. 4 moves a pixel half-way to the prediction each round: it turns positive in a few
    assert sizes == sorted(sizes) and sizes[-1] >= 9
    grown = label > 0.5
    assert grown[30, 30] and grown[30, 31] and grown[31, 30]
    assert not grown[30, 42]  # Eq. 3: the region not touching the label is eliminated
    assert not grown[pred < 0.45 * pred.max()].any()  # nothing below T_b * max(P)
    assert np.all(label[label > 0] <= 1.0)


def test_threshold_rises_with_the_label_as_eq_2():
    cfg = lesps.EvolutionConfig(t_b=0.5, k=0.5, r=0.0015)
    shape = (100, 100)  # h w r = 15 pixels
    assert lesps.adaptive_threshold(0.8, 0, shape, cfg) == pytest.approx(0.4)
    assert lesps.adaptive_threshold(0.8, 15, shape, cfg) == pytest.approx(0.8 * 0.75)
    # a label already larger than the threshold allows stops growing: nothing is above it
    label = np.zeros(shape, np.float32)
    label[40:60, 40:60] = 1.0
    pred = blob(shape, 50, 50, 3.0, 0.9)
    out = lesps.evolve(label, pred, [(50, 50)], cfg)
    assert np.array_equal(out > 0.5, label > 0.5)


def test_evolution_starts_on_the_loss_then_every_period():
    cfg = lesps.EvolutionConfig(period=3, t_loss=10.0, start_epoch=0)
    assert not cfg.due(1, 50.0, None) and cfg.due(2, 9.0, None)
    assert cfg.due(5, 99.0, 2) and not cfg.due(6, 1.0, 2) and cfg.due(8, 1.0, 2)
    assert lesps.EvolutionConfig(start_epoch=4).due(4, 1e9, None)


def test_scores_follow_the_3_px_rule_and_count_false_pixels():
    gt = np.zeros((40, 40), bool)
    gt[10:13, 10:13] = True  # centroid (11, 11)
    gt[30:32, 30:32] = True  # centroid (30.5, 30.5)
    pred = np.zeros_like(gt)
    pred[13:16, 10:13] = True  # centroid (11, 14): 3 px away -> detected
    pred[30:32, 34:36] = True  # centroid (34.5, 30.5): 4 px away -> missed, 4 false pixels
    s = SegmentationScores()
    s.add(pred, gt)
    d = s.as_dict()
    assert d["pd"] == 50.0 and d["false_pixels"] == 4
    assert d["fa_e6"] == pytest.approx(1e6 * 4 / 1600, abs=0.01)
    assert d["iou"] == 0.0
    s.add(gt, gt)  # a perfect frame
    assert s.as_dict()["niou"] == 50.0 and s.as_dict()["pd"] == 75.0


def _tiny_dataset(root, n=6, seed=0):
    from label_irst.io.images import write_image, write_mask

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "img_idx").mkdir()
    rows = ["image,x,y"]
    for i in range(n):
        cx, cy = int(rng.integers(8, 40)), int(rng.integers(8, 24))
        img = 40 + rng.normal(0, 3, (32, 48)) + blob((32, 48), cx, cy, 1.5, 120)
        write_image(root / "images" / f"f{i}.png", np.clip(img, 0, 255).astype(np.uint8))
        write_mask(root / "masks" / f"f{i}.png", blob((32, 48), cx, cy, 1.5) > 0.3)
        rows.append(f"f{i},{cx},{cy}")
    (root / "centroids.csv").write_text("\n".join(rows) + "\n")
    (root / "img_idx" / "train.txt").write_text("\n".join(f"f{i}" for i in range(n)) + "\n")
    return root


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "label_irst", *map(str, args)], capture_output=True, text=True
    )


def _copy_model(out, dest):
    """Copy the files of the trained model at stem ``out`` into ``dest`` (a record to change)."""
    import shutil

    for f in out.parent.glob(f"{out.name}.*"):
        if f.is_file():
            shutil.copy(f, dest / f.name)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-epoch LESPS run on 6 synthetic frames, stopped after 1 epoch and resumed."""
    from label_irst.train.segmenter_data import dataset_frames
    from label_irst.train.segmenter_trainer import SegmenterTrainConfig, train_segmenter

    root = _tiny_dataset(tmp_path_factory.mktemp("data") / "set")
    out = tmp_path_factory.mktemp("models") / "seg"
    frames = dataset_frames(root, "train")
    evo = lesps.EvolutionConfig(period=1, start_epoch=1)

    def cfg(epochs):
        return SegmenterTrainConfig(
            epochs=epochs, batch=3, crop=16, widths=(4, 8), evolution=evo, lr=3e-3
        )

    first = train_segmenter(frames, out, cfg(1), {"kind": "test"})
    assert len(first.history) == 1
    result = train_segmenter(frames, out, cfg(2), {"kind": "test"}, resume=True)
    return root, out, result


def test_training_resumes_and_exports_onnx_that_matches_torch(tiny_model):
    from label_irst.infer.segmenter import load_segmenter
    from label_irst.io.images import read_image
    from label_irst.train import checkpoint
    from label_irst.train.segmenter_model import build

    root, out, result = tiny_model
    assert [r["epoch"] for r in result.history] == [1, 2]  # the second epoch came from resume
    assert all(r.get("evolved") for r in result.history)
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["supervision"] == "lesps" and meta["threshold"] == 0.5
    model = load_segmenter(out.with_suffix(".json"))
    image = read_image(root / "images" / "f0.png")
    prob = model.probabilities(image)
    assert prob.shape == image.shape and 0.0 <= prob.min() <= prob.max() <= 1.0
    state = checkpoint.load(out.with_suffix(".pt"))
    net = build(state["config"])
    net.load_state_dict(state["model"])
    from label_irst.infer.preprocess import normalise

    x = torch.from_numpy(normalise(image)[None, None])
    ref = torch.sigmoid(net.eval()(x))[0, 0].detach().numpy()
    assert np.abs(ref - prob).max() < 1e-4


def test_eval_segmenter_and_the_evolved_labels(tiny_model, tmp_path):
    from label_irst.core.generators import get_generator
    from label_irst.errors import LabelIrstError
    from label_irst.infer import segmenter_labels
    from label_irst.io.images import read_image

    root, out, _ = tiny_model
    labels_dir = tmp_path / "labels"
    got = _cli(
        "eval-segmenter", "--model", out.with_suffix(".json"), "--dataset", root,
        "--split", "train", "--json", "--export-labels", labels_dir,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    summary = json.loads(got.stdout)
    assert summary["frames"] == 6 and summary["targets"] == 6
    for key in ("iou", "niou", "pd", "fa_e6", "lesps_labels_miou_target", "pamg_plus_miou_target"):
        assert key in summary
    assert summary["labels_written"] == 6 and (labels_dir / "f0.png").is_file()
    segmenter_labels.use_labels(out.with_name("seg.labels.npz"))
    try:
        image = read_image(root / "images" / "f0.png")
        x, y = (
            float(v) for v in (root / "centroids.csv").read_text().splitlines()[1].split(",")[1:]
        )
        mask = get_generator("lesps-labels").fn(image, (x, y), 20.0)
        assert mask.generator == "lesps-labels" and mask.area >= 1
        with pytest.raises(LabelIrstError, match="no evolved label"):
            get_generator("lesps-labels").fn(image + 1, (x, y), 20.0)  # not a training frame
    finally:
        segmenter_labels.use_labels(None)


def test_bad_models_are_one_line(tiny_model, tmp_path):
    from pathlib import Path

    root, out, _ = tiny_model
    shipped = Path(__file__).resolve().parents[1] / "models" / "edgsp.json"
    wrong_graph = tmp_path / "wrong.json"
    meta = json.loads(out.with_suffix(".json").read_text())
    (tmp_path / "edgsp.onnx").write_bytes(shipped.with_suffix(".onnx").read_bytes())
    wrong_graph.write_text(json.dumps({**meta, "graph": "edgsp.onnx"}))
    cases = {
        tmp_path / "missing.json": "no such model file",
        shipped: "not a segmenter record",
        wrong_graph: "not N x 1 x H x W",
    }
    for model, message in cases.items():
        got = _cli("eval-segmenter", "--model", model, "--dataset", root)
        assert got.returncode == 2
        assert got.stderr.count("\n") == 1 and message in got.stderr, got.stderr
    got = _cli("train-segmenter", tmp_path / "nowhere", "--out", tmp_path / "x")
    assert got.returncode == 2 and got.stderr.count("\n") == 1


def test_sirst_v1_training_frames_read_points_from_centroids(sirst_v1):
    from label_irst.train.segmenter_data import dataset_frames

    frames = dataset_frames(sirst_v1, "train")
    assert len(frames) == 341  # img_idx/train.txt
    assert sum(len(f.points) for f in frames) >= 341
    assert all(f.mask is not None and f.digest for f in frames)


def test_point2mask_with_lesps_labels(tiny_model, tmp_path):
    import os

    from label_irst.io.images import read_mask

    root, out, _ = tiny_model
    env = {**os.environ, "LABEL_IRST_LESPS_LABELS": str(out.with_name("seg.labels.npz"))}
    got = subprocess.run(
        [sys.executable, "-m", "label_irst", "point2mask", str(root / "images"), "--points",
         str(root / "centroids.csv"), "--out", str(tmp_path / "out"), "--generator",
         "lesps-labels", "--quiet"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    masks = sorted((tmp_path / "out").glob("*.png"))
    assert masks, got.stderr
    assert all(read_mask(m).any() for m in masks)


def test_segmenter_candidates_carry_masks(tiny_model):
    from label_irst.infer.segmenter import load_segmenter
    from label_irst.infer.segmenter_detect import candidates
    from label_irst.io.images import read_image

    root, out, _ = tiny_model
    model = load_segmenter(out.with_suffix(".json"))
    image = read_image(root / "images" / "f0.png")
    found = candidates(model, image, threshold=0.01)  # a tiny model: a low threshold
    assert found
    scores = [d.score for d, _ in found]
    assert scores == sorted(scores, reverse=True)
    for det, mask in found:
        assert mask.area >= 1 and det.radius > 0
        assert abs(det.x - mask.centroid()[0]) < 1e-6


def test_pamg_supervision_grows_each_point_into_its_blob_without_reading_the_masks(tmp_path):
    from scipy.ndimage import binary_dilation

    from label_irst.io.images import read_mask
    from label_irst.train.segmenter_data import dataset_frames
    from label_irst.train.segmenter_trainer import initial_labels

    root = _tiny_dataset(tmp_path / "set")
    frames = dataset_frames(root, "train")
    for f in frames:
        f.mask = None  # point supervision: the masks are never needed
    labels = initial_labels(frames, "pamg")
    truth = [read_mask(root / "masks" / f"{f.stem}.png") > 0 for f in frames]
    for label, gt, f in zip(labels, truth, frames):
        grown = label > 0
        assert grown.sum() > len(f.points)  # more than the point pixels
        assert (grown & gt).sum() / (grown | gt).sum() > 0.3  # on the blob
        assert not (grown & ~binary_dilation(gt, iterations=3)).any()  # and not beyond it
    # the command takes it and records it
    out = tmp_path / "seg"
    run = _cli("train-segmenter", root, "--out", out, "--supervision", "pamg", "--epochs", "1",
               "--batch", "3", "--crop", "16", "--split", "train", "--quiet")  # fmt: skip
    assert run.returncode == 0, run.stderr
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["supervision"] == "pamg" and meta["labels"] == "seg.labels.npz"


def test_target_free_frames_join_the_training_as_background_only(tmp_path):
    from label_irst.infer import segmenter_labels
    from label_irst.io.images import write_image

    root = _tiny_dataset(tmp_path / "set")
    clutter = tmp_path / "clutter"
    clutter.mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):
        write_image(clutter / f"c{i}.png", rng.integers(0, 255, (40, 40)).astype(np.uint8))
    (clutter / "broken.png").write_bytes(b"not a png")
    out = tmp_path / "seg"
    args = ["train-segmenter", root, "--out", out, "--epochs", "1", "--batch", "3", "--crop",
            "16", "--split", "train", "--quiet", "--negatives", clutter]  # fmt: skip
    run = _cli(*args)
    assert run.returncode == 0, run.stderr
    assert "skipped" in run.stderr and "broken.png" in run.stderr  # a bad file is skipped
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["training"]["source"]["negatives"] == {"name": "clutter", "frames": 3}
    assert meta["training"]["frames"] == 6 + 3 and meta["training"]["target_free_frames"] == 3
    labels = segmenter_labels.read(out.with_name("seg.labels.npz"))
    assert sorted(labels) == [f"f{i}" for i in range(6)]  # no label kept for target-free frames
    # resuming with other data is refused in one line
    resumed = _cli(*args[:-2], "--epochs", "2", "--resume")
    assert resumed.returncode != 0 and "resume with the same data" in resumed.stderr
    missing = _cli(*args[:-1], tmp_path / "nowhere")
    assert missing.returncode != 0 and "no such folder of target-free frames" in missing.stderr


def test_fit_threshold_picks_the_best_agreement_with_the_training_labels(tiny_model, tmp_path):
    import shutil

    from label_irst.infer.segmenter import load_segmenter
    from label_irst.infer.segmenter_eval import THRESHOLD_GRID, fit_threshold
    from label_irst.io.images import write_image

    root, out, _ = tiny_model
    copy = tmp_path / "seg"
    _copy_model(out, tmp_path)
    best, ious = fit_threshold(load_segmenter(copy.with_suffix(".json")), root)
    assert best in THRESHOLD_GRID and ious[best] == max(ious.values())
    run = _cli("eval-segmenter", "--model", copy.with_suffix(".json"), "--dataset", root,
               "--split", "train", "--fit-threshold", "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    meta = json.loads(copy.with_suffix(".json").read_text())
    assert meta["threshold"] == best and "threshold_fit" in meta
    assert json.loads(run.stdout)["threshold"] == best
    # a training frame that changed since is skipped with a warning, not scored
    changed = tmp_path / "changed"
    shutil.copytree(root, changed)
    write_image(changed / "images" / "f0.png", np.zeros((32, 48), np.uint8))
    warnings = []
    from label_irst.job import Job

    fit_threshold(load_segmenter(copy.with_suffix(".json")), changed, job=Job(warn=warnings.append))
    assert any("not the frame the model was trained on" in w for w in warnings)


def test_an_ensemble_threshold_is_fitted_against_every_members_training_labels(
    tiny_model, tmp_path
):

    from label_irst.infer.segmenter import load_segmenter
    from label_irst.infer.segmenter_ensemble import write_ensemble
    from label_irst.infer.segmenter_eval import fit_threshold

    root, out, _ = tiny_model
    _copy_model(out, tmp_path)
    single = tmp_path / "seg.json"
    twin = tmp_path / "twin.json"  # the same network and labels under another record
    twin.write_text(json.dumps({**json.loads(single.read_text()), "threshold": 0.7}))
    ensemble = write_ensemble([single, twin], tmp_path / "both.json")
    assert json.loads(ensemble.read_text())["threshold"] == pytest.approx(
        (json.loads(single.read_text())["threshold"] + 0.7) / 2
    )
    expected = fit_threshold(load_segmenter(single), root)
    assert fit_threshold(load_segmenter(ensemble), root) == expected
    run = _cli("eval-segmenter", "--model", ensemble, "--dataset", root, "--split", "all",
               "--fit-threshold", "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["frames"] == 6  # every frame, with or without a split file
    assert json.loads(ensemble.read_text())["threshold"] == expected[0]
    assert json.loads(run.stdout)["threshold"] == expected[0]
    assert json.loads(ensemble.read_text())["format"] == "label-irst/segmenter-ensemble/1"


def test_false_alarm_budget_on_target_free_frames_raises_the_threshold(tiny_model, tmp_path):

    from label_irst.infer.segmenter import load_segmenter
    from label_irst.infer.segmenter_eval import FA_BINS, false_alarm_threshold
    from label_irst.io.images import read_image, write_image
    from label_irst.job import Job

    root, out, _ = tiny_model
    _copy_model(out, tmp_path)
    record = tmp_path / "seg.json"
    clutter = tmp_path / "clutter"
    clutter.mkdir()
    rng = np.random.default_rng(3)
    for i in range(4):  # blob-like clutter of other sizes, no target labelled
        img = 40 + rng.normal(0, 6, (40, 56)) + blob((40, 56), 10 + 9 * i, 20, 1 + i, 90)
        write_image(clutter / f"c{i}.png", np.clip(img, 0, 255).astype(np.uint8))
    (clutter / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not a png")
    model = load_segmenter(record)
    probs = np.concatenate(
        [model.probabilities(read_image(p)).ravel() for p in sorted(clutter.glob("c*.png"))]
    )
    budget = 0.004
    warnings = []
    t, summary = false_alarm_threshold(model, clutter, budget, Job(warn=warnings.append))
    assert summary["frames"] == 4 and any("broken.png" in w for w in warnings)
    assert 0.05 < t < 0.95  # a budget that binds, on this model
    # within the budget at t, over it just below: the lowest such threshold
    assert np.mean(probs > t) <= budget < np.mean(probs >= t - 1.0 / FA_BINS)
    assert summary["fa_e6_at_most"] <= budget * 1e6
    # the command raises the model's threshold to it and says how, in the record
    before = json.loads(record.read_text())["threshold"]
    run = _cli("eval-segmenter", "--model", record, "--dataset", root, "--split", "train",
               "--clutter", clutter, "--max-fa", budget * 1e6, "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    meta = json.loads(record.read_text())
    assert meta["threshold"] == pytest.approx(max(before, t))
    assert meta["threshold_fit"]["false_alarm"]["frames"] == 4
    assert meta["threshold_fit"]["rule"].count("raised to") == 1
    assert json.loads(run.stdout)["threshold"] == pytest.approx(max(before, t))
    # raised again from the record's own: said once, what set the first threshold kept
    again = _cli("eval-segmenter", "--model", record, "--dataset", root, "--split", "train",
                 "--clutter", clutter, "--max-fa", budget * 1e6, "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    meta = json.loads(record.read_text())
    assert meta["threshold_fit"]["rule"].count("raised to") == 1
    # bad input: one line, the record untouched
    for bad in (("--clutter", tmp_path / "nowhere"), ("--clutter", clutter, "--max-fa", "-1")):
        failed = _cli("eval-segmenter", "--model", record, "--dataset", root, *bad)
        assert failed.returncode != 0 and len(failed.stderr.strip().splitlines()) == 1
    assert json.loads(record.read_text()) == meta


def test_init_starts_from_a_trained_segmenter_and_its_evolved_labels(tiny_model, tmp_path):

    from label_irst.infer import segmenter_labels
    from label_irst.train.segmenter_data import dataset_frames
    from label_irst.train.segmenter_trainer import SegmenterTrainConfig, initial_state

    root, out, _ = tiny_model
    _copy_model(out, tmp_path)
    record = tmp_path / "seg.json"
    frames = dataset_frames(root, "train")
    cfg = SegmenterTrainConfig(epochs=1, batch=3, crop=16, widths=(4, 8))
    net, labels = initial_state(record, frames, cfg)
    saved = torch.load(tmp_path / "seg.pt", weights_only=False)["model"]
    assert all(torch.equal(v, saved[k]) for k, v in net.state_dict().items())
    evolved = segmenter_labels.read(tmp_path / "seg.labels.npz")
    assert len(labels) == len(frames)
    for f, lab in zip(frames, labels):
        assert np.array_equal(lab > 0.5, evolved[f.stem].label)
    # the command: a new run from it, recorded; a model of another kind is one line
    run = _cli("train-segmenter", root, "--split", "train", "--out", tmp_path / "ft",
               "--init", record, "--epochs", "1", "--crop", "16", "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "ft.json").read_text())["training"]["init"] == "seg.json"
    other = _cli("train-segmenter", root, "--split", "train", "--out", tmp_path / "ft2",
                 "--init", record, "--supervision", "centroid", "--epochs", "1")  # fmt: skip
    assert other.returncode != 0 and "--init needs a centroid one" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1
    missing = _cli("train-segmenter", root, "--split", "train", "--out", tmp_path / "ft3",
                   "--init", tmp_path / "none.json", "--epochs", "1")  # fmt: skip
    assert missing.returncode != 0 and "no such model file" in missing.stderr


def test_strong_augmentation_keeps_the_target_under_its_label():
    from label_irst.train.segmenter_data import draw_crop

    rng = np.random.default_rng(1)
    image = blob((96, 120), 60, 40, 1.5, 4.0) + np.float32(0.01)
    label = (image > 2.0).astype(np.float32)  # the blob's core
    zoomed = 0
    for _ in range(40):
        xi, yi = draw_crop(image, label, [(60, 40)], 64, rng, target_share=1.0, augment="strong")
        assert xi.shape == yi.shape == (64, 64) and xi.dtype == np.float32
        assert set(np.unique(yi)) <= {0.0, 1.0}  # labels resized by nearest neighbour
        # the label still marks the brightest place of the (blurred, noisy) crop
        assert yi.sum() > 0 and yi[np.unravel_index(np.argmax(xi), xi.shape)] == 1.0
        zoomed += int(yi.sum()) != int(label.sum())
    assert zoomed > 5  # about half the crops are rescaled
    plain = [draw_crop(image, label, [(60, 40)], 64, rng, target_share=1.0)[1].sum()
             for _ in range(10)]  # fmt: skip
    assert set(plain) == {label.sum()}  # geometric only: the label keeps its pixels
