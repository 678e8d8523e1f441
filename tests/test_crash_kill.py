"""kill -9 at random moments of the writing commands loses nothing reported done.

For ``import --force``, ``export``, ``point2mask`` and ``prelabel PROJECT`` a reference run
gives the expected result and its duration T; then a few runs are killed (SIGKILL) after a
delay drawn from [0.25 T, 0.95 T] (seeded, so a failure can be replayed). After each kill:

* the project file passes SQLite's integrity check and holds either the old or the new content,
  never a mixture, and it can be opened for writing again (the lock died with the process);
* an output folder is either absent (or the old one) or complete, never half-written;
* a rerun succeeds, removes the killed run's temporaries, and gives the reference result.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.images import write_image, write_mask
from label_irst.io.project import ProjectStore, Target

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "rprnet-int8.json"
KILLS = 3
FRAMES = 16


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "label_irst", *args, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(*args: str) -> float:
    t0 = time.perf_counter()
    proc = _cli(*args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return time.perf_counter() - t0


def _killed(rng: random.Random, duration: float, *args: str) -> None:
    proc = _cli(*args)
    time.sleep(rng.uniform(0.25, 0.95) * duration)
    proc.kill()
    proc.communicate(timeout=60)


def _tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _names(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _temporaries(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def _integrity(project: Path) -> None:
    db = sqlite3.connect(project)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def _targets(project: Path) -> dict[tuple[int, str, str], int]:
    """Targets per (frame, source, status) of the project's one sequence."""
    out: dict[tuple[int, str, str], int] = {}
    with ProjectStore.open(project, readonly=True) as store:
        for seq in store.sequences():
            for t in store.targets(seq.id):
                key = (t.frame, t.source, t.status)
                out[key] = out.get(key, 0) + 1
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash") / "ds"
    points = ["image,x,y"]
    for i in range(FRAMES):
        frame, union, targets, _ = synthetic_frame((64, 80), count=2, seed=i, scr=(12, 20))
        write_image(root / "images" / f"{i:03d}.png", frame)
        write_mask(root / "masks" / f"{i:03d}.png", union)
        points += [f"{i:03d},{t.x:.2f},{t.y:.2f}" for t in targets]
    (root.parent / "points.csv").write_text("\n".join(points) + "\n")
    return root


def test_point2mask_killed_leaves_no_half_written_folder(data, tmp_path):
    rng = random.Random(3407)
    args = ["point2mask", str(data / "images"), "--points", str(data.parent / "points.csv")]
    duration = _finish(*args, "--out", str(tmp_path / "ref"))
    reference = _tree(tmp_path / "ref")
    out = tmp_path / "out"
    for _ in range(KILLS):
        _killed(rng, duration, *args, "--out", str(out), "--force")
        assert _tree(out) in ({}, reference)  # absent (or the last complete run), never half
        _finish(*args, "--out", str(out), "--force")
        assert _tree(out) == reference
        assert _temporaries(tmp_path, "out") == []


def test_export_killed_leaves_no_half_written_folder(data, tmp_path):
    rng = random.Random(1)
    project = tmp_path / "p.lirst"
    _finish("import", str(data), "--out", str(project))
    args = ["export", str(project), "--format", "sirstd-pixel"]
    duration = _finish(*args, "--out", str(tmp_path / "ref"))
    expected = _names(tmp_path / "ref")
    out = tmp_path / "out"
    for _ in range(KILLS):
        _killed(rng, duration, *args, "--out", str(out), "--force")
        assert not out.exists() or _names(out) == expected
        _finish(*args, "--out", str(out), "--force")
        assert _names(out) == expected
        assert _temporaries(tmp_path, "out") == []


def test_import_force_killed_keeps_the_old_or_the_new_project(data, tmp_path):
    rng = random.Random(7)
    reference = tmp_path / "ref.lirst"
    duration = _finish("import", str(data), "--out", str(reference))
    new = _targets(reference)
    project = tmp_path / "p.lirst"
    for _ in range(KILLS):
        _finish("import", str(data), "--out", str(project), "--force")
        with ProjectStore.open(project) as store:  # the old project: one edit more
            sid = store.sequences()[0].id
            mask = CroppedMask(np.ones((2, 2), bool), (1, 1))
            store.save_target(Target(sid, 0, mask, (1, 1), source="manual", status="confirmed"))
        old = _targets(project)
        _killed(rng, duration, "import", str(data), "--out", str(project), "--force")
        _integrity(project)
        assert _targets(project) in (old, new)
        ProjectStore.open(project).close()  # writable again: the lock died with the process
        _finish("import", str(data), "--out", str(project), "--force")
        assert _targets(project) == new
        assert [n for n in _temporaries(tmp_path, "p.lirst") if not n.endswith(".lock")] == []


def test_prelabel_project_killed_loses_no_stored_frame(data, tmp_path):
    rng = random.Random(11)
    reference = tmp_path / "ref.lirst"
    _finish("import", str(data), "--out", str(reference))
    pre = ["prelabel", "--model", str(MODEL), "--device", "cpu"]
    duration = _finish(pre[0], str(reference), *pre[1:], "--out", str(tmp_path / "ref-out"))
    expected = _targets(reference)
    assert any(source == "model" for _, source, _ in expected)
    project = tmp_path / "p.lirst"
    _finish("import", str(data), "--out", str(project))
    for k in range(KILLS):
        out = tmp_path / f"out{k}"
        _killed(rng, duration, pre[0], str(project), *pre[1:], "--out", str(out))
        _integrity(project)
        now = _targets(project)
        for (frame, source, status), count in now.items():  # each frame: all or nothing
            assert expected.get((frame, source, status)) == count
        _finish(pre[0], str(project), *pre[1:], "--out", str(out))
        assert _targets(project) == expected  # rerun: nothing lost, nothing duplicated
