"""Image sets are not sequences: a folder of unrelated images is pre-annotated image by image
(still triplets, any sizes), numbered frames of one size and videos are sequences, --still and
--sequence override, and an image that cannot be read counts as skipped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.synthetic import synthetic_sequence
from label_irst.infer.prelabel import prelabel
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import load_model
from label_irst.infer.tracks import DEFAULT_TRACKING
from label_irst.io.images import write_image

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL, "cpu", threads=1)


def _images(folder: Path, names_shapes, seed=0) -> list[np.ndarray]:
    out = []
    for k, (name, shape) in enumerate(names_shapes):
        frames, _, _ = synthetic_sequence(frames=1, shape=shape, count=2, seed=seed + k,
                                          dtype=np.uint16)  # fmt: skip
        write_image(folder / name, frames[0])
        out.append(frames[0])
    return out


def _record(out: Path, name: str) -> dict:
    return json.loads((out / "annotations" / f"{name}.json").read_text())


def _alone(model, tmp_path: Path, image: np.ndarray, name: str) -> list[dict]:
    """The targets of ``image`` pre-annotated as a folder of its own (a still triplet)."""
    folder = tmp_path / "alone" / name
    write_image(folder / "x.png", image)
    prelabel(folder, model, tmp_path / "alone-out" / name, threshold=0.05)
    return _record(tmp_path / "alone-out" / name, name)["frames"][0]["targets"]


def test_unrelated_images_of_several_sizes_are_pre_annotated_one_by_one(model, tmp_path):
    folder = tmp_path / "set"
    images = _images(folder, [("sky.png", (64, 96)), ("sea.png", (96, 128)), ("b7.png", (64, 96))])
    [seq] = read_sequences(folder)
    assert seq.still
    # tracking is asked for, and not used; a low threshold: the model finds few still targets
    report = prelabel(folder, model, tmp_path / "o", threshold=0.05, tracking=DEFAULT_TRACKING)
    assert report.frames == 3 and report.skipped_frames == 0 and report.tracks == 0
    record = _record(tmp_path / "o", "set")
    assert record["tracking"] is None and [f["frame"] for f in record["frames"]] == [
        "b7", "sea", "sky",
    ]  # fmt: skip
    by_name = {f["frame"]: f["targets"] for f in record["frames"]}
    assert any(by_name.values())
    for image, name in zip(images, ("sky", "sea", "b7")):
        assert by_name[name] == _alone(model, tmp_path, image, name)


def test_numbered_frames_of_one_size_are_a_sequence_and_the_flags_override(model, tmp_path):
    frames, _, _ = synthetic_sequence(frames=5, shape=(64, 96), count=2, seed=3, dtype=np.uint16)
    folder = tmp_path / "rec"
    for k, f in enumerate(frames):
        write_image(folder / f"f_{k}.png", f)
    [seq] = read_sequences(folder)
    assert not seq.still
    [seq] = read_sequences(folder, mode="still")
    assert seq.still
    same_size = tmp_path / "same"
    _images(same_size, [("cat.png", (64, 96)), ("dog.png", (64, 96))])
    assert read_sequences(same_size)[0].still
    assert not read_sequences(same_size, mode="sequence")[0].still
    base = ["prelabel", str(folder), "--model", str(MODEL), "--device", "cpu", "--quiet"]
    assert main([*base, "--out", str(tmp_path / "seq")]) == 0
    assert _record(tmp_path / "seq", "rec")["tracking"] is not None
    assert main([*base, "--still", "--out", str(tmp_path / "still")]) == 0
    assert _record(tmp_path / "still", "rec")["tracking"] is None


def test_an_unreadable_image_of_a_set_is_skipped_and_counted(model, tmp_path, capsys):
    folder = tmp_path / "set"
    _images(folder, [("a.png", (64, 96)), ("c.png", (48, 80))])
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    report = prelabel(folder, model, tmp_path / "o")
    assert report.frames == 2 and report.skipped_frames == 1
    args = ["prelabel", str(folder), "--model", str(MODEL), "--device", "cpu", "--quiet"]
    assert main([*args, "--json", "--out", str(tmp_path / "o2")]) == 1  # a skip: exit 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 2 and summary["skipped_frames"] == 1


def _video(path: Path, frames: list[np.ndarray]) -> None:
    import cv2

    h, w = frames[0].shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h), False)
    assert writer.isOpened()
    for f in frames:
        writer.write((f / max(f.max(), 1) * 255).astype(np.uint8))
    writer.release()


def test_videos_are_sequences_with_frames_named_by_index(model, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for k in range(2):
        frames, _, _ = synthetic_sequence(frames=4, shape=(64, 96), count=2, seed=k,
                                          dtype=np.uint16)  # fmt: skip
        _video(folder / f"clip{k}.avi", frames)
    report = prelabel(folder / "clip1.avi", model, tmp_path / "one")
    assert report.frames == 4 and report.sequences == 1
    record = _record(tmp_path / "one", "clip1")
    assert [f["frame"] for f in record["frames"]] == [f"clip1_{i:06d}" for i in range(4)]
    report = prelabel(folder, model, tmp_path / "all")
    assert report.frames == 8 and report.sequences == 2
    assert _record(tmp_path / "all", "clip1") == record
