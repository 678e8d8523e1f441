"""RPR-Net inference with onnxruntime: decoding, providers, model errors, encoder cache,
resumable pre-labelling and detection scores."""

import json
import logging
import shutil

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer import session as session_mod
from label_irst.infer.decode import decode, peaks
from label_irst.infer.evaluate import evaluate_detections
from label_irst.infer.prelabel import prelabel
from label_irst.infer.preprocess import pad, padded_shape
from label_irst.infer.rprnet import SequenceRunner
from label_irst.infer.session import load_model, resolve
from label_irst.job import Job


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    torch = pytest.importorskip("torch")  # the export needs the training extra
    from label_irst.train.export import export_onnx
    from label_irst.train.model import RPRNet

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = RPRNet().eval()
    with torch.no_grad():  # a bias that makes a few confident peaks on random frames
        model.head.heatmap[-1].bias.fill_(0.0)
    return export_onnx(model, tmp_path_factory.mktemp("model"), "tiny")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    assert (
        main(
            [
                "synth",
                "--out",
                str(root),
                "--sequences",
                "2",
                "--frames",
                "5",
                "--size",
                "72x40",
                "--seed",
                "4",
                "--test-fraction",
                "0.5",
                "--quiet",
            ]
        )
        == 0
    )
    return root


def test_decode_hand_made_heatmap():
    hm = np.zeros((8, 10), np.float32)
    hm[2, 3], hm[6, 8], hm[6, 7], hm[0, 0] = 0.9, 0.6, 0.5, 0.2
    off = np.zeros((2, 8, 10), np.float32)
    off[:, 2, 3] = (0.25, 0.75)
    rad = np.full((8, 10), 1.5, np.float32)
    rad[6, 8] = -3.0
    dets = decode(hm, off, rad, threshold=0.3)
    assert [(d.x, d.y, d.score) for d in dets] == [
        (13.0, 11.0, pytest.approx(0.9)),
        (32.0, 24.0, pytest.approx(0.6)),
    ]
    assert dets[0].radius == 1.5 and dets[1].radius == 0.5  # radius floored at 0.5
    # the 0.5 cell next to the 0.6 peak is no peak; the 0.2 one is under the threshold
    assert len(decode(hm, off, rad, threshold=0.1)) == 3
    # targets in the padding (beyond the original frame) are dropped
    assert len(decode(hm, off, rad, 0.3, shape=(20, 30))) == 1


def test_plateaus_give_one_peak():
    hm = np.zeros((6, 6), np.float32)
    hm[2:4, 2:4] = 0.8
    rows, cols = peaks(hm, 0.5)
    assert len(rows) == 4
    assert len(decode(hm, np.zeros((2, 6, 6)), np.ones((6, 6)), 0.5)) == 1


def test_padding_replicates_to_multiples_of_16():
    img = np.arange(20 * 35, dtype=np.uint16).reshape(20, 35)
    out = pad(img)
    assert out.shape == padded_shape(20, 35) == (32, 48)
    assert np.array_equal(out[:20, :35], img)
    assert np.array_equal(out[25, :35], img[-1]) and np.array_equal(out[:20, 40], img[:, -1])


def test_provider_fallback_to_cpu_is_logged_once(model_path, monkeypatch, caplog):
    import onnxruntime as ort

    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    monkeypatch.setattr(session_mod, "_fallback_logged", set())
    with caplog.at_level(logging.WARNING, logger="label_irst.infer"):
        a = load_model(model_path, "auto")
        b = load_model(model_path, "auto")
    assert a.provider == b.provider == "CPUExecutionProvider"
    assert len([r for r in caplog.records if "CPU" in r.getMessage()]) == 1
    with pytest.raises(LabelIrstError, match="cuda"):
        load_model(model_path, "cuda")


def _cuda_works() -> bool:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False
    return shutil.which("nvidia-smi") is not None


def test_auto_device_without_gpu_runs_on_cpu(model_path):
    if _cuda_works():
        pytest.skip("a CUDA device is present: the fallback path cannot be exercised")
    assert load_model(model_path, "auto").provider == "CPUExecutionProvider"


def test_cuda_path(model_path):
    if not _cuda_works():
        pytest.skip("no CUDA device or no CUDA provider in onnxruntime on this machine")
    m = load_model(model_path, "cuda")
    assert m.provider in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
    runner = SequenceRunner(m, 0.3, batch=4)
    frames = np.random.default_rng(0).integers(0, 255, (5, 48, 64)).astype(np.uint8)
    assert len(list(runner.run(lambda t: frames[t], 5))) == 5


