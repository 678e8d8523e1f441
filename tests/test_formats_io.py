"""RLE codec, safe names, project import/export through the command line, box import."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.io.formats import read_dataset, rle
from label_irst.io.images import read_mask, write_image, write_mask
from label_irst.io.naming import UniqueNames, resolve_inside, safe_name, split_relative


@pytest.mark.parametrize("seed", range(6))
def test_rle_matches_pycocotools(seed):
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(seed)
    h, w = rng.integers(1, 40, 2)
    mask = rng.random((h, w)) < [0.0, 0.05, 0.5, 0.95, 1.0, 0.3][seed]
    ours = rle.encode(mask)
    theirs = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert ours["counts"] == theirs["counts"].decode() and ours["size"] == [h, w]
    np.testing.assert_array_equal(rle.decode(ours), mask)
    np.testing.assert_array_equal(
        rle.decode({"size": [h, w], "counts": rle.mask_to_counts(mask)}), mask
    )


def test_rle_refuses_counts_of_the_wrong_size():
    with pytest.raises(LabelIrstError, match="sum"):
        rle.decode({"size": [3, 3], "counts": [2, 3]})


def test_names_are_sanitised():
    assert safe_name("../../etc") == "_.._etc"
    assert safe_name("a/b\\c") == "a_b_c"
    assert safe_name("..") == "unnamed" and safe_name("  ") == "unnamed"
    assert safe_name("Straße 1 帧") == "Straße 1 帧"
    assert safe_name("CON") == "_CON"
    names = UniqueNames()
    assert [names.take("a/b"), names.take("a_b"), names.take("A_B")] == ["a_b", "a_b_2", "A_B_3"]
    assert split_relative("seq 1\\f.png") == ["seq 1", "f.png"]
    for bad in ("/etc/passwd", "C:\\x.png", "a/../../b", "\\\\server\\share\\x"):
        with pytest.raises(LabelIrstError):
            split_relative(bad)


def test_resolve_inside_refuses_symlink_escape(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(LabelIrstError, match="outside"):
        resolve_inside(tmp_path / "root", "link/secret.png")


def _frames_and_masks(root, sequences=("seq one", "séquence 2"), frames=2):
    """A SIRSTD-Pixel-like folder of 16-bit frames with one square target each."""
    for s, seq in enumerate(sequences):
        for f in range(frames):
            image = np.full((32, 40), 1200 + 10 * s, np.uint16)
            mask = np.zeros((32, 40), bool)
            mask[10 + f : 14 + f, 12 + s : 15 + s] = True
            image[mask] = 4000
            write_image(root / "images" / seq / f"{f:03d}.png", image)
            write_mask(root / "masks" / seq / f"{f:03d}.png", mask)


def test_cli_import_then_export_round_trip_through_a_project(tmp_path, capsys):
    _frames_and_masks(tmp_path / "src")
    project = tmp_path / "p.lirst"
    assert main(["import", str(tmp_path / "src"), "--out", str(project), "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"frames": 4, "sequences": 2, "targets": 4, "from_review": 0,
                       "warnings": 0, "project": str(project)}  # fmt: skip
    assert main(["import", str(tmp_path / "src"), "--out", str(project), "--quiet"]) == 2
    assert "exists" in capsys.readouterr().err
    out = tmp_path / "export"
    assert (
        main(["export", str(project), "--format", "sirstd-pixel", "--out", str(out), "--quiet"])
        == 0
    )
    for seq in ("seq one", "séquence 2"):
        for f in ("000", "001"):
            np.testing.assert_array_equal(
                read_mask(out / "masks" / seq / f"{f}.png"),
                read_mask(tmp_path / "src" / "masks" / seq / f"{f}.png"),
            )
            assert Image.open(out / "images" / seq / f"{f}.png").mode == "I;16"
    code = main(["export", str(project), "--format", "coco", "--out", str(out), "--quiet"])
    assert code == 2 and "not empty" in capsys.readouterr().err


def test_a_synth_folder_imports_directly(tmp_path, capsys):
    synth = pytest.importorskip("label_irst.io.synth")
    synth.write_synthetic_dataset(tmp_path / "syn", 2, 3, seed=1, shape=(48, 64), test_fraction=0.5)
    ann = read_dataset(tmp_path / "syn")
    assert len(ann.frames) == 6 and ann.target_count > 0
    assert {f.split for f in ann.frames} == {"train", "test"}
    project = tmp_path / "s.lirst"
    assert main(["import", str(tmp_path / "syn"), "--out", str(project), "--quiet"]) == 0
    back = read_dataset(project)
    assert sorted((f.key, f.union_mask().sum()) for f in back.frames) == sorted(
        (f.key, f.union_mask().sum()) for f in ann.frames
    )


def test_voc_boxes_go_to_the_review_queue_as_candidates(tmp_path, capsys):
    root = tmp_path / "boxes_ds"
    image = np.full((40, 50), 60, np.uint8)
    image[18:23, 28:33] = 250
    write_image(root / "images" / "a.png", image)
    (root / "boxes").mkdir()
    (root / "boxes" / "a.xml").write_text(
        "<annotation><filename>a.png</filename><object><name>target</name><bndbox>"
        "<xmin>29</xmin><ymin>19</ymin><xmax>33</xmax><ymax>23</ymax></bndbox></object>"
        "</annotation>"
    )
    ann = read_dataset(root)
    assert ann.review_count == 1 and ann.frames[0].review[0].seed == pytest.approx((30.0, 20.0))
    project = tmp_path / "b.lirst"
    args = ["import", str(root), "--out", str(project), "--generator", "square3", "--quiet"]
    assert main(args) == 0
    back = read_dataset(project)
    (target,) = back.frames[0].targets
    assert target.status == "candidate" and target.source == "box"
    assert target.centroid == pytest.approx((30.0, 20.0))
