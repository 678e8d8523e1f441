"""The track list of the open sequence (a dock) and the keys that act on whole tracks.

Each row is one track (:func:`label_irst.batch.tracks.stored_track_rows`): id, frames (first-last),
number of targets, status, score (the mean RPR-Net detection score of its targets
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
    QMessageBox,
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
from label_irst.gui.panels import add_dock
from label_irst.gui.review import queue_rows, review_queue
from label_irst.gui.track_edits import describe_merge, track_edit, write
from label_irst.gui.trails import TrailItem, trail_paths

#: the track keys, from the window's one key table (the Help sheet lists them)
KEYS = {name: WINDOW_KEYS[name][0][0] for name in ("confirm_track", "reject_track", "split_track",
                                                   "merge_tracks")}  # fmt: skip
COLUMNS = ("track", "frames", "targets", "status", "score", "ρ")  # means: see the tips
COLUMN_TIPS = (
    "track id (kept in exports: SIRSTD-Pixel track_id, MOT id)",
    "first–last frame of the track",
    "targets in the track (a gap in the track has none)",
    "candidate, confirmed, rejected, or how many of its targets are confirmed",
    "mean RPR-Net detection score of its detected targets (Sec. III-B); gap fills left out",
    "mean ρ (Eq. 20): how clearly its masks' edges stand out from their surroundings; "
    "low ρ: doubtful masks",
)


def _two(value: float | None) -> str:
    """A mean as a table cell: two decimals, "–" when there is none (None or NaN)."""
    return f"{value:.2f}" if value is not None and math.isfinite(value) else "–"


class TrackPanel(QWidget):
    """The table of tracks and the buttons for the track keys."""

    trackChosen = Signal(int)
    choiceChanged = Signal(list)  # the track ids chosen in the list (a merge acts on them)

    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        self.summary = QLabel("no track")
        self.choice = QLabel("")  # what M would merge now
        self.choice.setVisible(False)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for j, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(j).setToolTip(tip)
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
        layout.addWidget(self.choice)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.rows: list[TrackRow] = []
        self.current: int | None = None

    def show_rows(self, rows: list[TrackRow], current: int | None = None) -> None:
        """Fill the table (signals blocked: filling is no choice), keeping the rows the user
        chose; the current track (the selected target's) is shown in bold, not selected, so
        that stepping through frames never adds tracks to the choice a merge acts on."""
        selected = set(self.selected_tracks())
        if rows == self.rows:
            if current != self.current:  # only the bold row moves (a step to another track)
                self._bold(self.current, False)
                self._bold(current, True)
                self.current = current
            return
        self.rows, self.current = rows, current
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(len(rows))
            self.table.clearSelection()
            for i, r in enumerate(rows):
                cells = (str(r.track_id), f"{r.first + 1}–{r.last + 1}", str(r.frames), r.status,
                         _two(r.mean_score), _two(r.mean_rho))  # fmt: skip
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, r.track_id)
                    if r.track_id == current:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                    self.table.setItem(i, j, item)
                if r.track_id in selected:
                    self._add_row(i)
        finally:
            self.table.blockSignals(False)
        self.table.resizeColumnsToContents()  # every column in view in a narrow dock
        done = sum(r.status == "confirmed" for r in rows)
        self.summary.setText(f"{len(rows)} track(s) · {done} confirmed")
        self.choiceChanged.emit(self.selected_tracks())

    def _bold(self, track_id: int | None, on: bool) -> None:
        ids = [r.track_id for r in self.rows]
        if track_id not in ids:
            return
        i = ids.index(track_id)
        for j in range(self.table.columnCount()):
            item = self.table.item(i, j)
            font = item.font()
            font.setBold(on)
            item.setFont(font)

    def clear_choice(self) -> None:
        """Nothing chosen any more (after a whole-track edit)."""
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)
        self.choiceChanged.emit([])

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
        self.choiceChanged.emit(chosen)
        if len(chosen) == 1:
            self.trackChosen.emit(chosen[0])


class TrackDock:
    """The dock, its menu and keys, wired to a :class:`label_irst.gui.main_window.MainWindow`."""

    def __init__(self, window, views):
        self.window = window
        self.panel = TrackPanel()
        self.dock = add_dock(window, self.panel, "Tracks", Qt.DockWidgetArea.RightDockWidgetArea)
        self.panel.trackChosen.connect(self.go_to)
        self.panel.choiceChanged.connect(
            lambda tracks: setattr(window.session, "merge_choice", tracks)
        )
        window.session.events.merge.connect(self.show_choice)
        window.session.events.selection.connect(lambda _: self.show_choice())
        self.trails = [TrailItem(), TrailItem()]  # short track paths on both views
        for view, trail in zip(views, self.trails):
            view.box.addItem(trail)
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
        if not w.carries():  # unrelated pictures: a confirmed target is no one-frame "track"
            rows = [r for r in rows if r.frames > 1]
        self.panel.show_rows(rows, self.selected_track())
        if not rows and not w.carries():
            self.panel.summary.setText("unrelated pictures: no tracks (Sequence › Frames form "
                                       "a sequence)")  # fmt: skip
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

    def _edit(self, text: str, edit):
        """Run a whole-track edit as one step of the window's undo history; returns its
        result (a LabelIrstError goes to the caller, nothing changed)."""
        w = self.window
        result, changes = track_edit(w.workspace.store, w.workspace.sequence_id, edit)
        w.history.record_tracks(text, changes, self._write)
        self.panel.clear_choice()
        return result

    def _write(self, changes, after: bool) -> None:
        """Undo or redo of a whole-track edit: write one side, show it on the current frame."""
        if not self._ready():
            return
        w = self.window
        write(w.workspace.store, changes, after)
        selected = w.annotator.selected
        w.annotator.reload()
        w.annotator.select(selected)
        w.refresh_masks()
        self.refresh()
        verb = "redone" if after else "undone"
        self.message(f"track edit {verb}: {len(changes)} target(s)")

    def unseen_gap_fills(self, track: int) -> list:
        """The track's gap-filled candidates the annotator has not looked at yet, by frame."""
        seen = self.window.session.seen
        rows = [r for r in self._queue_rows() if r.track_id == track and r.gap
                and r.status == "candidate" and r.id not in seen]  # fmt: skip
        return sorted(rows, key=lambda r: r.frame)

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
        unseen = self.unseen_gap_fills(track) if status == "confirmed" else []
        if unseen:  # a prediction, not a detection: shown before the track is confirmed
            first = unseen[0]
            w.go_to_target(first.frame, first.id)
            self.message(
                f"track {track}: frame {first.frame + 1} is a gap fill (no detection, score "
                f"{first.score:.2f}); look at it, then {KEYS['confirm_track']} again "
                f"({len(unseen)} unseen)"
            )
            return
        store, sid = w.workspace.store, w.workspace.sequence_id
        n = self._edit(f"{status} track {track}",
                       lambda: set_track_status(store, sid, track, status))  # fmt: skip
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
        store, sid, here = w.workspace.store, w.workspace.sequence_id, w.annotator.frame.index
        try:
            new = self._edit(f"split track {track}",
                             lambda: split_track(store, sid, track, here))  # fmt: skip
        except LabelIrstError as exc:
            self.message(str(exc))
            return
        self._reload(new)
        self.message(f"track {track} split: frames from here on are track {new}")

    def show_choice(self, *_) -> None:
        """Under the summary: the tracks M would merge now, or how to choose them."""
        chosen = self.merge_choice() if self._ready() else []
        key = KEYS["merge_tracks"]
        self.panel.choice.setVisible(bool(chosen))
        self.panel.choice.setText(
            f"{key} merges tracks {' + '.join(map(str, chosen))}" if len(chosen) >= 2 else
            f"Ctrl-click two tracks to merge them ({key})" if chosen else ""
        )  # fmt: skip

    def merge_choice(self) -> list[int]:
        """The tracks a merge acts on: those chosen in the list (two or more), or the one
        chosen there with the selected target's; never tracks the user did not choose."""
        chosen = set(self.window.session.merge_choice)
        target = self.window.annotator.selected_target()
        if len(chosen) == 1 and target is not None and target.track_id is not None:
            chosen.add(int(target.track_id))
        return sorted(chosen)

    def merge(self) -> None:
        if not self._ready():
            return
        chosen = self.merge_choice()
        if len(chosen) < 2:
            self.message("choose the tracks to merge in the track list (Ctrl-click), then "
                         f"{KEYS['merge_tracks']}")  # fmt: skip
            return
        w = self.window
        store, sid = w.workspace.store, w.workspace.sequence_id
        rows = [r for r in stored_track_rows(store, sid) if r.track_id in chosen]
        mixed = len({r.status for r in rows}) > 1
        if not ask_merge(w, describe_merge(rows, chosen[0]), mixed):
            self.message("merge cancelled")
            return
        try:
            keep = self._edit(f"merge tracks {', '.join(map(str, chosen))}",
                              lambda: merge_tracks(store, sid, chosen))  # fmt: skip
        except LabelIrstError as exc:
            self.message(str(exc))
            return
        self._reload(keep)
        self.message(f"tracks {', '.join(map(str, chosen))} merged into track {keep}")


def ask_merge(parent, text: str, mixed: bool) -> bool:
    """Show what a merge will do; tracks of different statuses need an explicit Yes (the
    default button is then No)."""
    buttons = QMessageBox.StandardButton
    if mixed:
        text += ("\n\nThese tracks do not share one status (confirmed, rejected, candidate): "
                 "merging them mixes a reviewed target with others. Merge anyway?")  # fmt: skip
    answer = QMessageBox.question(parent, "Merge tracks", text, buttons.Yes | buttons.No,
                                  buttons.No if mixed else buttons.Yes)  # fmt: skip
    return answer == buttons.Yes
