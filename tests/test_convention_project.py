"""The annotation convention in a project, in pre-annotation and in point/box conversion."""

from __future__ import annotations

import json

import numpy as np
import pytest

from label_irst.batch.convention import project_examples, refit_project
from label_irst.cli import main
from label_irst.core.convention import Convention, apply_margin
from label_irst.core.pamg import guided_support_radius
from label_irst.core.pamg_plus import pamg_plus
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.convention import (
    project_convention,
    read_convention,
    reset_project_convention,
    save_project_convention,
    write_convention,
)
from label_irst.io.images import read_mask, write_image
from label_irst.io.project import ProjectStore, Target


def frames_folder(root, count=4):
    """Frames with three spots each; returns the folder and each frame's target centres."""
    root.mkdir(parents=True)
    centres = []
    for s in range(count):
        frame, _, truths, _ = synthetic_frame((96, 128), count=3, seed=40 + s, scr=(6.0, 9.0))
        write_image(root / f"f{s}.png", frame)
        centres.append([(round(t.x), round(t.y)) for t in truths])
    return root, centres


def wide_project(tmp_path, margin=1):
    """A project whose annotator confirmed pamg+ masks widened by ``margin`` pixels (brush)."""
    from label_irst.io.images import read_image

    folder, centres = frames_folder(tmp_path / "frames")
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(folder, "folder", len(centres))
        for i, pts in enumerate(centres):
            image = read_image(folder / f"f{i}.png")
            for x, y in pts:
                grown = pamg_plus(image, (x, y))
                mask = apply_margin(grown.mask, margin, image.shape)
                t = Target(
                    sequence_id=seq,
                    frame=i,
                    mask=mask,
                    seed=grown.seed,
                    status="confirmed",
                    source="pamg",
                    rho=0.0,
                )
                store.save_target(t, f"f{i}.png", image.shape)
        # a target drawn by hand is no example of the generator's convention
        hand = Target(
            sequence_id=seq,
            frame=0,
            mask=apply_margin(grown.mask, 3, image.shape),
            seed=grown.seed,
            source="manual",
            status="confirmed",
            rho=0.0,
        )
        store.save_target(hand, "f0.png", image.shape)
    return path, folder, centres


def test_convention_is_fitted_from_confirmed_targets_and_survives_reopening(tmp_path):
    path, _, centres = wide_project(tmp_path)
    with ProjectStore.open(path) as store:
        assert project_convention(store).is_default
        examples = project_examples(store)
        assert len(examples) == sum(len(c) for c in centres)  # the manual target is left out
        fitted = refit_project(store, now=1000.0)
        assert fitted.params["margin"] == 1 and fitted.n_examples == len(examples)
    with ProjectStore.open(path) as store:  # closed and reopened
        again = project_convention(store)
        assert again == fitted and again.fitted_at == 1000.0
        assert again.describe() == f"convention: fitted on {len(examples)} targets"
        # frozen: refitting leaves it alone; reset forgets it
        save_project_convention(store, Convention("pamg+", {"margin": 2}, 3, 5.0, frozen=True))
        assert refit_project(store).params["margin"] == 2
        assert reset_project_convention(store).is_default
        assert project_convention(store).is_default
        # rejecting the confirmed targets takes them out of the examples: back to the defaults
        assert refit_project(store).params["margin"] == 1
        seq = store.sequences()[0].id
        store.set_status([t.id for t in store.targets(seq, status="confirmed")], "rejected")
        assert project_examples(store) == []
        assert refit_project(store).is_default
    assert read_convention(path, "pamg+").is_default


