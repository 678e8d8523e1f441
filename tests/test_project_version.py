"""The store's public version and read-only opens that leave the project's folder untouched.

* :meth:`ProjectStore.version` moves on this store's writes and on other connections' commits,
  stays put on reads, and the app's change detection uses it (no private store access in gui/).
* A read-only open and close leaves the folder exactly as it was (no ``-wal``/``-shm``), and a
  project written by another connection at the same time is read correctly and keeps its log.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np

import label_irst.gui as gui_package
from label_irst.core.geometry import CroppedMask
from label_irst.io.project import ProjectStore, Target


def _target(seq: int, frame: int, k: int, **extra) -> Target:
    crop = np.zeros((3, 4), bool)
    crop[1:, 1:3] = True
    kw = {"source": "pamg", "status": "candidate", "rho": 0.0, **extra}
    return Target(sequence_id=seq, frame=frame, mask=CroppedMask(crop, (k, 2 * k)),
                  seed=(2 * k + 1, k + 1), **kw)  # fmt: skip


def _project(path: Path, frames: int = 3) -> int:
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(path.parent / "frames", "folder", frames)
        for f in range(frames):
            store.save_target(_target(seq, f, f), f"f{f}.png", (20, 20))
    return seq


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def _integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def test_version_moves_on_every_change_and_only_then(tmp_path):
    path = tmp_path / "p.lirst"
    seq = _project(path)
    with ProjectStore.open(path) as store:
        seen = [store.version()]
        for read in (store.targets, store.target_rows, store.track_stats, store.frames):
            read(seq)
        assert store.version() == seen[-1]  # reads change nothing
        (first, *_) = store.targets(seq)
        store.set_status([first.id], "confirmed")  # a write through this store
        seen.append(store.version())
        store.set_meta("convention", "{}")
        seen.append(store.version())
        other = sqlite3.connect(path)  # another connection commits (a worker, a script)
        other.execute("UPDATE targets SET rho = 9.5 WHERE id = ?", (first.id,))
        other.commit()
        other.close()
        seen.append(store.version())
        assert len(set(seen)) == len(seen)  # each change gave a new version, none came back
        assert store.target_rows(seq)[0][4] == 9.5  # the kept rows followed the other commit
    with ProjectStore.open(path, readonly=True) as reader:
        before = reader.version()
        assert reader.version() == before
        writer = sqlite3.connect(path)
        writer.execute("UPDATE targets SET status = 'rejected' WHERE id = ?", (first.id,))
        writer.commit()
        writer.close()
        assert reader.version() != before
        assert reader.target_rows(seq)[0][2] == "rejected"


def test_the_app_reads_the_store_through_its_public_methods_only():
    folder = Path(gui_package.__file__).parent
    private = re.compile(r"\bstore\._[a-z]|\._db\b")
    offenders = [
        f"{p.name}:{n}: {line.strip()}"
        for p in sorted(folder.glob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line)
    ]
    assert offenders == []


def test_a_read_only_open_leaves_the_folder_as_it_was(tmp_path):
    path = tmp_path / "p.lirst"
    seq = _project(path)
    before = _listing(tmp_path)
    assert not Path(f"{path}-wal").exists()
    with ProjectStore.open(path, readonly=True) as store:
        assert len(store.targets(seq)) == 3
        assert len(store.target_rows(seq)) == 3
    assert _listing(tmp_path) == before  # same names, sizes and times: no -wal, no -shm
    with ProjectStore.open(path, readonly=True), ProjectStore.open(path, readonly=True) as two:
        assert len(two.targets(seq)) == 3  # two readers at once: the last one out tidies up
    assert _listing(tmp_path) == before


def test_a_read_only_open_beside_a_writer_reads_its_commits_and_keeps_its_log(tmp_path):
    path = tmp_path / "p.lirst"
    seq = _project(path)
    with ProjectStore.open(path) as writer:  # the writer was first: its -wal and -shm exist
        writer.save_target(_target(seq, 0, 5), "f0.png", (20, 20))
        with ProjectStore.open(path, readonly=True) as reader:
            assert len(reader.targets(seq)) == 4
            writer.save_target(_target(seq, 1, 6), "f1.png", (20, 20))
            assert len(reader.targets(seq)) == 5
        assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
        writer.save_target(_target(seq, 2, 7), "f2.png", (20, 20))
        assert len(writer.targets(seq)) == 6
    assert _integrity(path) == "ok"
    with ProjectStore.open(path, readonly=True) as store:
        assert len(store.targets(seq)) == 6


def test_a_writer_that_opens_while_a_reader_is_open_keeps_its_log(tmp_path):
    path = tmp_path / "p.lirst"
    seq = _project(path)
    reader = ProjectStore.open(path, readonly=True)  # first: the side files are its own
    assert len(reader.targets(seq)) == 3
    writer = ProjectStore.open(path)
    try:
        for k in range(4):
            writer.save_target(_target(seq, k % 3, 8 + k), "f.png", (20, 20))
        assert len(reader.targets(seq)) == 7  # the reader sees the writer's commits
        reader.close()  # must not remove the -wal that now holds the writer's commits
        wal = Path(f"{path}-wal")
        assert wal.exists() and wal.stat().st_size > 0
        writer.save_target(_target(seq, 0, 12), "f0.png", (20, 20))
        assert len(writer.targets(seq)) == 8
    finally:
        reader.close()
        writer.close()
    assert _integrity(path) == "ok"
    with ProjectStore.open(path, readonly=True) as store:
        assert len(store.targets(seq)) == 8
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


WRITER = """
import sys
import numpy as np
from label_irst.core.geometry import CroppedMask
from label_irst.io.project import ProjectStore, Target
store = ProjectStore.open(sys.argv[1])
sid = int(sys.argv[2])
def add(k):
    t = Target(sequence_id=sid, frame=0, mask=CroppedMask(np.ones((2, 2), bool), (k, 1)),
               seed=(1, k), source="pamg", status="candidate", rho=0.0)
    store.save_target(t, "f0.png", (20, 20))
