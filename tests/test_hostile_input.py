"""Hostile and damaged inputs, one test per cause of crash or hang: each ends in one line (exit 2)
or a warning and a skip (exit 1), never a traceback, never a hang.

Decompression bombs and forged headers, non-finite and huge numbers, wrong JSON types, deep
nesting, symbolic-link loops, FIFOs, names too long or not UTF-8, a folder where a file is
expected, an --out that is a file, and export names of 200 multi-byte characters.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from label_irst.cli import main
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.images import MAX_PIXELS_ENV, write_image, write_mask

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "rprnet-int8.json"


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    points = ["image,x,y"]
    for i in range(2):
        frame, union, targets, _ = synthetic_frame((48, 64), count=1, seed=i, scr=(12, 20))
        write_image(root / "images" / f"f{i}.png", frame)
        write_mask(root / "masks" / f"f{i}.png", union)
        points.append(f"f{i},{targets[0].x:.2f},{targets[0].y:.2f}")
    (root / "points.csv").write_text("\n".join(points) + "\n")
    return root


def _errors(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _p2m(data: Path, out: Path, points: Path | None = None) -> int:
    points = points or data / "points.csv"
    return main(["point2mask", str(data / "images"), "--points", str(points),
                 "--out", str(out), "--quiet"])  # fmt: skip


def _forged_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def _forged_bmp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, format="BMP")
    data = bytearray(buffer.getvalue())
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def test_bombs_and_forged_headers_are_skipped_with_a_raisable_limit(data, tmp_path, capsys):
    images = data / "images"
    (images / "bomb.png").write_bytes(_forged_png(20000, 20000))
    (images / "bomb2.bmp").write_bytes(_forged_bmp(30000, 30000))
    csv = (data / "points.csv").read_text() + "bomb,3,3\nbomb2,3,3\n"
    (data / "points.csv").write_text(csv)
    assert _p2m(data, tmp_path / "o") == 1
    err = _errors(capsys)
    assert "bomb.png: 20000x20000 pixels is above the limit" in err and MAX_PIXELS_ENV in err
    assert "bomb2.bmp: 30000x30000" in err
    assert (tmp_path / "o" / "f0.png").exists()
    for command in (["import", str(data), "--out", str(tmp_path / "p.lirst")],
                    ["stats", str(data), "--out", str(tmp_path / "st")],
                    ["eval-masks", "--dataset", str(data)]):  # fmt: skip
        assert main([*command, "--quiet"]) in (0, 1)
        _errors(capsys)


def test_the_pixel_limit_is_the_users_to_raise(data, tmp_path, capsys, monkeypatch):
    big = np.zeros((300, 400), np.uint8)
    big[100:103, 200:203] = 200
    write_image(data / "images" / "big.png", big)
    import tifffile

    tifffile.imwrite(data / "images" / "big16.tiff", big.astype(np.uint16) * 50)
    (data / "points.csv").write_text("image,x,y\nbig,201,101\nbig16,201,101\n")
    monkeypatch.setenv(MAX_PIXELS_ENV, "100000")
    assert _p2m(data, tmp_path / "a") == 1
    err = _errors(capsys)
    assert "400x300 pixels is above the limit of 100000" in err and "big16.tiff" in err
    monkeypatch.setenv(MAX_PIXELS_ENV, "200000")
    assert _p2m(data, tmp_path / "b") == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "big.png",
        "big16.png",
        "targets.csv",
    ]
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    assert _p2m(data, tmp_path / "c") == 2
    assert MAX_PIXELS_ENV in _errors(capsys)


def _coco(data: Path, annotations: list, images: list | None = None) -> Path:
    images = images or [{"id": 0, "file_name": "f0.png", "width": 64, "height": 48}]
    doc = {"images": images, "annotations": annotations, "categories": [{"id": 1}]}
    path = data / "images" / "annotations.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", float("inf")),
        ("track_id", 10**400),
        ("track_id", 2**64),
        ("target_id", -(2**70)),
        ("rho", float("nan")),
        ("bbox", [1e308, 1e308, 1e308, 1e308]),
        ("bbox", "10 10 3 3"),
        ("segmentation", {"size": [48, 64], "counts": [10**30, 3]}),
        ("segmentation", {"size": [48, 64], "counts": [-5, 3072]}),
        ("segmentation", {"size": [2**40, 2**40], "counts": "0"}),
        ("segmentation", {"size": "big", "counts": []}),
        ("segmentation", [[1, 2, 3]]),
        ("segmentation", "polygon"),
        ("image_id", [0]),
        ("status", 7),
    ],
)
def test_coco_numbers_and_types_are_skipped_per_annotation(data, tmp_path, capsys, field, value):
    good = {"id": 1, "image_id": 0, "category_id": 1, "bbox": [10, 10, 3, 3],
            "segmentation": {"size": [48, 64], "counts": [500, 3, 2569]}}  # fmt: skip
    bad = {**good, "id": 2, field: value}
    coco = _coco(data, [good, bad])
    project = tmp_path / "p.lirst"
    code = main(["import", str(coco), "--out", str(project), "--quiet"])
    err = _errors(capsys)
    if isinstance(value, float) and not np.isfinite(value):  # NaN/Infinity: not JSON at all
        assert code == 2 and "malformed JSON" in err
        return
    assert code in (0, 1)  # 0 where the bad field is not needed (a bbox beside a mask)
    if field in ("track_id", "target_id", "image_id") or "counts" in str(value):
        assert code == 1 and "skipped" in err
    out = tmp_path / "x"
    assert main(["export", str(project), "--format", "coco", "--out", str(out), "--quiet"]) == 0
    exported = json.loads((out / "annotations.json").read_text())
    assert 1 <= len(exported["annotations"]) <= 2  # the good one always survives


@pytest.mark.parametrize(
    "text, message",
    [
        (b'{"images": "abc", "annotations": []}', "not a COCO file"),
        (b'{"images": [], "annotations": {}}', "not a COCO file"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"images": [{"id": 1, "width": Infinity}], "annotations": []}', "malformed JSON"),
        (b'{"images": [{"id": 1, "width": 1e400}], "annotations": []}', "malformed JSON"),
        (b'{"images": [{"file_name": "caf\xe9"}]}', "not UTF-8 text"),
    ],
)
def test_broken_coco_files_are_one_line(data, tmp_path, capsys, text, message):
    path = tmp_path / "boxes.json"
    path.write_bytes(text)
    args = ["box2mask", str(data / "images"), "--boxes", str(path), "--out", str(tmp_path / "o")]
    assert main([*args, "--quiet"]) == 2
    err = _errors(capsys)
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize(
    "change",
    [
        {"encoder": 5},
        {"head": None},
        {"encoder": ""},
        {"threshold": "high"},
        {"threshold": 1e308},
        {"threshold": -1},
        {"format": ["label-irst/rprnet-onnx/1"]},
    ],
)
def test_a_model_record_of_wrong_types_is_one_line(tmp_path, capsys, change):
    record = json.loads(MODEL.read_text())
    record.update(change)
    (tmp_path / "m.json").write_text(json.dumps(record))
    frames = tmp_path / "frames"
    frame, *_ = synthetic_frame((48, 64), count=1, seed=0, scr=(12, 20))
    write_image(frames / "0.png", frame)
    args = ["prelabel", str(frames), "--model", str(tmp_path / "m.json"), "--device", "cpu"]
    assert main([*args, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert _errors(capsys).count("\n") == 1


def test_fifos_never_hang_a_reader(data, tmp_path, capsys):
    """A named pipe where a file is read: VOC XML, YOLO txt, labelme imagePath, CSV image,
    points CSV, model record, project file."""
    root = data / "images"
    os.mkfifo(tmp_path / "pipe.csv")
    assert _p2m(data, tmp_path / "o1", tmp_path / "pipe.csv") == 2
    assert "not a regular file" in _errors(capsys)
    labels = data / "labels"
    labels.mkdir()
    os.mkfifo(labels / "f0.txt")
    (labels / "f1.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    args = ["box2mask", str(root), "--boxes", str(labels), "--out", str(tmp_path / "o2")]
    assert main([*args, "--quiet"]) == 1
    assert "f0.txt" in _errors(capsys)
    os.mkfifo(root / "pipe.png")
    doc = {"shapes": [], "imagePath": "pipe.png"}
    (root / "pipe.json").write_text(json.dumps(doc))
    (root / "f0.json").write_text(json.dumps({**doc, "imagePath": "f0.png"}))
    assert main(["import", str(root), "--format", "labelme", "--out", str(tmp_path / "p.lirst"),
                 "--quiet"]) == 1  # fmt: skip
    assert "pipe.png" in _errors(capsys)
    (data / "targets.csv").write_text(
        "sequence,frame,image,x,y,radius\n,p,images/pipe.png,3,3,1\n,f0,images/f0.png,3,3,1\n"
    )
    assert main(["import", str(data / "targets.csv"), "--out", str(tmp_path / "q.lirst"),
                 "--quiet"]) == 1  # fmt: skip
    os.mkfifo(tmp_path / "model.json")
    os.mkfifo(tmp_path / "pipe.lirst")
    for source in (tmp_path / "pipe.lirst", data / "targets.csv"):
        args = ["prelabel", str(source), "--model", str(tmp_path / "model.json")]
        assert main([*args, "--out", str(tmp_path / "o3"), "--quiet"]) == 2
    for bad in ("pipe.lirst",):
        args = ["export", str(tmp_path / bad), "--format", "csv", "--out", str(tmp_path / "x")]
        assert main([*args, "--quiet"]) == 2
    _errors(capsys)


def test_file_system_oddities_are_one_line(data, tmp_path, capsys):
    (tmp_path / "loop.csv").symlink_to(tmp_path / "loop.csv")
    assert _p2m(data, tmp_path / "o", tmp_path / "loop.csv") == 2
    assert "Too many levels of symbolic links" in _errors(capsys)
    assert _p2m(data, tmp_path / ("x" * 300)) == 2
    assert "name too long" in _errors(capsys).lower()
    assert _p2m(data, tmp_path / "o", data / "images") == 2  # a folder for --points
    assert "is a folder" in _errors(capsys)
    (tmp_path / "file").write_text("mine")
    for args in (
        ["point2mask", str(data / "images"), "--points", str(data / "points.csv")],
        ["export", str(data), "--format", "csv"],
        ["stats", str(data)],
    ):
        assert main([*args, "--out", str(tmp_path / "file"), "--quiet"]) == 2
        assert "not a folder" in _errors(capsys)
    assert (tmp_path / "file").read_text() == "mine"
    args = ["prelabel", str(data / "images"), "--model", str(data), "--out", str(tmp_path / "p")]
    assert main([*args, "--quiet"]) == 2
    (tmp_path / "latin1.csv").write_bytes("image,x,y\nf\xe9,3,3\n".encode("latin-1"))
    assert _p2m(data, tmp_path / "o", tmp_path / "latin1.csv") == 2
    assert "not UTF-8 text" in _errors(capsys)


def test_non_utf8_file_names_are_read_and_reported(data, tmp_path, capsys):
    name = os.fsdecode(b"caf\xe9.png")  # a Latin-1 name on a UTF-8 system
    frame, union, targets, _ = synthetic_frame((48, 64), count=1, seed=5, scr=(12, 20))
    write_image(data / "images" / name, frame)
    write_mask(data / "masks" / name, union)
    os.symlink("nowhere.png", data / "images" / os.fsdecode(b"dangling\xff.png"))
    assert _p2m(data, tmp_path / "o") == 1  # the dangling link is skipped with a warning
    _errors(capsys)
    project = tmp_path / "p.lirst"
    assert main(["import", str(data), "--out", str(project), "--quiet"]) == 1
    _errors(capsys)
    for fmt in ("sirst", "labelme", "coco"):
        out = tmp_path / fmt
        assert main(["export", str(project), "--format", fmt, "--out", str(out), "--quiet"]) == 0
        assert any("caf_" in p.name for p in out.rglob("*.png"))


def test_export_names_are_cut_at_255_bytes_not_characters(tmp_path, capsys):
    root = tmp_path / "data"
    sequence = "\U0001f6e9" * 100 + "é" * 100  # 600 bytes of UTF-8 in 200 characters
    frame_name = "ü" * 200
    frame, union, _, _ = synthetic_frame((48, 64), count=1, seed=1, scr=(12, 20))
    write_image(root / "images" / "s" / "f.png", frame)
    write_mask(root / "masks" / "s" / "f.png", union)
    doc = {
        "images": [{"id": 1, "file_name": "s/f.png", "sequence": sequence, "frame": frame_name,
                    "width": 64, "height": 48}],
        "annotations": [],
    }  # fmt: skip
    (root / "annotations.json").write_text(json.dumps(doc, ensure_ascii=False))
    for fmt in ("sirstd-pixel", "labelme", "coco", "csv", "sirst"):
        out = tmp_path / f"x-{fmt}"
        args = ["export", str(root / "annotations.json"), "--format", fmt, "--out", str(out)]
        assert main([*args, "--quiet"]) == 0, _errors(capsys)
        for path in out.rglob("*"):
            assert len(path.name.encode()) <= 255
        assert any(p.name.startswith("\U0001f6e9") for p in out.rglob("*"))
    _errors(capsys)


@pytest.mark.parametrize("fmt", ["labelme", "coco"])
def test_shapes_far_outside_the_frame_are_refused_not_drawn(data, tmp_path, capsys, fmt):
    """cv2.fillPoly spends tens of seconds on vertices 2**31 pixels away: refused up front."""
    far = [[2.0**63, 1.0], [1.0, 2.0**63], [2.0**63, 2.0**63], [5.0, 5.0]]
    root = data / "images"
    if fmt == "labelme":
        doc = {"shapes": [{"shape_type": "polygon", "points": far}], "imagePath": "f0.png"}
        (root / "f0.json").write_text(json.dumps(doc))
        (root / "f1.json").write_text(json.dumps({"shapes": [], "imagePath": "f1.png"}))
        source = root
    else:
        flat = [v for point in far for v in point]
        source = _coco(
            data, [{"id": 1, "image_id": 0, "segmentation": [flat], "bbox": [1, 1, 2, 2]}]
        )
    assert main(["import", str(source), "--out", str(tmp_path / "p.lirst"), "--quiet"]) == 1
    assert "far outside the frame" in _errors(capsys)


# -- the last tracebacks of the hostile-input attack: each one line, a non-zero exit, no output --
def _last_is_the_error(err: str) -> bool:
    """A refused command's last line is its one error (warnings of skipped entries before)."""
    return err.strip().splitlines()[-1].startswith("label-irst: error:")