def test_guided_results_use_pamg_plus_and_the_convention():
    from label_irst.infer.decode import Detection
    from label_irst.infer.prelabel import guided_results

    frame, _, truths, _ = synthetic_frame((96, 128), count=1, seed=3, scr=(8.0, 9.0))
    det = Detection(truths[0].x, truths[0].y, 2.0, 0.9)
    plain, wide = (
        guided_results(frame, [det])[0],
        guided_results(frame, [det], convention=Convention("pamg+", {"margin": 1}))[0],
    )
    expected = pamg_plus(frame, (det.x, det.y), guided_support_radius(2.0))
    assert plain.generator == "pamg+"
    np.testing.assert_array_equal(plain.mask.crop, expected.mask.crop)
    assert wide.area > plain.area
    np.testing.assert_array_equal(
        wide.mask.to_full(frame.shape),
        apply_margin(plain.mask, 1, frame.shape).to_full(frame.shape),
    )


def test_point2mask_and_box2mask_take_a_convention(tmp_path, capsys):
    path, folder, centres = wide_project(tmp_path)
    with ProjectStore.open(path) as store:
        fitted = refit_project(store)
    conv_file = tmp_path / "conv.json"
    write_convention(conv_file, fitted)
    points = tmp_path / "points.csv"
    rows = [f"f{i},{x},{y}" for i, pts in enumerate(centres) for x, y in pts]
    points.write_text("image,x,y\n" + "\n".join(rows) + "\n")
    areas = {}
    for name, extra in [("plain", []), ("file", ["--convention", str(conv_file)]),
                        ("project", ["--convention", str(path)])]:  # fmt: skip
        out = tmp_path / name
        code = main(["point2mask", str(folder), "--points", str(points), "--out", str(out),
                     "--quiet", *extra])  # fmt: skip
        assert code == 0
        areas[name] = int(read_mask(out / "f0.png").sum())
    assert areas["file"] == areas["project"] > areas["plain"]
    # boxes: the same convention through box2mask
    (tmp_path / "boxes.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "f0.png", "width": 128, "height": 96}],
        "annotations": [{"image_id": 1, "bbox": [x - 2, y - 2, 5, 5]} for x, y in centres[0]],
        "categories": [{"id": 1, "name": "target"}]}))  # fmt: skip
    sizes = []
    for extra in ([], ["--convention", str(conv_file)]):
        out = tmp_path / f"box{len(extra)}"
        assert main(["box2mask", str(folder), "--boxes", str(tmp_path / "boxes.json"),
                     "--out", str(out), "--quiet", "--box-generator", "centre", *extra]) == 0  # fmt: skip
        sizes.append(int(read_mask(out / "f0.png").sum()))
    assert sizes[1] > sizes[0]


@pytest.mark.parametrize(
    "content, generator, message",
    [
        ("{broken", None, "invalid JSON"),
        (None, "pamg", "fitted for generator 'pamg\\+', not 'pamg'"),
    ],
)
def test_bad_convention_file_is_one_line_error_exit_2(
    tmp_path, capsys, content, generator, message
):
    folder, centres = frames_folder(tmp_path / "frames", 1)
    conv = tmp_path / "conv.json"
    if content is None:
        write_convention(conv, Convention("pamg+", {"margin": 1}, 5, 1.0))
    else:
        conv.write_text(content)
    points = tmp_path / "points.csv"
    points.write_text("image,x,y\nf0,{},{}\n".format(*centres[0][0]))
    extra = ["--generator", generator] if generator else []
    code = main(["point2mask", str(folder), "--points", str(points), "--out", str(tmp_path / "o"),
                 "--convention", str(conv), "--quiet", *extra])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and __import__("re").search(message, err[0])


def test_convention_command_refits_freezes_resets_and_saves(tmp_path, capsys):
    path, _, centres = wide_project(tmp_path)
    saved = tmp_path / "conv.json"
    assert main(["convention", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["margin"] == 0
    assert main(["convention", str(path), "--refit", "--save", str(saved)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["params"]["margin"] == 1 and shown["n_examples"] == sum(map(len, centres))
    assert read_convention(saved, "pamg+").params["margin"] == 1
    assert main(["convention", str(path), "--freeze"]) == 0
    assert json.loads(capsys.readouterr().out)["frozen"] is True
    assert main(["convention", str(path), "--reset"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["margin"] == 0
    assert read_convention(path).is_default
    assert main(["convention", str(tmp_path / "missing.lirst")]) == 2
