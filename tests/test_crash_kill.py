"""A writing command killed (SIGKILL) at a chosen write, rename or commit loses nothing reported
done.

Each run is killed where the test asks, through the test-only crash points of
:mod:`label_irst.io.faults` (``LABEL_IRST_CRASH_AT=KIND:N``): after the N-th file written to its
temporary, before the N-th rename of a finished output into place, or after the N-th committed
project transaction. The process logs where it died; each test checks that the kill landed
there (killed by SIGKILL, at that event, in that file). After each kill, for ``point2mask``,
``export``, ``import --force`` and ``prelabel PROJECT``:

* the project file passes SQLite's integrity check and holds either the old or the new content,
  never a mixture, and it can be opened for writing again (the lock died with the process);
* an output folder is either absent (or the old one) or complete, never half-written;
* a rerun succeeds, removes the killed run's temporaries, and gives the reference result.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.faults import CRASH_AT, CRASH_LOG
from label_irst.io.images import write_image, write_mask
from label_irst.io.project import ProjectStore, Target

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "rprnet-int8.json"
FRAMES = 16


def _cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "label_irst", *args, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=300,
    )


def _finish(*args: str) -> None:
    result = _cli(*args)
    assert result.returncode == 0, result.stderr


def _killed_at(point: str, log: Path, *args: str) -> Path:
    """Run ``args`` killed at ``point`` (``KIND:N``); returns the file, folder or project the
    kill landed on, after checking that the process died there and nowhere else."""
    log.unlink(missing_ok=True)
    result = _cli(*args, env={**os.environ, CRASH_AT: point, CRASH_LOG: str(log)})
    assert result.returncode == -signal.SIGKILL, (point, result.returncode, result.stderr)
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    kind, number, where = lines[0].split(" ", 2)
    assert f"{kind}:{number}" == point
    return Path(where)


def _in_temporary_of(path: Path, out: Path) -> bool:
    """``path`` lies in a temporary folder of ``out`` (``.<out>.XXXXXXXX.tmp``)."""
    return any(
        p.parent == out.parent and p.name.startswith(f".{out.name}.") and p.suffix == ".tmp"
        for p in path.parents
    )


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file's bytes; ``meta.json`` without the time it was written."""
    if not folder.exists():
        return {}
    tree = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    if "meta.json" in tree:
        meta = json.loads(tree["meta.json"])
        meta.pop("created", None)
        tree["meta.json"] = json.dumps(meta).encode()
    return tree


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


def _folder_kills(tmp_path: Path, args: list[str], written: int) -> None:
    """Kill a folder-writing command at its first, middle and last file, and at both renames
    of replacing an old output; the output is always absent, the old one or the new one."""
    _finish(*args, "--out", str(tmp_path / "ref"))
    reference = _tree(tmp_path / "ref")
    out, log = tmp_path / "out", tmp_path / "crash.log"
    for n in (1, written // 2, written):  # mid-write: the files land in the temporary folder
        where = _killed_at(f"write:{n}", log, *args, "--out", str(out), "--force")
        assert _in_temporary_of(where, out), where
        assert _tree(out) in ({}, reference)
        assert _temporaries(tmp_path, "out")  # the killed run's, left for the next run
        _finish(*args, "--out", str(out), "--force")
        assert _tree(out) == reference and _temporaries(tmp_path, "out") == []
    # out exists now: rename 1 moves it aside, rename 2 moves the new one in
    where = _killed_at("rename:1", log, *args, "--out", str(out), "--force")
    assert where == out and _tree(out) == reference
    where = _killed_at("rename:2", log, *args, "--out", str(out), "--force")
    assert where == out and not out.exists()  # between the two renames: the old one aside
    (aside,) = [p for p in tmp_path.glob(".out.*.old")]
    assert _tree(aside / "previous") == reference
    _finish(*args, "--out", str(out), "--force")  # puts the old one back, then replaces it
    assert _tree(out) == reference and _temporaries(tmp_path, "out") == []


def test_point2mask_killed_leaves_no_half_written_folder(data, tmp_path):
    args = ["point2mask", str(data / "images"), "--points", str(data.parent / "points.csv")]
    _folder_kills(tmp_path, args, FRAMES + 1)  # a mask per frame, then targets.csv


def test_export_killed_leaves_no_half_written_folder(data, tmp_path):
    project = tmp_path / "p.lirst"
    _finish("import", str(data), "--out", str(project))
    args = ["export", str(project), "--format", "sirstd-pixel"]
    _folder_kills(tmp_path, args, FRAMES)


def test_import_force_killed_keeps_the_old_or_the_new_project(data, tmp_path):
    reference = tmp_path / "ref.lirst"
    _finish("import", str(data), "--out", str(reference))
    new = _targets(reference)
    project, log = tmp_path / "p.lirst", tmp_path / "crash.log"
    for point in ("commit:1", "commit:10", f"commit:{len(new)}", "rename:1"):
        _finish("import", str(data), "--out", str(project), "--force")
        with ProjectStore.open(project) as store:  # the old project: one edit more
            sid = store.sequences()[0].id
            mask = CroppedMask(np.ones((2, 2), bool), (1, 1))
            store.save_target(
                Target(
                    sequence_id=sid,
                    frame=0,
                    mask=mask,
                    seed=(1, 1),
                    source="manual",
                    status="confirmed",
                    rho=0.0,
                )
            )
        old = _targets(project)
        where = _killed_at(point, log, "import", str(data), "--out", str(project), "--force")
        if point.startswith("commit"):  # building the new project beside the old one
            assert where.parent == tmp_path and where.name.startswith(".p.lirst.")
        else:  # the new project complete, about to replace the old one
            assert where == project.resolve()
        _integrity(project)
        assert _targets(project) == old
        ProjectStore.open(project).close()  # writable again: the lock died with the process
        _finish("import", str(data), "--out", str(project), "--force")
        assert _targets(project) == new
        assert [n for n in _temporaries(tmp_path, "p.lirst") if not n.endswith(".lock")] == []


def _model_frames(targets: dict[tuple[int, str, str], int]) -> set[int]:
    return {frame for frame, source, _ in targets if source == "model"}


def test_prelabel_project_killed_loses_no_stored_frame(data, tmp_path):
    reference = tmp_path / "ref.lirst"
    _finish("import", str(data), "--out", str(reference))
    pre = ["prelabel", "--model", str(MODEL), "--device", "cpu"]
    _finish(pre[0], str(reference), *pre[1:], "--out", str(tmp_path / "ref-out"))
    expected = _targets(reference)
    every = _model_frames(expected)
    assert len(every) > 4
    log = tmp_path / "crash.log"
    for n in (1, FRAMES // 2, FRAMES - 2):  # one commit per frame
        project, out = tmp_path / f"p{n}.lirst", tmp_path / f"out{n}"
        _finish("import", str(data), "--out", str(project))
        where = _killed_at(f"commit:{n}", log, pre[0], str(project), *pre[1:], "--out", str(out))
        assert where == project.resolve()
        _integrity(project)
        now = _targets(project)
        for (frame, source, status), count in now.items():  # each frame: all or nothing
            assert expected.get((frame, source, status)) == count
        stored = _model_frames(now)
        assert len(stored) <= n
        if n > 1:  # killed mid-run: some frames stored, not all
            assert 0 < len(stored) < len(every), (n, stored)
        _finish(pre[0], str(project), *pre[1:], "--out", str(out))
        assert _targets(project) == expected  # rerun: nothing lost, nothing duplicated
