"""A checkpoint can run no code: every command that reads a ``.pt`` refuses a crafted pickle with
one line, and the file the pickle tries to write is never written."""

import pathlib

import numpy as np
import pytest

from label_irst.cli import main

torch = pytest.importorskip("torch", reason="checkpoints are read by the train extra (torch)")


class Plant:
    """Unpickles as ``Path(target).write_text("planted")``: what a hostile checkpoint does."""

    def __init__(self, target):
        self.target = pathlib.Path(target)

    def __reduce__(self):
        return (pathlib.Path.write_text, (self.target, "planted"))


def crafted(path, target, config=None) -> pathlib.Path:
    """A checkpoint shaped like ours whose pickle writes ``target`` when read unrestricted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": Plant(target), "config": config or {"temporal": True}}, path)
    return path


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and err.count("label-irst: error:") == 1, err
    last = err.splitlines()[-1]
    assert last.startswith("label-irst: error:") and "refused" in last, err
    return last


def test_the_crafted_checkpoint_is_a_real_attack(tmp_path):
    marker = tmp_path / "planted.txt"
    ckpt = crafted(tmp_path / "evil.pt", marker)
    torch.load(ckpt, weights_only=False)  # what every load did before
    assert marker.read_text() == "planted"


def test_export_onnx_refuses_it(tmp_path, capsys):
    marker = tmp_path / "planted.txt"
    ckpt = crafted(tmp_path / "evil.pt", marker)
    assert main(["export-onnx", str(ckpt), "--out", str(tmp_path / "m")]) == 2
    one_line_error(capsys)
    assert not marker.exists() and not (tmp_path / "m").exists()


@pytest.fixture(scope="module")
def rpr_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("rpr") / "data"
    args = ["--sequences", "2", "--frames", "3", "--size", "64x48", "--seed", "1", "--quiet"]
    assert main(["synth", "--out", str(data), "--test-fraction", "0.5", *args]) == 0
    return data


TRAIN = ["--steps", "1", "--batch", "2", "--crop", "32", "--supervision", "points"]
TRAIN += ["--val-frames", "1", "--epochs", "1", "--quiet"]


def test_train_init_refuses_it(tmp_path, rpr_data, capsys):
    marker = tmp_path / "planted.txt"
    ckpt = crafted(tmp_path / "evil.pt", marker)
    capsys.readouterr()
    args = ["train", str(rpr_data), "--out", str(tmp_path / "ck"), "--init", str(ckpt), *TRAIN]
    assert main(args) == 2
    one_line_error(capsys)
    assert not marker.exists() and not (tmp_path / "ck" / "checkpoint.pt").exists()


def test_train_resume_refuses_it(tmp_path, rpr_data, capsys):
    marker = tmp_path / "planted.txt"
    ckpt = crafted(tmp_path / "ck" / "checkpoint.pt", marker)
    before = ckpt.read_bytes()
    capsys.readouterr()
    assert main(["train", str(rpr_data), "--out", str(tmp_path / "ck"), *TRAIN]) == 2
    one_line_error(capsys)
    assert not marker.exists() and ckpt.read_bytes() == before


@pytest.fixture(scope="module")
def mask_data(tmp_path_factory):
    import cv2

    root = tmp_path_factory.mktemp("edgsp") / "set"
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:48, 0:48]
    for i in range(4):
        img = rng.normal(40, 2, (48, 48))
        truth = np.zeros((48, 48), np.uint8)
        for x, y in ((12 + i, 14), (33, 30 - i)):
            img += 120 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / 4.0)
            truth[(xx - x) ** 2 + (yy - y) ** 2 <= 4] = 255
        cv2.imwrite(str(root / "images" / f"f{i}.png"), img.clip(0, 255).astype(np.uint8))
        cv2.imwrite(str(root / "masks" / f"f{i}.png"), truth)
    return root


GEN = ["--epochs", "1", "--per-example", "1", "--batch", "8", "--width", "4", "--quiet"]


def test_train_generator_init_refuses_it(tmp_path, mask_data, capsys):
    marker = tmp_path / "planted.txt"
    ckpt = crafted(tmp_path / "m" / "evil.pt", marker, {"width": 4})
    (tmp_path / "m" / "evil.json").write_text("{}")
    out = tmp_path / "out" / "g"
    for init in (ckpt, ckpt.with_suffix(".json")):  # the app passes the model's .json
        args = ["train-generator", str(mask_data), "--out", str(out), "--init", str(init), *GEN]
        assert main(args) == 2
        one_line_error(capsys)
        assert not marker.exists() and not out.with_suffix(".onnx").exists()


def test_train_generator_resume_refuses_it(tmp_path, mask_data, capsys):
    marker = tmp_path / "planted.txt"
    out = tmp_path / "out" / "g"
    crafted(out.with_name("g.train") / "checkpoint.pt", marker, {"width": 4})
    args = ["train-generator", str(mask_data), "--out", str(out), "--resume", *GEN]
    assert main(args) == 2
    one_line_error(capsys)
    assert not marker.exists() and not out.with_suffix(".onnx").exists()


def test_a_file_that_is_no_checkpoint_is_one_line(tmp_path, capsys):
    for name, data in (("garbage.pt", b"not a checkpoint"), ("list.pt", None)):
        path = tmp_path / name
        if data is None:
            torch.save([1, 2, 3], path)
        else:
            path.write_bytes(data)
        assert main(["export-onnx", str(path), "--out", str(tmp_path / "m")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("label-irst: error:"), err


def test_written_checkpoints_read_back_under_the_rule(tmp_path):
    from label_irst.train import checkpoint

    state = {"a": np.float64(1.5), "b": [np.int32(2), (np.float32(0.5),)], "p": tmp_path}
    state["w"] = torch.ones(2)
    checkpoint.save(tmp_path / "c.pt", state)
    back = checkpoint.load(tmp_path / "c.pt")
    assert back["a"] == 1.5 and type(back["a"]) is float and back["b"] == [2, (0.5,)]
    assert back["p"] == str(tmp_path) and torch.equal(back["w"], torch.ones(2))


def test_older_checkpoints_with_numpy_scalars_still_read(tmp_path):
    from label_irst.train import checkpoint

    torch.save({"history": [{"fa": np.float64(1e-6), "n": np.int64(3)}]}, tmp_path / "old.pt")
    history = checkpoint.load(tmp_path / "old.pt")["history"]
    assert history == [{"fa": 1e-6, "n": 3}]


def test_shipped_models_read_under_the_rule():
    from label_irst.train import checkpoint
    from label_irst.train.edgsp_model import build
    from label_irst.train.export import load_checkpoint

    root = pathlib.Path(__file__).resolve().parents[1] / "models"
    assert load_checkpoint(root / "rprnet.pt").config["temporal"] is True
    state = checkpoint.load(root / "edgsp.pt")
    build(state["config"]).load_state_dict(state["model"])
