"""The track list of the open sequence (a dock) and the keys that act on whole tracks.

Each row is one track (:func:`label_irst.batch.tracks.stored_track_rows`): id, frames (first-last),
length, number of targets, status, mean score (the mean RPR-Net detection score of its targets
that have one, Sec. III-B; "–" when none has, as for a track confirmed by hand; a gap-filled
frame has no detection and does not count) and mean rho (Eq. 20: how clearly the masks stand
out); the columns are sized to their contents. Selecting a row jumps to the track:
the current frame when the track is in it, else its first candidate frame, else its first frame.

Keys (menu Tracks): T confirms the track of the selected target (or of the row chosen in the
list, or of the review queue's head) and moves on to the next candidate's track; X rejects it;
K splits it at the current frame (targets from this frame on get a new track id); M merges the
tracks selected in the list (Ctrl-click), or the selected target's track with the row chosen.
Both views draw short trails of the tracks on the current frame (:mod:`label_irst.gui.trails`).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from label_irst.batch.tracks import (
    TrackRow,
    merge_tracks,
    set_track_status,
    split_track,
    stored_track_rows,
)
from label_irst.errors import LabelIrstError
from label_irst.gui.actions import KEYS as WINDOW_KEYS
from label_irst.gui.review import queue_rows, review_queue
from label_irst.gui.trails import TrailItem, trail_paths

#: the track keys, from the window's one key table (the Help sheet lists them)
KEYS = {name: WINDOW_KEYS[name][0][0] for name in ("confirm_track", "reject_track", "split_track",
                                                   "merge_tracks")}  # fmt: skip
COLUMNS = ("track", "frames", "length", "targets", "status", "mean score", "mean ρ")


def _two(value: float | None) -> str:
    """A mean as a table cell: two decimals, "–" when there is none (None or NaN)."""
    return f"{value:.2f}" if value is not None and math.isfinite(value) else "–"


class TrackPanel(QWidget):
    """The table of tracks and the buttons for the track keys."""

    trackChosen = Signal(int)

    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        self.summary = QLabel("no track")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = {}
        row = QHBoxLayout()
        for name, text in (("confirm_track", "Confirm"), ("reject_track", "Reject"),
                           ("split_track", "Split here"), ("merge_tracks", "Merge")):  # fmt: skip
            button = QPushButton(f"{text} ({KEYS[name]})")
            self.buttons[name] = button
            row.addWidget(button)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.rows: list[TrackRow] = []

    def show_rows(self, rows: list[TrackRow], current: int | None = None) -> None:
        """Fill the table (signals blocked: filling is no choice); keep ``current`` selected.
        Rows and selection unchanged (a frame step along the same tracks): nothing to do."""
        selected = set(self.selected_tracks())
        if rows == self.rows and (current is None or current in selected):
            return
        keep = selected | ({current} if current is not None else set())
        self.rows = rows
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(rows))
            self.table.clearSelection()
            for i, r in enumerate(rows):
                cells = (str(r.track_id), f"{r.first + 1}–{r.last + 1}", str(r.length),
                         str(r.frames), r.status, _two(r.mean_score), _two(r.mean_rho))  # fmt: skip
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, r.track_id)
                    self.table.setItem(i, j, item)
                if r.track_id in keep:
                    self._add_row(i)
        finally:
            self.table.blockSignals(False)
        self.table.resizeColumnsToContents()  # every column in view in a narrow dock
        done = sum(r.status == "confirmed" for r in rows)
        self.summary.setText(f"{len(rows)} track(s) · {done} confirmed")

    def _add_row(self, i: int) -> None:
        model = self.table.selectionModel()
        flags = model.SelectionFlag.Select | model.SelectionFlag.Rows
        model.select(self.table.model().index(i, 0), flags)

    def selected_tracks(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.rows[i].track_id for i in rows if i < len(self.rows)]

    def select_track(self, track_id: int) -> None:
        """Select a row as a user would (emits trackChosen)."""
        for i, r in enumerate(self.rows):
            if r.track_id == track_id:
                self.table.selectRow(i)
                return

    def _chosen(self) -> None:
        chosen = self.selected_tracks()
        if len(chosen) == 1:
            self.trackChosen.emit(chosen[0])


class TrackDock:
    """The dock, its menu and keys, wired to a :class:`label_irst.gui.main_window.MainWindow`."""

    def __init__(self, window):
        self.window = window
        self.panel = TrackPanel()
        self.dock = window._dock(self.panel, "Tracks", Qt.DockWidgetArea.RightDockWidgetArea)
        self.panel.trackChosen.connect(self.go_to)
        self.trails = [TrailItem(), TrailItem()]  # short track paths on both views
        window.global_view.box.addItem(self.trails[0])
        window.detail_view.box.addItem(self.trails[1])
        window._review_timer.timeout.connect(self.refresh)
        menu = window.menuBar().addMenu("&Tracks")
        self.actions: dict[str, QAction] = {}
        slots = {"confirm_track": lambda: self.set_status("confirmed"),
                 "reject_track": lambda: self.set_status("rejected"),
                 "split_track": self.split, "merge_tracks": self.merge}  # fmt: skip
        texts = {"confirm_track": "Confirm track", "reject_track": "Reject track",
                 "split_track": "Split track at this frame", "merge_tracks": "Merge tracks"}  # fmt: skip
        for name, slot in slots.items():
            action = QAction(texts[name], window)
            action.setShortcut(QKeySequence(KEYS[name]))
            action.triggered.connect(lambda *_, s=slot: s())
            menu.addAction(action)
            window.addAction(action)
            self.actions[name] = action
            self.panel.buttons[name].clicked.connect(lambda *_, s=slot: s())

    # -- state -----------------------------------------------------------------------------
    def _ready(self) -> bool:
        w = self.window
        return w.workspace is not None and w.annotator is not None and w.annotator.frame is not None

    def _queue_rows(self):
        return queue_rows(self.window.workspace.store, self.window.workspace.sequence_id)

    def selected_track(self) -> int | None:
        """The selected target's track, else the single row chosen in the list."""
        target = self.window.annotator.selected_target() if self._ready() else None
        if target is not None and target.track_id is not None:
            return int(target.track_id)
        chosen = self.panel.selected_tracks()
        return chosen[0] if len(chosen) == 1 else None

    def refresh(self) -> None:
        if not self._ready():
            return
        w = self.window
        rows = stored_track_rows(w.workspace.store, w.workspace.sequence_id)
        self.panel.show_rows(rows, self.selected_track())
        paths = trail_paths(w.workspace.store, w.workspace.sequence_id, w.annotator.frame.index)
        for item in self.trails:
            item.set_paths(list(paths.values()))

    def message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 4000)

    # -- actions ---------------------------------------------------------------------------
    def go_to(self, track_id: int) -> None:
        """Show the track: in this frame if it is here, else its first candidate, else its first
        target."""
        if not self._ready():
            return
        mine = sorted((t for t in self._queue_rows() if t.track_id == track_id),
                      key=lambda t: t.frame)  # fmt: skip
        if not mine:
            return
        here = self.window.annotator.frame.index
        pick = next((t for t in mine if t.frame == here), None)
        pick = pick or next((t for t in mine if t.status == "candidate"), None) or mine[0]
        self.window.go_to_target(pick.frame, pick.id)

    def _reload(self, select_track: int | None = None) -> None:
        """Reload the frame's targets from the store after a whole-track edit."""
        w = self.window
        w.show_frame(w.annotator.frame.index)
        if select_track is not None:
            here = [t for t in w.annotator.targets.values() if t.track_id == select_track]
            if here:
                w.annotator.select(here[0].id)
        w.refresh_masks()
        self.refresh()

    def set_status(self, status: str) -> None:
        if not self._ready():
            return
        track = self.selected_track()
        if track is None:
            head = [t for t in review_queue(self._queue_rows()) if t.track_id is not None]
            if not head:
                self.message("no candidate track left")
                return
            track = int(head[0].track_id)
        w = self.window
        n = set_track_status(w.workspace.store, w.workspace.sequence_id, track, status)
        self._reload()
        self.message(f"track {track}: {n} target(s) {status}")
        queue = [t for t in review_queue(self._queue_rows()) if t.track_id is not None]
        if queue:  # on to the next track waiting for review
            self.go_to(int(queue[0].track_id))

    def split(self) -> None:
        if not self._ready():
            return
        track = self.selected_track()
        if track is None:
            self.message("select a target of the track to split")
            return
        w = self.window
        try:
            new = split_track(w.workspace.store, w.workspace.sequence_id, track,
                              w.annotator.frame.index)  # fmt: skip
        except LabelIrstError as exc:
            self.message(str(exc))
            return
        self._reload(new)
        self.message(f"track {track} split: frames from here on are track {new}")

    def merge(self) -> None:
        if not self._ready():
            return
        chosen = set(self.panel.selected_tracks())
        target = self.window.annotator.selected_target()
        if target is not None and target.track_id is not None:
            chosen.add(int(target.track_id))
        w = self.window
        try:
            keep = merge_tracks(w.workspace.store, w.workspace.sequence_id, sorted(chosen))
        except LabelIrstError as exc:
            self.message(str(exc))
            return
        self._reload(keep)
        self.message(f"tracks {', '.join(map(str, sorted(chosen)))} merged into track {keep}")
