"""Command-line round trips on generated images, and every bad input as a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from label_irst import __version__
from label_irst.cli import main
from label_irst.core.geometry import CroppedMask
from label_irst.core.metrics import iou
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.images import read_mask, write_image, write_mask


@pytest.fixture
def dataset(tmp_path):
    """Three synthetic frames with truth masks, points and boxes (VOC, COCO, YOLO)."""
    root = tmp_path / "data"
    points = ["image,x,y"]
    coco = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "target"}]}
    truth = {}
    for i in range(3):
        frame, union, targets, masks = synthetic_frame((96, 128), count=2, seed=i, scr=(12, 20))
        stem = f"f{i}"
        write_image(root / "images" / f"{stem}.png", frame)
        write_mask(root / "masks" / f"{stem}.png", union)
        truth[stem] = union
        coco["images"].append({"id": i, "file_name": f"{stem}.png", "width": 128, "height": 96})
        voc = [f"<annotation><filename>{stem}.png</filename>"]
        yolo = []
        for t, m in zip(targets, masks):
            points.append(f"{stem},{t.x:.2f},{t.y:.2f}")
            x0, y0, x1, y1 = CroppedMask.from_full(m).bbox
            coco["annotations"].append(
                {"id": len(coco["annotations"]), "image_id": i, "category_id": 1,
                 "bbox": [x0, y0, x1 - x0, y1 - y0]}
            )  # fmt: skip
            voc.append(
                f"<object><name>t</name><bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin>"
                f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
            )
            cx, cy = (x0 + x1) / 2 / 128, (y0 + y1) / 2 / 96
            yolo.append(f"0 {cx} {cy} {(x1 - x0) / 128} {(y1 - y0) / 96}")
        (root / "voc").mkdir(exist_ok=True)
        (root / "voc" / f"{stem}.xml").write_text("".join(voc) + "</annotation>")
        (root / "yolo").mkdir(exist_ok=True)
        (root / "yolo" / f"{stem}.txt").write_text("\n".join(yolo) + "\n")
    (root / "points.csv").write_text("\n".join(points) + "\n")
    (root / "coco.json").write_text(json.dumps(coco))
    return root, truth


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "label_irst", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"label-irst {__version__}"


def test_point2mask_round_trip(dataset, tmp_path, capsys):
    root, truth = dataset
    out = tmp_path / "masks"
    assert main(["point2mask", str(root / "images"), "--points", str(root / "points.csv"),
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    for stem, gt in truth.items():
        assert iou(read_mask(out / f"{stem}.png"), gt) > 0.4, stem
    rows = (out / "targets.csv").read_text().splitlines()
    assert len(rows) == 1 + 6 and rows[0].startswith("image,seed_x,seed_y")


def test_box2mask_formats_agree(dataset, tmp_path):
    root, truth = dataset
    results = {}
    for name, boxes in (
        ("voc", root / "voc"),
        ("coco", root / "coco.json"),
        ("yolo", root / "yolo"),
    ):
        out = tmp_path / name
        code = main(
            ["box2mask", str(root / "images"), "--boxes", str(boxes), "--out", str(out), "--quiet"]
        )
        assert code == 0, name
        results[name] = {s: read_mask(out / f"{s}.png") for s in truth}
    for stem, gt in truth.items():
        assert iou(results["voc"][stem], gt) > 0.4
        assert np.array_equal(results["voc"][stem], results["coco"][stem])
        assert np.array_equal(results["voc"][stem], results["yolo"][stem])


def test_eval_masks_json(dataset, capsys):
    root, _ = dataset
    assert (
        main(["eval-masks", "--dataset", str(root), "--seeds", "centroid", "--json", "--quiet"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    for key in ("targets", "images", "miou_target", "miou_image", "iou_dataset", "area_ratio",
                "centroid_error", "radius_error", "ms_per_target"):  # fmt: skip
        assert key in report
    assert report["targets"] == 6 and report["images"] == 3
    assert 40.0 < report["miou_target"] <= 100.0
    assert report["generator"] == "pamg+"


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("label-irst: error:"), err
    return err[0]


def test_missing_paths_and_unknown_formats(dataset, tmp_path, capsys):
    root, _ = dataset
    assert main(["eval-masks", "--dataset", str(tmp_path / "nope"), "--quiet"]) == 2
    assert "no such dataset folder" in one_line_error(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        main(
            ["box2mask", str(root / "images"), "--boxes", str(empty), "--out", str(tmp_path / "o")]
        )
        == 2
    )
    assert "unknown box format" in one_line_error(capsys)
    (tmp_path / "b.txt").write_text("x")
    assert (
        main(
            [
                "box2mask",
                str(root / "images"),
                "--boxes",
                str(tmp_path / "b.txt"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "unknown box format" in one_line_error(capsys)
    assert (
        main(
            [
                "point2mask",
                str(tmp_path / "no_images"),
                "--points",
                str(root / "points.csv"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "no such file or folder" in one_line_error(capsys)


def test_dataset_without_masks(dataset, tmp_path, capsys):
    root, _ = dataset
    (tmp_path / "d" / "images").mkdir(parents=True)
    assert main(["eval-masks", "--dataset", str(tmp_path / "d"), "--quiet"]) == 2
    assert "masks/" in one_line_error(capsys)
    (tmp_path / "d" / "masks").mkdir()
    assert main(["eval-masks", "--dataset", str(tmp_path / "d"), "--quiet"]) == 2
    assert "no image has a mask" in one_line_error(capsys)


def test_malformed_inputs(dataset, tmp_path, capsys):
    root, _ = dataset
    (tmp_path / "bad.json").write_text("{not json")
    assert (
        main(
            [
                "box2mask",
                str(root / "images"),
                "--boxes",
                str(tmp_path / "bad.json"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "malformed JSON" in one_line_error(capsys)
    (tmp_path / "bad.csv").write_text("name,u,v\na,1,2\n")
    assert (
        main(
            [
                "point2mask",
                str(root / "images"),
                "--points",
                str(tmp_path / "bad.csv"),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "lacks column" in one_line_error(capsys)


def test_batch_skips_bad_items_and_goes_on(dataset, tmp_path, capsys):
    """Seeds outside the image, unknown images, a truncated PNG and malformed XML are skipped."""
    root, truth = dataset
    data = (root / "images" / "f2.png").read_bytes()
    (root / "images" / "f2.png").write_bytes(data[: len(data) // 3])
    csv = (root / "points.csv").read_text() + "f0,500,5\nghost,3,3\nf1,abc,3\n"
    (root / "points.csv").write_text(csv)
    out = tmp_path / "out"
    assert (
        main(
            [
                "point2mask",
                str(root / "images"),
                "--points",
                str(root / "points.csv"),
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "outside" in err and "ghost" in err and "f2.png" in err and "f1,abc,3" in err
    assert "Traceback" not in err
    assert (out / "f0.png").exists() and (out / "f1.png").exists() and not (out / "f2.png").exists()
    (root / "voc" / "f1.xml").write_text("<annotation><object>")
    (root / "voc" / "f0.xml").write_text(
        "<annotation><filename>f0.png</filename><object><bndbox><xmin>900</xmin><ymin>900</ymin>"
        "<xmax>905</xmax><ymax>905</ymax></bndbox></object></annotation>"
    )
    assert (
        main(
            [
                "box2mask",
                str(root / "images"),
                "--boxes",
                str(root / "voc"),
                "--out",
                str(tmp_path / "b"),
                "--quiet",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "malformed XML" in err and "outside the image" in err and "Traceback" not in err


def test_demo_runs(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    from label_irst.batch.demo import DEMO

    assert "points -> masks" in out
    assert len(list((tmp_path / "demo" / "pred").glob("*.png"))) == DEMO.frames


def test_export_onnx_refuses_to_replace_an_existing_model(tmp_path, capsys):
    pytest.importorskip("torch", reason="export-onnx needs the train extra")
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"not read: the existing model is refused first")
    out = tmp_path / "models"
    out.mkdir()
    (out / "rprnet.json").write_text('{"kept": true}')
    assert main(["export-onnx", str(checkpoint), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0] and "rprnet.json" in err[0]
    assert (out / "rprnet.json").read_text() == '{"kept": true}'
    assert sorted(p.name for p in out.iterdir()) == ["rprnet.json"]
