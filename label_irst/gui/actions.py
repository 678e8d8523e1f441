"""Menus and keyboard shortcuts of the main window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from label_irst.errors import LabelIrstError
from label_irst.gui import mask_tools

#: name -> (keys, what it does); the Help sheet and the README's key table list these (the
#: track keys' actions are made by :mod:`label_irst.gui.track_dock`)
KEYS = {
    "confirm": (("Space", "Return", "Enter"), "confirm the selected target"),
    "delete": (("Delete", "Backspace"), "delete the selected target (Ctrl+Z restores it)"),
    "reject": (("Ctrl+Delete",), "reject the selected target (kept hidden, restorable)"),
    "restore": (("Shift+R",), "restore the selected rejected target as a candidate"),
    "reseed": (("Shift+S",), "re-seed the selected target at its seed (Shift+click: at the click)"),
    "undo": (
        ("Ctrl+Z",),
        "undo the last edit (seed, re-seed, brush, grow / shrink, box, polygon, confirm, reject, "
        "delete, a whole-track T, X, K or M, convention reset or freeze)",
    ),
    "redo": (("Ctrl+Shift+Z", "Ctrl+Y"), "redo"),
    "next": (("Right", "PgDown"), "next frame"),
    "prev": (("Left", "PgUp"), "previous frame"),
    "play": (("P",), "play / pause"),
    "first": (("Home",), "first frame"),
    "last": (("End",), "last frame"),
    "go_to": (("Ctrl+G",), "go to a frame (type its number, Enter)"),
    "next_candidates": (("N",), "next frame with candidates to review"),
    "prev_candidates": (("Shift+N",), "previous frame with candidates to review"),
    "seed": (("S",), "seed tool: a click selects a target or seeds a new one"),
    "brush": (("B",), "brush tool"),
    "erase": (("E",), "eraser tool"),
    "box_tool": (("D",), "box tool: drag a box around a large target (box generator → mask)"),
    "polygon_tool": (
        ("L",),
        "polygon tool: click the vertices, then the first one (or L) to close (large targets)",
    ),
    "smaller": (("[",), "smaller brush"),
    "larger": (("]",), "larger brush"),
    "accept": (("A",), "review queue: accept the candidate and go to the next"),
    "reject_review": (("R",), "review queue: reject the candidate and go to the next"),
    "mark_reviewed": (
        ("V",),
        "mark the frame reviewed (every target in it labelled) or not; the loop learns from "
        "reviewed frames",
    ),
    "loop_now": (
        ("Ctrl+Shift+L",),
        "the loop now: adapt the detector on the reviewed frames, then re-annotate the "
        "unreviewed ones (Pause, Cancel; one undo step)",
    ),
    "confirm_track": (
        ("T",),
        "Tracks: confirm the track of the selected target (or of the row chosen in the track "
        "list, or of the review queue's head), then go to the next candidate track",
    ),
    "reject_track": (("X",), "Tracks: reject the whole track (the same track as T)"),
    "split_track": (
        ("K",),
        "Tracks: split the selected target's track at the current frame (later frames get a "
        "new track id)",
    ),
    "merge_tracks": (
        ("M",),
        "Tracks: merge the tracks chosen in the track list (Ctrl-click) with the selected target's",
    ),
    "grow": (("=",), "grow the selected mask by one pixel"),
    "shrink": (("-",), "shrink the selected mask by one pixel"),
    "grow_track": (("Ctrl+=",), "grow every candidate of the selected target's track by one pixel"),
    "shrink_track": (("Ctrl+-",), "shrink every candidate of the selected target's track"),
    "rs_smaller": ((",",), "grow the selected target again with a smaller Rs (this target only)"),
    "rs_larger": ((".",), "grow the selected target again with a larger Rs (this target only)"),
    "grid": (("G",), "pixel grid"),
    "fit": (("F",), "whole frame in the global view (the wheel zooms it)"),
    "hide": (("H",), "hide / show the mask overlay"),
    "outline": (("O",), "overlay: outline only / filled"),
    "show_rejected": (("Shift+H",), "show rejected targets"),
    "views": (("Escape",), "back to the views (keys act on the annotation again)"),
    "open_folder": (("Ctrl+O",), "open a folder of frames"),
    "open_project": (("Ctrl+Shift+O",), "open a project"),
    "export_dataset": (("Ctrl+Shift+E",), "export a dataset (every format of the command line)"),
    "prelabel": (("Ctrl+Shift+P",), "pre-annotate the sequence with RPR-Net"),
    "prelabel_lesps": (
        ("Ctrl+Alt+P",),
        "pre-annotate image by image with the LESPS segmenter (image sets)",
    ),
    "shortcuts": (("F1",), "this sheet"),
    "quit": (("Ctrl+Q",), "quit"),
}


def open_or_warn(window, path, project=None) -> None:
    try:
        window.open_path(path, project)
    except LabelIrstError as exc:
        QMessageBox.warning(window, "Cannot open", str(exc))


def build_actions(window, navigation) -> dict[str, QAction]:
    """Create the menus; return the actions by name (tests trigger them directly). The
    Sequence menu drives ``navigation`` (the window's navigation bar)."""
    acts: dict[str, QAction] = {}

    def add(menu, name: str, text: str, slot) -> QAction:
        action = QAction(text, window)
        keys = KEYS.get(name, ((), ""))[0]
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(lambda *_: None if action.isCheckable() else slot())
        menu.addAction(action)
        window.addAction(action)
        acts[name] = action
        return action

    def ask_folder():
        folder = QFileDialog.getExistingDirectory(
            window, "Open a folder of frames", window.start_folder()
        )
        if folder:
            open_or_warn(window, folder)

    def ask_file():
        path, _ = QFileDialog.getOpenFileName(
            window, "Open a video or image", window.start_folder(), "Video or image (*.mp4 "
            "*.avi *.mkv *.mov *.png *.tif *.tiff *.bmp *.jpg);;All files (*)"
        )  # fmt: skip
        if path:
            open_or_warn(window, path)

    def ask_project():
        path, _ = QFileDialog.getOpenFileName(
            window, "Open a project", window.start_folder(), "Project (*.lirst)"
        )
        if path:
            open_or_warn(window, path)

    def new_project():
        path, _ = QFileDialog.getSaveFileName(
            window, "New project", window.start_folder(), "Project (*.lirst)"
        )
        if not path:
            return
        folder = QFileDialog.getExistingDirectory(window, "Frames of the new project")
        if folder:
            open_or_warn(window, folder, Path(path).with_suffix(".lirst"))

    def export():
        folder = QFileDialog.getExistingDirectory(window, "Export masks to", window.start_folder())
        if folder:
            window.export_masks(Path(folder))

    def convert_folder():
        folder = QFileDialog.getExistingDirectory(
            window, "Boxes of this sequence (Pascal-VOC .xml or YOLO .txt folder)",
            window.start_folder(),
        )  # fmt: skip
        if folder:
            window.convert_boxes(Path(folder))

    def convert_coco():
        path, _ = QFileDialog.getOpenFileName(
            window, "Boxes of this sequence (COCO)", window.start_folder(), "COCO (*.json)"
        )
        if path:
            window.convert_boxes(Path(path), "coco")

    def prelabel(ask):  # False: the project's detector, True: pick one, "lesps": the segmenter
        from label_irst.gui import prelabel

        if window.workspace is None:
            window.statusBar().showMessage("open a sequence first", 5000)
            return
        model = prelabel.project_model(window) if ask != "lesps" else prelabel.segmenter_model()
        if ask is True:
            model = prelabel.choose_model(window, model)  # lists detector models only
            if model is None:
                return
        window.prelabel_sequence(model)

    def export_dataset():
        from label_irst.gui.export_dialog import ask_and_export

        ask_and_export(window)

    def polygon_key():
        if window.session.tool == "polygon" and window.shapes.vertices:
            window.shapes.close_polygon()
        else:
            window.session.tool = "polygon"

    def go_to_frame():
        box = navigation.go_to
        box.setFocus()
        box.selectAll()

    def candidates_frame(step: int):
        index = window.session.next_frame_with(step)
        if index is None:
            window.statusBar().showMessage(
                f"no frame with candidates {'after' if step > 0 else 'before'} this one", 3000
            )
            return
        window.show_frame(index)

    def brush_size(delta: float):
        window.session.brush += delta

    def toggle_grid():
        window.session.set_overlay(grid=not window.session.overlay.grid)

    def checkable(action: QAction, checked: bool, slot) -> QAction:
        action.setCheckable(True)
        action.setChecked(checked)
        action.toggled.connect(slot)
        return action

    menu = window.menuBar().addMenu("&File")
    add(menu, "new", "New project…", new_project)
    add(menu, "open_folder", "Open folder…", ask_folder)
    add(menu, "open_file", "Open video or image…", ask_file)
    add(menu, "open_project", "Open project…", ask_project)
    recent = menu.addMenu("Recent projects")
    recent.aboutToShow.connect(lambda: _fill_recent(window, recent))
    menu.addSeparator()
    add(menu, "convert", "Convert boxes (VOC / YOLO folder)…", convert_folder)
    add(menu, "convert_coco", "Convert boxes (COCO json)…", convert_coco)
    add(menu, "export_dataset", "Export dataset (SIRSTD-Pixel, SIRST, COCO, labelme, CSV)…",
        export_dataset)  # fmt: skip
    add(menu, "export", "Export masks (0/255 PNG)…", export)
    menu.addSeparator()
    add(menu, "quit", "Quit", window.close)

    menu = window.menuBar().addMenu("&Edit")
    add(menu, "undo", "Undo", window.edits.undo)
    add(menu, "redo", "Redo", window.edits.redo)
    menu.addSeparator()
    add(menu, "confirm", "Confirm target", window.edits.confirm)
    add(menu, "reject", "Reject target", window.edits.reject)
    add(menu, "restore", "Restore rejected target", window.edits.restore)
    add(menu, "delete", "Delete target", window.edits.delete)
    add(menu, "reseed", "Re-seed target", window.edits.reseed)
    menu.addSeparator()
    add(menu, "grow", "Grow mask", lambda: mask_tools.morph(window, True))
    add(menu, "shrink", "Shrink mask", lambda: mask_tools.morph(window, False))
    add(
        menu,
        "grow_track",
        "Grow the track's candidates",
        lambda: mask_tools.morph(window, True, True),
    )
    add(menu, "shrink_track", "Shrink the track's candidates",
        lambda: mask_tools.morph(window, False, True))  # fmt: skip
    add(menu, "rs_smaller", "Smaller Rs for this target", lambda: mask_tools.support(window, False))
    add(menu, "rs_larger", "Larger Rs for this target", lambda: mask_tools.support(window, True))
    menu.addSeparator()
    add(menu, "seed", "Seed tool", lambda: setattr(window.session, "tool", "seed"))
    add(menu, "brush", "Brush tool", lambda: setattr(window.session, "tool", "brush"))
    add(menu, "erase", "Erase tool", lambda: setattr(window.session, "tool", "erase"))
    add(menu, "box_tool", "Box tool", lambda: setattr(window.session, "tool", "box"))
    add(menu, "polygon_tool", "Polygon tool", polygon_key)
    add(menu, "smaller", "Smaller brush", lambda: brush_size(-1))
    add(menu, "larger", "Larger brush", lambda: brush_size(1))

    menu = window.menuBar().addMenu("&Sequence")
    add(menu, "next", "Next frame", lambda: window.step(1))
    add(menu, "prev", "Previous frame", lambda: window.step(-1))
    add(menu, "play", "Play / pause", navigation.toggle_play)
    add(menu, "first", "First frame", lambda: navigation.jump(0))
    add(menu, "last", "Last frame", lambda: navigation.jump(-1))
    add(menu, "go_to", "Go to frame…", go_to_frame)
    add(menu, "next_candidates", "Next frame with candidates", lambda: candidates_frame(1))
    add(menu, "prev_candidates", "Previous frame with candidates", lambda: candidates_frame(-1))
    menu.addSeparator()
    carry = add(menu, "carry", "Frames form a sequence (carry confirmed targets)", lambda: None)
    checkable(carry, False, window.set_carries)
    menu.aboutToShow.connect(lambda: _sync_carry(window, carry))
    menu.addSeparator()
    add(menu, "prelabel", "Pre-annotate with RPR-Net", lambda: prelabel(False))
    add(menu, "prelabel_lesps", "Pre-annotate image by image with LESPS",
        lambda: prelabel("lesps"))  # fmt: skip
    add(menu, "prelabel_other", "Pre-annotate with another model…", lambda: prelabel(True))

    menu = window.menuBar().addMenu("&Review")
    add(menu, "accept", "Accept candidate", lambda: window.review_step(True))
    add(menu, "reject_review", "Reject candidate", lambda: window.review_step(False))
    menu.addSeparator()
    checkable(add(menu, "mark_reviewed", "Mark frame reviewed", lambda: None), False,
              lambda on: window.reviewed.set_current(on))  # fmt: skip
    checkable(add(menu, "auto_reviewed", "Mark a frame reviewed when its last candidate is "
                  "resolved and I step on", lambda: None), window.prefs.auto_reviewed(),
              window.prefs.set_auto_reviewed)  # fmt: skip
    menu.addSeparator()
    add(menu, "loop_now", "Adapt the detector and re-annotate now", lambda: window.loop.start())
    add(menu, "loop_every", "Adapt after every K reviewed frames…", lambda: window.loop.ask_every())

    menu = window.menuBar().addMenu("&View")
    add(menu, "grid", "Pixel grid", toggle_grid)
    add(menu, "fit", "Whole frame", window.views.global_view.fit)
    checkable(add(menu, "hide", "Hide masks", lambda: None), False,
              lambda on: window.session.set_overlay(hidden=on))  # fmt: skip
    checkable(add(menu, "outline", "Masks as outlines", lambda: None),
              window.session.overlay.outline,
              lambda on: window.session.set_overlay(outline=on))  # fmt: skip
    checkable(add(menu, "show_rejected", "Show rejected targets", lambda: None), False,
              window.edits.set_show_rejected)  # fmt: skip
    add(menu, "views", "Focus the views", window.focus_views)

    menu = window.help_menu = window.menuBar().addMenu("&Help")
    add(menu, "shortcuts", "Keyboard shortcuts", lambda: _shortcuts(window))
    return acts


def _sync_carry(window, action: QAction) -> None:
    action.blockSignals(True)
    action.setChecked(window.carries())
    action.setEnabled(window.workspace is not None)
    action.blockSignals(False)


def _shortcuts(window) -> None:
    from label_irst.gui.help import ShortcutSheet

    window._shortcut_sheet = ShortcutSheet(KEYS, window)
    window._shortcut_sheet.show()


def _fill_recent(window, menu) -> None:
    from label_irst.gui.settings import recent_label

    menu.clear()
    for path in window.prefs.recent():
        action = menu.addAction(recent_label(path))
        action.setToolTip(path)
        action.triggered.connect(lambda *_, p=path: open_or_warn(window, p))
