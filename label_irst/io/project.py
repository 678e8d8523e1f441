"""The project store: one SQLite file (stdlib sqlite3, WAL) holding sequences, targets and history.

Public API (kept small on purpose; everything else is private):

* :meth:`ProjectStore.open` (``create=True`` makes a new file), :meth:`ProjectStore.close`,
  use as a context manager. A project open in another process is refused with a
  :class:`LabelIrstError`; ``readonly=True`` reads a project without taking the lock.
* :meth:`add_sequence` / :meth:`sequences`: the frame sources (folder, video, image) annotated.
* :class:`Target`: one target in one frame: id, track id, bbox-cropped mask + offset, seed,
  centroid, radius, source (pamg, manual, model, box), status (candidate, confirmed, rejected),
  rho (Eq. 20), Rs, generator, optional source box, and the model's detection score (``model``
  candidates only; None for every other target).
* :meth:`save_target` (insert or update), :meth:`delete_target`, :meth:`set_status`: each is one
  transaction, with one history row written in the same transaction, so killing the process at
  any moment loses nothing a caller was told was saved.
* :meth:`targets`, :meth:`frames`, :meth:`frames_with_targets`, :meth:`new_track_id`, :meth:`history`;
  :meth:`target_rows` and :meth:`track_stats` read no mask (the review queue, the track list).
  Every reader skips a damaged target row and names it once in :attr:`ProjectStore.damaged`.
* :meth:`meta` / :meth:`set_meta`: project settings (the annotation convention).
* :meth:`version`: a token that changes whenever the project changes (this store's writes or
  another connection's commits); pictures built from the rows are rebuilt only when it moves.
* :meth:`has_target`, :meth:`restore_target`: undo of a delete (the same id).
* :func:`export_masks`: per-frame 0/255 masks of the confirmed targets (the app and the CLI;
  in :mod:`label_irst.io.project_masks`).

Masks are stored as their bounding-box crop, bit-packed (``np.packbits``), with the crop's
(row, col) offset: a 640x512 frame with three small targets costs a few dozen bytes.
The tables, their version and the migration of older projects (done on a writable open, in one
transaction) are in :mod:`label_irst.io.project_schema`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io import inode_handles
from label_irst.io.faults import crash_point
from label_irst.io.project_lock import ProjectLock, check_project_file, sqlite_uri
from label_irst.io.project_masks import export_masks, frame_mask  # noqa: F401 (re-exported)
from label_irst.io.project_readonly import read_only_connection
from label_irst.io.project_rows import (
    COLUMNS,
    INSERT,
    MASK_COLUMN,
    read_box,
    row_values,
    unpack,
)
from label_irst.io.project_schema import (  # noqa: F401 (SCHEMA_VERSION re-exported)
    DAMAGED,
    SCHEMA,
    SCHEMA_VERSION,
    SOURCES,
    STATUSES,
    has_column,
    migrate,
)
from label_irst.io.target import Target  # noqa: F401 (re-exported: the one target type)

PROJECT_SUFFIX = ".lirst"


@dataclass(frozen=True)
class SequenceRecord:
    id: int
    source: str
    kind: str
    frame_count: int


class ProjectStore:
    """A Label-IRST project file. Every public write is one SQLite transaction."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: ProjectLock | None):
        self.path = path
        self._db = connection
        self._lock = lock
        self._tidy = None
        self._handle = None
        #: damaged target rows met by the readers (skipped), one line per row
        self.damaged: list[str] = []
        self._named: set[str] = set()
        self._kept: dict[tuple[str, int], tuple[tuple[int, int], list]] = {}
        self._bad: dict[int, tuple[int, frozenset[int]]] = {}
        # a read-only open of a version-1 project has no score column: read as NULL
        self._score = "t.score" if has_column(connection, "targets", "score") else "NULL"
        self._damaged = DAMAGED.format(score=self._score)

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False, readonly: bool = False):
        """Open (``create``: make a new file if absent) a project; ``readonly`` takes no lock.

        A writable open takes the project's one lock (:class:`ProjectLock`, which writes
        nothing), then checks the file (:func:`check_project_file`, through SQLite), so a
        foreign or newer file is refused before anything is written into it or beside it. An
        older project opened for writing is migrated
        (:func:`label_irst.io.project_schema.migrate`, one transaction); a read-only open
        leaves it as it is.
        """
        path = Path(path)
        if path.is_dir():
            raise LabelIrstError(f"{path}: is a folder, not a project file")
        # a new project: absent, or an empty file (a new project killed before its first write)
        new = create and not readonly and (not path.exists() or _is_empty(path))
        if not new and not path.exists():
            raise LabelIrstError(f"{path}: no such project")
        if not new and not path.is_file():  # a FIFO would hang the lock's open
            raise LabelIrstError(f"{path}: not a regular file")
        lock = db = tidy = handle = None
        try:
            if readonly:
                check_project_file(path, SCHEMA_VERSION)
                handle = inode_handles.hold(path)  # outlives the connection (inode_handles)
                db, tidy = read_only_connection(path)
            else:
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    with open(path, "xb"):
                        pass  # an empty file is a new SQLite database
                lock = ProjectLock(path)  # writes nothing: a foreign file is left as it was
                if not new:  # checked under the lock: it cannot change meanwhile
                    check_project_file(path, SCHEMA_VERSION, locked=True)
                db = sqlite3.connect(sqlite_uri(path), uri=True, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a commit survives the application being killed (not a power cut).
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA foreign_keys=ON")
                if new:
                    db.executescript(SCHEMA)
                    db.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                else:
                    migrate(db, path)
            db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            store = cls(path, db, lock)
            store._tidy = tidy
            store._handle = handle
            return store
        except BaseException as exc:
            if db is not None:
                db.close()
                if tidy is not None:
                    tidy()
            if lock:
                lock.release()
            if handle is not None:
                inode_handles.release(handle)
            if isinstance(exc, (sqlite3.DatabaseError, OSError)):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise LabelIrstError(f"{path}: cannot open the project ({reason})") from None
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            if self._tidy is not None:
                self._tidy()  # a read-only open leaves the folder as it found it
                self._tidy = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._handle is not None:  # last: the descriptor outlives every connection
            inode_handles.release(self._handle)
            self._handle = None

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sequences -------------------------------------------------------------------------
    def add_sequence(self, source: str | os.PathLike, kind: str, frame_count: int) -> int:
        """Register a frame source (absolute path) and return its id; an existing one is kept."""
        source = str(Path(source).resolve())
        if not _is_utf8(source):
            raise LabelIrstError(
                f"{source!r}: the path is not valid UTF-8 and cannot be stored; rename it"
            )
        with self._transaction() as db:
            row = db.execute("SELECT id FROM sequences WHERE source=?", (source,)).fetchone()
            if row:
                db.execute("UPDATE sequences SET frame_count=? WHERE id=?", (frame_count, row[0]))
                return int(row[0])
            cur = db.execute(
                "INSERT INTO sequences (source, kind, frame_count, created) VALUES (?,?,?,?)",
                (source, kind, frame_count, time.time()),
            )
            return int(cur.lastrowid)

    def sequences(self) -> list[SequenceRecord]:
        rows = self._db.execute("SELECT id, source, kind, frame_count FROM sequences ORDER BY id")
        return [SequenceRecord(*row) for row in rows]

    def frames(self, sequence_id: int) -> dict[int, tuple[str, tuple[int, int] | None]]:
        """Name and (h, w) of the frames that ever held a target, by frame index."""
        rows = self._db.execute(
            "SELECT idx, name, height, width FROM frames WHERE sequence_id=?", (sequence_id,)
        )
        return {i: (n, (h, w) if h is not None else None) for i, n, h, w in rows.fetchall()}

    # -- targets ---------------------------------------------------------------------------
    def save_target(
        self, target: Target, frame_name: str = "", frame_shape: tuple[int, int] | None = None
    ) -> Target:
        """Insert (id None) or update a target in one transaction; returns it with its id.

        ``frame_name`` and ``frame_shape`` (h, w) are recorded for the frame the first time.
        """
        values = row_values(target)
        with self._transaction() as db:
            if target.id is None:
                frame_id = self._frame_id(
                    db, target.sequence_id, target.frame, frame_name, frame_shape
                )
                cur = db.execute(INSERT, (*values, frame_id))
                target = target.copy(id=int(cur.lastrowid))
                action = "add"
            else:
                cur = db.execute(
                    "UPDATE targets SET track_id=?, off_row=?, off_col=?, height=?, width=?,"
                    " mask=?, seed_x=?, seed_y=?, cx=?, cy=?, radius=?, rho=?, support_radius=?,"
                    " generator=?, source=?, status=?, box=?, updated=?, score=? WHERE id=?",
                    (*values, target.id),
                )
                if cur.rowcount != 1:
                    raise LabelIrstError(f"target {target.id} is not in the project")
                action = "update"
            self._log(db, target.id, action, {"status": target.status, "area": target.mask.area})
        return target

    def replace_candidates(
        self,
        sequence_id: int,
        frame: int,
        source: str,
        targets: list[Target],
        frame_name: str = "",
        frame_shape: tuple[int, int] | None = None,
        tracks: dict[int, int] | None = None,
    ) -> list[Target]:
        """Swap a frame's ``source`` candidates for ``targets`` (new ones) in one transaction.

        Reviewed targets (confirmed, rejected) of that source are kept; running a pre-annotation
        twice therefore never duplicates its candidates. Returns the saved targets with ids.

        With ``tracks`` (a run's own track key -> project track id), each target's ``track_id``
        is the run's key for its track: a key already in ``tracks`` takes its id, a new key the
        next free project track id, read inside this transaction (and added to ``tracks``), so
        a track id handed out meanwhile (a target confirmed while the run went on) is never
        given twice.
        """
        saved = []
        with self._transaction() as db:
            if tracks is not None:
                targets = [t.copy(track_id=self._track_of(db, t.track_id, tracks))
                           for t in targets]  # fmt: skip
            frame_id = self._frame_id(db, sequence_id, frame, frame_name, frame_shape)
            old = db.execute(
                "SELECT id FROM targets WHERE frame_id=? AND source=? AND status='candidate'",
                (frame_id, source),
            ).fetchall()
            for (tid,) in old:
                db.execute("DELETE FROM targets WHERE id=?", (tid,))
                self._log(db, tid, "delete", {"replaced": source})
            for target in targets:
                cur = db.execute(INSERT, (*row_values(target.copy(source=source)), frame_id))
                target = target.copy(
                    id=int(cur.lastrowid), sequence_id=sequence_id, frame=frame, source=source
                )
                self._log(db, target.id, "add", {"status": target.status, "area": target.mask.area})
                saved.append(target)
        return saved

    def has_target(self, target_id: int) -> bool:
        row = self._db.execute("SELECT 1 FROM targets WHERE id=?", (target_id,)).fetchone()
        return row is not None

    def restore_target(self, target: Target, frame_name: str = "") -> Target:
        """Insert a deleted target again under its own id (undo of a delete), one transaction."""
        values = row_values(target)
        with self._transaction() as db:
            frame_id = self._frame_id(db, target.sequence_id, target.frame, frame_name, None)
            db.execute(
                f"INSERT INTO targets (id, {COLUMNS}, frame_id) VALUES ({', '.join('?' * 21)})",
                (target.id, *values, frame_id),
            )
            self._log(db, target.id, "restore", {"status": target.status})
        return target

    def delete_target(self, target_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM targets WHERE id=?", (target_id,))
            self._log(db, target_id, "delete", None)

    def set_status(self, target_ids: list[int], status: str) -> None:
        if status not in STATUSES:
            raise LabelIrstError(f"unknown target status {status!r}; choose {STATUSES}")
        with self._transaction() as db:
            for tid in target_ids:
                db.execute(
                    "UPDATE targets SET status=?, updated=? WHERE id=?", (status, time.time(), tid)
                )
                self._log(db, tid, "status", {"status": status})

    def set_track(self, target_ids: list[int], track_id: int | None) -> None:
        """Give the targets one track id (split and merge of tracks), in one transaction."""
        with self._transaction() as db:
            for tid in target_ids:
                db.execute(
                    "UPDATE targets SET track_id=?, updated=? WHERE id=?",
                    (track_id, time.time(), tid),
                )
                self._log(db, tid, "track", {"track_id": track_id})

    def set_status_and_track(self, rows: list[tuple[int, str, int | None]]) -> None:
        """Put (target id, status, track id) back in one transaction: a whole-track edit (confirm,
        reject, split, merge) done or undone as one step."""
        for _, status, _ in rows:
            if status not in STATUSES:
                raise LabelIrstError(f"unknown target status {status!r}; choose {STATUSES}")
        with self._transaction() as db:
            for tid, status, track_id in rows:
                db.execute(
                    "UPDATE targets SET status=?, track_id=?, updated=? WHERE id=?",
                    (status, track_id, time.time(), tid),
                )
                self._log(db, tid, "track", {"status": status, "track_id": track_id})

    def targets(
        self, sequence_id: int, frame: int | None = None, status: str | None = None
    ) -> list[Target]:
        """Targets of a sequence (one frame, or all), optionally of one status, in id order.
        Damaged rows are skipped and named in :attr:`damaged`."""
        sql = (
            f"SELECT t.id, f.idx, t.track_id, t.off_row, t.off_col, t.height, t.width, {MASK_COLUMN},"
            " t.seed_x, t.seed_y, t.cx, t.cy, t.radius, t.rho, t.support_radius, t.generator,"
            f" t.source, t.status, t.box, {self._score}, {self._damaged}"
            " FROM targets t JOIN frames f ON f.id = t.frame_id WHERE f.sequence_id=?"
        )
        args: list = [sequence_id]
        if frame is not None:
            sql += " AND f.idx=?"
            args.append(frame)
        if status is not None:
            sql += " AND t.status=?"
            args.append(status)
        out = []
        for row in self._db.execute(sql + " ORDER BY t.id", args):
            (tid, idx, track, r0, c0, h, w, blob, sx, sy, cx, cy, radius, rho, rs, gen, src,
             st, box, score, bad) = row  # fmt: skip
            try:
                if bad:
                    raise ValueError("a field of the wrong type or out of range")
                target = Target(
                    sequence_id=sequence_id,
                    frame=int(idx),
                    mask=unpack(r0, c0, h, w, blob),
                    seed=(int(sx), int(sy)),
                    source=src,
                    status=st,
                    rho=float("nan") if rho is None else float(rho),
                    support_radius=float(rs),
                    generator=str(gen or ""),
                    track_id=None if track is None else int(track),
                    id=int(tid),
                    box=read_box(box),
                    score=None if score is None else float(score),
                )  # fmt: skip
            except (LabelIrstError, ValueError, TypeError, OverflowError) as exc:
                self._skip(tid, exc)
                continue
            out.append(target)
        return out

    def _skip(self, tid, reason) -> None:
        """Name a damaged target row in :attr:`damaged`, once however often it is read."""
        line = f"{self.path}: target {tid} is damaged ({reason}); skipped"
        if line not in self._named:
            self._named.add(line)
            self.damaged.append(line)

    def target_rows(self, sequence_id: int) -> list[tuple]:
        return list(self._cached("rows", sequence_id, self._target_rows))

    def _target_rows(self, sequence_id: int) -> list[tuple]:
        """Targets of a sequence without unpacking their masks, in id order: (id, frame, status,
        source, rho (NaN when unknown), track id, mask area, source box or None, detection
        score or None). The area is the bit count of the packed mask's first h x w bits (the
        bits :func:`unpack` reads), so it equals ``mask.area``. The rows :meth:`targets` skips
        as damaged are skipped (and named in :attr:`damaged`). The answer is kept until the
        project changes (:meth:`_cached`): a frame step that changed nothing reads nothing."""
        damaged = self._damaged_ids(sequence_id)
        rows = self._db.execute(
            f"SELECT t.id, f.idx, t.status, t.source, t.rho, t.track_id, {MASK_COLUMN},"
            f" 8 * length(t.mask) - t.height * t.width, t.box, {self._score}"
            " FROM targets t JOIN frames f ON f.id = t.frame_id WHERE f.sequence_id=?"
            " ORDER BY t.id",
            (sequence_id,),
        )
        nan = float("nan")
        out = []
        for tid, idx, st, src, rho, track, blob, spare, box, score in rows:
            if damaged and tid in damaged:
                self._skip(tid, "a field of the wrong type or out of range")
                continue
            out.append((tid, idx, st, src, nan if rho is None else rho, track,
                        (int.from_bytes(blob) >> spare).bit_count(), read_box(box) if box else None,
                        score))  # fmt: skip
        return out

    def _damaged_ids(self, sequence_id: int) -> frozenset[int]:
        """The ids of a sequence's damaged target rows (:data:`DAMAGED`), kept until another
        connection commits: this store writes only whole, valid rows, so its own writes add
        none (they may mend one: then the set is read again)."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        kept = self._bad.get(sequence_id)
        if kept is not None and kept[0] == version:
            return kept[1]
        ids = frozenset(
            r[0]
            for r in self._db.execute(
                "SELECT t.id FROM targets t JOIN frames f ON f.id = t.frame_id"
                f" WHERE f.sequence_id=? AND {self._damaged}",
                (sequence_id,),
            )
        )
        self._bad[sequence_id] = (version, ids)
        return ids

    def frames_with_targets(self, sequence_id: int, status: str | None = None) -> list[int]:
        sql = (
            "SELECT DISTINCT f.idx FROM targets t JOIN frames f ON f.id = t.frame_id"
            " WHERE f.sequence_id=?"
        )
        args: list = [sequence_id]
        if status is not None:
            sql += " AND t.status=?"
            args.append(status)
        return [int(r[0]) for r in self._db.execute(sql + " ORDER BY f.idx", args)]

    def track_stats(self, sequence_id: int) -> list[tuple]:
        """Per track of a sequence, without reading masks: (track id, first frame, last frame,
        targets, mean rho, candidates, confirmed, rejected, mean detection score (None when no
        target of the track has one)), by track id; damaged rows are left out. Kept until the
        project changes, as :meth:`target_rows`."""
        return list(self._cached("tracks", sequence_id, self._track_stats))

    def _track_stats(self, sequence_id: int) -> list[tuple]:
        damaged = self._damaged_ids(sequence_id)  # integers read from the file: inlined
        skip = f" AND t.id NOT IN ({','.join(map(str, sorted(damaged)))})" if damaged else ""
        rows = self._db.execute(
            "SELECT t.track_id, MIN(f.idx), MAX(f.idx), COUNT(*), AVG(t.rho),"
            " SUM(t.status='candidate'), SUM(t.status='confirmed'), SUM(t.status='rejected'),"
            f" AVG({self._score}) FROM targets t JOIN frames f ON f.id = t.frame_id"
            f" WHERE f.sequence_id=? AND t.track_id IS NOT NULL{skip}"
            " GROUP BY t.track_id ORDER BY t.track_id",
            (sequence_id,),
        )
        return rows.fetchall()

    def new_track_id(self) -> int:
        row = self._db.execute("SELECT MAX(track_id) FROM targets").fetchone()
        return int(row[0] or 0) + 1

    @staticmethod
    def _track_of(db: sqlite3.Connection, key: int | None, tracks: dict[int, int]) -> int | None:
        """The project track id of a run's track ``key`` (a new one the first time)."""
        if key is None:
            return None
        if key not in tracks:
            row = db.execute("SELECT MAX(track_id) FROM targets").fetchone()
            tracks[key] = max(int(row[0] or 0), *tracks.values(), 0) + 1  # this frame's too
        return tracks[key]

    def history(self, limit: int = 100) -> list[tuple[float, int | None, str, str | None]]:
        rows = self._db.execute(
            "SELECT time, target_id, action, detail FROM history ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return rows.fetchall()

    # -- project settings (meta table) -----------------------------------------------------
    def meta(self, key: str) -> str | None:
        """A project setting stored in the meta table (e.g. the fitted convention), or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Store (or, with None, remove) a project setting in one transaction."""
        with self._transaction() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key=?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self._log(db, None, "meta", {"key": key})

    def version(self) -> tuple[int, int]:
        """A token that changes whenever the project changes: equal tokens mean that no row of
        the project changed in between, so anything built from its rows is still right.

        SQLite counts the rows changed through this store's connection (``total_changes``) and
        tells the connection when another connection, of this process or another one, committed
        (``PRAGMA data_version``); the token is the pair. Both only grow while the store is open,
        so a token never comes back. Cheap (one pragma); compare tokens for equality only.
        """
        db = self._db
        if db is None:
            raise LabelIrstError(f"{self.path}: the project is closed")
        return db.total_changes, db.execute("PRAGMA data_version").fetchone()[0]

    # -- internals -------------------------------------------------------------------------
    def _transaction(self):
        if self._db is None:
            raise LabelIrstError(f"{self.path}: the project is closed")
        if any(ids for _, ids in self._bad.values()):
            self._bad.clear()  # a write may mend a damaged row
        return _Transaction(self._db)

    def _cached(self, name: str, sequence_id: int, compute):
        """``compute(sequence_id)``, or its last answer while the project is unchanged (the same
        :meth:`version`)."""
        version = self.version()
        kept = self._kept.get((name, sequence_id))
        if kept is not None and kept[0] == version:
            return kept[1]
        value = compute(sequence_id)
        self._kept[(name, sequence_id)] = (version, value)
        return value

    @staticmethod
    def _frame_id(db: sqlite3.Connection, sequence_id: int, idx: int, name: str, shape) -> int:
        row = db.execute(
            "SELECT id FROM frames WHERE sequence_id=? AND idx=?", (sequence_id, idx)
        ).fetchone()
        if row:
            return int(row[0])
        h, w = shape if shape is not None else (None, None)
        if not _is_utf8(name):  # a non-UTF-8 file name: kept readable, bytes escaped
            name = os.fsencode(name).decode("utf-8", "backslashreplace")
        cur = db.execute(
            "INSERT INTO frames (sequence_id, idx, name, height, width) VALUES (?,?,?,?,?)",
            (sequence_id, idx, name, h, w),
        )
        return int(cur.lastrowid)

    @staticmethod
    def _log(db: sqlite3.Connection, target_id: int | None, action: str, detail) -> None:
        db.execute(
            "INSERT INTO history (time, target_id, action, detail) VALUES (?,?,?,?)",
            (time.time(), target_id, action, json.dumps(detail) if detail is not None else None),
        )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        if not exc_type:
            crash_point("commit", self._file)

    def _file(self) -> str:
        return self.db.execute("PRAGMA database_list").fetchone()[2]


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_empty(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False
