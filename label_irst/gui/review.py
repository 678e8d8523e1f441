"""The review queue: candidates, least reliable first.

A model candidate carries RPR-Net's detection score (Sec. III-B): the lower it is, the more
doubtful that a target is there at all, so candidates with a score come first, lowest score
first. Gap fills (a track's predicted position grown into a mask where the model detected
nothing) come before all of them, scored by the track's score discounted by the gap.
The other candidates (PAMG, box conversions, carried targets: no detection score) follow,
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
    #: a model candidate filled into a gap of its track (no detection of its own): its
    #: ``score`` is the track's, discounted by the gap (:func:`score_gap_fills`)
    gap: bool = False

    @classmethod
    def of(cls, target: Target) -> QueueRow:
        return cls(target.id, target.frame, target.status, target.source, target.rho,
                   target.track_id, target.mask.area, target.box, target.score)  # fmt: skip


#: a gap fill's score: the track's mean detection score times this per frame to the nearest
#: detection of the track (a prediction made one frame away is worth half a detection)
GAP_DISCOUNT = 0.5


def queue_rows(store: ProjectStore, sequence_id: int) -> list[QueueRow]:
    """Every target of a sequence as a :class:`QueueRow`, in id order (no mask is read); gap
    fills are scored (:func:`score_gap_fills`)."""
    return score_gap_fills([QueueRow(*r) for r in store.target_rows(sequence_id)])


def score_gap_fills(rows: list[QueueRow]) -> list[QueueRow]:
    """Give each gap fill (a model target without a detection score in a track whose other
    targets have one: ``prelabel`` grew it at the track's predicted position) a score: the
    mean detection score of the track times ``GAP_DISCOUNT`` per frame to the track's nearest
    detection. They are predictions, not detections, so they must not look more reliable than
    the detections around them."""
    detected: dict[int, list[tuple[int, float]]] = {}
    for r in rows:
        if r.track_id is not None and r.score is not None and math.isfinite(r.score):
            detected.setdefault(r.track_id, []).append((r.frame, r.score))
    out = []
    for r in rows:
        found = detected.get(r.track_id) if r.score is None and r.source == "model" else None
        if found:
            mean = sum(s for _, s in found) / len(found)
            distance = min(abs(f - r.frame) for f, _ in found)
            r = r._replace(score=mean * GAP_DISCOUNT ** max(distance, 1), gap=True)
        out.append(r)
    return out


def track_mean_scores(rows: list[QueueRow]) -> dict[int, float]:
    """The mean detection score of each track, over its targets that were detected (gap fills
    left out): the Tracks dock's "mean score"."""
    sums: dict[int, list[float]] = {}
    for r in rows:
        if r.track_id is not None and not r.gap and r.score is not None:
            if math.isfinite(r.score):
                sums.setdefault(r.track_id, []).append(r.score)
    return {tid: sum(v) / len(v) for tid, v in sums.items()}


#: a box conversion whose mask covers less than this share of its box is doubtful: a box
#: generator fills a tight box (box-fill, box-ellipse: about 0.7-1)
FILL_DOUBT = 0.35


def box_doubt(target: QueueRow) -> float:
    """How doubtful a box conversion's mask is against its source box (0: not at all, or not a
    box conversion): a mask larger than the box leaks out of it (its area share minus 1); a
    mask filling less than FILL_DOUBT of the box left most of it out (FILL_DOUBT minus the
    share). The box generators (core/box_generators.py) keep their masks inside the box and
    fill a tight one, so either is a conversion to look at first."""
    if target.box is None or target.source != "box":
        return 0.0
    x0, y0, x1, y1 = target.box
    share = target.area / max((x1 - x0) * (y1 - y0), 1)
    if share > 1.0:
        return share - 1.0
    return max(FILL_DOUBT - share, 0.0)


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
    candidates without one after them, each group by lowest rho (NaN last), then by frame, gap
    fills first of all; or
    by frame (then score, then rho), so that accepting walks through the sequence; optionally
    only box suspects."""
    queue = [t for t in targets if t.status == "candidate"]
    if suspects_only:
        queue = [t for t in queue if far_from_box(t)]

    def key(t: QueueRow):
        score, rho = _finite(t.score), _finite(t.rho)
        if order == "rho":
            return (not t.gap, score, rho, t.frame, t.id or 0)
        return (t.frame, score, rho, t.id or 0)

    ordered = sorted(queue, key=key)
    if order != "rho":
        return ordered
    # among the candidates without a detection score, doubtful box conversions first (most
    # doubtful first); a stable sort keeps every other order as it was
    return sorted(ordered, key=lambda t: (_finite(t.score) == math.inf, -box_doubt(t)))


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


class SourceBoxes:
    """Draws the source box of the selected box conversion beside its mask, in both views (a
    dashed rectangle on the box's pixel edges), so the review shows what the mask came from.

    The window's ``refresh_masks`` (called after every edit, selection and frame change) is
    wrapped so that the rectangle follows it; :func:`show_source_boxes` installs it once."""

    def __init__(self, window, views):
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QColor, QPen
        from PySide6.QtWidgets import QGraphicsRectItem

        self.window = window
        self.items = []
        for view in views:
            item = QGraphicsRectItem()
            pen = QPen(QColor(255, 200, 0, 230))
            pen.setCosmetic(True)
            pen.setWidthF(1.5)
            pen.setStyle(Qt.PenStyle.DashLine)
            item.setPen(pen)
            item.setZValue(20)
            item.setVisible(False)
            view.box.addItem(item)
            self.items.append(item)
        refresh = window.refresh_masks

        def refresh_and_box() -> None:
            refresh()
            self.update()

        window.refresh_masks = refresh_and_box

    def box(self) -> tuple[int, int, int, int] | None:
        """The selected target's source box when it is a box conversion."""
        a = self.window.annotator
        target = a.selected_target() if a is not None and a.frame is not None else None
        if target is None or target.source != "box" or target.box is None:
            return None
        return target.box

    def update(self) -> None:
        box = self.box()
        for item in self.items:
            if box is not None:
                x0, y0, x1, y1 = box
                item.setRect(x0, y0, x1 - x0, y1 - y0)  # pixel c spans [c, c + 1] in the views
            item.setVisible(box is not None)


def show_source_boxes(window, views) -> SourceBoxes:
    """Install :class:`SourceBoxes` on ``window``'s ``views`` (once)."""
    boxes = getattr(window, "source_boxes", None)
    if boxes is None:
        boxes = window.source_boxes = SourceBoxes(window, views)
    return boxes