def test_a_non_utf8_image_name_exports_to_every_format(data, tmp_path, capsys):
    """export --format sirstd-pixel wrote the name into its JSON and died in write_text."""
    raw = b"caf\xe9"
    name = os.fsdecode(raw + b".png")
    frame, union, _, _ = synthetic_frame((48, 64), count=1, seed=5, scr=(12, 20))
    write_image(data / "images" / name, frame)
    write_mask(data / "masks" / name, union)
    project = tmp_path / "p.lirst"
    assert main(["import", str(data), "--out", str(project), "--quiet"]) == 0
    for source in (data, project):
        for fmt in ("sirstd-pixel", "sirst", "coco", "labelme", "csv"):
            out = tmp_path / f"{source.name}-{fmt}"
            args = ["export", str(source), "--format", fmt, "--out", str(out), "--quiet"]
            assert main(args) == 0, _errors(capsys)
            for path in out.rglob("*"):
                path.name.encode("utf-8")  # every exported name is UTF-8
                if path.suffix in (".json", ".csv", ".txt"):
                    path.read_bytes().decode("utf-8")  # and so is every text file
    records = json.loads(
        (tmp_path / "data-sirstd-pixel" / "annotations" / "frames.json").read_text()
    )
    names = {f["source_name"] for f in records["frames"]}
    assert os.fsdecode(raw) in names  # the JSON escape reads back as the file's own name
    _errors(capsys)


