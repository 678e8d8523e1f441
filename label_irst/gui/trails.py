"""Short trails: the path of each track shown on the current frame over the frames before it.

While stepping or playing a sequence, every tracked target of the current frame (not rejected)
gets a polyline through its track's centroids in the last :data:`LENGTH` frames, drawn on both
views (pixel (x, y) covers [x, x + 1) in view coordinates, so a centroid is drawn at +0.5).
"""

from __future__ import annotations

import weakref

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPen

from label_irst.gui.views import points_rect
from label_irst.io.project import ProjectStore

LENGTH = 8


def trail_paths(
    store: ProjectStore, sequence_id: int, index: int, length: int = LENGTH
) -> dict[int, list[tuple[float, float]]]:
    """Track id -> centroids (x, y) from frame ``index - length`` to ``index``, for the tracks
    with a target (not rejected) on frame ``index``; tracks with one point are left out."""
    frames = {j: _tracked_centroids(store, sequence_id, j)
              for j in range(max(index - length, 0), index + 1)}  # fmt: skip
    paths: dict[int, list[tuple[float, float]]] = {tid: [] for tid, _ in frames[index]}
    for j in sorted(frames):
        for tid, point in frames[j]:
            if tid in paths:
                paths[tid].append(point)
    return {tid: pts for tid, pts in paths.items() if len(pts) >= 2}


#: per open store: (its version, {(sequence, frame): tracked centroids}); a step reads one new
#: frame instead of all the trail's frames, and any change to the project empties it
_CENTROIDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_CACHED_FRAMES = 64


def _tracked_centroids(
    store: ProjectStore, sequence_id: int, frame: int
) -> list[tuple[int, tuple[float, float]]]:
    """(track id, centroid) of the frame's tracked targets that are not rejected, in id order."""
    version = store.version()
    cached_version, frames = _CENTROIDS.get(store, (None, None))
    if cached_version != version or len(frames) > _CACHED_FRAMES:
        frames = {}
        _CENTROIDS[store] = (version, frames)
    key = (sequence_id, frame)
    if key not in frames:
        frames[key] = [
            (int(t.track_id), (float(t.centroid[0]), float(t.centroid[1])))
            for t in store.targets(sequence_id, frame=frame)
            if t.status != "rejected" and t.track_id is not None
        ]
    return frames[key]


class TrailItem(pg.GraphicsObject):
    """Polylines through centroids, drawn with a thin cosmetic pen above the overlay."""

    def __init__(self):
        super().__init__()
        self.paths: list[list[tuple[float, float]]] = []
        self._rect = QRectF()
        self.setZValue(8)

    def set_paths(self, paths: list[list[tuple[float, float]]]) -> None:
        self.prepareGeometryChange()
        self.paths = [[(x + 0.5, y + 0.5) for x, y in p] for p in paths if len(p) >= 2]
        self._rect = points_rect([q for p in self.paths for q in p])
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, *args) -> None:
        pen = QPen(pg.mkColor("#ffd54f"))
        pen.setCosmetic(True)
        pen.setWidthF(1.5)
        painter.setPen(pen)
        # one call for all the segments (QPainter.drawLine is drawLines of one line)
        painter.drawLines(
            [QLineF(x0, y0, x1, y1) for path in self.paths
             for (x0, y0), (x1, y1) in zip(path, path[1:])]
        )  # fmt: skip
