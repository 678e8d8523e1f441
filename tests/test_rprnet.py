"""RPR-Net (Sec. III-B): architecture, labels, losses, a tiny training run, ONNX parity."""

import json

import numpy as np
import pytest
import torch

from label_irst.train.export import export_onnx, parity
from label_irst.train.losses import label_sigma, make_targets, rpr_loss
from label_irst.train.model import RPRNet, TemporalDifferenceAttention, count_macs, parameter_count

torch.set_num_threads(1)


def test_parameter_count_is_within_ten_percent_of_the_paper():
    n = parameter_count(RPRNet())
    assert abs(n - 1.55e6) / 1.55e6 < 0.10, n


def test_single_frame_variant_has_no_temporal_modules_and_ignores_neighbours():
    model = RPRNet(temporal=False).eval()
    assert not hasattr(model.head, "tda")
    x = torch.randn(1, 3, 32, 32)
    y = x.clone()
    y[:, 0] = torch.randn(32, 32)
    with torch.no_grad():
        a, b = model(x), model(y)
    assert all(torch.equal(p, q) for p, q in zip(a, b))


def test_outputs_are_at_stride_four_and_macs_are_counted():
    model = RPRNet().eval()
    with torch.no_grad():
        heat, off, rad = model(torch.randn(2, 3, 64, 80))
    assert (
        heat.shape == (2, 1, 16, 20) and off.shape == (2, 2, 16, 20) and rad.shape == (2, 1, 16, 20)
    )
    macs = count_macs(model, 64, 64)
    assert count_macs(model, 128, 128) == pytest.approx(4 * macs, rel=0.02)


def test_jitter_gate_closes_when_neighbours_disagree():
    tda = TemporalDifferenceAttention(4)
    with torch.no_grad():
        tda.log_alpha.fill_(np.log(50.0))
    curr = torch.ones(1, 4, 8, 8)
    still = tda(curr * 0.5, curr, curr * 0.5)
    shaken = tda(curr * 0.5, curr, curr * 3.0)  # |f(t+1) - f(t-1)| large: G -> 0
    assert (still - curr).abs().max() > 0.1
    assert (shaken - curr).abs().max() < 1e-6


def test_adaptive_gaussian_labels():
    assert label_sigma(0.7) == 2.0 and label_sigma(3.0) == 3.0 and label_sigma(9.0) == 4.0
    t = make_targets([(21.0, 10.0, 2.5)], 32, 32)
    assert t["heatmap"].shape == (1, 8, 8)
    i, j = np.unravel_index(np.argmax(t["heatmap"][0]), (8, 8))
    assert (i, j) == (2, 5) and t["heatmap"][0, i, j] == 1.0
    assert t["offset"][:, 2, 5] == pytest.approx([0.25, 0.5])
    assert t["radius"][0, 2, 5] == pytest.approx(2.5) and t["mask"].sum() == 1


def test_masked_losses_ignore_regression_away_from_centres():
    t = {k: torch.from_numpy(v[None]) for k, v in make_targets([(8.0, 8.0, 2.0)], 32, 32).items()}
    heat = torch.full((1, 1, 8, 8), -5.0)
    off = torch.zeros(1, 2, 8, 8)
    rad = torch.full((1, 1, 8, 8), 2.0)
    base, parts = rpr_loss((heat, off, rad), t)
    off2, rad2 = off.clone(), rad.clone()
    off2[..., 0, 0] = 10.0
    rad2[..., 0, 0] = 10.0
    again, _ = rpr_loss((heat, off2, rad2), t)
    assert float(again) == pytest.approx(float(base))
    rad2[..., 2, 2] = 4.0  # the centre cell: radius error 2 -> 0.1 * 2 more loss
    worse, _ = rpr_loss((heat, off, rad2), t)
    assert float(worse) == pytest.approx(float(base) + 0.2, rel=1e-4)


def test_a_tiny_training_run_lowers_the_loss():
    torch.manual_seed(0)
    model = RPRNet()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(2, 3, 64, 64)).astype(np.float32))
    x[:, :, 20:23, 30:33] += 4.0
    y = [make_targets([(31.0, 21.0, 1.5)], 64, 64) for _ in range(2)]
    y = {k: torch.from_numpy(np.stack([v[k] for v in y])) for k in y[0]}
    losses = []
    for _ in range(3):
        loss, _ = rpr_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    with torch.no_grad():
        final, _ = rpr_loss(model(x), y)
    assert float(final) < losses[0]


def test_onnx_export_matches_torch(tmp_path):
    torch.manual_seed(1)
    model = RPRNet().eval()
    for m in model.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    meta = export_onnx(model, tmp_path, "tiny")
    record = json.loads(meta.read_text())
    assert record["encoder_inputs"] == ["frame"] and record["head_inputs"] == [
        "prev",
        "curr",
        "next",
    ]
    assert record["stride"] == 4 and record["multiple"] == 16 and "normalisation" in record
    assert parity(model, meta, 64, 80) <= 1e-4
    assert parity(model, meta, 48, 96, seed=3) <= 1e-4  # dynamic H and W


def test_single_frame_variant_exports_with_the_same_interface(tmp_path):
    model = RPRNet(temporal=False).eval()
    meta = export_onnx(model, tmp_path, "single")
    assert json.loads(meta.read_text())["variant"] == "single-frame"
    assert parity(model, meta, 32, 48) <= 1e-4