def test_gui_refuses_a_non_utf8_folder_in_one_line(tmp_path):
    """gui PATH died in default_project encoding the path; now refused before any project."""
    import subprocess
    import sys

    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/seq\xe9"))
    frame, *_ = synthetic_frame((48, 64), count=1, seed=0, scr=(12, 20))
    write_image(folder / "f0.png", frame)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LABEL_IRST_HOME": str(tmp_path / "h")}
    argv = [sys.executable, "-m", "label_irst", "gui", os.fsencode(folder)]
    argv += ["--screenshot", str(tmp_path / "s.png")]
    result = subprocess.run(argv, env=env, capture_output=True, timeout=120)
    err = result.stderr.decode("utf-8", "replace").strip()
    assert result.returncode == 2 and "Traceback" not in err, err
    assert err.splitlines()[-1].startswith("label-irst: error:") and "not valid UTF-8" in err
    assert not (tmp_path / "h" / "projects").exists() or not any(
        (tmp_path / "h" / "projects").iterdir()
    )
    assert not (tmp_path / "s.png").exists()


def test_a_tiny_support_radius_is_refused_in_one_line(data, tmp_path, capsys):
    """point2mask --rs 1e-300 divided by Rs squared (zero) inside the growth."""
    from label_irst.core.pamg import pamg
    from label_irst.errors import LabelIrstError

    for rs in ("1e-300", "5e-324", "0.4"):
        args = ["point2mask", str(data / "images"), "--points", str(data / "points.csv")]
        with pytest.raises(SystemExit) as exc:  # argparse: usage line and one error line
            main([*args, "--out", str(tmp_path / "o"), "--rs", rs, "--quiet"])
        assert exc.value.code == 2
        assert "--rs: must be in [0.5, 1000] pixels" in _errors(capsys)
        assert not (tmp_path / "o").exists()
    frame, *_ = synthetic_frame((48, 64), count=1, seed=0, scr=(12, 20))
    with pytest.raises(LabelIrstError, match="at least 0.5 pixels"):
        pamg(frame, (20.0, 20.0), 1e-300)


