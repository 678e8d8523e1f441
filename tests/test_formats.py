"""Dataset formats: round trips (16-bit frames, names with spaces and unicode), layout, safety."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from label_irst.core.geometry import CroppedMask
from label_irst.core.synthetic import synthetic_frame
from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, Target
from label_irst.io.formats import detect_format, export_dataset, read_dataset
from label_irst.io.formats._common import plan_export
from label_irst.io.images import read_image
from label_irst.job import Job

SEQUENCES = ("Straße 1", "seq α/β")  # a space, non-ASCII letters and a separator to sanitise


def make_dataset(dtype=np.uint16, frames_per_seq=3) -> Annotations:
    """Two sequences of 16-bit frames; targets with ids, track ids, statuses and rho."""
    frames = []
    for s, seq in enumerate(SEQUENCES):
        for f in range(frames_per_seq):
            image, _, _, masks = synthetic_frame((48, 64), count=2, seed=10 * s + f, dtype=dtype,
                                                 margin=8, min_gap=12)  # fmt: skip
            if dtype == np.uint16:  # a pedestal so every frame really needs more than 8 bits
                image = (image.astype(np.int32) + 800).astype(np.uint16)
            targets = [
                Target(
                    mask=CroppedMask.from_full(m),
                    id=k + 1,
                    track_id=k + 1,
                    source="pamg",
                    status="confirmed" if k == 0 else "candidate",
                    rho=1.5 + k,
                )  # fmt: skip
                for k, m in enumerate(masks)
            ]
            name = f"frame {f:02d}" if f else "帧 0"
            frames.append(
                Frame(seq, name, None, image.shape, str(image.dtype), targets, image=image)
            )
    frames.append(Frame(SEQUENCES[0], "empty", None, (48, 64), "uint16", [],
                        image=np.full((48, 64), 1000, np.uint16)))  # fmt: skip
    return Annotations(frames, name="demo", meta={"generator": "pamg", "generator_settings": {}})


def masks_by_name(ann: Annotations, flat: bool = False) -> dict[str, list[bytes]]:
    """Per frame (keyed by frame name), the sorted per-target full masks."""
    out = {}
    for frame in ann.frames:
        key = frame.name.split("_", 1)[1] if flat and "_" in frame.name else frame.name
        full = [np.packbits(t.mask.to_full(frame.shape)).tobytes() for t in frame.targets]
        out[(frame.sequence if not flat else "") + "|" + key] = sorted(full)
    return out


def expected(ann: Annotations, flat: bool = False) -> dict[str, list[bytes]]:
    got = masks_by_name(ann)
    if not flat:
        return {k.replace("/", "_"): v for k, v in got.items()}
    return {"|" + k.split("|", 1)[1]: v for k, v in got.items()}


@pytest.mark.parametrize("fmt", ["sirstd-pixel", "coco", "labelme"])
def test_round_trip_keeps_every_target_mask(tmp_path, fmt):
    ann = make_dataset()
    out = tmp_path / "out"
    export_dataset(ann, fmt, out)
    assert detect_format(out) in (fmt, "sirst") if fmt == "sirstd-pixel" else fmt
    back = read_dataset(out, fmt)
    assert masks_by_name(back) == expected(ann)
    for frame in back.frames:
        assert frame.load_image().dtype == np.uint16, frame.key  # 16-bit stays 16-bit
    src = {f"{f.sequence.replace('/', '_')}|{f.name}": f for f in ann.frames}
    for frame in back.frames:
        original = src[f"{frame.sequence}|{frame.name}"]
        np.testing.assert_array_equal(frame.load_image(), original.image)
        assert {(t.id, t.track_id, t.status) for t in frame.targets} == {
            (t.id, t.track_id, t.status) for t in original.targets
        }


def test_sirst_round_trip_keeps_union_masks_and_16_bit(tmp_path):
    ann = make_dataset(frames_per_seq=2)
    export_dataset(ann, "sirst", tmp_path / "out")
    back = read_dataset(tmp_path / "out", "sirst")
    assert len(back.frames) == len(ann.frames)
    by_name = {f.name: f for f in back.frames}
    for frame in ann.frames:
        seq, _ = frame.sequence.replace("/", "_"), None
        got = by_name[f"{seq}_{frame.name}"]
        np.testing.assert_array_equal(got.union_mask(), frame.union_mask())
        assert got.load_image().dtype == np.uint16
        assert got.split in ("train", "test")


def test_csv_round_trip_keeps_centroids_radii_and_ids(tmp_path):
    ann = make_dataset()
    export_dataset(ann, "csv", tmp_path / "out")
    back = read_dataset(tmp_path / "out")
    assert len(back.frames) == len(ann.frames)
    src = {f"{f.sequence.replace('/', '_')}|{f.name}": f for f in ann.frames}
    for frame in back.frames:
        original = src[f"{frame.sequence}|{frame.name}"]
        want = sorted((t.id, *t.centroid, t.radius) for t in original.targets)
        got = sorted((r.id, *r.seed, r.radius) for r in frame.review)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g == pytest.approx(w, abs=1e-3)


def test_sirstd_pixel_layout_loads_with_a_toolbox_style_loader(tmp_path):
    ann = make_dataset()
    export_dataset(ann, "sirstd-pixel", tmp_path / "ds", only_confirmed=True)
    root = tmp_path / "ds"
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert (
        meta["version"] and meta["generator"] == "pamg" and meta["split_rule"]["by"] == "sequence"
    )
    seen, splits_of_seq = 0, {}
    for split in ("train", "test"):  # the loop of a BasicIRSTD-style Dataset
        names = (root / "img_idx" / f"{split}_demo.txt").read_text(encoding="utf-8").split("\n")
        for name in filter(None, names):
            img = Image.open(root / "images" / f"{name}.png")
            mask = np.array(Image.open(root / "masks" / f"{name}.png"))
            assert img.mode.startswith("I") and np.array(img).max() > 255  # 16-bit
            assert mask.shape == np.array(img).shape and set(np.unique(mask)) <= {0, 255}
            splits_of_seq.setdefault(name.split("/")[0], set()).add(split)
            seen += 1
    assert seen == len(ann.frames)
    assert all(len(s) == 1 for s in splits_of_seq.values())  # by sequence, never by frame
    assert {next(iter(s)) for s in splits_of_seq.values()} == {"train", "test"}
    record = json.loads((root / "annotations" / "Straße 1.json").read_text(encoding="utf-8"))
    first = record["frames"][0]["targets"]
    assert [t["status"] for t in first] == ["confirmed"]  # --only-confirmed dropped candidates
    assert {"id", "track_id", "centroid", "radius", "bbox", "area", "source", "rho"} <= set(
        first[0]
    )


def test_coco_rle_decodes_with_pycocotools(tmp_path):
    mask_api = pytest.importorskip("pycocotools.mask")
    ann = make_dataset(frames_per_seq=1)
    export_dataset(ann, "coco", tmp_path / "c")
    data = json.loads((tmp_path / "c" / "annotations.json").read_text(encoding="utf-8"))
    by_image = {i["id"]: i for i in data["images"]}
    frames = {(f.sequence.replace("/", "_"), f.name): f for f in ann.frames}
    checked = 0
    for item in data["annotations"]:
        image = by_image[item["image_id"]]
        frame = frames[(image["sequence"], image["frame"])]
        decoded = mask_api.decode({"size": item["segmentation"]["size"],
                                   "counts": item["segmentation"]["counts"].encode()})  # fmt: skip
        union = frame.union_mask()
        assert decoded.shape == frame.shape and decoded.sum() == item["area"]
        assert (decoded.astype(bool) <= union).all()
        assert mask_api.area({"size": item["segmentation"]["size"],
                              "counts": item["segmentation"]["counts"].encode()}) == item["area"]  # fmt: skip
        checked += 1
    assert checked == ann.target_count


def test_export_refuses_a_non_empty_folder_and_replaces_it_with_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    ann = make_dataset(frames_per_seq=1)
    with pytest.raises(LabelIrstError, match="not empty"):
        export_dataset(ann, "sirst", out)
    assert (out / "keep.txt").exists()
    export_dataset(ann, "sirst", out, force=True)
    assert not (out / "keep.txt").exists() and (out / "meta.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    from label_irst.io.formats import coco

    def broken(*args, **kwargs):
        raise LabelIrstError("disk full")

    monkeypatch.setattr(coco, "write", broken)
    with pytest.raises(LabelIrstError, match="disk full"):
        export_dataset(make_dataset(frames_per_seq=1), "coco", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_splits_are_by_sequence_and_keep_given_ones():
    ann = make_dataset()
    for frame in ann.frames:
        if frame.sequence == SEQUENCES[0]:
            frame.split = "test"
    plan = plan_export(ann)
    splits = {(f.sequence, plan.split_of(f)) for f in ann.frames}
    assert splits == {(SEQUENCES[0], "test"), (SEQUENCES[1], "train")}
    assert plan.name_of(ann.frames[3])[0] == "seq α_β"


def test_coco_import_refuses_paths_outside_the_dataset(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "secret.png")
    root = tmp_path / "ds"
    (root / "images").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "images" / "ok.png")
    data = {
        "images": [
            {"id": 1, "file_name": "../../secret.png", "width": 8, "height": 8},
            {"id": 2, "file_name": "/etc/passwd", "width": 8, "height": 8},
            {"id": 3, "file_name": "ok.png", "width": 8, "height": 8},
        ],
        "annotations": [{"id": 1, "image_id": 3, "category_id": 1, "bbox": [2, 2, 3, 3]}],
    }
    (root / "annotations.json").write_text(json.dumps(data))
    job = Job()
    ann = read_dataset(root, job=job)
    assert [f.name for f in ann.frames] == ["ok"]
    assert len(job.warnings) == 2 and all("'..'" in w or "absolute" in w for w in job.warnings)
    assert ann.frames[0].review[0].seed == (3.0, 3.0)  # bbox-only -> review queue, box centre


def test_float_frames_are_exported_as_tiff_with_a_warning(tmp_path):
    image = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    target = Target(mask=CroppedMask(np.ones((2, 2), bool), (3, 3)), id=0)
    ann = Annotations([Frame("", "f", None, (8, 8), "float32", [target], image=image)])
    job = Job()
    export_dataset(ann, "sirst", tmp_path / "o", job=job)
    assert read_image(tmp_path / "o" / "images" / "f.tiff").dtype == np.float32
    assert job.warnings and "TIFF" in job.warnings[0]
