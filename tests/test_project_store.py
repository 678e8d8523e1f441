"""Project store: round trip of targets, one transaction per edit, lock, export."""

import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.io.images import read_mask
from label_irst.io.project import ProjectStore, Target, export_masks
from label_irst.job import Job


def _target(seq, frame=0, status="candidate", offset=(5, 7)):
    crop = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 1], [0, 0, 1]], bool)
    return Target(
        sequence_id=seq,
        frame=frame,
        mask=CroppedMask(crop, offset),
        seed=(8, 6),
        status=status,
        rho=3.5,
        generator="pamg",
        track_id=1,
        source="pamg",
    )


def test_round_trip_and_reopen(tmp_path):
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        seq = store.add_sequence(tmp_path, "folder", 10)
        assert store.add_sequence(tmp_path, "folder", 10) == seq
        saved = store.save_target(_target(seq, 3), "f3.png", (20, 30))
        assert saved.id is not None
        store.save_target(_target(seq, 4, "confirmed", (0, 0)))
    with ProjectStore.open(path) as store:
        got = store.targets(seq, frame=3)
        assert len(got) == 1
        t = got[0]
        np.testing.assert_array_equal(t.mask.crop, saved.mask.crop)
        assert t.mask.offset == (5, 7) and t.seed == (8, 6) and t.rho == 3.5
        assert t.centroid == pytest.approx(saved.centroid) and t.track_id == 1
        assert store.frames_with_targets(seq) == [3, 4]
        assert store.frames_with_targets(seq, status="confirmed") == [4]
        assert store.frames(seq)[3] == ("f3.png", (20, 30))
        assert store.new_track_id() == 2


def test_update_status_delete_and_history(tmp_path):
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        seq = store.add_sequence(tmp_path, "folder", 1)
        t = store.save_target(_target(seq))
        store.save_target(t.copy(mask=CroppedMask(np.ones((2, 2), bool), (1, 1))))
        assert store.targets(seq)[0].mask.area == 4
        store.set_status([t.id], "confirmed")
        assert store.targets(seq, status="confirmed")[0].id == t.id
        store.delete_target(t.id)
        assert store.targets(seq) == []
        actions = [row[2] for row in store.history()]
        assert actions == ["delete", "status", "update", "add"]
        with pytest.raises(LabelIrstError, match="not in the project"):
            store.save_target(t)
        with pytest.raises(LabelIrstError, match="status"):
            store.set_status([1], "maybe")


def test_bad_values_are_refused(tmp_path):
    guess = Target(sequence_id=1, frame=0, mask=CroppedMask(np.ones((1, 1), bool), (0, 0)),
                   seed=(0, 0), source="guess", status="candidate", rho=0.0)  # fmt: skip
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        store.add_sequence(tmp_path, "folder", 1)
        with pytest.raises(LabelIrstError, match="source"):  # refused where it is stored
            store.save_target(guess, "f.png", (4, 4))
        assert store.targets(1) == []
    with pytest.raises(LabelIrstError, match="status"):
        Target(mask=CroppedMask(np.ones((1, 1), bool), (0, 0)), status="maybe")
    with pytest.raises(LabelIrstError, match="no such project"):
        ProjectStore.open(tmp_path / "missing.lirst")
    (tmp_path / "x.lirst").write_text("hello, not a database")
    with pytest.raises(LabelIrstError, match="not a Label-IRST project"):
        ProjectStore.open(tmp_path / "x.lirst")


def test_open_elsewhere_is_refused(tmp_path):
    path = tmp_path / "p.lirst"
    ProjectStore.open(path, create=True).close()
    code = (
        "import sys, time; from label_irst.io.project import ProjectStore;"
        f"s = ProjectStore.open({str(path)!r}); print('open', flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "open"
        with pytest.raises(LabelIrstError, match="open elsewhere"):
            ProjectStore.open(path)
        with ProjectStore.open(path, readonly=True) as ro:  # readers may look
            assert ro.sequences() == []
    finally:
        child.kill()
        child.wait()
    ProjectStore.open(path).close()  # the dead process's lock is gone


def test_wal_mode(tmp_path):
    path = tmp_path / "p.lirst"
    ProjectStore.open(path, create=True).close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_export_masks(tmp_path):
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        seq = store.add_sequence(tmp_path, "folder", 3)
        store.save_target(_target(seq, 1, "confirmed"))
        store.save_target(_target(seq, 1, "candidate", (0, 0)))
        done = []
        job = Job(progress=lambda d, t: done.append((d, t)))
        n = export_masks(store, seq, ["a.png", "b.png", "c.png"], lambda i: (20, 30),
                         tmp_path / "out", job)  # fmt: skip
    assert n == 3 and done[-1] == (3, 3)
    b = read_mask(tmp_path / "out" / "b.png")
    assert b.shape == (20, 30) and b.sum() == 7 and b[6, 8]
    assert read_mask(tmp_path / "out" / "a.png").sum() == 0


def test_target_ids_are_never_reused_after_a_delete(tmp_path):
    """History rows name targets by id: a new target must not take a deleted target's id."""
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        seq = store.add_sequence(tmp_path, "folder", 1)
        first = store.save_target(_target(seq))
        last = store.save_target(_target(seq, offset=(0, 0)))
        store.delete_target(last.id)
        again = store.save_target(_target(seq, offset=(9, 9)))
        assert again.id not in (first.id, last.id)