def test_bad_model_files_are_clear_errors(model_path, tmp_path):
    with pytest.raises(LabelIrstError, match="no such model file.*'frame'"):
        load_model(tmp_path / "missing.json")
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    with pytest.raises(LabelIrstError, match=r"junk.json: not a model metadata"):
        load_model(junk)
    record = json.loads(model_path.read_text())
    broken = tmp_path / "broken.json"
    (tmp_path / "broken.encoder.onnx").write_bytes(b"\x00garbage")
    broken.write_text(json.dumps({**record, "encoder": "broken.encoder.onnx"}))
    with pytest.raises(LabelIrstError, match=r"broken.encoder.onnx: cannot load.*'prev'"):
        load_model(broken)
    swapped = model_path.parent / "swapped.json"
    swapped.write_text(json.dumps({**record, "encoder": record["head"]}))
    with pytest.raises(
        LabelIrstError, match=r"inputs are \['prev', 'curr', 'next'\], expected \['frame'\]"
    ):
        load_model(swapped)
    assert resolve(model_path.parent / record["head"])[0] == model_path


def test_encoder_cache_runs_the_encoder_once_per_frame(model_path):
    m = load_model(model_path, "cpu", threads=1)
    frames = np.random.default_rng(1).normal(100, 10, (6, 40, 72)).astype(np.float32)
    cached = SequenceRunner(m, 0.3, cache=True)
    plain = SequenceRunner(m, 0.3, cache=False)
    batched = SequenceRunner(m, 0.3, cache=True, batch=4)
    serial = SequenceRunner(m, 0.3, cache=True, pipeline=False)
    a = [d for _, _, d in cached.run(lambda t: frames[t], 6)]
    assert [[(d.x, d.y) for d in x] for _, _, x in serial.run(lambda t: frames[t], 6)] == [
        [(d.x, d.y) for d in x] for x in a
    ]
    b = [d for _, _, d in plain.run(lambda t: frames[t], 6)]
    c = [d for _, _, d in batched.run(lambda t: frames[t], 6)]
    assert cached.encoder_runs == 6 and plain.encoder_runs == 18 and batched.encoder_runs == 6
    assert sum(map(len, a)) > 0
    for x, y, z in zip(a, b, c):
        assert [(d.x, d.y) for d in x] == [(d.x, d.y) for d in y] == [(d.x, d.y) for d in z]
        assert all(abs(p.score - q.score) < 1e-4 for p, q in zip(x, y))
    for dets in a:  # original pixels: nothing in the padding 40 -> 48 rows
        assert all(-0.5 <= d.y < 39.5 and -0.5 <= d.x < 71.5 for d in dets)


def test_frames_of_different_sizes_in_one_sequence_are_refused(model_path):
    m = load_model(model_path, "cpu", threads=1)
    frames = [np.zeros((32, 32), np.uint8), np.zeros((32, 48), np.uint8)]
    with pytest.raises(LabelIrstError, match="one size"):
        list(SequenceRunner(m).run(frames.__getitem__, 2))


def test_prelabel_resumes_where_it_stopped(model_path, dataset, tmp_path):
    m = load_model(model_path, "cpu", threads=1)
    full = prelabel(dataset, m, tmp_path / "full", masks=True)
    assert full.frames == 10 and full.skipped_frames == 0

    job = Job()
    job.progress = lambda done, total: job.cancel.set() if done >= 3 else None
    part = prelabel(dataset, m, tmp_path / "part", masks=True, flush=1, job=job)
    assert part.frames == 3
    rest = prelabel(dataset, m, tmp_path / "part", masks=True)
    assert rest.skipped_frames == 3 and rest.frames == 7
    for seq in ("seq0000", "seq0001"):
        a = json.loads((tmp_path / "full" / "annotations" / f"{seq}.json").read_text())
        b = json.loads((tmp_path / "part" / "annotations" / f"{seq}.json").read_text())
        assert a["frames"] == b["frames"] and b["complete"]
    assert len(list((tmp_path / "part" / "masks").rglob("*.png"))) == 10
    again = prelabel(dataset, m, tmp_path / "part", masks=True)
    assert again.frames == 0 and again.skipped_frames == 10