for k in range(4):
    add(k)
print("written", flush=True)
sys.stdin.readline()
add(5)
store.close()
print("closed", flush=True)
"""


def test_a_writer_in_another_process_keeps_its_log_when_a_reader_closes(tmp_path):
    path = tmp_path / "p.lirst"
    seq = _project(path)
    reader = ProjectStore.open(path, readonly=True)
    try:
        assert len(reader.targets(seq)) == 3
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seq)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
        try:
            assert child.stdout.readline().strip() == "written"
            assert len(reader.targets(seq)) == 7  # the other process's commits, read live
            reader.close()
            wal = Path(f"{path}-wal")
            assert wal.exists() and wal.stat().st_size > 0  # its log is still there
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "closed"
        finally:
            child.stdin.close()
            assert child.wait(timeout=60) == 0
    finally:
        reader.close()
    assert _integrity(path) == "ok"
    with ProjectStore.open(path, readonly=True) as store:
        assert len(store.targets(seq)) == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.lirst"]  # no lock file either


def test_a_project_in_a_folder_it_cannot_write_is_read_without_side_files(tmp_path, monkeypatch):
    import label_irst.io.project_readonly as readonly

    path = tmp_path / "p.lirst"
    seq = _project(path)
    before = _listing(tmp_path)
    # a read-only location (as root, chmod cannot make one): the folder reads as not writable
    real = readonly.os.access
    monkeypatch.setattr(readonly.os, "access", lambda p, mode: mode != os.W_OK and real(p, mode))
    with ProjectStore.open(path, readonly=True) as store:
        assert not Path(f"{path}-shm").exists()  # immutable: not even a wal-index
        assert len(store.targets(seq)) == 3
    assert _listing(tmp_path) == before
