"""Outputs never replace inputs, half-written outputs never appear, and every skip means exit 1.

Covers: an --out that is or holds an input (point2mask, box2mask, prelabel, export, stats),
files a command did not write (stats' index.html, prelabel's annotations and masks), the
temporary folder of point2mask and box2mask (a killed run leaves --out as it was; the next run
removes the temporaries), rows and files skipped while reading (exit 1, a warning naming the
file and the row), a symbolic-link loop or a FIFO in a frame folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.images import write_image, write_mask

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "rprnet-int8.json"


@pytest.fixture
def data(tmp_path):
    """Two synthetic frames with masks, a points CSV and VOC boxes."""
    root = tmp_path / "data"
    points = ["image,x,y"]
    for i in range(2):
        frame, union, targets, _ = synthetic_frame((64, 80), count=1, seed=i, scr=(12, 20))
        write_image(root / "images" / f"f{i}.png", frame)
        write_mask(root / "masks" / f"f{i}.png", union)
        t = targets[0]
        points.append(f"f{i},{t.x:.2f},{t.y:.2f}")
        x, y = int(round(t.x)), int(round(t.y))
        (root / "voc").mkdir(exist_ok=True)
        (root / "voc" / f"f{i}.xml").write_text(
            f"<annotation><filename>f{i}.png</filename><object><bndbox><xmin>{x - 1}</xmin>"
            f"<ymin>{y - 1}</ymin><xmax>{x + 3}</xmax><ymax>{y + 3}</ymax></bndbox></object>"
            "</annotation>"
        )
    (root / "points.csv").write_text("\n".join(points) + "\n")
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _p2m(root: Path, out: Path, *extra: str) -> int:
    points = str(root / "points.csv")
    images = str(root / "images")
    return main(["point2mask", images, "--points", points, "--out", str(out), "--quiet", *extra])


def test_point2mask_and_box2mask_refuse_an_output_that_is_or_holds_an_input(data, capsys):
    before = _tree(data)
    for out in (data / "images", data, data.parent):
        for force in ((), ("--force",)):
            assert _p2m(data, out, *force) == 2
            assert "would replace the sources" in capsys.readouterr().err
            boxes = ["box2mask", str(data / "images"), "--boxes", str(data / "voc")]
            assert main([*boxes, "--out", str(out), "--quiet", *force]) == 2
    (data.parent / "link").symlink_to(data / "images")
    assert _p2m(data, data.parent / "link", "--force") == 2
    assert _tree(data) == before


def test_point2mask_replaces_a_non_empty_folder_only_with_force(data, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert _p2m(data, out) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
    assert _p2m(data, out, "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == ["f0.png", "f1.png", "targets.csv"]


def test_point2mask_leaves_nothing_half_written_and_cleans_up_after_a_killed_run(
    data, tmp_path, capsys
):
    out = tmp_path / "out"
    # what a run killed while writing leaves: its temporary folder (owner lock released)
    stale = tmp_path / ".out.abc123.tmp"
    stale.mkdir()
    (stale / ".label-irst-owner").write_text("")
    (stale / "f0.png").write_bytes(b"\x89PNG half")
    # and a run killed between moving the old output aside and moving the new one in
    assert _p2m(data, out) == 0
    old = tmp_path / ".out.xyz789.old"
    old.mkdir()
    (old / ".label-irst-owner").write_text("")
    os.replace(out, old / "previous")
    assert _p2m(data, out, "--force") == 0
    assert not stale.exists() and not old.exists()
    assert sorted(p.name for p in out.iterdir()) == ["f0.png", "f1.png", "targets.csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_point2mask_rows_with_text_nan_or_inf_are_skipped_with_exit_1(data, tmp_path, capsys):
    csv = (data / "points.csv").read_text() + "f0,abc,3\nf0,nan,4\nf1,5,inf\nf1,-inf,2\n"
    (data / "points.csv").write_text(csv)
    assert _p2m(data, tmp_path / "out") == 1
    err = capsys.readouterr().err
    for line_no in (4, 5, 6, 7):
        assert f"points.csv:{line_no}:" in err
    assert "4 item(s) skipped" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "f0.png",
        "f1.png",
        "targets.csv",
    ]


@pytest.mark.parametrize(
    "xml", ["<annotation><object>", "", "<annotation><object><bndbox><xmin>3</xmin></bndbox>"]
)
def test_box2mask_malformed_or_truncated_voc_is_a_counted_skip(data, tmp_path, capsys, xml):
    (data / "voc" / "f1.xml").write_text(xml)
    boxes = ["box2mask", str(data / "images"), "--boxes", str(data / "voc")]
    assert main([*boxes, "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "f1.xml" in err and "1 item(s) skipped" in err and "Traceback" not in err
    assert (tmp_path / "o" / "f0.png").exists()


def test_a_link_loop_or_a_fifo_in_the_frame_folder_is_skipped(data, tmp_path, capsys):
    images = data / "images"
    (images / "a.png").symlink_to("b.png")
    (images / "b.png").symlink_to("a.png")
    os.mkfifo(images / "pipe.png")
    csv = (data / "points.csv").read_text() + "pipe,3,3\n"
    (data / "points.csv").write_text(csv)
    assert _p2m(data, tmp_path / "o") == 1
    err = capsys.readouterr().err
    assert "a.png" in err and "b.png" in err and "pipe.png" in err and "Traceback" not in err
    assert (tmp_path / "o" / "f0.png").exists() and (tmp_path / "o" / "f1.png").exists()
    boxes = ["box2mask", str(images), "--boxes", str(data / "voc")]
    assert main([*boxes, "--out", str(tmp_path / "b"), "--quiet"]) == 1
    assert (tmp_path / "b" / "f0.png").exists()
    voc = data / "voc"
    os.mkfifo(voc / "f9.xml")
    assert main([*boxes, "--out", str(tmp_path / "c"), "--quiet"]) == 1
    assert "f9.xml: not a regular file" in capsys.readouterr().err


def test_export_refuses_to_replace_its_own_source(data, tmp_path, capsys):
    project = tmp_path / "p.lirst"
    assert main(["import", str(data), "--out", str(project), "--quiet"]) == 0
    before = _tree(data)
    for source, out in ((data, data), (project, data / "images"), (project, tmp_path)):
        args = ["export", str(source), "--format", "sirst", "--out", str(out), "--force"]
        assert main([*args, "--quiet"]) == 2
        assert "would replace the sources" in capsys.readouterr().err
    assert _tree(data) == before and project.exists()
    assert main(["import", str(project), "--out", str(project), "--force", "--quiet"]) == 2


def test_stats_replaces_only_its_own_report(data, tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("<html>my own page</html>")
    assert main(["stats", str(data), "--out", str(out), "--quiet"]) == 2
    assert "index.html not written by" in capsys.readouterr().err
    assert (out / "index.html").read_text() == "<html>my own page</html>"
    assert main(["stats", str(data), "--out", str(out), "--quiet", "--force"]) == 0
    assert main(["stats", str(data), "--out", str(out), "--quiet"]) == 0  # its own: replaced
    assert main(["stats", str(data), "--out", str(data), "--quiet", "--force"]) == 2


@pytest.fixture
def sequences(tmp_path):
    """A dataset root with one four-frame sequence and its ground-truth masks."""
    root = tmp_path / "seqs"
    for i in range(4):
        frame, union, _, _ = synthetic_frame((64, 64), count=1, seed=10 + i, scr=(12, 20))
        write_image(root / "images" / "s1" / f"{i:03d}.png", frame)
        write_mask(root / "masks" / "s1" / f"{i:03d}.png", union)
    return root


def _prelabel(data: Path, out: Path, *extra: str) -> list[str]:
    return ["prelabel", str(data), "--model", str(MODEL), "--out", str(out), "--device", "cpu",
            "--quiet", *extra]  # fmt: skip


def test_prelabel_never_writes_over_its_input_or_foreign_files(sequences, tmp_path, capsys):
    before = _tree(sequences)
    assert main(_prelabel(sequences, sequences, "--masks")) == 2  # would overwrite masks/
    assert "would replace the sources" in capsys.readouterr().err
    out = tmp_path / "out"
    (out / "annotations").mkdir(parents=True)
    (out / "annotations" / "s1.json").write_text('{"mine": true}')
    assert main(_prelabel(sequences, out, "--masks")) == 2
    assert "not written by prelabel" in capsys.readouterr().err
    assert (out / "annotations" / "s1.json").read_text() == '{"mine": true}'
    (out / "annotations" / "s1.json").unlink()
    write_mask(out / "masks" / "s1" / "000.png", np.ones((64, 64), bool))
    assert main(_prelabel(sequences, out, "--masks")) == 2
    assert main(_prelabel(sequences, out, "--masks", "--force")) in (0, 1)
    record = json.loads((out / "annotations" / "s1.json").read_text())
    assert record["complete"] is True and len(record["frames"]) == 4
    assert main(_prelabel(sequences, out, "--masks")) in (0, 1)  # its own output: resumed
    assert _tree(sequences) == before


def test_eval_commands_skip_a_bad_file_and_exit_1(sequences, tmp_path, capsys):
    assert main(["prelabel", *_prelabel(sequences, tmp_path / "pred")[1:], "--masks"]) in (0, 1)
    capsys.readouterr()
    (sequences / "masks" / "s1" / "001.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    args = ["eval-detections", "--pred", str(tmp_path / "pred"), "--gt", str(sequences)]
    assert main([*args, "--json", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "skipped s1/001" in captured.err and json.loads(captured.out)["frames"] == 3
    flat = tmp_path / "flat"
    for i in range(3):
        frame, union, _, _ = synthetic_frame((48, 48), count=1, seed=i, scr=(12, 20))
        write_image(flat / "images" / f"{i}.png", frame)
        write_mask(flat / "masks" / f"{i}.png", union)
    assert main(["eval-masks", "--dataset", str(flat), "--json", "--quiet"]) == 0
    (flat / "masks" / "1.png").write_bytes(b"garbage")
    assert main(["eval-masks", "--dataset", str(flat), "--json", "--quiet"]) == 1
    out = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert out["images"] == 2 and out["skipped_images"] == 1
    for rs in ("inf", "nan", "-3", "0", "1e6"):
        with pytest.raises(SystemExit, match="2"):  # argparse: usage and one line
            main(["eval-masks", "--dataset", str(flat), "--rs", rs, "--quiet"])
        with pytest.raises(SystemExit, match="2"):
            _p2m_rs(flat, tmp_path / f"o{rs}", rs)
    assert "Traceback" not in capsys.readouterr().err


def _p2m_rs(root: Path, out: Path, rs: str) -> int:
    (root / "p.csv").write_text("image,x,y\n0,5,5\n")
    return main(["point2mask", str(root / "images"), "--points", str(root / "p.csv"),
                 "--out", str(out), "--rs", rs, "--quiet"])  # fmt: skip


def test_prelabel_exits_1_after_a_skip_and_removes_a_killed_runs_temporaries(
    sequences, tmp_path, capsys
):
    out = tmp_path / "out"
    stale_mask = out / "masks" / "s1" / ".000.png.k2j4h5g6.png"
    stale_json = out / "annotations" / ".s1.json.a1b2c3d4.json"
    for stale in (stale_mask, stale_json):
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_bytes(b"half")
    assert main(_prelabel(sequences, out, "--masks")) == 0
    assert not stale_mask.exists() and not stale_json.exists()
    capsys.readouterr()
    (sequences / "images" / "s1" / "002.png").write_bytes(b"\x89PNG broken")
    assert main(_prelabel(sequences, tmp_path / "out2", "--masks")) == 1
    assert "002.png" in capsys.readouterr().err


def test_synth_never_writes_into_an_existing_dataset(data, tmp_path, capsys):
    before = _tree(data)
    args = ["--sequences", "1", "--frames", "2", "--size", "64x48", "--quiet"]
    assert main(["synth", "--out", str(data), *args]) == 2  # would rewrite its img_idx/masks
    assert "not empty" in capsys.readouterr().err
    assert main(["synth", "--out", str(data), "--backgrounds", str(data / "images"), *args]) == 2
    assert "would replace the sources" in capsys.readouterr().err
    assert _tree(data) == before
    out = tmp_path / "synth"
    assert main(["synth", "--out", str(out), *args]) == 0
    assert main(["synth", "--out", str(out), "--force", *args]) == 0
    assert (out / "img_idx" / "train.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
