"""EDGSP: the learned point-prompt generator (inputs, BBM, ONNX inference, training, registry)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import cv2
import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core import edgsp as prompts
from label_irst.core.convention import Convention
from label_irst.core.generators import available, get_generator
from label_irst.errors import LabelIrstError

torch = pytest.importorskip("torch", reason="training needs the train extra (torch)")


def blob_frame(shape, centres, radius=2.5, amp=120.0, base=40.0, seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    img = base + rng.normal(0, 2.0, shape)
    truth = np.zeros(shape, np.uint8)
    for x, y in centres:
        d2 = (xx - x) ** 2 + (yy - y) ** 2
        img += amp * np.exp(-d2 / (2 * (radius / 1.5) ** 2))
        truth[d2 <= radius**2] = 255
    return img.clip(0, np.iinfo(dtype).max).astype(dtype), truth


def make_dataset(root, n=6):
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "img_idx").mkdir()
    rng = np.random.default_rng(5)
    stems = []
    for i in range(n):
        centres = [tuple(rng.integers(10, 54, 2)) for _ in range(2)]
        img, truth = blob_frame((64, 72), centres, radius=2 + (i % 3), seed=i)
        cv2.imwrite(str(root / "images" / f"f{i}.png"), img)
        cv2.imwrite(str(root / "masks" / f"f{i}.png"), truth)
        stems.append(f"f{i}")
    (root / "img_idx" / "train.txt").write_text("\n".join(stems[:-1]) + "\n")
    return root


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    root = make_dataset(tmp_path_factory.mktemp("edgsp-data") / "set")
    out = tmp_path_factory.mktemp("edgsp-model") / "tiny"
    args = [
        "train-generator", str(root), "--split", "train", "--out", str(out), "--epochs", "1",
        "--per-example", "2", "--batch", "8", "--width", "4", "--val-fraction", "0.2",
        "--quiet", "--json",
    ]  # fmt: skip
    assert main(args) == 0
    return root, out


def test_registry_lists_edgsp_without_loading_onnxruntime():
    spec = get_generator("edgsp")
    assert spec.batch_fn is not None and "edgsp" in [s.name for s in available()]
    code = (
        "import sys; from label_irst.core.generators import available; available(); "
        "print('onnxruntime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_inputs_centre_the_click_and_read_dark_targets_as_bright():
    img, _ = blob_frame((50, 60), [(30, 20)])
    dark = (255 - img.astype(np.int32)).astype(np.uint8)
    for frame, polarity in ((img, "bright"), (dark, "dark")):
        x, offs, pols, clicks = prompts.network_input(frame, [(30.2, 19.8)])
        assert x.shape == (1, 4, 32, 32) and pols == [polarity] and clicks == [(30, 20)]
        assert offs == [(20 - 16, 30 - 16)]
        assert np.unravel_index(np.argmax(x[0, 3]), (32, 32)) == (16, 16)
        assert x[0, 0, 16, 16] == pytest.approx(1.0, abs=0.05)  # TEI: the peak reads 1


def test_box_matching_keeps_only_the_prompted_component_inside_the_frame():
    prob = np.zeros((32, 32), np.float32)
    prob[14:19, 14:19] = 0.9  # the prompted target (click at 16, 16)
    prob[2:5, 25:29] = 0.9  # another bright object in the crop
    mask = prompts.box_matching(prob, (10, 20), (36, 26), (100, 100))
    assert mask.area == 25 and mask.bbox == (34, 24, 39, 29)
    # near the top-left corner: rows and columns of the crop above/left of the frame are dropped
    prob2 = np.zeros((32, 32), np.float32)
    prob2[10:20, 10:20] = 0.9
    mask = prompts.box_matching(prob2, (-14, -14), (2, 2), (40, 40))
    assert mask.bbox == (0, 0, 6, 6) and mask.area == 36
    # nothing above the threshold: the click alone
    empty = prompts.box_matching(np.zeros((32, 32)), (0, 0), (16, 16), (64, 64))
    assert empty.area == 1 and empty.bbox == (16, 16, 17, 17)


def test_training_exports_a_graph_that_matches_torch(tiny_model):
    from label_irst.train.edgsp_model import build
    from label_irst.train.edgsp_trainer import parity

    _, out = tiny_model
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["format"] == "label-irst/edgsp-onnx/1" and meta["crop"] == 32
    training = meta["training"]
    assert training["source"] == {"kind": "dataset", "name": "set", "split": "train"}
    assert training["examples"] == 10 and training["held_out_examples"] == 2
    assert len(training["history"]) == 1
    state = torch.load(out.with_suffix(".pt"), weights_only=True)
    net = build(state["config"])
    net.load_state_dict(state["model"])
    assert parity(net, out.with_suffix(".json")) < 1e-5


def test_onnx_generator_on_other_sizes_16_bit_and_the_border(tiny_model):
    from label_irst.infer.edgsp import load_edgsp

    model = load_edgsp(tiny_model[1].with_suffix(".json"))
    for shape, dtype, seeds in (
        ((33, 47), np.uint8, [(20, 15)]),
        ((300, 200), np.uint16, [(100, 150), (50, 50)]),
        ((40, 40), np.uint16, [(0, 0), (39, 39), (1, 38)]),
    ):
        img, _ = blob_frame(shape, seeds, amp=3000.0, base=1000.0, dtype=dtype)
        results = model.generate(img, seeds, 20.0)
        assert len(results) == len(seeds)
        for r, (x, y) in zip(results, seeds):
            full = r.to_full(shape)
            assert r.area >= 1 and full.sum() == r.area  # nothing outside the frame
            x0, y0, x1, y1 = r.mask.bbox
            assert x0 <= x < x1 and y0 <= y < y1  # BBM: the click's box
            assert r.generator == "edgsp" and np.isfinite(r.radius)


def test_batched_and_single_clicks_agree_and_convention_batches(tiny_model, monkeypatch):
    from label_irst.infer import edgsp as runtime

    monkeypatch.setenv(runtime.ENV, str(tiny_model[1].with_suffix(".json")))
    runtime.forget_models()
    img, _ = blob_frame((64, 64), [(20, 20), (44, 40)])
    seeds = [(20, 20), (44, 40)]
    single = [get_generator("edgsp").fn(img, s, 20.0) for s in seeds]
    many = get_generator("edgsp").many(img, seeds, 20.0)
    for a, b in zip(single, many):
        assert np.array_equal(a.to_full(img.shape), b.to_full(img.shape))
    wider = Convention("edgsp", {"margin": 1}).generate_many(img, seeds, [10.0, 30.0])
    assert [w.area > s.area for w, s in zip(wider, single)] == [True, True]
    assert [w.support_radius for w in wider] == [10.0, 30.0]
    runtime.forget_models()


def test_missing_or_corrupt_model_is_one_line_and_the_registry_falls_back(tmp_path, caplog):
    from label_irst.infer import edgsp as runtime

    with pytest.raises(LabelIrstError, match="no such model file") as err:
        runtime.load_edgsp(tmp_path / "none.json")
    assert "\n" not in str(err.value)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(LabelIrstError, match="not a model metadata record"):
        runtime.load_edgsp(tmp_path / "bad.json")
    record = {"format": runtime.FORMAT, "graph": "m.onnx", "crop": 32, "threshold": 0.5}
    (tmp_path / "m.json").write_text(json.dumps({**record, "tta": 9}))
    with pytest.raises(LabelIrstError, match="bad crop, tta or threshold"):
        runtime.load_edgsp(tmp_path / "m.json")
    (tmp_path / "m.json").write_text(json.dumps(record))
    (tmp_path / "m.onnx").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(LabelIrstError, match="cannot load the ONNX graph") as err:
        runtime.load_edgsp(tmp_path / "m.json")
    assert "\n" not in str(err.value)
    img, _ = blob_frame((64, 64), [(30, 30)])
    bad = tmp_path / "m.json"
    try:
        with caplog.at_level(logging.WARNING, logger="label_irst.infer"):
            result = get_generator("edgsp").fn(img, (30, 30), 20.0, model=bad)
            get_generator("edgsp").grow(img, (30, 30), 20.0, bad)
        assert result.generator == "pamg+" and result.area > 0
        warnings = [r.getMessage() for r in caplog.records if "using pamg+" in r.getMessage()]
        assert len(warnings) == 1 and "m.onnx" in warnings[0]
    finally:
        runtime.forget_models()


def test_train_generator_resumes_and_fine_tunes(tiny_model, tmp_path):
    root, tiny = tiny_model
    out = tmp_path / "run"
    base = [
        "train-generator", str(root), "--out", str(out), "--per-example", "2", "--batch", "8",
        "--width", "4", "--quiet",
    ]  # fmt: skip
    assert main([*base, "--epochs", "1"]) == 0
    first = json.loads(out.with_suffix(".json").read_text())["training"]["history"]
    assert main([*base, "--epochs", "2", "--resume"]) == 0
    history = json.loads(out.with_suffix(".json").read_text())["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2] and history[0] == first[0]
    tuned = tmp_path / "tuned"
    args = ["train-generator", str(root), "--out", str(tuned), "--init", str(tiny) + ".json"]
    assert main([*args, "--epochs", "1", "--per-example", "2", "--quiet"]) == 0
    record = json.loads(tuned.with_suffix(".json").read_text())
    assert record["training"]["config"]["init"] == "tiny.json"
    assert record["training"]["init_held_out_miou"] is not None
    assert record["architecture"]["width"] == 4  # the initial model's architecture is kept


def test_train_generator_bad_input_is_one_line(tmp_path, capsys):
    assert main(["train-generator", str(tmp_path / "nope"), "--out", str(tmp_path / "m")]) == 2
    assert "no such dataset folder" in capsys.readouterr().err
    args = ["train-generator", str(tmp_path), "--out", str(tmp_path / "m"), "--init", "x.json"]
    make_dataset(tmp_path / "d")
    args[1] = str(tmp_path / "d")
    assert main(args) == 2
    assert "--init x.json" in capsys.readouterr().err


def test_box2mask_with_edgsp_runs_one_batch_per_frame(tiny_model, tmp_path, monkeypatch):
    from label_irst.infer import edgsp as runtime

    monkeypatch.setenv(runtime.ENV, str(tiny_model[1].with_suffix(".json")))
    runtime.forget_models()
    calls = []
    real = runtime.EDGSPModel.probabilities
    monkeypatch.setattr(
        runtime.EDGSPModel, "probabilities", lambda self, b: calls.append(len(b)) or real(self, b)
    )
    images = tmp_path / "images"
    images.mkdir()
    img, _ = blob_frame((64, 64), [(20, 20), (44, 40)])
    cv2.imwrite(str(images / "a.png"), img)
    (tmp_path / "points.csv").write_text("image,x,y\na.png,20,20\na.png,44,40\n")
    args = ["point2mask", str(images), "--points", str(tmp_path / "points.csv")]
    assert main([*args, "--out", str(tmp_path / "out"), "--generator", "edgsp"]) == 0
    tta = json.loads(tiny_model[1].with_suffix(".json").read_text())["tta"]
    assert calls == [2 * tta]  # both seeds, every view, one session call
    assert cv2.imread(str(tmp_path / "out" / "a.png"), cv2.IMREAD_UNCHANGED).max() == 255
    runtime.forget_models()


def test_test_time_views_map_back_onto_the_click_window():
    rng = np.random.default_rng(3)
    window = rng.random((33, 33)).astype(np.float32)
    for tta in (1, 2, 4, 8):
        views = np.stack([prompts._dihedral(window, t)[:32, :32] for t in range(tta)])
        np.testing.assert_allclose(prompts.merge_tta(views, tta)[0], window[:32, :32], atol=1e-6)
    img, _ = blob_frame((40, 50), [(25, 20)])
    x, offs, _, clicks = prompts.network_input(img, [(25, 20), (3, 2)], tta=4)
    assert x.shape == (8, 4, 32, 32) and len(offs) == len(clicks) == 2
    # every view keeps the click on the centre pixel: the prompt channel peaks there
    assert all(np.unravel_index(np.argmax(v[3]), (32, 32)) == (16, 16) for v in x)


def test_each_convention_grows_with_its_own_model_in_one_process(tmp_path):
    """Two projects' models side by side: each convention passes its model to edgsp, and
    neither changes what the other (or the default) grows: there is no process-wide choice."""
    import shutil

    from label_irst.infer import edgsp as runtime

    meta = json.loads(runtime.SHIPPED.read_text())
    shutil.copy(runtime.SHIPPED.parent / meta["graph"], tmp_path / meta["graph"])
    meta["threshold"] = 0.9
    (tmp_path / "strict.json").write_text(json.dumps(meta))
    img, _ = blob_frame((64, 64), [(30, 30)], radius=3.5, amp=60.0)
    strict = Convention("edgsp", model=str(tmp_path / "strict.json"))
    shipped = Convention("edgsp")
    area_strict = strict.generate(img, (30, 30), 20.0).area
    area_shipped = shipped.generate(img, (30, 30), 20.0).area
    assert area_strict < area_shipped  # the stricter threshold keeps fewer pixels
    assert strict.generate(img, (30, 30), 20.0).area == area_strict
    assert shipped.generate_many(img, [(30, 30)], 20.0)[0].area == area_shipped
    assert strict.generate_many(img, [(30, 30)], 20.0)[0].area == area_strict
