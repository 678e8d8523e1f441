"""Menus and keyboard shortcuts of the main window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from label_irst.errors import LabelIrstError

KEYS = {
    "confirm": ("Space", "Return", "Enter"),
    "reject": ("Delete", "Backspace"),
    "undo": ("Ctrl+Z",),
    "redo": ("Ctrl+Shift+Z", "Ctrl+Y"),
    "next": ("Right", "PgDown"),
    "prev": ("Left", "PgUp"),
    "play": ("P",),
    "seed": ("S",),
    "brush": ("B",),
    "erase": ("E",),
    "smaller": ("[",),
    "larger": ("]",),
    "accept": ("A",),
    "reject_review": ("R",),
    "grid": ("G",),
    "prelabel": ("Ctrl+Shift+P",),
}


def _open(window, path, project=None) -> None:
    try:
        window.open_path(path, project)
    except LabelIrstError as exc:
        QMessageBox.warning(window, "Cannot open", str(exc))


def build_actions(window) -> dict[str, QAction]:
    """Create the menus; return the actions by name (tests trigger them directly)."""
    acts: dict[str, QAction] = {}

    def add(menu, name: str, text: str, slot) -> QAction:
        action = QAction(text, window)
        keys = KEYS.get(name, ())
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        window.addAction(action)
        acts[name] = action
        return action

    def ask_folder():
        folder = QFileDialog.getExistingDirectory(window, "Open a folder of frames")
        if folder:
            _open(window, folder)

    def ask_file():
        path, _ = QFileDialog.getOpenFileName(
            window, "Open a video or image", "", "Video or image (*.mp4 *.avi *.mkv *.mov "
            "*.png *.tif *.tiff *.bmp *.jpg);;All files (*)"
        )  # fmt: skip
        if path:
            _open(window, path)

    def ask_project():
        path, _ = QFileDialog.getOpenFileName(window, "Open a project", "", "Project (*.lirst)")
        if path:
            _open(window, path)

    def new_project():
        path, _ = QFileDialog.getSaveFileName(window, "New project", "", "Project (*.lirst)")
        if not path:
            return
        folder = QFileDialog.getExistingDirectory(window, "Frames of the new project")
        if folder:
            _open(window, folder, Path(path).with_suffix(".lirst"))

    def export():
        folder = QFileDialog.getExistingDirectory(window, "Export masks to")
        if folder:
            window.export_masks(Path(folder))

    def convert_folder():
        folder = QFileDialog.getExistingDirectory(
            window, "Boxes of this sequence (Pascal-VOC .xml or YOLO .txt folder)"
        )
        if folder:
            window.convert_boxes(Path(folder))

    def convert_coco():
        path, _ = QFileDialog.getOpenFileName(
            window, "Boxes of this sequence (COCO)", "", "COCO (*.json)"
        )
        if path:
            window.convert_boxes(Path(path), "coco")

    def prelabel():
        if window.workspace is None:
            window.statusBar().showMessage("open a sequence first", 5000)
            return
        from label_irst.gui.prelabel import default_model

        path, _ = QFileDialog.getOpenFileName(
            window, "RPR-Net model (metadata record)", str(default_model()),
            "RPR-Net model (*.json);;All files (*)",
        )  # fmt: skip
        if path:
            window.prelabel_sequence(Path(path))

    def brush_size(delta: float):
        box = window.parameters.brush
        box.setValue(max(box.minimum(), box.value() + delta))

    def toggle_grid():
        window.detail_view.show_grid = not window.detail_view.show_grid
        if window.annotator is not None and window.annotator.frame is not None:
            window.refresh_region()

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
    add(menu, "export", "Export masks (0/255 PNG)…", export)
    menu.addSeparator()
    add(menu, "quit", "Quit", window.close)

    menu = window.menuBar().addMenu("&Edit")
    add(menu, "confirm", "Confirm target", window.confirm)
    add(menu, "reject", "Reject target", window.reject)
    add(menu, "undo", "Undo stroke", window.undo)
    add(menu, "redo", "Redo stroke", window.redo)
    menu.addSeparator()
    add(menu, "seed", "Seed tool", lambda: window.parameters.set_tool("seed"))
    add(menu, "brush", "Brush tool", lambda: window.parameters.set_tool("brush"))
    add(menu, "erase", "Erase tool", lambda: window.parameters.set_tool("erase"))
    add(menu, "smaller", "Smaller brush", lambda: brush_size(-0.5))
    add(menu, "larger", "Larger brush", lambda: brush_size(0.5))

    menu = window.menuBar().addMenu("&Sequence")
    add(menu, "next", "Next frame", lambda: window.step(1))
    add(menu, "prev", "Previous frame", lambda: window.step(-1))
    add(menu, "play", "Play / pause", window.navigation.toggle_play)
    menu.addSeparator()
    add(menu, "prelabel", "Pre-annotate with RPR-Net…", prelabel)

    menu = window.menuBar().addMenu("&Review")
    add(menu, "accept", "Accept candidate", lambda: window.review_step(True))
    add(menu, "reject_review", "Reject candidate", lambda: window.review_step(False))

    menu = window.menuBar().addMenu("&View")
    add(menu, "grid", "Pixel grid", toggle_grid)
    return acts


def _fill_recent(window, menu) -> None:
    menu.clear()
    for path in window.prefs.recent():
        action = menu.addAction(path)
        action.triggered.connect(lambda *_, p=path: _open(window, p))
