"""The start page shown while nothing is open: open a folder, a video or a project, a recent
project (with the folder of its frames, so that two projects of the same name differ), the demo."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class StartPage(QWidget):
    openFolder = Signal()
    openFile = Signal()
    openProject = Signal()
    openDemo = Signal()
    openRecent = Signal(str)

    def __init__(self):
        super().__init__()
        title = QLabel("<h2>Label-IRST</h2>Annotate infrared small targets: click once on a "
                       "target and get its mask.")  # fmt: skip
        title.setWordWrap(True)
        buttons = QHBoxLayout()
        self.buttons = {}
        for name, text, signal in (
            ("folder", "Open a folder of frames… (Ctrl+O)", self.openFolder),
            ("file", "Open a video or image…", self.openFile),
            ("project", "Open a project… (Ctrl+Shift+O)", self.openProject),
            ("demo", "Try the demo sequence", self.openDemo),
        ):
            button = QPushButton(text)
            button.clicked.connect(signal)
            buttons.addWidget(button)
            self.buttons[name] = button
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: self.openRecent.emit(item.data(256)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Recent projects (double-click to open):"))
        layout.addWidget(self.recent, 1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)

    def show_recent(self, entries: list[tuple[str, str]]) -> None:
        """``entries``: (project path, label) pairs, newest first."""
        self.recent.clear()
        for path, label in entries:
            item = QListWidgetItem(label)
            item.setData(256, path)
            item.setToolTip(path)
            self.recent.addItem(item)
