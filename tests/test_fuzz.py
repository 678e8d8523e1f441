"""Property-based fuzzing of every reader through the command line (Hypothesis).

Each test builds a small valid input, breaks one part of it the way a damaged or hostile file
would (truncated, bytes flipped, numbers replaced by NaN, Infinity, 10**400, text or a wrong
type, keys dropped, deep nesting, a forged image header) and runs the commands that read it
in-process through :func:`label_irst.cli.main`. Whatever the input, a command must:

* return 0, 1 or 2 (argparse's usage errors are 2 as well) and never raise;
* finish (every call runs under an alarm; a hang fails the example);
* leave every input file, and any foreign file beside the output, byte for byte unchanged;
* leave no half-written output: no temporary beside --out, and an --out that is either absent
  or complete (its summary file written).

Examples are few per reader (``max_examples``) so that the whole file runs in about a minute
on a 2-core machine; ``derandomize`` keeps CI runs reproducible.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from label_irst.cli import main
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.images import write_image, write_mask

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "rprnet-int8.json"
CALL_SECONDS = 60

#: LABEL_IRST_FUZZ_EXAMPLES=500 (and a random seed) for a long hunt; CI runs a fixed dozen.
EXAMPLES = int(os.environ.get("LABEL_IRST_FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# -- hostile values --------------------------------------------------------------------------
HOSTILE_TOKENS = [
    "nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1", "0", "-0", "1e-320", "3.5",
    "99999999999999999999999999", "abc", "", " ", "0x10", "\u0661\u0662", "1,5", "null",
]  # fmt: skip
HOSTILE_JSON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -(10**30), 2**63, 2**64 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(-2, 2), max_size=2),
)


def json_paths(doc, prefix=()):
    """Every (path) to a value inside ``doc`` (dict keys and list indices)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += json_paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):
            out += json_paths(v, (*prefix, i))
    return out


@st.composite
def broken_json(draw, doc) -> bytes:
    """``doc`` serialised after one hostile edit: a value replaced or dropped, raw garbage."""
    kind = draw(st.sampled_from(["replace", "replace", "replace", "drop", "raw", "deep"]))
    if kind == "deep":
        return b"[" * draw(st.integers(500, 200_000))
    text = json.dumps(doc)
    if kind == "raw":
        data = text.encode()
        return _mutate_bytes(draw, data)
    doc = json.loads(text)
    path = draw(st.sampled_from(json_paths(doc)))
    if not path:
        return json.dumps(draw(HOSTILE_JSON)).encode()
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if kind == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(HOSTILE_JSON)
    return json.dumps(doc).encode()


def _mutate_bytes(draw, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "non-utf8"]))
    if not data:
        return draw(st.binary(max_size=64))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        chunk = draw(st.binary(min_size=1, max_size=8))
        return data[:at] + chunk + data[at + len(chunk) :]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    return data[:at] + b"\xff\xfe\xc3(" + data[at:]


@st.composite
def broken_bytes(draw, data: bytes) -> bytes:
    return _mutate_bytes(draw, data)


@st.composite
def broken_text(draw, text: str) -> bytes:
    """Text with one number replaced by a hostile token, or bytes broken."""
    import re

    numbers = list(re.finditer(r"-?\d+(\.\d+)?", text))
    if numbers and draw(st.booleans()):
        m = draw(st.sampled_from(numbers))
        token = draw(st.sampled_from(HOSTILE_TOKENS))
        return (text[: m.start()] + token + text[m.end() :]).encode()
    return _mutate_bytes(draw, text.encode())


# -- the harness -----------------------------------------------------------------------------
class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("the command did not finish")


def snapshot(*roots: Path) -> dict[str, bytes]:
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for p in files:
            if p.is_file() and not p.is_symlink():
                out[str(p)] = p.read_bytes()
    return out


def run(argv: list[str]) -> tuple[int, str]:
    """``main(argv)`` in-process under an alarm; returns (exit code, stderr)."""
    err = io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CALL_SECONDS)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, err.getvalue()


def check(argv: list[str], inputs: list[Path], out: Path | None = None, done: str | None = None):
    """Run ``argv`` and assert the contract of the module docstring."""
    before = snapshot(*inputs)
    code, err = run(argv)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err, err
    assert snapshot(*inputs) == before, "an input file changed"
    if out is not None:
        leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
        assert not leftovers, leftovers
        if done is not None and out.exists() and code != 2:
            assert (out / done).exists() or out.is_file(), f"{out} is incomplete"
    return code, err


