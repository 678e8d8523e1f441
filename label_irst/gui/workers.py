"""Long work off the GUI thread: export (and box conversion, gui/convert.py) with a progress
dialog and Cancel.

The worker thread opens its own read-only connection to the project and reports through
signals only; it never touches a widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from label_irst.errors import LabelIrstError
from label_irst.io.project import ProjectStore, export_masks
from label_irst.job import Job


class ExportWorker(QThread):
    """Writes per-frame 0/255 masks of the confirmed targets (same code as the CLI)."""

    progress = Signal(int, int)
    warned = Signal(str)
    succeeded = Signal(int)
    failed = Signal(str)

    def __init__(self, project: Path, sequence_id: int, names, shapes, out_dir: Path):
        super().__init__()
        self.project, self.sequence_id = project, sequence_id
        self.names, self.shapes, self.out_dir = list(names), shapes, out_dir
        self.job = Job(progress=self.progress.emit, warn=self.warned.emit)

    def run(self) -> None:
        try:
            with ProjectStore.open(self.project, readonly=True) as store:
                n = export_masks(
                    store, self.sequence_id, self.names, self.shapes, self.out_dir, self.job
                )
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self.succeeded.emit(n)


def run_with_progress(parent: QWidget, worker: QThread, title: str) -> QProgressDialog:
    """Show a modal progress dialog for ``worker``; Cancel sets the job's cancel flag."""
    dialog = QProgressDialog(title, "Cancel", 0, max(len(worker.names), 1), parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(True)
    worker.progress.connect(lambda done, total: (dialog.setMaximum(total), dialog.setValue(done)))
    dialog.canceled.connect(worker.job.cancel.set)
    worker.finished.connect(dialog.close)
    worker.start()
    return dialog