def test_prelabel_command_json(model_path, dataset, tmp_path, capsys):
    code = main(
        [
            "prelabel",
            str(dataset / "images" / "seq0000"),
            "--model",
            str(model_path),
            "--out",
            str(tmp_path / "o"),
            "--device",
            "cpu",
            "--json",
            "--quiet",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frames"] == 5 and out["provider"] == "CPUExecutionProvider"
    assert {"targets", "fps"} <= set(out)
    assert (tmp_path / "o" / "annotations" / "seq0000.json").is_file()
    assert (
        main(
            [
                "prelabel",
                str(dataset),
                "--model",
                str(tmp_path / "nope.json"),
                "--out",
                str(tmp_path / "o2"),
            ]
        )
        == 2
    )
    assert "nope.json" in capsys.readouterr().err


def _write_predictions(out, dataset, extra=None):
    for ann in (dataset / "annotations").glob("*.json"):
        record = json.loads(ann.read_text())
        for f in record["frames"]:
            for t in f["targets"]:
                t["score"] = 0.9
            if extra and f["frame"] == "00000" and record["sequence"] == "seq0000":
                f["targets"].append(extra)
        (out / "annotations").mkdir(parents=True, exist_ok=True)
        (out / "annotations" / ann.name).write_text(json.dumps(record))


def test_eval_detections_perfect_and_with_a_false_alarm(dataset, tmp_path, capsys):
    _write_predictions(tmp_path / "perfect", dataset)
    s = evaluate_detections(tmp_path / "perfect", dataset).summary()
    assert s["pd"] == 100.0 and s["fa"] == 0.0 and s["frames"] == 10
    assert s["auc"] > 0.9 and 0 < s["miou_circle"] <= 100
    far = {"x": 1.0, "y": 1.0, "radius": 1.0, "score": 0.5}
    _write_predictions(tmp_path / "noisy", dataset, far)
    s2 = evaluate_detections(tmp_path / "noisy", dataset).summary()
    assert s2["pd"] == 100.0 and s2["fa"] == pytest.approx(5 / (10 * 72 * 40))
    s3 = evaluate_detections(tmp_path / "noisy", dataset, min_score=0.6).summary()
    assert s3["pd"] == 100.0 and s3["fa"] == 0.0
    empty = tmp_path / "empty" / "annotations"
    empty.mkdir(parents=True)
    for ann in (dataset / "annotations").glob("*.json"):
        r = json.loads(ann.read_text())
        r["frames"] = [{"frame": f["frame"], "targets": []} for f in r["frames"]]
        (empty / ann.name).write_text(json.dumps(r))
    assert evaluate_detections(tmp_path / "empty", dataset).summary()["pd"] == 0.0
    code = main(
        [
            "eval-detections",
            "--pred",
            str(tmp_path / "perfect"),
            "--gt",
            str(dataset),
            "--split",
            "test",
            "--json",
            "--quiet",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert {"pd", "fa", "auc", "miou_circle", "miou_mask"} <= set(out) and out["frames"] == 5


def test_masks_from_guided_pamg_cover_bright_targets(model_path, tmp_path):
    from label_irst.infer.decode import Detection
    from label_irst.infer.prelabel import guided_masks

    img = np.full((40, 40), 50.0)
    yy, xx = np.mgrid[0:40, 0:40]
    img += 100 * np.exp(-((xx - 20) ** 2 + (yy - 15) ** 2) / 4.0)
    img += np.random.default_rng(0).normal(0, 1, img.shape)
    full, areas = guided_masks(img.astype(np.float32), [Detection(20.0, 15.0, 2.0, 0.9)])
    assert full[15, 20] and 3 <= areas[0] <= 60 and full.sum() == areas[0]


def test_shipped_models_load_with_their_metadata():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "models"
    for name, precision in (("rprnet.json", None), ("rprnet-int8.json", "int8")):
        m = load_model(root / name, "cpu", threads=1, precision="fp32")
        assert m.meta["variant"] == "temporal" and m.meta.get("precision") == precision
        assert 0 < m.meta["threshold"] < 1 and m.meta["training"]["train_config"]["supervision"]
        frames = np.zeros((2, 40, 50), np.uint8)
        frames[:, 20, 25] = 200
        out = list(SequenceRunner(m, m.meta["threshold"]).run(frames.__getitem__, 2))
        assert [t for t, _, _ in out] == [0, 1]


def test_on_the_cpu_a_shipped_model_runs_as_its_int8_copy_unless_fp32_is_asked(tmp_path, caplog):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "models"
    for stem in ("rprnet-real", "rprnet"):
        auto = load_model(root / f"{stem}.json", "cpu", threads=1)
        assert auto.path == root / f"{stem}-int8.json" and auto.meta["precision"] == "int8"
        assert auto.named == root / f"{stem}.json" and auto.precision == "auto"
        fp32 = load_model(root / f"{stem}.json", "cpu", threads=1, precision="fp32")
        assert fp32.path == root / f"{stem}.json" and fp32.named is None
        assert "precision" not in fp32.meta and fp32.precision == "fp32"
    # a copy that is missing (or not a model) is logged and the float model runs
    for f in ("rprnet.json", "rprnet.encoder.onnx", "rprnet.head.onnx"):
        shutil.copy(root / f, tmp_path / f)
    with caplog.at_level("INFO", logger="label_irst.infer"):
        alone = load_model(tmp_path / "rprnet.json", "cpu", threads=1)
    assert alone.path == tmp_path / "rprnet.json" and alone.named is None
    assert "its CPU copy is not usable" in caplog.text and "rprnet-int8.json" in caplog.text
    with pytest.raises(LabelIrstError, match="unknown precision"):
        load_model(root / "rprnet.json", "cpu", precision="int4")


def test_prelabel_names_the_model_that_ran_and_fp32_runs_the_float_one(tmp_path, capsys):
    from label_irst.core.synthetic import synthetic_sequence
    from label_irst.io.images import write_image

    frames, _, _ = synthetic_sequence(frames=3, shape=(64, 80), count=1, seed=4)
    for i, frame in enumerate(frames):
        write_image(tmp_path / "seq" / f"{i:03d}.png", frame)
    for flags, name in (
        ([], "rprnet-real-int8.json"),
        (["--precision", "fp32"], "rprnet-real.json"),
    ):
        out = tmp_path / f"out{len(flags)}"
        code = main(["prelabel", str(tmp_path / "seq"), "--out", str(out), "--device", "cpu",
                     "--quiet", "--json", *flags])  # fmt: skip
        assert code == 0
        header = json.loads(next((out / "annotations").glob("*.json")).read_text())
        assert header["model"] == name and json.loads(capsys.readouterr().out)["model"] == name


def _project_with_confirmed_target(dataset, tmp_path):
    from label_irst.core.pamg import pamg
    from label_irst.io.images import read_image
    from label_irst.io.project import ProjectStore, Target

    folder = dataset / "images" / "seq0000"
    truth = json.loads((dataset / "annotations" / "seq0000.json").read_text())["frames"][1]
    t0 = truth["targets"][0]
    g = pamg(read_image(folder / "00001.png"), (t0["x"], t0["y"]))
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(folder, "folder", 5)
        target = Target(
            sequence_id=seq,
            frame=1,
            mask=g.mask,
            seed=g.seed,
            source="pamg",
            status="confirmed",
            rho=0.0,
        )
        store.save_target(target, "00001.png", (40, 72))
    return path, seq


def test_prelabel_a_project_stores_model_candidates_once(model_path, dataset, tmp_path, capsys):
    from label_irst.io.project import ProjectStore

    path, seq = _project_with_confirmed_target(dataset, tmp_path)
    args = ["prelabel", str(path), "--model", str(model_path), "--device", "cpu"]
    args += ["--threshold", "0.3", "--no-track", "--json", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "o1")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["frames"] == 5 and out["targets"] > 0
    record = json.loads((tmp_path / "o1" / "annotations" / "seq0000.json").read_text())
    assert record["complete"] and len(record["frames"]) == 5
    with ProjectStore.open(path, readonly=True) as store:
        first = store.targets(seq)
    model = [t for t in first if t.source == "model"]
    assert model and all(t.status == "candidate" for t in model)
    assert [t.status for t in first if t.source == "pamg"] == ["confirmed"]
    assert main([*args, "--out", str(tmp_path / "o2")]) == 0  # a second run replaces them
    capsys.readouterr()
    with ProjectStore.open(path, readonly=True) as store:
        second = store.targets(seq)
    assert len(second) == len(first)
    assert {t.id for t in second if t.source == "model"}.isdisjoint({t.id for t in model})
    with ProjectStore.open(path):  # open elsewhere: refused with one line, nothing written
        assert main([*args, "--out", str(tmp_path / "o3")]) == 2
    assert "open" in capsys.readouterr().err
    assert not (tmp_path / "o3" / "annotations").exists()


def test_project_sequences_carry_confirmed_targets(dataset, tmp_path):
    from label_irst.infer.project import project_sequences
    from label_irst.io.project import ProjectStore

    path, _ = _project_with_confirmed_target(dataset, tmp_path)
    with ProjectStore.open(path, readonly=True) as store:
        (seq,) = project_sequences(store)
    assert seq.name == "seq0000" and seq.stems() == ["00000", "00001", "00002", "00003", "00004"]
    ((x, y, r),) = seq.confirmed["00001"]
    truth = json.loads((dataset / "annotations" / "seq0000.json").read_text())["frames"][1]
    assert np.hypot(x - truth["targets"][0]["x"], y - truth["targets"][0]["y"]) < 3 and r > 0
    assert seq.read(2).shape == (40, 72)
    seq.close()