@contextlib.contextmanager
def workdir():
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


# -- small valid inputs ----------------------------------------------------------------------
def make_frames(root: Path, n: int = 2, shape=(40, 48)) -> list[tuple[float, float]]:
    centres = []
    for i in range(n):
        frame, union, targets, _ = synthetic_frame(shape, count=1, seed=i, scr=(12, 20))
        write_image(root / "images" / f"f{i}.png", frame)
        write_mask(root / "masks" / f"f{i}.png", union)
        centres.append((targets[0].x, targets[0].y))
    return centres


def _counts(x: float, y: float) -> list[int]:
    """Uncompressed column-major RLE of a 3-pixel vertical run at (x, y) on a 40 x 48 frame."""
    start = 40 * int(x) + int(y)
    return [start, 3, 40 * 48 - start - 3]


def coco_doc(centres) -> dict:
    return {
        "images": [
            {"id": i, "file_name": f"f{i}.png", "width": 48, "height": 40}
            for i in range(len(centres))
        ],
        "annotations": [
            {
                "id": i + 1,
                "image_id": i,
                "category_id": 1,
                "bbox": [x - 2, y - 2, 5, 5],
                "segmentation": {"size": [40, 48], "counts": _counts(x, y)},
                "track_id": 1,
                "rho": 1.5,
            }
            for i, (x, y) in enumerate(centres)
        ],  # fmt: skip
        "categories": [{"id": 1, "name": "target"}],
    }


# -- readers ---------------------------------------------------------------------------------
IMAGE_KINDS = ["png", "png16", "bmp", "tiff", "jpg"]


