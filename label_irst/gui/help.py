"""Help › Keyboard shortcuts: every key of the window in one table."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout

from label_irst.gui.keys import key_text

MOUSE = (
    ("click", "select the target under the click; elsewhere seed a new one (snapped to the peak)"),
    ("Shift+click", "re-seed the target under the click from there"),
    ("drag (brush / eraser)", "paint or erase the selected target in the detail view"),
    ("wheel", "zoom the detail region"),
    ("drag the region rectangle", "move the detail region"),
)


class ShortcutSheet(QDialog):
    def __init__(self, keys: dict, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(key_text(n, k), what) for n, (k, what) in keys.items() if k] + list(MOUSE)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["key / mouse", "action"])
        for i, (key, what) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(key))
            self.table.setItem(i, 1, QTableWidgetItem(what))
        self.table.setWordWrap(True)
        self.table.resizeColumnToContents(0)
        self.table.horizontalHeader().setStretchLastSection(True)  # long actions wrap, not cut
        self.table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 620)
        self.table.resizeRowsToContents()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.table.resizeRowsToContents()  # the action column's wrapped lines, at this width
