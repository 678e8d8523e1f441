"""The review queue: candidates, least reliable first.

A model candidate carries RPR-Net's detection score (Sec. III-B): the lower it is, the more
doubtful that a target is there at all, so candidates with a score come first, lowest score
first. The other candidates (PAMG, box conversions, carried targets: no detection score) follow,
ordered as before by the boundary ratio rho (Eq. 20): how clearly a mask's boundary stands out
from its surroundings, a low rho being a doubtful mask. Ties go by rho, then frame. The "far
from the box" filter flags masks converted from boxes whose area differs from the box area by
more than a factor (suspect conversions).

The queue is built from :class:`QueueRow` records read by :func:`queue_rows` without unpacking
any mask (:meth:`label_irst.io.project.ProjectStore.target_rows`), so refreshing it after every
frame step stays cheap with thousands of targets in the sequence.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from label_irst.io.project import ProjectStore, Target


class QueueRow(NamedTuple):
    """What the review queue needs of a target: no mask, only its area."""

    id: int
    frame: int
    status: str
    source: str
    rho: float
    track_id: int | None
    area: int
    box: tuple[int, int, int, int] | None = None
    score: float | None = None

    @classmethod
    def of(cls, target: Target) -> QueueRow:
        return cls(target.id, target.frame, target.status, target.source, target.rho,
                   target.track_id, target.mask.area, target.box, target.score)  # fmt: skip


def queue_rows(store: ProjectStore, sequence_id: int) -> list[QueueRow]:
    """Every target of a sequence as a :class:`QueueRow`, in id order (no mask is read)."""
    return list(map(QueueRow._make, store.target_rows(sequence_id)))


def far_from_box(target: QueueRow, factor: float = 3.0) -> bool:
    """True when the mask area and its source box area differ by more than ``factor``."""
    if target.box is None:
        return False
    x0, y0, x1, y1 = target.box
    box_area = max((x1 - x0) * (y1 - y0), 1)
    area = max(target.area, 1)
    return max(area / box_area, box_area / area) > factor or target.area == 0


ORDERS = ("rho", "frame")


def _finite(value) -> float:
    return value if value is not None and math.isfinite(value) else math.inf


def review_queue(
    targets: list[QueueRow], suspects_only: bool = False, order: str = "rho"
) -> list[QueueRow]:
    """Candidates, least reliable first (``order`` "rho"): lowest detection score first, the
    candidates without one after them, each group by lowest rho (NaN last), then by frame; or
    by frame (then score, then rho), so that accepting walks through the sequence; optionally
    only box suspects."""
    queue = [t for t in targets if t.status == "candidate"]
    if suspects_only:
        queue = [t for t in queue if far_from_box(t)]

    def key(t: QueueRow):
        score, rho = _finite(t.score), _finite(t.rho)
        if order == "rho":
            return (score, rho, t.frame, t.id or 0)
        return (t.frame, score, rho, t.id or 0)

    return sorted(queue, key=key)


def counters(targets: list[QueueRow]) -> tuple[int, int]:
    """(reviewed, remaining): confirmed + rejected, and candidates. A deleted target is gone
    from the project, so it counts as neither."""
    remaining = sum(t.status == "candidate" for t in targets)
    return len(targets) - remaining, remaining


def group_by_track(queue: list[QueueRow]) -> list[tuple[QueueRow, int, int, int]]:
    """One entry per track of a review queue, in queue order: (its first candidate in the
    queue, candidates of the track, first frame, last frame); untracked candidates stay single
    (count 1)."""
    out: list[list] = []
    by_track: dict[int, list] = {}
    for t in queue:
        if t.track_id is None:
            out.append([t, 1, t.frame, t.frame])
        elif t.track_id in by_track:
            entry = by_track[t.track_id]
            entry[1] += 1
            entry[2], entry[3] = min(entry[2], t.frame), max(entry[3], t.frame)
        else:
            entry = by_track[t.track_id] = [t, 1, t.frame, t.frame]
            out.append(entry)
    return [tuple(e) for e in out]
