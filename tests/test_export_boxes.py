"""Boxes out: YOLO (Ultralytics layout) and Pascal-VOC exports round-trip through import."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.geometry import CroppedMask
from label_irst.io.formats import detect_format, read_dataset
from label_irst.io.images import read_image, write_image
from label_irst.io.project import ProjectStore, Target

SHAPE = (40, 56)
# (sequence index, frame, x0, y0, x1, y1): odd sizes, a box on the frame's edge, a 1x1 target
TARGETS = [(0, 0, 3, 4, 8, 7), (0, 0, 50, 30, 56, 40), (0, 1, 20, 20, 21, 21), (1, 0, 0, 0, 2, 3)]


def _project(tmp_path):
    """Two 2-frame sequences (16-bit, the targets bright on noise) with confirmed targets and
    one candidate."""
    path = tmp_path / "p.lirst"
    rng = np.random.default_rng(0)
    with ProjectStore.open(path, create=True) as store:
        ids = []
        for s in range(2):
            folder = tmp_path / f"seq{s}"
            for k in range(2):
                frame = rng.normal(1000, 5, SHAPE)
                for s2, k2, x0, y0, x1, y1 in TARGETS:
                    if (s2, k2) == (s, k):
                        frame[y0:y1, x0:x1] += 3000
                write_image(folder / f"f{k}.png", frame.astype(np.uint16))
            ids.append(store.add_sequence(folder, "folder", 2))
        for s, k, x0, y0, x1, y1 in TARGETS:
            full = np.zeros(SHAPE, bool)
            full[y0:y1, x0:x1] = True
            t = Target(
                sequence_id=ids[s],
                frame=k,
                mask=CroppedMask.from_full(full),
                seed=(x0, y0),
                status="confirmed",
                source="pamg",
                rho=0.0,
            )
            store.save_target(t, f"f{k}.png", SHAPE)
        cand = np.zeros(SHAPE, bool)
        cand[10:12, 30:33] = True
        t = Target(
            sequence_id=ids[1],
            frame=1,
            mask=CroppedMask.from_full(cand),
            seed=(30, 10),
            status="candidate",
            source="pamg",
            rho=0.0,
        )
        store.save_target(t, "f1.png", SHAPE)
    return path


def _boxes(ann) -> list[tuple]:
    return sorted(tuple(float(v) for v in item.bbox) for f in ann.frames for item in f.review)


WANT = sorted((float(x0), float(y0), float(x1), float(y1)) for _, _, x0, y0, x1, y1 in TARGETS)


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_box_export_round_trips_through_import_with_identical_boxes(tmp_path, fmt):
    out = tmp_path / "out"
    assert main(["export", str(_project(tmp_path)), "--format", fmt, "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    assert detect_format(out) == fmt
    ann = read_dataset(out)
    assert len(ann.frames) == 4 and _boxes(ann) == WANT
    assert {f.split for f in ann.frames} <= {"train", "test"}
    # raw 16-bit frames are kept
    assert all(read_image(f.image_path).dtype == np.uint16 for f in ann.frames)
    # and the import command makes a project of them (boxes -> review candidates)
    project = tmp_path / "back.lirst"
    assert main(["import", str(out), "--out", str(project), "--quiet"]) == 0
    with ProjectStore.open(project, readonly=True) as store:
        count = sum(len(store.targets(r.id)) for r in store.sequences())
    assert count == len(TARGETS)


def test_yolo_layout_is_ultralytics(tmp_path):
    out = tmp_path / "out"
    main(["export", str(_project(tmp_path)), "--format", "yolo", "--out", str(out), "--quiet",
          "--include-candidates"])  # fmt: skip
    yaml = (out / "data.yaml").read_text()
    assert "train: images/train" in yaml and "val: images/test" in yaml and "0: target" in yaml
    labels = sorted(out.glob("labels/*/*.txt"))
    images = sorted(out.glob("images/*/*.png"))
    assert len(labels) == len(images) == 4
    assert [p.stem for p in labels] == [p.stem for p in images]
    lines = [line for p in labels for line in p.read_text().splitlines()]
    assert len(lines) == len(TARGETS) + 1  # the candidate is included on request
    for line in lines:
        cls, *vals = line.split()
        assert cls == "0" and all(0.0 < float(v) <= 1.0 for v in vals)


def test_voc_layout_is_the_devkits(tmp_path):
    out = tmp_path / "out"
    main(["export", str(_project(tmp_path)), "--format", "voc", "--out", str(out), "--quiet"])
    splits = [
        (out / "ImageSets" / "Main" / f"{s}.txt").read_text().split() for s in ("train", "test")
    ]
    assert sorted(splits[0] + splits[1]) == sorted(p.stem for p in out.glob("JPEGImages/*.png"))
    objects = []
    for xml in out.glob("Annotations/*.xml"):
        root = ET.parse(xml).getroot()
        assert root.findtext("size/width") == "56" and root.findtext("size/depth") == "1"
        assert (out / "JPEGImages" / root.findtext("filename")).is_file()
        for obj in root.iter("object"):
            box = obj.find("bndbox")
            objects.append(tuple(int(box.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax")))
    # VOC corners are 1-based inclusive: the 1x1 target at 0-based (20, 20) is 21,21,21,21
    assert (21, 21, 21, 21) in objects and (1, 1, 2, 3) in objects and len(objects) == 4


def test_malformed_box_files_are_skipped_with_a_warning(tmp_path, capsys):
    out = tmp_path / "out"
    main(["export", str(_project(tmp_path)), "--format", "voc", "--out", str(out), "--quiet"])
    first = sorted(out.glob("Annotations/*.xml"))[0]
    first.write_text("<annotation><object>")
    ann = read_dataset(out)
    assert len(ann.frames) == 4 and len(_boxes(ann)) < len(TARGETS)
    yolo = tmp_path / "yolo"
    main(["export", str(_project(tmp_path)), "--format", "yolo", "--out", str(yolo), "--quiet"])
    label = sorted(yolo.glob("labels/*/*.txt"))[0]
    label.write_text("0 nan 0.5 0.1 0.1\nnot a line\n")
    ann = read_dataset(yolo)
    assert len(ann.frames) == 4


def test_a_real_client_reads_both_exports(tmp_path):
    """globox (a reader of YOLO and Pascal-VOC datasets, in the dev extra) sees the same boxes."""
    globox = pytest.importorskip(
        "globox", reason="globox is in the dev extra: pip install -e .[dev]"
    )
    project = _project(tmp_path)
    main(["export", str(project), "--format", "yolo", "--out", str(tmp_path / "y"), "--quiet"])
    main(["export", str(project), "--format", "voc", "--out", str(tmp_path / "v"), "--quiet"])
    seen = []
    for split in ("train", "test"):
        labels, images = tmp_path / "y" / "labels" / split, tmp_path / "y" / "images" / split
        if labels.is_dir():
            data = globox.AnnotationSet.from_yolo_v5(labels, image_folder=images,
                                                     image_extension=".png")  # fmt: skip
            seen += [b.ltrb for ann in data for b in ann.boxes]
    assert np.allclose(sorted(seen), WANT, atol=1e-6)
    data = globox.AnnotationSet.from_pascal_voc(tmp_path / "v" / "Annotations")
    # globox hands VOC's 1-based inclusive corners through as they are
    voc = sorted((x0 - 1, y0 - 1, x1, y1) for ann in data for x0, y0, x1, y1 in
                 (b.ltrb for b in ann.boxes))  # fmt: skip
    assert voc == WANT and {ann.image_size for ann in data} == {(56, 40)}
