"""Detection scores in the project store: schema 2, the migration of version-1 projects (atomic,
also when killed), read-only opens of old projects, damaged rows skipped by the mask-free
readers, the review queue's order and the round trip through annotation files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from label_irst.batch.tracks import stored_track_rows, track_rows
from label_irst.cli import main
from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.gui.review import QueueRow, queue_rows, review_queue
from label_irst.io.images import write_image
from label_irst.io.project import SCHEMA_VERSION, ProjectStore, Target

#: The tables exactly as version 1 of the project store created them (no ``score`` column).
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    frame_count INTEGER NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS frames (
    id INTEGER PRIMARY KEY, sequence_id INTEGER NOT NULL REFERENCES sequences(id),
    idx INTEGER NOT NULL, name TEXT NOT NULL, height INTEGER, width INTEGER,
    UNIQUE (sequence_id, idx));
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, frame_id INTEGER NOT NULL REFERENCES frames(id),
    track_id INTEGER, off_row INTEGER NOT NULL, off_col INTEGER NOT NULL,
    height INTEGER NOT NULL, width INTEGER NOT NULL, mask BLOB NOT NULL,
    seed_x INTEGER NOT NULL, seed_y INTEGER NOT NULL, cx REAL, cy REAL, radius REAL,
    rho REAL, support_radius REAL, generator TEXT, source TEXT NOT NULL,
    status TEXT NOT NULL, box TEXT, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS targets_frame ON targets (frame_id);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, time REAL NOT NULL, target_id INTEGER, action TEXT NOT NULL,
    detail TEXT);
"""
COUNT = 12


def make_v1_project(path: Path, folder: Path) -> list[tuple]:
    """A version-1 project (WAL, as version 1 wrote it) with COUNT targets over 4 frames;
    returns each target's (id, frame, track, source, status, rho, crop bytes, offset)."""
    rng = np.random.default_rng(7)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_SCHEMA)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO meta VALUES ('convention', '{}')")
    db.execute(
        "INSERT INTO sequences (source, kind, frame_count, created) VALUES (?, 'folder', 4, 0)",
        (str(folder.resolve()),),
    )
    for i in range(4):
        db.execute("INSERT INTO frames (sequence_id, idx, name, height, width) VALUES "
                   "(1, ?, ?, 40, 50)", (i, f"f_{i}.png"))  # fmt: skip
    expected = []
    for k in range(COUNT):
        crop = rng.random((1 + k % 4, 2 + k % 3)) < 0.6
        crop[0, 0] = True
        offset = (int(rng.integers(0, 30)), int(rng.integers(0, 40)))
        source = ("model", "pamg", "manual", "box")[k % 4]
        status = ("candidate", "confirmed", "rejected")[k % 3]
        track = None if k % 5 == 0 else 1 + k % 3
        rho = 0.5 + 0.1 * k
        cur = db.execute(
            "INSERT INTO targets (frame_id, track_id, off_row, off_col, height, width, mask,"
            " seed_x, seed_y, cx, cy, radius, rho, support_radius, generator, source, status,"
            " box, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (1 + k % 4, track, offset[0], offset[1], *crop.shape,
             np.packbits(crop, axis=None).tobytes(), offset[1], offset[0], offset[1] + 0.5,
             offset[0] + 0.5, 1.0, rho, 20.0, "pamg+", source, status, None, 0.0),
        )  # fmt: skip
        expected.append((cur.lastrowid, k % 4, track, source, status, rho, crop.tobytes(),
                         offset))  # fmt: skip
    db.commit()
    db.close()
    return expected


def _kept(store: ProjectStore) -> list[tuple]:
    (seq,) = store.sequences()
    return [
        (t.id, t.frame, t.track_id, t.source, t.status, t.rho, t.mask.crop.tobytes(),
         t.mask.offset)
        for t in store.targets(seq.id)
    ]  # fmt: skip