def test_a_nul_byte_in_a_coco_file_name_is_skipped(data, tmp_path, capsys):
    """COCO file_name "f0\\x00.png" reached os.stat: ValueError: embedded null byte."""
    bad = {"id": 0, "file_name": "f0\x00.png", "width": 64, "height": 48}
    coco = _coco(data, [], [bad])
    project = tmp_path / "p.lirst"
    assert main(["import", str(coco), "--out", str(project), "--quiet"]) == 2
    err = _errors(capsys)
    assert "NUL character" in err and _last_is_the_error(err) and not project.exists()
    good = {"id": 1, "file_name": "f1.png", "width": 64, "height": 48}
    coco = _coco(data, [], [bad, good])
    assert main(["import", str(coco), "--out", str(project), "--quiet"]) == 1
    assert "NUL character" in _errors(capsys) and project.is_file()


@pytest.mark.parametrize("fmt", ["coco", "labelme", "csv"])
def test_an_image_path_in_a_symlink_loop_is_one_line(data, tmp_path, capsys, fmt):
    """Path.resolve raised RuntimeError("Symlink loop") from every reader that resolves names."""
    images = data / "images"
    (images / "loop.png").symlink_to(images / "loop.png")
    if fmt == "coco":
        source = _coco(data, [], [{"id": 0, "file_name": "loop.png", "width": 64, "height": 48}])
    elif fmt == "labelme":
        (images / "f0.json").write_text(json.dumps({"shapes": [], "imagePath": "loop.png"}))
        source = images
    else:
        source = data / "targets.csv"
        source.write_text("sequence,frame,image,x,y,radius\n,p,images/loop.png,3,3,1\n")
    project = tmp_path / "p.lirst"
    assert main(["import", str(source), "--out", str(project), "--quiet"]) == 2
    err = _errors(capsys)
    assert "symbolic link loop" in err and "loop.png" in err
    assert err.count("label-irst: error:") == 1 and _last_is_the_error(err), err
    assert not project.exists()


def _read_only(folder: Path):
    """Run a command with ``folder`` read-only: a read-only bind mount in a private mount
    namespace as root (root writes through permissions), mode 0555 otherwise."""
    import shutil
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        call = [sys.executable, "-m", "label_irst", *args]
        if os.geteuid() == 0:
            mount = f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}'"
            script = f'{mount} && exec "$@"'
            call = [shutil.which("unshare"), "-m", "sh", "-c", script, "sh", *call]
        else:
            folder.chmod(0o555)
        try:
            return subprocess.run(call, capture_output=True, text=True, timeout=300)
        finally:
            folder.chmod(0o755)

    return run


def test_import_into_a_read_only_folder_is_one_line(data, tmp_path):
    """import --out in a folder the process may not write: PermissionError from mkstemp."""
    folder = tmp_path / "ro"
    folder.mkdir()
    result = _read_only(folder)("import", str(data), "--out", str(folder / "p.lirst"), "--quiet")
    err = result.stderr.strip()
    assert result.returncode == 2 and "Traceback" not in err, err
    assert err.count("\n") == 0 and err.startswith("label-irst: error:"), err
    assert "cannot write in" in err and not any(folder.iterdir())
