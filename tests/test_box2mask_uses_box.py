"""box2mask uses the box: box generators, --box-generator, box conventions from a file or a
project's confirmed conversions."""

from __future__ import annotations

import json

import numpy as np

from label_irst.batch.convention import (
    fit_project_boxes,
    project_box_examples,
    read_box_convention,
    save_box_convention,
    stored_box_convention,
)
from label_irst.cli import main
from label_irst.core.box_convention import BoxConvention
from label_irst.core.box_generators import get_box_generator, loosen
from label_irst.core.convention import apply_margin
from label_irst.core.geometry import CroppedMask
from label_irst.io.images import read_mask, write_image
from label_irst.io.project import ProjectStore, Target

BLOBS = [(12, 10, 5, 3), (40, 30, 3, 4)]  # x0, y0, w, h


def _frames(folder, count=3):
    """Frames with two blurred blobs on faint noise; the team's masks run out to a tenth of
    each blob's peak (wider than a click's mask). Returns the masks per frame."""
    import cv2

    folder.mkdir(parents=True)
    truths = []
    for i in range(count):
        rng = np.random.default_rng(i)
        image = rng.normal(50.0, 0.5, (48, 64))
        parts = []
        for x0, y0, w, h in BLOBS:
            blob = np.zeros(image.shape)
            blob[y0 : y0 + h, x0 : x0 + w] = 1.0
            blob = cv2.GaussianBlur(blob, (0, 0), 1.0)
            blob *= 150.0 / blob.max()
            image += blob
            parts.append(CroppedMask.from_full(blob >= 15.0))
        write_image(folder / f"f{i}.png", np.clip(image, 0, 255).astype(np.uint8))
        truths.append(parts)
    return truths


def _coco(path, boxes_per_frame):
    images = [{"id": i + 1, "file_name": f"f{i}.png", "width": 64, "height": 48}
              for i in range(len(boxes_per_frame))]  # fmt: skip
    anns = [{"image_id": i + 1, "bbox": [x0, y0, x1 - x0, y1 - y0]}
            for i, boxes in enumerate(boxes_per_frame) for x0, y0, x1, y1 in boxes]  # fmt: skip
    path.write_text(json.dumps({"images": images, "annotations": anns}))
    return path


def _iou(a, b) -> float:
    return float((a & b).sum() / (a | b).sum())


def _box2mask(tmp_path, name, boxes, *extra):
    out = tmp_path / name
    argv = ["box2mask", str(tmp_path / "frames"), "--boxes", str(boxes), "--out", str(out)]
    assert main([*argv, "--quiet", *extra]) == 0
    return read_mask(out / "f0.png") > 0


def test_tight_boxes_give_the_box_aware_mask_and_centre_keeps_the_old_one(tmp_path):
    truths = _frames(tmp_path / "frames", 1)
    boxes = _coco(tmp_path / "b.json", [[tuple(map(float, t.bbox)) for t in truths[0]]])
    truth = np.zeros((48, 64), bool)
    for t in truths[0]:
        t.paint(truth)
    default = _box2mask(tmp_path, "default", boxes)
    fill = _box2mask(tmp_path, "fill", boxes, "--box-generator", "box-fill")
    np.testing.assert_array_equal(default, fill)
    assert _iou(default, truth) > 0.95
    centre = _box2mask(tmp_path, "centre", boxes, "--box-generator", "centre")
    assert _iou(centre, truth) < _iou(default, truth) - 0.2


def test_a_box_convention_file_sets_the_generator_and_its_margins(tmp_path):
    truths = _frames(tmp_path / "frames", 1)
    boxes = _coco(tmp_path / "b.json", [[tuple(map(float, t.bbox)) for t in truths[0]]])
    conv = BoxConvention({"method": "box-fill", "margin": 1})
    (tmp_path / "box.json").write_text(conv.to_json())
    assert read_box_convention(tmp_path / "box.json").params == conv.params
    plain = _box2mask(tmp_path, "plain", boxes)
    wide = _box2mask(tmp_path, "wide", boxes, "--convention", str(tmp_path / "box.json"))
    assert wide.sum() > plain.sum() and (wide | plain).sum() == wide.sum()


def test_bad_box_convention_or_generator_is_one_line_exit_2(tmp_path, capsys):
    truths = _frames(tmp_path / "frames", 1)
    boxes = _coco(tmp_path / "b.json", [[tuple(map(float, t.bbox)) for t in truths[0]]])
    (tmp_path / "bad.json").write_text('{"format": "label-irst-box-convention", "version": 9}')
    argv = ["box2mask", str(tmp_path / "frames"), "--boxes", str(boxes), "--quiet"]
    assert (
        main([*argv, "--out", str(tmp_path / "o"), "--convention", str(tmp_path / "bad.json")]) == 2
    )
    assert "unsupported" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _wide_team_project(tmp_path, truths):
    """A project whose annotator confirmed box conversions corrected one pixel wider, from
    boxes two pixels off their masks."""
    from label_irst.io.images import read_image

    path = tmp_path / "p.lirst"
    folder = tmp_path / "frames"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(folder, "folder", len(truths))
        for i, parts in enumerate(truths):
            image = read_image(folder / f"f{i}.png")
            for part in parts:
                wide = apply_margin(part, 1, image.shape)
                box = tuple(int(v) for v in loosen(tuple(map(float, wide.bbox)), 2))
                t = Target(
                    sequence_id=seq,
                    frame=i,
                    mask=wide,
                    seed=(box[0] + 2, box[1] + 2),
                    source="box",
                    status="confirmed",
                    box=box,
                    rho=0.0,
                )
                store.save_target(t, f"f{i}.png", image.shape)
    return path


def test_a_projects_confirmed_conversions_set_its_box_convention(tmp_path):
    truths = _frames(tmp_path / "frames", 3)
    path = _wide_team_project(tmp_path, truths)
    with ProjectStore.open(path) as store:
        assert len(project_box_examples(store)) == 6
        fitted = fit_project_boxes(store, now=1.0)
        assert stored_box_convention(store).is_default
        save_box_convention(store, fitted)
        assert stored_box_convention(store).params == fitted.params
    assert not fitted.is_default and fitted.score > fitted.default_score
    wide_boxes = [[tuple(float(v) for v in loosen(tuple(map(float, apply_margin(
        t, 1, (48, 64)).bbox)), 2)) for t in truths[0]]]  # fmt: skip
    boxes = _coco(tmp_path / "b.json", wide_boxes)
    want = np.zeros((48, 64), bool)
    for t in truths[0]:
        apply_margin(t, 1, want.shape).paint(want)
    plain = _box2mask(tmp_path, "plain", boxes)
    project = _box2mask(tmp_path, "project", boxes, "--convention", str(path))

    assert _iou(project, want) > _iou(plain, want) and _iou(project, want) > 0.9


def test_box_generators_agree_with_box2mask_rows(tmp_path):
    """targets.csv has one row per box with its size; boxes off the frame are skipped."""
    truths = _frames(tmp_path / "frames", 1)
    boxes = [tuple(map(float, t.bbox)) for t in truths[0]] + [(200.0, 200.0, 210.0, 210.0)]
    _coco(tmp_path / "b.json", [boxes])
    argv = ["box2mask", str(tmp_path / "frames"), "--boxes", str(tmp_path / "b.json")]
    assert main([*argv, "--out", str(tmp_path / "o"), "--quiet"]) == 1
    rows = (tmp_path / "o" / "targets.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[1].endswith(",7.0,5.0")
    image = np.zeros((48, 64), np.uint8)
    assert get_box_generator("auto")(image, boxes[0]).mask.area > 0  # a flat frame still works
