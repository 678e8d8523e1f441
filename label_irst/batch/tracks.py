"""Tracks of a project sequence, as the app's track list shows and edits them (Qt-free).

A track is the set of a sequence's targets sharing one ``track_id`` (``prelabel`` gives every
tracked candidate one; confirming a target without one starts a new track). Operations on a
whole track, each one transaction of the project store:

* :func:`set_track_status`: confirm the track's candidates, or reject all its targets;
* :func:`split_track`: the targets from a frame on get a new track id;
* :func:`merge_tracks`: several tracks become one (refused when two of them hold a target in
  the same frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from label_irst.errors import LabelIrstError
from label_irst.io.project import ProjectStore, Target


@dataclass(frozen=True)
class TrackRow:
    """One line of the track list. ``mean_score`` is the mean detection score of the track's
    targets that have one (model candidates; None when none has: a gap-filled frame has no
    detection, so it does not count). None, not NaN, so that equal rows compare equal."""

    track_id: int
    first: int
    last: int
    frames: int
    mean_rho: float
    candidates: int
    confirmed: int
    rejected: int
    mean_score: float | None = None

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def status(self) -> str:
        """candidate / confirmed / rejected when all targets agree, else 'k/n confirmed'."""
        for name, n in (("candidate", self.candidates), ("confirmed", self.confirmed),
                        ("rejected", self.rejected)):  # fmt: skip
            if n == self.frames:
                return name
        return f"{self.confirmed}/{self.frames} confirmed"


def track_rows(targets: list[Target]) -> list[TrackRow]:
    """The tracks among ``targets`` (targets without a track id are left out), by first frame."""
    groups: dict[int, list[Target]] = {}
    for t in targets:
        if t.track_id is not None:
            groups.setdefault(int(t.track_id), []).append(t)
    rows = []
    for tid, group in groups.items():
        frames = sorted({t.frame for t in group})
        rhos = [t.rho for t in group if t.rho is not None and math.isfinite(t.rho)]
        scores = [t.score for t in group if t.score is not None and math.isfinite(t.score)]
        count = {
            s: sum(t.status == s for t in group) for s in ("candidate", "confirmed", "rejected")
        }
        rows.append(
            TrackRow(
                tid,
                frames[0],
                frames[-1],
                len(group),
                sum(rhos) / len(rhos) if rhos else float("nan"),
                count["candidate"],
                count["confirmed"],
                count["rejected"],
                sum(scores) / len(scores) if scores else None,
            )  # fmt: skip
        )
    rows.sort(key=lambda r: (r.first, r.track_id))
    return rows


def stored_track_rows(store: ProjectStore, sequence_id: int) -> list[TrackRow]:
    """The same rows as :func:`track_rows`, from one aggregate query (no mask is read)."""
    rows = [
        TrackRow(
            int(tid),
            int(first),
            int(last),
            int(n),
            float("nan") if rho is None else float(rho),
            int(c),
            int(ok),
            int(rej),
            None if score is None else float(score),
        )  # fmt: skip
        for tid, first, last, n, rho, c, ok, rej, score in store.track_stats(sequence_id)
    ]
    rows.sort(key=lambda r: (r.first, r.track_id))
    return rows


def track_targets(store: ProjectStore, sequence_id: int, track_id: int) -> list[Target]:
    return [t for t in store.targets(sequence_id) if t.track_id == track_id]


def set_track_status(store: ProjectStore, sequence_id: int, track_id: int, status: str) -> int:
    """Confirm a track (its candidates; rejected targets stay rejected) or reject it (all its
    targets). Returns how many targets changed."""
    targets = track_targets(store, sequence_id, track_id)
    if status == "confirmed":
        ids = [t.id for t in targets if t.status == "candidate"]
    else:
        ids = [t.id for t in targets if t.status != status]
    if ids:
        store.set_status(ids, status)
    return len(ids)


def split_track(store: ProjectStore, sequence_id: int, track_id: int, frame: int) -> int:
    """Give the track's targets at ``frame`` and later a new track id; returns it."""
    targets = track_targets(store, sequence_id, track_id)
    later = [t.id for t in targets if t.frame >= frame]
    if not later or len(later) == len(targets):
        raise LabelIrstError(
            f"track {track_id} has no target both before frame {frame + 1} and from it on"
        )
    new = store.new_track_id()
    store.set_track(later, new)
    return new


def merge_tracks(store: ProjectStore, sequence_id: int, track_ids: list[int]) -> int:
    """Merge tracks into the one with the smallest id; returns it."""
    ids = sorted(set(track_ids))
    if len(ids) < 2:
        raise LabelIrstError("choose two tracks or more to merge")
    groups = {tid: track_targets(store, sequence_id, tid) for tid in ids}
    seen: dict[int, int] = {}
    for tid, group in groups.items():
        for t in group:
            if t.status == "rejected":
                continue
            if t.frame in seen and seen[t.frame] != tid:
                raise LabelIrstError(
                    f"tracks {seen[t.frame]} and {tid} both hold a target in frame "
                    f"{t.frame + 1}: reject one of them first"
                )
            seen[t.frame] = tid
    keep = ids[0]
    store.set_track([t.id for tid in ids[1:] for t in groups[tid]], keep)
    return keep