def test_int8_model_is_written_and_runs(tmp_path):
    from label_irst.cli import main
    from label_irst.infer.rprnet import SequenceRunner
    from label_irst.infer.session import load_model
    from label_irst.train.quantize import quantize_int8

    data = tmp_path / "data"
    args = ["--sequences", "2", "--frames", "3", "--size", "64x48", "--quiet"]
    assert main(["synth", "--out", str(data), *args]) == 0
    other = tmp_path / "other"
    assert main(["synth", "--out", str(other), "--seed", "5", *args]) == 0
    torch.manual_seed(2)
    meta = export_onnx(RPRNet().eval(), tmp_path / "m", "tiny")
    # a float record that names its CPU copy: the copy does not name itself
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "cpu_variant": "tiny-int8.json"}))
    int8 = quantize_int8(meta, [data, other], "train", count=2)
    record = json.loads(int8.read_text())
    assert record["precision"] == "int8" and record["encoder"] == "tiny-int8.encoder.onnx"
    assert "cpu_variant" not in record
    assert record["int8_calibration"] == {
        "data": ["data", "other"],
        "split": "train",
        "triplets": 4,
    }
    m = load_model(int8, "cpu", threads=1)
    frames = np.random.default_rng(0).normal(100, 5, (3, 48, 64)).astype(np.float32)
    assert len(list(SequenceRunner(m).run(lambda t: frames[t], 3))) == 3


def test_train_command_trains_validates_and_resumes(tmp_path, capsys):
    from label_irst.cli import main

    data = tmp_path / "data"
    synth = ["--sequences", "2", "--frames", "3", "--size", "64x48", "--seed", "1", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0.5", *synth]) == 0
    capsys.readouterr()
    common = [str(data), "--out", str(tmp_path / "ck"), "--steps", "2", "--batch", "2"]
    common += ["--crop", "32", "--supervision", "points", "--val-frames", "2", "--quiet"]
    assert main(["train", *common, "--epochs", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["epoch"] == 1 and "pd" in first and "fa" in first
    assert main(["train", *common, "--epochs", "2"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["epoch"] == 2 and "resumed" in captured.err
    state = torch.load(tmp_path / "ck" / "checkpoint.pt", weights_only=True)
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    assert main(["train", *common, "--epochs", "3", "--single-frame"]) == 2
    assert "different model variant" in capsys.readouterr().err


def test_warm_up_then_cosine_schedule():
    from label_irst.train.trainer import LR_MIN, TrainConfig, lr_schedule

    cfg = TrainConfig(lr=5e-4, warmup=4)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=cfg.lr)
    sched = lr_schedule(opt, cfg, 20)
    lrs = []
    for _ in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(cfg.lr / 4)
    assert lrs[3] == pytest.approx(cfg.lr)
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))  # cosine decays after the warm-up
    assert opt.param_groups[0]["lr"] == pytest.approx(LR_MIN)


def test_training_can_start_from_another_checkpoint(tmp_path):
    from label_irst.errors import LabelIrstError
    from label_irst.train.trainer import load_weights

    src = RPRNet()
    with torch.no_grad():
        src.head.heatmap[-1].bias.fill_(0.25)
    torch.save({"model": src.state_dict(), "config": src.config}, tmp_path / "a.pt")
    dst = RPRNet()
    load_weights(dst, tmp_path / "a.pt", True, "cpu")
    assert float(dst.head.heatmap[-1].bias.detach()) == pytest.approx(0.25)
    with pytest.raises(LabelIrstError, match="different model variant"):
        load_weights(RPRNet(temporal=False), tmp_path / "a.pt", False, "cpu")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(LabelIrstError, match="cannot read|not an RPR-Net"):
        load_weights(dst, tmp_path / "bad.pt", True, "cpu")


def test_point_supervision_keeps_the_point_when_the_pseudo_mask_leaks():
    from label_irst.train.supervision import pseudo_targets

    rng = np.random.default_rng(0)
    img = rng.normal(100.0, 1.0, (96, 96)).astype(np.float32)
    yy, xx = np.mgrid[0:96, 0:96]
    img[(xx - 30) ** 2 + (yy - 30) ** 2 <= 3.0**2] += 60.0  # a small target
    img[(xx - 70) ** 2 + (yy - 60) ** 2 <= 9.0**2] += 60.0  # a large bright structure
    (x0, y0, r0), (x1, y1, r1) = pseudo_targets(img, [(30.0, 30.0), (62.0, 60.0)], 20.0)
    assert np.hypot(x0 - 30, y0 - 30) < 1.0 and 2.0 < r0 < 4.5  # grown from the point
    assert (x1, y1, r1) == (62.0, 60.0, 1.0)  # leaked mask: the clicked point is kept


@pytest.mark.parametrize("stem", ["rprnet", "rprnet-real"])
def test_shipped_torch_weights_match_the_shipped_onnx_model(stem):
    """models/STEM.pt (for fine-tuning with --init) holds the weights of models/STEM.json."""
    from pathlib import Path

    from label_irst.infer.session import load_model
    from label_irst.train.trainer import load_weights

    root = Path(__file__).resolve().parents[1] / "models"
    model = RPRNet()
    load_weights(model, root / f"{stem}.pt", True, "cpu")
    model.eval()
    onnx = load_model(root / f"{stem}.json", "cpu", threads=1, precision="fp32")
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(3, 1, 32, 48)).astype(np.float32)
    feats = onnx.encoder.run(None, {"frame": frames})[0]
    heat = onnx.head.run(None, {"prev": feats[:1], "curr": feats[1:2], "next": feats[2:]})[0]
    with torch.no_grad():
        logits = model(torch.from_numpy(frames[:, 0][None]))[0]
    assert np.abs(torch.sigmoid(logits).numpy() - heat).max() < 1e-4
