"""The tables of a project file, their version, and the migration of older projects.

* :data:`SCHEMA_VERSION` and :data:`SCHEMA`: what a new project is created with.
  Version 2 added ``targets.score``: the model's detection score of a ``model`` candidate
  (RPR-Net's heatmap peak, Sec. III-B), NULL for every other target (manual, PAMG, box, and a
  tracker's gap-filled frame, which has no detection). Version 3 added ``reviewed_frames``
  (:mod:`label_irst.io.project_reviewed`).
* :func:`migrate`: brings an older project up to :data:`SCHEMA_VERSION` in one ``BEGIN
  IMMEDIATE`` transaction (SQLite's DDL is transactional): the new columns and the version
  number land together or not at all, so a process killed or failing mid-way leaves the project
  as it was, still readable at its old version.
* :func:`has_column`: a read-only open of an older project migrates nothing; the store reads
  the columns it lacks as NULL.
* :data:`DAMAGED`: the SQL test of a target row whose fields could not make a target (the
  readers skip such rows with a warning instead of raising).
"""

from __future__ import annotations

import json
import sqlite3
import time

from label_irst.errors import LabelIrstError

SCHEMA_VERSION = 3
SOURCES = ("pamg", "manual", "model", "box")
STATUSES = ("candidate", "confirmed", "rejected")

SCHEMA = """
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
    status TEXT NOT NULL, box TEXT, updated REAL NOT NULL, score REAL);
CREATE INDEX IF NOT EXISTS targets_frame ON targets (frame_id);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, time REAL NOT NULL, target_id INTEGER, action TEXT NOT NULL,
    detail TEXT);
CREATE TABLE IF NOT EXISTS reviewed_frames (
    sequence_id INTEGER NOT NULL REFERENCES sequences(id), idx INTEGER NOT NULL,
    time REAL NOT NULL, PRIMARY KEY (sequence_id, idx));
"""

REVIEWED_TABLE = """CREATE TABLE reviewed_frames (
    sequence_id INTEGER NOT NULL REFERENCES sequences(id), idx INTEGER NOT NULL,
    time REAL NOT NULL, PRIMARY KEY (sequence_id, idx))"""

#: version -> the steps that take a project of that version to the next one. A step is
#: (table, column, SQL): the SQL is skipped when the column is already there.
MIGRATIONS: dict[int, list[tuple[str, str, str]]] = {
    1: [("targets", "score", "ALTER TABLE targets ADD COLUMN score REAL")],
    2: [("reviewed_frames", "idx", REVIEWED_TABLE)],
}

_NUM = "('integer', 'real')"
_NUM_OR_NULL = "('integer', 'real', 'null')"
COORD = 2**31
#: A target row (``t``, joined with its frame ``f``) that :meth:`ProjectStore.targets` could not
#: turn into a target: a field of the wrong type, an unknown source or status, a mask whose
#: size does not fit its bytes (as ``io.project_rows.unpack`` checks them). Format it with
#: ``score``, the score column's expression (``NULL`` in an old project opened read-only).
DAMAGED = f"""(typeof(f.idx) != 'integer' OR typeof(t.id) != 'integer'
 OR typeof(t.off_row) != 'integer' OR typeof(t.off_col) != 'integer'
 OR typeof(t.height) != 'integer' OR typeof(t.width) != 'integer'
 OR t.off_row <= -{COORD} OR t.off_row >= {COORD}
 OR t.off_col <= -{COORD} OR t.off_col >= {COORD}
 OR t.height < 0 OR t.width < 0 OR t.height >= {COORD} OR t.width >= {COORD}
 OR typeof(t.mask) != 'blob' OR t.height * t.width > 8 * length(t.mask)
 OR typeof(t.seed_x) != 'integer' OR typeof(t.seed_y) != 'integer'
 OR typeof(t.track_id) NOT IN ('integer', 'null')
 OR typeof(t.support_radius) NOT IN {_NUM}
 OR typeof(t.rho) NOT IN {_NUM_OR_NULL} OR typeof(t.radius) NOT IN {_NUM_OR_NULL}
 OR typeof(t.cx) NOT IN {_NUM_OR_NULL} OR typeof(t.cy) NOT IN {_NUM_OR_NULL}
 OR typeof({{score}}) NOT IN {_NUM_OR_NULL}
 OR t.source IS NULL OR t.source NOT IN {SOURCES}
 OR t.status IS NULL OR t.status NOT IN {STATUSES})"""


def has_column(db: sqlite3.Connection, table: str, column: str) -> bool:
    return any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})"))


def schema_version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    try:
        return int(str(row[0])) if row else 0
    except ValueError:
        return 0


def migrate(db: sqlite3.Connection, path) -> int | None:
    """Bring the project of ``db`` (opened for writing, its lock held) up to
    :data:`SCHEMA_VERSION` in one transaction; returns the version it had, or None when it was
    already current. A version with no migration path is refused with one line."""
    db.execute("BEGIN IMMEDIATE")
    try:
        old = schema_version(db)
        if old >= SCHEMA_VERSION:
            db.execute("ROLLBACK")
            return None
        if old not in MIGRATIONS:
            raise LabelIrstError(
                f"{path}: project schema version {old} is unknown; it cannot be upgraded"
            )
        for version in range(old, SCHEMA_VERSION):
            for table, column, sql in MIGRATIONS[version]:
                if not has_column(db, table, column):
                    db.execute(sql)
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        db.execute(
            "INSERT INTO history (time, target_id, action, detail) VALUES (?, NULL, ?, ?)",
            (time.time(), "migrate", json.dumps({"from": old, "to": SCHEMA_VERSION})),
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return old
