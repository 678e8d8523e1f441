"""The project file under a crash, a second writer and foreign files (issue: data safety).

A held project is refused through any of its names (the same path, a symbolic link, a hard
link), ``import --force`` never meets a crashed project's stale log, and a file that is not a
project is refused without a single byte written into it or beside it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.io.images import write_image, write_mask
from label_irst.io.project import ProjectStore, Target


def _dataset(root: Path, frames: int = 3) -> Path:
    rng = np.random.default_rng(0)
    for i in range(frames):
        image = rng.integers(0, 40, (32, 40)).astype(np.uint8)
        mask = np.zeros((32, 40), bool)
        mask[10:13, 10 + i : 13 + i] = True
        image[mask] = 200
        write_image(root / "images" / f"f{i}.png", image)
        write_mask(root / "masks" / f"f{i}.png", mask)
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


HOLD = """
import sys, time
import numpy as np
from label_irst.core.geometry import CroppedMask
from label_irst.io.project import ProjectStore, Target
store = ProjectStore.open(sys.argv[1])
sid = store.add_sequence(sys.argv[2], "folder", 3)
for k in range(int(sys.argv[3])):
    mask = CroppedMask(np.ones((2, 2), bool), (k % 20, 1))
    store.save_target(Target(sequence_id=sid, frame=0, mask=mask, seed=(1, k % 20),
                             source="pamg", status="candidate", rho=0.0))
print("held", flush=True)
time.sleep(60)
"""


def _holder(project: Path, frames: Path, edits: int = 5) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(project), str(frames), str(edits)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


def _integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def test_import_force_over_a_crashed_project_leaves_a_sound_project(tmp_path, capsys):
    data = _dataset(tmp_path / "data")
    project = tmp_path / "p.lirst"
    assert main(["import", str(data), "--out", str(project), "--quiet"]) == 0
    child = _holder(project, data / "images", edits=300)  # commits sit in the -wal
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert Path(str(project) + "-wal").stat().st_size > 0  # the crash left its log
    assert main(["import", str(data), "--out", str(project), "--force", "--quiet"]) == 0
    assert not Path(str(project) + "-wal").exists()
    assert _integrity(project) == "ok"
    assert main(["export", str(project), "--format", "csv", "--out", str(tmp_path / "x")]) == 0
    with ProjectStore.open(project, readonly=True) as store:
        (seq,) = store.sequences()
        assert len(store.targets(seq.id)) == 3  # the imported targets, none of the crashed edits


def test_a_held_project_is_refused_through_every_name(tmp_path, capsys):
    data = _dataset(tmp_path / "data")
    project = tmp_path / "p.lirst"
    ProjectStore.open(project, create=True).close()
    (tmp_path / "link.lirst").symlink_to(project)
    os.link(project, tmp_path / "hard.lirst")
    child = _holder(project, data / "images")
    try:
        for name in ("p.lirst", "link.lirst", "hard.lirst"):
            with pytest.raises(LabelIrstError, match="open elsewhere"):
                ProjectStore.open(tmp_path / name)
        before = project.read_bytes()
        model = Path(__file__).resolve().parents[1] / "models" / "rprnet-int8.json"
        for name in ("p.lirst", "link.lirst", "hard.lirst"):
            out = str(tmp_path / name)
            assert main(["import", str(data), "--out", out, "--force", "--quiet"]) == 2
            assert "open elsewhere" in capsys.readouterr().err
            pre = ["prelabel", out, "--model", str(model), "--device", "cpu", "--quiet"]
            assert main([*pre, "--out", str(tmp_path / "pre")]) == 2  # a second writer
            assert "open elsewhere" in capsys.readouterr().err
        assert project.read_bytes() == before
        assert (tmp_path / "link.lirst").is_symlink()
    finally:
        child.kill()
        child.wait()
    with ProjectStore.open(project, readonly=True) as store:
        (seq,) = store.sequences()
        assert len(store.targets(seq.id)) == 5  # every edit of the holder is there
    assert _integrity(project) == "ok"


def _other_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO photos (name) VALUES ('holiday')")
    db.commit()
    db.close()


def _newer_schema(path: Path) -> None:
    ProjectStore.open(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    db.commit()
    db.close()


def _wal_foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "an empty file"),
        (lambda p: p.write_bytes(b"not a database at all"), "not an SQLite file"),
        (_other_schema, "of another kind"),
        (_wal_foreign, "of another kind"),
        (_newer_schema, "schema version 7 is newer"),
    ],
)
def test_a_foreign_file_is_refused_without_a_write(tmp_path, make, message, capsys):
    folder = tmp_path / "here"
    folder.mkdir()
    path = folder / "p.lirst"
    make(path)
    before = _snapshot(folder)
    for readonly in (False, True):
        with pytest.raises(LabelIrstError, match=message):
            ProjectStore.open(path, readonly=readonly)
    model = tmp_path / "m.json"
    model.write_text("{}")
    assert main(["prelabel", str(path), "--model", str(model), "--out", str(tmp_path / "o")]) == 2
    assert main(["export", str(path), "--format", "csv", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err
    from label_irst.gui.workspace import open_workspace  # the app's way in (no window needed)

    with pytest.raises(LabelIrstError, match=message):
        open_workspace(path)
    assert _snapshot(folder) == before  # not a byte changed, no -wal, -shm or .lock beside it


@pytest.mark.parametrize("name", ["a#b.lirst", "what?.lirst", "50%.lirst"])
def test_project_names_with_uri_characters(tmp_path, name):
    path = tmp_path / name
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(tmp_path, "folder", 1)
        store.save_target(
            Target(
                sequence_id=sid,
                frame=0,
                mask=CroppedMask(np.ones((2, 2), bool), (1, 1)),
                seed=(1, 1),
                source="pamg",
                status="candidate",
                rho=0.0,
            )
        )
    with ProjectStore.open(path, readonly=True) as store:
        assert len(store.targets(sid)) == 1
    with ProjectStore.open(path) as store:
        assert len(store.targets(sid)) == 1
    stray = {p.name for p in tmp_path.iterdir()} - {name, name + ".lock"}
    assert not {s for s in stray if not s.startswith(name)}  # no file cut at '#' or '?'
