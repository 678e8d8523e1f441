"""File › Export dataset: every format of ``label-irst export`` from the app.

The project is read (read-only, so the open project stays locked to this window) and written
by the same code as the command line (:func:`label_irst.io.formats.export_dataset`), in a
worker thread with a progress dialog, atomically into a new folder. Confirmed targets only
unless "include candidates" is ticked, as on the command line. The folder picker opens at the
project's folder.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
)

from label_irst.errors import LabelIrstError
from label_irst.io.formats import EXPORT_FORMATS
from label_irst.job import Job


class DatasetExportWorker(QThread):
    progress = Signal(int, int)
    warned = Signal(str)
    succeeded = Signal(int)  # targets written
    failed = Signal(str)

    def __init__(self, project: Path, fmt: str, out: Path, candidates: bool, force: bool):
        super().__init__()
        self.project, self.fmt, self.out = Path(project), fmt, Path(out)
        self.candidates, self.force = candidates, force
        self.names = [None]  # the progress dialog's first maximum
        self.job = Job(progress=self.progress.emit, warn=self.warned.emit)

    def run(self) -> None:
        from label_irst.io.formats import export_dataset, read_dataset

        try:
            ann = read_dataset(self.project, "auto", self.job)
            statuses = ("candidate", "confirmed") if self.candidates else ("confirmed",)
            export_dataset(ann, self.fmt, self.out, force=self.force,
                           only_confirmed=not self.candidates, job=self.job)  # fmt: skip
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
            return
        self.succeeded.emit(ann.filtered(statuses).target_count)


class ExportDialog(QDialog):
    """Format, destination folder (starts at the project's folder), include candidates."""

    def __init__(self, start: str, name: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export dataset")
        self.format = QComboBox()
        self.format.addItems(list(EXPORT_FORMATS))
        self.folder = QLineEdit(str(Path(start) / f"{name}-export"))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.candidates = QCheckBox("also export candidates awaiting review")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("format", self.format)
        form.addRow("into the new folder", row)
        form.addRow("", self.candidates)
        form.addRow(buttons)
        self.start = start

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.start)
        if folder:
            self.folder.setText(str(Path(folder) / Path(self.folder.text()).name))


def export_dataset(window, out: Path, fmt: str, candidates: bool = False, force: bool = False):
    """Start the export worker with a progress dialog; returns the worker."""
    from label_irst.gui.workers import run_with_progress

    worker = DatasetExportWorker(window.workspace.store.path, fmt, out, candidates, force)
    worker.failed.connect(lambda msg: QMessageBox.warning(window, "Export failed", msg))
    worker.succeeded.connect(
        lambda n: window.statusBar().showMessage(f"exported {n} target(s) as {fmt} to {out}", 8000)
    )
    window._dataset_export = (worker, run_with_progress(window, worker, f"Exporting {fmt}"))
    return worker


def ask_and_export(window):
    if window.workspace is None:
        window.statusBar().showMessage("open a sequence first", 5000)
        return None
    dialog = ExportDialog(window.start_folder(), window.workspace.store.path.stem, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    out = Path(dialog.folder.text()).expanduser()
    force = False
    if out.exists() and any(out.iterdir()):
        answer = QMessageBox.question(
            window, "Export dataset", f"{out} is not empty. Replace its contents?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        force = True
    return export_dataset(window, out, dialog.format.currentText(), dialog.candidates.isChecked(),
                          force)  # fmt: skip
