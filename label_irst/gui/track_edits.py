"""Whole-track edits as single undo steps, without Qt.

Confirming, rejecting, splitting and merging tracks (:mod:`label_irst.batch.tracks`) change the
status and the track id of many targets at once. :func:`track_edit` runs one of them and returns
what it changed, target by target (:class:`TrackChange`); :func:`write` puts either side back in
one transaction of the project store, so the undo history can undo and redo it as one step.
"""

from __future__ import annotations

from typing import NamedTuple

from label_irst.io.project import ProjectStore


class TrackChange(NamedTuple):
    """One target's (status, track id) before and after a whole-track edit."""

    id: int
    frame: int
    before: tuple[str, int | None]
    after: tuple[str, int | None]


def fields(store: ProjectStore, sequence_id: int) -> dict[int, tuple[int, str, int | None]]:
    """(frame, status, track id) of every target of the sequence, by id (no mask is read)."""
    return {
        int(r[0]): (int(r[1]), r[2], None if r[5] is None else int(r[5]))
        for r in store.target_rows(sequence_id)
    }


def track_edit(store: ProjectStore, sequence_id: int, edit) -> tuple[object, list[TrackChange]]:
    """Run ``edit()`` (a whole-track edit on the store); returns its result and the targets it
    changed."""
    before = fields(store, sequence_id)
    result = edit()
    after = fields(store, sequence_id)
    changes = [
        TrackChange(tid, frame, (status, track), after[tid][1:])
        for tid, (frame, status, track) in before.items()
        if tid in after and after[tid][1:] != (status, track)
    ]
    return result, changes


def write(store: ProjectStore, changes: list[TrackChange], after: bool) -> None:
    """Put the targets back in their state after (redo) or before (undo) the edit."""
    rows = [(c.id, *(c.after if after else c.before)) for c in changes]
    if rows:
        store.set_status_and_track(rows)


def describe_merge(rows, keep: int) -> str:
    """What a merge will do, from the track list's rows of the tracks merged."""
    parts = [f"track {r.track_id} ({r.status}, {r.frames} target(s), frames {r.first + 1}–"
             f"{r.last + 1})" for r in rows]  # fmt: skip
    return f"Merge {', '.join(parts[:-1])} and {parts[-1]} into track {keep}?"