def _version_and_columns(path: Path) -> tuple[str, set[str]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        columns = {row[1] for row in db.execute("PRAGMA table_info(targets)")}
    finally:
        db.close()
    return version, columns


@pytest.fixture
def v1(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    path = tmp_path / "old.lirst"
    return path, make_v1_project(path, folder)


def test_a_version_1_project_opens_migrates_and_keeps_every_target(v1):
    path, expected = v1
    version, columns = _version_and_columns(path)
    assert version == "1" and "score" not in columns
    with ProjectStore.open(path) as store:
        assert _kept(store) == expected
        assert all(t.score is None for t in store.targets(1))
        assert store.meta("convention") == "{}"  # settings kept
        assert store.history(1)[0][2] == "migrate"
        assert json.loads(store.history(1)[0][3]) == {"from": 1, "to": SCHEMA_VERSION}
        model = next(t for t in store.targets(1) if t.source == "model")
        store.save_target(model.copy(score=0.73))  # the new column is written ...
    version, columns = _version_and_columns(path)
    assert version == str(SCHEMA_VERSION) == "3" and "score" in columns
    with ProjectStore.open(path, readonly=True) as store:
        assert _kept(store) == expected
        assert {t.id: t.score for t in store.targets(1)}[model.id] == 0.73  # ... and read
        assert [r[8] for r in store.target_rows(1) if r[0] == model.id] == [0.73]
    with ProjectStore.open(path) as store:  # a second open migrates nothing
        assert store.history(1)[0][2] == "update"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_a_read_only_open_of_a_version_1_project_reads_it_and_changes_nothing(v1):
    path, expected = v1
    before = path.read_bytes()
    with ProjectStore.open(path, readonly=True) as store:
        assert _kept(store) == expected
        rows = store.target_rows(1)
        assert [r[0] for r in rows] == [e[0] for e in expected]
        assert all(r[8] is None for r in rows)  # no score column: read as none
        assert all(r.mean_score is None for r in stored_track_rows(store, 1))
        assert [(r.track_id, r.frames) for r in stored_track_rows(store, 1)] == [
            (r.track_id, r.frames) for r in track_rows(store.targets(1))
        ]
        assert store.damaged == []
    assert path.read_bytes() == before
    assert _version_and_columns(path)[0] == "1"


def test_a_failed_migration_leaves_the_project_at_version_1(v1, monkeypatch):
    from label_irst.io import project_schema

    path, expected = v1
    steps = [*project_schema.MIGRATIONS[1], ("targets", "nope", "ALTER TABLE nowhere ADD x")]
    monkeypatch.setitem(project_schema.MIGRATIONS, 1, steps)
    with pytest.raises(LabelIrstError, match="cannot open the project"):
        ProjectStore.open(path)
    version, columns = _version_and_columns(path)
    assert version == "1" and "score" not in columns  # the ALTER before it was rolled back
    monkeypatch.undo()
    with ProjectStore.open(path) as store:  # the lock was released; the real migration runs
        assert _kept(store) == expected
    assert _version_and_columns(path)[0] == str(SCHEMA_VERSION)


KILLED_MIGRATION = """
import sys, time
from pathlib import Path
from label_irst.io import project_schema
from label_irst.io.project import ProjectStore

ready = Path(sys.argv[2])
real = project_schema.has_column
def has_column(db, table, column):
    if column == "hang":  # the ALTER of the real step is done, not yet committed
        ready.write_text("altered")
        time.sleep(600)
    return real(db, table, column)
project_schema.has_column = has_column
project_schema.MIGRATIONS[1] = [*project_schema.MIGRATIONS[1], ("targets", "hang", "SELECT 1")]
ProjectStore.open(sys.argv[1])
"""


def test_a_migration_killed_half_way_leaves_version_1_and_runs_again(v1, tmp_path):
    path, expected = v1
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", KILLED_MIGRATION, str(path), str(ready)])
    try:
        deadline = time.monotonic() + 120
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "the child never reached the middle of the migration"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    with ProjectStore.open(path, readonly=True) as store:
        assert _kept(store) == expected
    version, columns = _version_and_columns(path)
    assert version == "1" and "score" not in columns
    with ProjectStore.open(path) as store:
        assert _kept(store) == expected
    assert _version_and_columns(path) == (str(SCHEMA_VERSION), columns | {"score"})


def test_an_unknown_older_version_is_refused_with_one_line(v1):
    path, _ = v1
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(LabelIrstError, match="schema version 0 is unknown"):
        ProjectStore.open(path)
    assert _version_and_columns(path)[0] == "0"


def _mask(k: int) -> CroppedMask:
    crop = np.ones((2 + k % 3, 3), bool)
    return CroppedMask(crop, (2 * k, k))


@pytest.fixture
def scored(tmp_path):
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        sid = store.add_sequence(tmp_path / "frames", "folder", 6)
        for k in range(10):
            t = Target(
                sequence_id=sid,
                frame=k % 6,
                mask=_mask(k),
                seed=(k, 2 * k),
                source="model" if k % 2 else "pamg",
                rho=1.0 + 0.1 * (k % 4),
                track_id=1 + k % 2,
                score=round(0.1 * k, 2) if k % 2 else None,
                status="candidate",
            )
            store.save_target(t, f"f_{k % 6}.png", (40, 40))
        yield store, sid


def _foreign(store: ProjectStore, sql: str) -> None:
    """A change made by another connection (another program, a damaged disk)."""
    db = sqlite3.connect(store.path)
    db.execute(sql)
    db.commit()
    db.close()


DAMAGE = [
    "UPDATE targets SET status='maybe' WHERE id=2",
    "UPDATE targets SET rho='high' WHERE id=3",
    "UPDATE targets SET mask=X'' WHERE id=4",
    "UPDATE targets SET seed_x='left' WHERE id=5",
    "UPDATE targets SET score='sure' WHERE id=6",
    "UPDATE targets SET source='alien' WHERE id=7",
    "UPDATE targets SET off_row=-9223372036854775808 WHERE id=8",
    "UPDATE targets SET box='not json' WHERE id=9",  # only a hint: read as no box
]


def test_the_mask_free_readers_skip_damaged_rows_as_the_full_reader_does(scored):
    store, sid = scored
    for sql in DAMAGE:
        _foreign(store, sql)
    rows = store.target_rows(sid)
    full = store.targets(sid)
    assert [r[0] for r in rows] == [t.id for t in full] == [1, 9, 10]
    assert [QueueRow(*r) for r in rows] == [QueueRow.of(t) for t in full]
    assert rows[1][7] is None  # the unreadable box
    for _ in range(3):  # every frame step reads the rows again: each is named once
        store.target_rows(sid)
        store.targets(sid)
    assert len(store.damaged) == 7
    assert all("damaged" in line and "skipped" in line for line in store.damaged)
    assert {int(line.split("target ")[1].split()[0]) for line in store.damaged} == set(range(2, 9))
    stats = stored_track_rows(store, sid)
    assert [(r.track_id, r.first, r.last, r.frames) for r in stats] == [
        (r.track_id, r.first, r.last, r.frames) for r in track_rows(full)
    ]
    assert sum(r.frames for r in stats) == 3  # damaged rows are not counted in the dock


def test_track_rows_mean_the_stored_scores(scored):
    store, sid = scored
    stored = {r.track_id: r for r in stored_track_rows(store, sid)}
    from_targets = {r.track_id: r for r in track_rows(store.targets(sid))}
    assert stored[1].mean_score is None and from_targets[1].mean_score is None  # pamg only
    expected = np.mean([0.1, 0.3, 0.5, 0.7, 0.9])
    assert stored[2].mean_score == pytest.approx(expected)
    assert from_targets[2].mean_score == pytest.approx(expected)


def test_review_queue_puts_the_lowest_detection_score_first():
    rows = [
        QueueRow(1, 0, "candidate", "pamg", 0.2, None, 5),
        QueueRow(2, 1, "candidate", "model", 3.0, 1, 5, None, 0.9),
        QueueRow(3, 2, "candidate", "model", 5.0, 1, 5, None, 0.31),
        QueueRow(4, 0, "candidate", "box", float("nan"), None, 5),
        QueueRow(5, 3, "candidate", "pamg", 0.1, None, 5),
        QueueRow(6, 0, "confirmed", "model", 0.1, 2, 5, None, 0.05),
        QueueRow(7, 2, "candidate", "model", 0.4, 1, 5, None, 0.31),
    ]
    # scored first (lowest score, then rho), then the others by rho as before (NaN last)
    assert [r.id for r in review_queue(rows)] == [7, 3, 2, 5, 1, 4]
    assert [r.id for r in review_queue(rows, order="frame")] == [1, 4, 2, 7, 3, 5]
    unscored = [r for r in rows if r.score is None]
    assert [r.id for r in review_queue(unscored)] == [5, 1, 4]  # as before scores existed


def test_queue_rows_carry_the_scores(scored):
    store, sid = scored
    queue = review_queue(queue_rows(store, sid))
    scores = [r.score for r in queue]
    assert scores[:5] == [0.1, 0.3, 0.5, 0.7, 0.9] and scores[5:] == [None] * 5


def _dataset(root: Path) -> Path:
    frames = root / "frames"
    for i in range(3):
        write_image(frames / f"f_{i}.png", np.full((40, 40), 20 + i, np.uint8))
    return frames


def test_scores_go_through_export_and_import(tmp_path, capsys):
    frames = _dataset(tmp_path)
    project = tmp_path / "p.lirst"
    with ProjectStore.open(project, create=True) as store:
        sid = store.add_sequence(frames, "folder", 3)
        for k, (score, status) in enumerate([(0.42, "candidate"), (None, "confirmed"),
                                             (0.87, "confirmed")]):  # fmt: skip
            t = Target(
                sequence_id=sid,
                frame=k,
                mask=_mask(k),
                seed=(k, 2 * k),
                source="model" if score else "manual",
                status=status,
                track_id=3,
                score=score,
                rho=0.0,
            )
            store.save_target(t, f"f_{k}.png", (40, 40))
    out = tmp_path / "x"
    args = ["export", str(project), "--format", "sirstd-pixel", "--out", str(out), "--quiet"]
    assert main([*args, "--include-candidates"]) == 0
    (ann,) = (out / "annotations").glob("*.json")
    records = [t for f in json.loads(ann.read_text())["frames"] for t in f["targets"]]
    assert [r["score"] for r in records] == [0.42, None, 0.87]
    for fmt, scores in (("coco", [0.42, None, 0.87]), ("labelme", [0.42, None, 0.87])):
        dest = tmp_path / fmt
        args = ["export", str(project), "--format", fmt, "--out", str(dest), "--quiet"]
        assert main([*args, "--include-candidates"]) == 0
        back = tmp_path / f"{fmt}.lirst"
        assert main(["import", str(dest), "--out", str(back), "--quiet"]) == 0
        with ProjectStore.open(back, readonly=True) as store:
            (seq,) = store.sequences()
            assert sorted(t.score or 0 for t in store.targets(seq.id)) == sorted(
                s or 0 for s in scores
            )
    back = tmp_path / "back.lirst"
    assert main(["import", str(out), "--out", str(back), "--quiet"]) == 0
    with ProjectStore.open(back, readonly=True) as store:
        (seq,) = store.sequences()
        assert [t.score for t in store.targets(seq.id)] == [0.42, None, 0.87]
    capsys.readouterr()


@pytest.mark.parametrize("bad", ['"high"', "1.5", "-0.1", "true", "[0.5]", "NaN"])
def test_a_malformed_score_in_an_annotation_file_is_a_warning_and_no_score(tmp_path, bad, capsys):
    frames = _dataset(tmp_path)
    project = tmp_path / "p.lirst"
    with ProjectStore.open(project, create=True) as store:
        sid = store.add_sequence(frames, "folder", 3)
        for k in range(2):
            t = Target(
                sequence_id=sid,
                frame=k,
                mask=_mask(k),
                seed=(k, 2 * k),
                source="model",
                score=0.5 + 0.1 * k,
                status="candidate",
                rho=0.0,
            )
            store.save_target(t, f"f_{k}.png", (40, 40))
    out = tmp_path / "x"
    args = ["export", str(project), "--format", "sirstd-pixel", "--out", str(out), "--quiet"]
    assert main([*args, "--include-candidates"]) == 0
    (ann,) = (out / "annotations").glob("*.json")
    text = ann.read_text().replace('"score": 0.5', f'"score": {bad}')
    if bad == "NaN":  # strict JSON refuses NaN: the whole file is ignored, with a warning
        text = ann.read_text().replace('"score": 0.5', '"score": NaN')
    ann.write_text(text)
    back = tmp_path / "back.lirst"
    assert main(["import", str(out), "--out", str(back), "--quiet"]) == 1  # warned
    err = capsys.readouterr().err
    assert "Traceback" not in err
    with ProjectStore.open(back, readonly=True) as store:
        (seq,) = store.sequences()
        targets = store.targets(seq.id)
    assert len(targets) == 2  # every target kept
    if bad == "NaN":
        assert "per-target records ignored" in err
        assert [t.score for t in targets] == [None, None]
    else:
        assert "kept without a score" in err and err.count("\n") == 1
        assert [t.score for t in targets] == [None, 0.6]


def test_a_missing_or_null_score_is_no_warning(tmp_path, capsys):
    frames = _dataset(tmp_path)
    project = tmp_path / "p.lirst"
    with ProjectStore.open(project, create=True) as store:
        sid = store.add_sequence(frames, "folder", 3)
        t = Target(
            sequence_id=sid,
            frame=0,
            mask=_mask(0),
            seed=(0, 0),
            source="manual",
            status="confirmed",
            rho=0.0,
        )
        store.save_target(t, "f_0.png", (40, 40))
    out = tmp_path / "x"
    assert main(["export", str(project), "--format", "sirstd-pixel", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    (ann,) = (out / "annotations").glob("*.json")
    data = json.loads(ann.read_text())
    assert data["frames"][0]["targets"][0]["score"] is None
    del data["frames"][0]["targets"][0]["score"]
    ann.write_text(json.dumps(data))
    assert main(["import", str(out), "--out", str(tmp_path / "b.lirst"), "--quiet"]) == 0
    assert "score" not in capsys.readouterr().err


def test_mask_free_area_counts_the_bits_the_mask_is_read_from(scored):
    """Set padding bits (a foreign writer) and trailing bytes: the area is still mask.area."""
    store, sid = scored
    _foreign(store, "UPDATE targets SET mask = CAST(mask || X'FF' AS BLOB) WHERE id=1")
    _foreign(store, "UPDATE targets SET mask = X'FFFF' WHERE id=2")  # 3x3: 7 padding bits set
    full = {t.id: t.mask.area for t in store.targets(sid)}
    rows = {r[0]: r[6] for r in store.target_rows(sid)}
    assert rows == full and full[2] == 9 and store.damaged == []
    _foreign(store, "UPDATE targets SET mask = CAST(X'FFFE' AS TEXT) WHERE id=3")  # not UTF-8
    assert 3 not in {t.id for t in store.targets(sid)} | {r[0] for r in store.target_rows(sid)}
    assert len(store.damaged) == 1


def test_the_mask_free_readers_follow_every_change_of_the_project(scored):
    """Their answers are kept between frame steps; a write here or a commit elsewhere is seen."""
    store, sid = scored
    first = store.target_rows(sid)
    assert store.target_rows(sid) == first and store.track_stats(sid) == store.track_stats(sid)
    store.set_status([1], "confirmed")  # a write through this store
    assert [r[2] for r in store.target_rows(sid) if r[0] == 1] == ["confirmed"]
    assert stored_track_rows(store, sid)[0].confirmed == 1
    with ProjectStore.open(store.path, readonly=True) as reader:
        before = reader.target_rows(sid)
        _foreign(reader, "UPDATE targets SET status='maybe' WHERE id=2")  # damage elsewhere
        assert [r[0] for r in reader.target_rows(sid)] == [r[0] for r in before if r[0] != 2]
        store.delete_target(3)  # the writer's commit
        assert 3 not in {r[0] for r in reader.target_rows(sid)}
        assert sum(r.frames for r in stored_track_rows(reader, sid)) == 8
    t = next(t for t in store.targets(sid) if t.id == 4)
    store.save_target(t.copy(score=0.05))
    assert {r[0]: r[8] for r in store.target_rows(sid)}[4] == 0.05
    _foreign(store, "UPDATE targets SET status='confirmed' WHERE id=2")  # mended elsewhere
    assert 2 in {r[0] for r in store.target_rows(sid)}
