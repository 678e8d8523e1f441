"""`prelabel --detector lesps`: the single-frame LESPS segmenter pre-annotates an image set (and a
project) image by image, its predicted components being the detections and the masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.infer.detector_model import SHIPPED_SEGMENTER, load_detector
from label_irst.infer.pipeline import is_single_frame
from label_irst.infer.prelabel import prelabel
from label_irst.io.images import read_mask, write_image
from label_irst.io.project import ProjectStore

ARGS = ["--device", "cpu", "--quiet", "--threads", "1"]
SPOTS = {"sky.png": ((200, 256), (100, 80)), "sea.png": ((320, 240), (50, 200)),
         "b7.png": ((96, 128), (70, 40))}  # fmt: skip


def _image(shape, centre, seed) -> np.ndarray:
    """Sensor noise over a flat background with one bright 1.5 px Gaussian spot at ``centre``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    cx, cy = centre
    spot = 120 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.5**2))
    return np.clip(60 + rng.normal(0, 3, shape) + spot, 0, 255).astype(np.uint8)


@pytest.fixture
def image_set(tmp_path) -> Path:
    folder = tmp_path / "set"
    for k, (name, (shape, centre)) in enumerate(SPOTS.items()):
        write_image(folder / name, _image(shape, centre, k))
    return folder


def _frames(out: Path, name: str) -> dict:
    record = json.loads((out / "annotations" / f"{name}.json").read_text())
    return record, {f["frame"]: f["targets"] for f in record["frames"]}


def test_the_shipped_segmenter_is_a_single_frame_detector():
    model = load_detector(SHIPPED_SEGMENTER, "cpu", 1)
    assert is_single_frame(model) and model.provider == "CPUExecutionProvider"
    dets, results = model.detect(_image((200, 256), (100, 80), 0))
    assert len(dets) == len(results) == 1
    assert abs(dets[0].x - 100) < 1.5 and abs(dets[0].y - 80) < 1.5
    g = results[0]
    assert g.generator == "lesps" and g.mask.area >= 5
    x, y = g.seed
    full = g.mask.to_full((200, 256))
    assert full[y, x] and full[80, 100]  # the seed lies inside its own mask


def test_prelabel_detector_lesps_finds_each_spot_of_an_image_set_with_its_mask(image_set, tmp_path):
    out = tmp_path / "out"
    assert main(["prelabel", str(image_set), "--detector", "lesps", "--masks", "--out",
                 str(out), *ARGS]) == 0  # fmt: skip
    record, frames = _frames(out, "set")
    assert record["tracking"] is None and record["model"] == "lesps-sirst.json"
    assert record["generator"] == "lesps-sirst.json"  # the masks are the segmenter's own
    for name, (shape, (cx, cy)) in SPOTS.items():
        stem = name.removesuffix(".png")
        [target] = frames[stem]
        assert abs(target["x"] - cx) < 1.5 and abs(target["y"] - cy) < 1.5
        mask = read_mask(out / "masks" / "set" / name)
        assert mask.shape == shape and mask[cy, cx]
        assert int(mask.sum()) == target["mask_area"]


def test_a_segmenter_model_alone_picks_the_detector_and_a_mismatch_is_one_line(
    image_set, tmp_path, capsys
):
    assert main(["prelabel", str(image_set), "--model", str(SHIPPED_SEGMENTER), "--out",
                 str(tmp_path / "a"), *ARGS]) == 0  # fmt: skip
    assert len(_frames(tmp_path / "a", "set")[1]) == 3
    rprnet = SHIPPED_SEGMENTER.with_name("rprnet.json")
    capsys.readouterr()
    code = main(["prelabel", str(image_set), "--detector", "lesps", "--model", str(rprnet),
                 "--out", str(tmp_path / "b"), *ARGS])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "not a lesps model" in err[-1]
    assert not (tmp_path / "b").exists()


def test_an_unreadable_image_is_skipped_and_a_run_resumes(image_set, tmp_path):
    (image_set / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    model = load_detector(SHIPPED_SEGMENTER, "cpu", 1)
    report = prelabel(image_set, model, tmp_path / "o", threshold=0.5)
    assert report.frames == 3 and report.skipped_frames == 1 and report.tracks == 0
    again = prelabel(image_set, model, tmp_path / "o", threshold=0.5)
    assert again.frames == 0 and again.skipped_frames == 4  # all done: nothing run twice


def test_prelabel_project_with_lesps_stores_the_segmenter_masks_as_candidates(image_set, tmp_path):
    path = tmp_path / "p.lirst"
    names = sorted(SPOTS)
    with ProjectStore.open(path, create=True) as store:
        store.add_sequence(image_set, "folder", len(names))
    assert main(["prelabel", str(path), "--detector", "lesps", *ARGS]) == 0
    with ProjectStore.open(path, readonly=True) as store:
        [seq] = store.sequences()
        targets = store.targets(seq.id)
    assert len(targets) == 3
    for t in targets:
        shape, (cx, cy) = SPOTS[names[t.frame]]
        assert t.source == "model" and t.status == "candidate" and t.generator == "lesps"
        assert t.mask.to_full(shape)[cy, cx] and t.score is not None and t.score > 0.5


def test_a_segmenter_is_refused_on_a_ray_cluster_before_any_work(image_set, tmp_path):
    from label_irst.errors import LabelIrstError
    from label_irst.infer.ray_runner import RayOptions

    model = load_detector(SHIPPED_SEGMENTER, "cpu", 1)
    with pytest.raises(LabelIrstError, match="not on a Ray cluster"):
        prelabel(image_set, model, tmp_path / "o", ray=RayOptions())
    assert not (tmp_path / "o" / "annotations").exists()