def _image_bytes(kind: str) -> bytes:
    from PIL import Image

    frame, *_ = synthetic_frame((40, 48), count=1, seed=3, scr=(12, 20))
    buffer = io.BytesIO()
    if kind == "png16":
        Image.fromarray(frame.astype(np.uint16) * 200).save(buffer, format="PNG")
    elif kind == "tiff":
        import tifffile

        tifffile.imwrite(buffer, frame)
    else:
        fmt = {"png": "PNG", "bmp": "BMP", "jpg": "JPEG"}[kind]
        Image.fromarray(frame.astype(np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


def _forged_header(kind: str, width: int, height: int) -> bytes:
    """A valid file of ``kind`` whose header claims ``width`` x ``height``."""
    import struct
    import zlib

    data = bytearray(_image_bytes("png" if kind == "tiff" else kind))
    if kind in ("png", "png16"):
        ihdr = data[12:29]
        ihdr[4:12] = struct.pack(">II", width, height)
        data[12:29] = ihdr
        data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    elif kind == "bmp":
        data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


@FUZZ
@given(
    kind=st.sampled_from(IMAGE_KINDS),
    data=st.data(),
    forged=st.one_of(st.none(), st.tuples(st.integers(0, 70_000), st.integers(0, 70_000))),
)
def test_fuzz_images(kind, data, forged):
    suffix = {"png16": "png", "jpg": "jpg"}.get(kind, kind)
    if forged is not None and kind in ("png", "png16", "bmp"):
        blob = _forged_header(kind, *forged)
    else:
        blob = data.draw(broken_bytes(_image_bytes(kind)))
    with workdir() as tmp:
        make_frames(tmp / "ds")
        (tmp / "ds" / "images" / f"x.{suffix}").write_bytes(blob)
        (tmp / "p.csv").write_text("image,x,y\nx,5,5\nf0,10,10\n")
        inputs = [tmp / "ds", tmp / "p.csv"]
        images = str(tmp / "ds" / "images")
        p2m = ["point2mask", images, "--points", str(tmp / "p.csv"), "--quiet"]
        check([*p2m, "--out", str(tmp / "o")], inputs, tmp / "o", "targets.csv")
        check(["import", str(tmp / "ds"), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
        check(["stats", str(tmp / "ds"), "--out", str(tmp / "st"), "--quiet"], inputs)
        ev = ["eval-masks", "--dataset", str(tmp / "ds"), "--seeds", "centroid", "--quiet"]
        check(ev, inputs)


def _voc(x: float, y: float, name: str = "f0.png") -> str:
    return (
        f"<annotation><filename>{name}</filename><object><name>t</name><bndbox>"
        f"<xmin>{x - 1:.0f}</xmin><ymin>{y - 1:.0f}</ymin><xmax>{x + 2:.0f}</xmax>"
        f"<ymax>{y + 2:.0f}</ymax></bndbox></object></annotation>"
    )


@FUZZ
@given(data=st.data())
def test_fuzz_voc_xml(data):
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        (tmp / "ds" / "boxes").mkdir()
        (tmp / "ds" / "boxes" / "f0.xml").write_bytes(data.draw(broken_text(_voc(*centres[0]))))
        (tmp / "ds" / "boxes" / "f1.xml").write_text(_voc(*centres[1], "f1.png"))
        shutil.rmtree(tmp / "ds" / "masks")
        inputs = [tmp / "ds"]
        argv = ["box2mask", str(tmp / "ds" / "images"), "--boxes", str(tmp / "ds" / "boxes")]
        check([*argv, "--out", str(tmp / "o"), "--quiet"], inputs, tmp / "o", "targets.csv")
        check(["import", str(tmp / "ds"), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)


@FUZZ
@given(data=st.data())
def test_fuzz_yolo_txt(data):
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        (tmp / "ds" / "labels").mkdir()
        x, y = centres[0]
        line = f"0 {x / 48:.4f} {y / 40:.4f} 0.1 0.1\n1 0.5 0.5 0.05 0.05\n"
        (tmp / "ds" / "labels" / "f0.txt").write_bytes(data.draw(broken_text(line)))
        shutil.rmtree(tmp / "ds" / "masks")
        inputs = [tmp / "ds"]
        argv = ["box2mask", str(tmp / "ds" / "images"), "--boxes", str(tmp / "ds" / "labels")]
        check([*argv, "--out", str(tmp / "o"), "--quiet"], inputs, tmp / "o", "targets.csv")
        check(["import", str(tmp / "ds"), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)


@FUZZ
@given(data=st.data())
def test_fuzz_coco_json(data):
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        shutil.rmtree(tmp / "ds" / "masks")
        blob = data.draw(broken_json(coco_doc(centres)))
        (tmp / "ds" / "annotations.json").write_bytes(blob)
        inputs = [tmp / "ds"]
        coco = str(tmp / "ds" / "annotations.json")
        argv = ["box2mask", str(tmp / "ds" / "images"), "--boxes", coco, "--quiet"]
        check([*argv, "--out", str(tmp / "o")], inputs, tmp / "o", "targets.csv")
        check(["import", coco, "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
        check(["stats", coco, "--out", str(tmp / "st"), "--quiet"], inputs)
        ex = ["export", coco, "--format", "labelme", "--out", str(tmp / "x"), "--quiet"]
        check(ex, inputs, tmp / "x", "meta.json")


def labelme_doc(x: float, y: float) -> dict:
    return {
        "version": "5.5.0",
        "shapes": [
            {
                "label": "t",
                "points": [[x - 2, y - 2], [x + 2, y - 2], [x, y + 2]],
                "shape_type": "polygon",
                "group_id": 3,
            },
            {"label": "t", "points": [[x, y], [x + 2, y]], "shape_type": "circle"},
            {"label": "t", "points": [[x - 1, y - 1], [x + 1, y + 1]], "shape_type": "rectangle"},
            {"label": "t", "points": [[x, y]], "shape_type": "point"},
        ],  # fmt: skip
        "imagePath": "f0.png",
        "imageData": None,
        "imageHeight": 40,
        "imageWidth": 48,
    }


@FUZZ
@given(data=st.data())
def test_fuzz_labelme_json(data):
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        root = tmp / "ds" / "images"
        (root / "f0.json").write_bytes(data.draw(broken_json(labelme_doc(*centres[0]))))
        doc = labelme_doc(*centres[1])
        doc["imagePath"] = "f1.png"
        (root / "f1.json").write_text(json.dumps(doc))
        inputs = [tmp / "ds"]
        check(["import", str(root), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
        ex = ["export", str(root), "--format", "coco", "--out", str(tmp / "x"), "--quiet"]
        check(ex, inputs, tmp / "x", "meta.json")


@FUZZ
@given(data=st.data(), which=st.sampled_from(["points", "targets"]))
def test_fuzz_csv(data, which):
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        inputs = [tmp / "ds"]
        if which == "points":
            text = "image,x,y\n" + "".join(
                f"f{i},{x:.2f},{y:.2f}\n" for i, (x, y) in enumerate(centres)
            )
            (tmp / "p.csv").write_bytes(data.draw(broken_text(text)))
            inputs.append(tmp / "p.csv")
            argv = ["point2mask", str(tmp / "ds" / "images"), "--points", str(tmp / "p.csv")]
            check([*argv, "--out", str(tmp / "o"), "--quiet"], inputs, tmp / "o", "targets.csv")
        else:
            text = "sequence,frame,image,target_id,track_id,x,y,radius,split\n" + "".join(
                f",f{i},images/f{i}.png,{i + 1},1,{x:.2f},{y:.2f},1.5,train\n"
                for i, (x, y) in enumerate(centres)
            )
            (tmp / "ds" / "targets.csv").write_bytes(data.draw(broken_text(text)))
            shutil.rmtree(tmp / "ds" / "masks")
            csv = str(tmp / "ds" / "targets.csv")
            check(["import", csv, "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
            ex = ["export", csv, "--format", "csv", "--out", str(tmp / "x"), "--quiet"]
            check(ex, inputs, tmp / "x", "meta.json")


@st.composite
def non_utf8_name(draw) -> str:
    """A file name a Linux file system allows but UTF-8 does not: 0xFF somewhere in its bytes."""
    raw = draw(st.binary(max_size=10).filter(lambda b: b"/" not in b and b"\x00" not in b))
    at = draw(st.integers(0, len(raw)))
    return os.fsdecode(raw[:at] + b"\xff" + raw[at:])


@FUZZ
@given(
    data=st.data(),
    fmt=st.sampled_from(["folders", "coco", "labelme", "csv"]),
    hazard=st.sampled_from(["non-utf8", "nul", "loop"]),
    blocked=st.booleans(),
)
def test_fuzz_file_names(data, fmt, hazard, blocked):
    """Names the file system allows (not UTF-8, a link loop) or a file may hold (a NUL), read by
    every importer and exported; with ``blocked`` the outputs' folder is a file."""
    with workdir() as tmp:
        centres = make_frames(tmp / "ds")
        images = tmp / "ds" / "images"
        name = {"non-utf8": None, "nul": "f0\x00.png", "loop": "loop.png"}[hazard]
        if hazard == "non-utf8":
            name = data.draw(non_utf8_name()) + ".png"
            shutil.copy(images / "f0.png", images / name)
            shutil.copy(tmp / "ds" / "masks" / "f0.png", tmp / "ds" / "masks" / name)
        elif hazard == "loop":
            (images / name).symlink_to(images / name)
        source = tmp / "ds"
        if fmt == "coco":
            doc = coco_doc(centres)
            doc["images"][0]["file_name"] = name  # json.dumps escapes a lone surrogate
            (tmp / "ds" / "annotations.json").write_text(json.dumps(doc))
            source = tmp / "ds" / "annotations.json"
        elif fmt == "labelme":
            (images / "f0.json").write_text(
                json.dumps({**labelme_doc(*centres[0]), "imagePath": name})
            )
            (images / "f1.json").write_text(
                json.dumps({**labelme_doc(*centres[1]), "imagePath": "f1.png"})
            )
            source = images
        elif fmt == "csv":
            rows = [f",a,images/{name},3,3,1", ",b,images/f1.png,3,3,1"]
            text = "sequence,frame,image,x,y,radius\n" + "\n".join(rows) + "\n"
            (tmp / "ds" / "targets.csv").write_bytes(text.encode("utf-8", "surrogateescape"))
            source = tmp / "ds" / "targets.csv"
        out = tmp / "blocker" if blocked else tmp / "outs"
        if blocked:
            out.write_text("a file where the outputs' folder should be")
        else:
            out.mkdir()
        inputs = [tmp / "ds"] + ([out] if blocked else [])
        project = out / "p.lirst"
        code, _ = check(["import", str(source), "--out", str(project), "--quiet"], inputs)
        assert code != 0 or project.is_file()
        for src in (source, project):
            for kind in ("sirstd-pixel", "csv"):
                x = out / f"{src.name}-{kind}"
                ex = ["export", str(src), "--format", kind, "--out", str(x), "--quiet"]
                check(ex, inputs, x if not blocked else None, "meta.json")
        if hazard == "non-utf8" and fmt == "folders":  # the app opening a non-UTF-8 folder
            from label_irst.errors import LabelIrstError
            from label_irst.gui.workspace import open_workspace

            folder = tmp / data.draw(non_utf8_name())
            shutil.copytree(images, folder, symlinks=True)
            with contextlib.suppress(LabelIrstError):
                open_workspace(folder, project=tmp / "app.lirst").store.close()
            assert not (tmp / "app.lirst").exists()


def _project(tmp: Path) -> Path:
    make_frames(tmp / "ds")
    project = tmp / "p.lirst"
    code, err = run(["import", str(tmp / "ds"), "--out", str(project), "--quiet"])
    assert code == 0, err
    return project


PROJECT_EDITS = [
    "UPDATE targets SET mask = X'FF'",
    "UPDATE targets SET height = 100000, width = 100000",
    "UPDATE targets SET height = -5",
    "UPDATE targets SET off_row = 9223372036854775807",
    "UPDATE targets SET box = 'not json'",
    "UPDATE targets SET box = '[1, 2]'",
    "UPDATE targets SET status = 'maybe'",
    "UPDATE targets SET source = 'alien'",
    "UPDATE targets SET rho = 'high'",
    "UPDATE targets SET score = 'sure'",
    "UPDATE targets SET seed_x = 'left'",
    "UPDATE targets SET mask = NULL",
    "UPDATE frames SET idx = 99",
    "UPDATE frames SET idx = -1",
    "UPDATE frames SET height = 'tall'",
    "UPDATE sequences SET kind = 'hologram'",
    "UPDATE sequences SET source = '/nonexistent/frames'",
    "UPDATE sequences SET source = ''",
    "UPDATE meta SET value = 'one' WHERE key = 'schema_version'",
    "UPDATE meta SET value = '99999999999999999999' WHERE key = 'schema_version'",
    "DELETE FROM meta",
    "DROP TABLE history",
    "UPDATE targets SET frame_id = 12345",
]


@FUZZ
@given(edit=st.sampled_from(PROJECT_EDITS), flip=st.one_of(st.none(), st.integers(0, 8191)))
def test_fuzz_project_file(edit, flip):
    with workdir() as tmp:
        project = _project(tmp)
        db = sqlite3.connect(project)
        with contextlib.suppress(sqlite3.Error):
            db.executescript(edit)
        db.commit()
        db.close()
        if flip is not None:
            data = bytearray(project.read_bytes())
            if flip < len(data):
                data[flip] ^= 0x5A
                project.write_bytes(bytes(data))
        inputs = [project, tmp / "ds"]
        ex = ["export", str(project), "--format", "sirst", "--out", str(tmp / "x"), "--quiet"]
        check(ex, inputs, tmp / "x", "meta.json")
        check(["stats", str(project), "--out", str(tmp / "st"), "--quiet"], inputs)
        check(["import", str(project), "--out", str(tmp / "q.lirst"), "--quiet"], inputs)
        # prelabel writes into the project: only the frame folder must stay as it was
        pre = ["prelabel", str(project), "--model", str(MODEL), "--device", "cpu", "--quiet"]
        check([*pre, "--out", str(tmp / "pre")], [tmp / "ds"])
        code, err = run(["export", str(project), "--format", "csv", "--out", str(tmp / "y")])
        assert code in (0, 1, 2) and "Traceback" not in err


def _model_copy(tmp: Path) -> dict:
    record = json.loads(MODEL.read_text())
    for key in ("encoder", "head"):
        (tmp / record[key]).symlink_to(MODEL.parent / record[key])
    return record


@settings(FUZZ, max_examples=max(EXAMPLES * 2 // 3, 1))
@given(data=st.data())
def test_fuzz_model_record(data):
    with workdir() as tmp:
        record = _model_copy(tmp)
        (tmp / "m.json").write_bytes(data.draw(broken_json(record)))
        frames = tmp / "frames"
        for i in range(3):
            frame, *_ = synthetic_frame((40, 48), count=1, seed=i, scr=(12, 20))
            write_image(frames / f"{i}.png", frame)
        inputs = [frames, tmp / "m.json"]
        pre = ["prelabel", str(frames), "--model", str(tmp / "m.json"), "--device", "cpu"]
        check([*pre, "--out", str(tmp / "o"), "--quiet"], inputs)


def prediction_doc(centres) -> dict:
    return {
        "sequence": "s1",
        "model": "m",
        "threshold": 0.5,
        "complete": True,
        "frames": [
            {
                "frame": f"{i:03d}",
                "targets": [{"x": x, "y": y, "radius": 1.5, "score": 0.9, "mask_area": 7}],
            }
            for i, (x, y) in enumerate(centres)
        ],  # fmt: skip
    }


@FUZZ
@given(data=st.data())
def test_fuzz_sequence_annotations(data):
    with workdir() as tmp:
        gt = tmp / "gt"
        centres = []
        for i in range(2):
            frame, union, targets, _ = synthetic_frame((40, 48), count=1, seed=i, scr=(12, 20))
            write_image(gt / "images" / "s1" / f"{i:03d}.png", frame)
            write_mask(gt / "masks" / "s1" / f"{i:03d}.png", union)
            centres.append((targets[0].x, targets[0].y))
        (tmp / "pred" / "annotations").mkdir(parents=True)
        blob = data.draw(broken_json(prediction_doc(centres)))
        (tmp / "pred" / "annotations" / "s1.json").write_bytes(blob)
        inputs = [gt, tmp / "pred"]
        check(["eval-detections", "--pred", str(tmp / "pred"), "--gt", str(gt), "--quiet"], inputs)
        plot = ["--plot", str(tmp / "curves.png")]
        check(["eval-detections", "--pred", str(tmp / "pred"), "--gt", str(gt), *plot], inputs)
        # the same record as a dataset's own annotations (SIRSTD-Pixel records)
        (gt / "annotations").mkdir()
        (gt / "annotations" / "s1.json").write_bytes(blob)
        check(["import", str(gt), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
        check(["eval-detections", "--pred", str(tmp / "pred"), "--gt", str(gt), "--quiet"], inputs)


@FUZZ
@given(
    data=st.data(),
    split=st.sampled_from(["train", "test", "../x", "", "\u00e9", "a" * 300]),
    rs=st.sampled_from(["20", "inf", "nan", "-1", "0", "1e308", "abc", "1e-300", "5e-324", "0.4"]),
    mode=st.sampled_from(["blind", "prior"]),
)
def test_fuzz_split_files_and_numbers(data, split, rs, mode):
    with workdir() as tmp:
        make_frames(tmp / "ds", n=3)
        (tmp / "ds" / "img_idx").mkdir()
        text = data.draw(broken_text("f0\nf1\n"))
        (tmp / "ds" / "img_idx" / "train.txt").write_bytes(text)
        inputs = [tmp / "ds"]
        argv = ["eval-masks", "--dataset", str(tmp / "ds"), "--split", split, "--rs", rs]
        check([*argv, "--mode", mode, "--quiet"], inputs)
        (tmp / "p.csv").write_text("image,x,y\nf0,10,10\nf1,12,12\n")
        p2m = ["point2mask", str(tmp / "ds" / "images"), "--points", str(tmp / "p.csv")]
        check(
            [*p2m, "--rs", rs, "--out", str(tmp / "o"), "--quiet"], inputs, tmp / "o", "targets.csv"
        )
        check(["import", str(tmp / "ds"), "--out", str(tmp / "p.lirst"), "--quiet"], inputs)
        ex = ["export", str(tmp / "ds"), "--format", "sirstd-pixel", "--out", str(tmp / "x")]
        check([*ex, "--test-fraction", rs, "--quiet"], inputs, tmp / "x", "meta.json")


def convention_doc() -> dict:
    from label_irst.core.convention import Convention

    doc = json.loads(Convention("pamg+").to_json())
    doc["params"] = {"margin": 1, "eps": 0.3}
    return doc


@FUZZ
@given(data=st.data())
def test_fuzz_convention_json(data):
    with workdir() as tmp:
        make_frames(tmp / "ds")
        (tmp / "c.json").write_bytes(data.draw(broken_json(convention_doc())))
        (tmp / "p.csv").write_text("image,x,y\nf0,10,10\nf1,12,12\n")
        inputs = [tmp / "ds", tmp / "c.json", tmp / "p.csv"]
        argv = ["point2mask", str(tmp / "ds" / "images"), "--points", str(tmp / "p.csv")]
        conv = ["--convention", str(tmp / "c.json"), "--quiet"]
        check([*argv, "--out", str(tmp / "o"), *conv], inputs, tmp / "o", "targets.csv")
        ev = ["eval-masks", "--dataset", str(tmp / "ds"), "--seeds", "centroid", *conv]
        check(ev, inputs)
