"""Reviewed frames of a project (the loop) and the project's own detector model.

A frame is *reviewed* when the annotator says that every target in it is labelled: everything
outside its confirmed targets is then background, which makes the frame a source of trustworthy
negatives as well as positives for the detector's adaptation (``label-irst adapt``).

* Reviewed frames live in the table ``reviewed_frames`` (sequence id, frame index, time), keyed
  by frame index: a reviewed frame may hold no target at all, and so have no row in ``frames``.
  Schema version 3 added the table; an older project opened for writing gets it by migration,
  and a read-only open of an older project reads no reviewed frame.
* :func:`set_reviewed` marks or unmarks frames in one transaction and returns the frames whose
  state it changed: calling it again with those frames and the opposite flag undoes it exactly.
* The detector model adopted for the project is recorded under the meta key ``detector/model``
  (the metadata record's path, relative to the project's folder when inside it). Each
  adaptation writes a new numbered model into ``<project stem>.models/``; the previous ones stay
  there and can be recorded again (:func:`set_project_detector`).
* ``label-irst import --reviewed`` marks the imported frames that are fully annotated
  (:func:`mark_imported_reviewed`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from label_irst.io.project_schema import has_column

TABLE = "reviewed_frames"
DETECTOR_KEY = "detector/model"
#: the held-back figures of the last adaptation (JSON), and how many frames were reviewed then
LAST_ADAPTATION_KEY = "detector/last_adaptation"


def _has_table(store) -> bool:
    return has_column(store._db, TABLE, "idx")


def reviewed_frames(store, sequence_id: int | None = None) -> dict[int, list[int]]:
    """Sequence id -> its reviewed frame indices in order (one sequence with ``sequence_id``)."""
    if not _has_table(store):
        return {}
    sql, args = f"SELECT sequence_id, idx FROM {TABLE}", []
    if sequence_id is not None:
        sql += " WHERE sequence_id=?"
        args.append(sequence_id)
    out: dict[int, list[int]] = {}
    for seq, idx in store._db.execute(sql + " ORDER BY sequence_id, idx", args):
        out.setdefault(int(seq), []).append(int(idx))
    return out


def set_reviewed(store, sequence_id: int, frames, reviewed: bool = True) -> list[int]:
    """Mark (or with ``reviewed`` False, unmark) ``frames`` of a sequence in one transaction;
    returns the frame indices whose state changed, in order (the undo is the same call with
    them and the opposite flag)."""
    frames = sorted({int(f) for f in frames})
    with store._transaction() as db:
        have = {
            int(r[0])
            for r in db.execute(f"SELECT idx FROM {TABLE} WHERE sequence_id=?", (sequence_id,))
        }
        changed = [f for f in frames if (f in have) != reviewed]
        if reviewed:
            now = time.time()
            db.executemany(
                f"INSERT INTO {TABLE} (sequence_id, idx, time) VALUES (?,?,?)",
                [(sequence_id, f, now) for f in changed],
            )
        else:
            db.executemany(
                f"DELETE FROM {TABLE} WHERE sequence_id=? AND idx=?",
                [(sequence_id, f) for f in changed],
            )
        if changed:
            db.execute(
                "INSERT INTO history (time, target_id, action, detail) VALUES (?, NULL, ?, ?)",
                (
                    time.time(),
                    "reviewed" if reviewed else "unreviewed",
                    json.dumps({"sequence": sequence_id, "frames": changed}),
                ),
            )
    return changed


def last_adaptation(summary: dict, reviewed: int) -> str:
    """What the project keeps of an adaptation under :data:`LAST_ADAPTATION_KEY` (JSON): its
    outcome and held-back figures, and ``reviewed`` (frames reviewed when it started), from
    which the app's loop counts the frames reviewed since."""
    keys = ("adopted", "current_pd", "new_pd", "held_back_frames", "training_frames", "model")
    return json.dumps({**{k: summary.get(k) for k in keys}, "reviewed_frames": int(reviewed)})


def adaptation_notes(summary: dict) -> list[str]:
    """What an adaptation's summary adds to its one-line outcome: the score shift of an adopted
    model, whether its int8 copy was kept, and a budget that ran out before the first training
    step."""
    notes = []
    shift = summary.get("score_shift") or 0.0
    if summary.get("adopted") and shift:
        notes.append(f"scores shifted {shift:+.2f} to the held-back false-detection rate")
    int8 = summary.get("int8")
    if summary.get("adopted") and isinstance(int8, dict):
        if int8.get("kept"):
            notes.append("int8 copy for the CPU kept")
        elif int8.get("error"):
            notes.append("no int8 copy could be made: the float model runs")
        else:
            notes.append("its int8 copy fell short on the held-back frames: the float model runs")
    if summary.get("steps") == 0 and summary.get("stopped_by_budget"):
        notes.append(
            "the budget ran out before the first training step (a busy machine?): give the "
            "adaptation more minutes"
        )
    return notes


def project_detector(store) -> Path | None:
    """The detector model recorded for the project (it may no longer exist), or None."""
    text = store.meta(DETECTOR_KEY)
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else Path(store.path).parent / path


def set_project_detector(store, path: str | Path | None) -> None:
    """Record ``path`` (None: back to the shipped model) in one transaction."""
    if path is None:
        store.set_meta(DETECTOR_KEY, None)
        return
    path, folder = Path(path).resolve(), Path(store.path).resolve().parent
    try:
        text = str(path.relative_to(folder))
    except ValueError:
        text = str(path)
    store.set_meta(DETECTOR_KEY, text)


def fully_annotated(frame) -> bool:
    """Whether an imported frame (:class:`label_irst.io.annotations.Frame`) is fully annotated:
    every target of it is confirmed and nothing of it waits for review (boxes or points that
    become candidates). A frame listed with no target at all is fully annotated: it has none."""
    return not frame.review and all(t.status == "confirmed" for t in frame.targets)


def mark_imported_reviewed(store, frames) -> int:
    """Mark reviewed the fully annotated ones of ``frames`` (imported frames) in the project,
    found by their source (a video, else the image's folder) and name; returns how many frames
    were marked. A frame whose source or name the project does not hold is left out."""
    from label_irst.errors import LabelIrstError
    from label_irst.io.sequence import open_sequence

    by_source = {Path(r.source).resolve(): r.id for r in store.sequences()}
    names: dict[int, dict[str, int]] = {}
    todo: dict[int, set[int]] = {}
    for frame in frames:
        if not fully_annotated(frame):
            continue
        video = getattr(frame, "video", None)
        if video is not None:
            source, name = Path(video).resolve(), frame.name
        elif frame.image_path is not None:
            source, name = Path(frame.image_path).resolve().parent, Path(frame.image_path).name
        else:
            continue
        sid = by_source.get(source)
        if sid is None:
            continue
        if sid not in names:
            try:
                reader = open_sequence(source)
            except LabelIrstError:
                names[sid] = {}
                continue
            try:
                names[sid] = {n: i for i, n in enumerate(reader.names)}
            finally:
                reader.close()
        index = names[sid].get(name)
        if index is not None:
            todo.setdefault(sid, set()).add(index)
    return sum(len(set_reviewed(store, sid, idx)) for sid, idx in todo.items())
