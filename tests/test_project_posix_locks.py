"""A project's SQLite locks survive the program's own other opens of the same file.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included (sqlite.org/howtocorrupt.html, 2.2). A child process asks the kernel (F_GETLK)
whether SQLite's shared-lock bytes of the project are still locked by this process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from label_irst.errors import LabelIrstError
from label_irst.io import inode_handles
from label_irst.io.project import ProjectStore
from label_irst.io.project_lock import check_project_file

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX advisory locks only")

PROBE = r"""
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
req = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0x40000000, 512, 0)
kind = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, req))[0]
print("locked" if kind != fcntl.F_UNLCK else "free")
"""

OTHER_READER = r"""
import sys
from label_irst.io.project import ProjectStore
with ProjectStore.open(sys.argv[1], readonly=True) as store:
    print(len(store.sequences()))
"""


def probe(path) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def writer(tmp_path):
    path = tmp_path / "a.lirst"
    store = ProjectStore.open(path, create=True)
    store.add_sequence(tmp_path, "folder", 1)
    assert probe(path) == "locked"
    yield path, store
    store.close()


def test_a_read_only_open_beside_the_writer_keeps_its_locks(writer):
    path, store = writer
    with ProjectStore.open(path, readonly=True) as other:
        assert len(other.sequences()) == 1
    assert probe(path) == "locked"
    check_project_file(path, 99)
    assert probe(path) == "locked"


def test_refused_second_writers_keep_the_first_ones_locks(writer, tmp_path):
    path, store = writer
    with pytest.raises(LabelIrstError, match="open elsewhere"):
        ProjectStore.open(path)
    os.link(path, tmp_path / "b.lirst")
    with pytest.raises(LabelIrstError, match="open elsewhere .*hard link"):
        ProjectStore.open(tmp_path / "b.lirst")
    assert probe(path) == "locked"
    # from another process too (its tables are still in the writer's -wal)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-m", "label_irst.cli", "convention",
                          str(tmp_path / "b.lirst")], capture_output=True, text=True, env=env)  # fmt: skip
    assert run.returncode == 2 and "hard link" in run.stderr, run.stderr


def test_writes_after_another_process_read_the_project_are_kept(writer, tmp_path):
    # an in-process read-only open, then another process's open and close (which checkpoints
    # and deletes the -wal when it believes it is the last connection): every write is kept
    path, store = writer
    with ProjectStore.open(path, readonly=True) as other:
        other.sequences()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, "-c", OTHER_READER, str(path)], capture_output=True,
                         text=True, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    for k in range(3):
        (tmp_path / f"s{k}").mkdir()
        store.add_sequence(tmp_path / f"s{k}", "folder", 1)
    store.close()
    with ProjectStore.open(path, readonly=True) as again:
        assert len(again.sequences()) == 4


def test_the_shared_descriptor_is_closed_by_its_last_user(tmp_path):
    path = tmp_path / "a.lirst"
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    store = ProjectStore.open(path, create=True)
    reader = ProjectStore.open(path, readonly=True)
    assert inode_handles.users(path) == 2  # the writer's lock, the reader
    store.close()
    assert inode_handles.users(path) == 1 and probe(path) == "locked"  # the reader's lock
    reader.close()
    assert inode_handles.users(path) == 0 and probe(path) == "free"
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before
