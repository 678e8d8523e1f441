"""The project's annotation convention in the app: refit in the background, show, reset, freeze.

Every reviewing edit (confirm, reject, and brush strokes or undo on a confirmed target) counts;
after REFIT_EVERY of them, or when the annotator pauses for IDLE_MS after fewer, a worker thread
gathers the project's confirmed seeded targets (:func:`label_irst.batch.convention.project_examples`, its own read-only
connection) and fits the convention (:func:`label_irst.core.convention.fit`). The result is
stored in the project by the GUI thread and used by every later click, re-seed, box conversion
and pre-annotation. Because each fit reads the confirmed targets as they are now, undo, reject
and delete are reflected by the next fit. The status bar says "convention: fitted on N targets";
the Convention menu resets it (back to the generator's defaults) or freezes it (no more refits).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from label_irst.core.convention import Convention
from label_irst.errors import LabelIrstError

REFIT_EVERY = 3
IDLE_MS = 1500


class RefitWorker(QThread):
    """Fits the convention of ``generator`` on the project's confirmed seeded targets."""

    fitted = Signal(object)
    failed = Signal(str)

    def __init__(self, project: Path, generator: str, model: str | None = None):
        super().__init__()
        self.project, self.generator, self.model = Path(project), generator, model

    def run(self) -> None:
        from label_irst.batch.convention import project_examples
        from label_irst.core.convention import fit
        from label_irst.io.project import ProjectStore

        try:
            with ProjectStore.open(self.project, readonly=True) as store:
                examples = project_examples(store)
            self.fitted.emit(fit(examples, self.generator, model=self.model))
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc))


class ConventionController(QObject):
    """Keeps the window's annotator on the project's convention and refits it as work goes on."""

    changed = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.convention: Convention | None = None
        self.edits = 0
        self._worker: RefitWorker | None = None
        self._again = False
        #: bumped by load, reset and freeze: a fit started before them is dropped
        self._generation = 0
        self._worker_generation = -1
        #: the project last loaded: opening one reads its generator, a later change records it
        self._opened = None
        self._timer = QTimer(self, singleShot=True, interval=IDLE_MS)
        self._timer.timeout.connect(self.refit)
        self.label = QLabel("")
        window.statusBar().addPermanentWidget(self.label)
        menu = window.menuBar().addMenu("&Convention")
        self.reset_action = QAction("Reset the annotation convention", window)
        self.reset_action.triggered.connect(lambda *_: self.reset())
        self.freeze_action = QAction("Freeze the annotation convention", window, checkable=True)
        self.freeze_action.toggled.connect(self.set_frozen)
        menu.addAction(self.reset_action)
        menu.addAction(self.freeze_action)

    # -- state -----------------------------------------------------------------------------
    def _store(self):
        ws = self.window.workspace
        return ws.store if ws is not None else None

    def _generator(self) -> str:
        a = self.window.annotator
        return a.generator if a is not None else self.window.generator_name

    def load(self) -> None:
        """Read the project's convention for the current generator (after opening a project or
        changing the generator) and hand it to the annotator.

        Opening a project writes nothing to it: the panel takes the project's generator where
        the project recorded one. Choosing another generator for an open project records it
        (the generator ``prelabel PROJECT`` then uses)."""
        from label_irst.io.convention import project_convention
        from label_irst.io.project_settings import ProjectSettings

        store = self._store()
        if store is None:
            self._use(None)
            return
        try:
            settings = ProjectSettings(store)
            stored = settings.generator
            if self._opened != store.path:  # a project just opened: its generator, no write
                self._opened = store.path
                if stored and stored != self._generator():
                    self._switch(stored)
            elif stored != self._generator():  # chosen for this project: `prelabel PROJECT`'s
                settings.set_generator(self._generator())
            convention = project_convention(store, self._generator())
        except LabelIrstError as exc:
            self.window.statusBar().showMessage(f"{exc}; using the defaults", 8000)
            convention = Convention(self._generator())
        self.edits = 0
        self._generation += 1
        self._use(convention)

    def _switch(self, generator: str) -> None:
        """Show the project's generator in the panel (the app's preference follows it)."""
        self.window.choose_generator(generator)  # the annotator switches and loads again

    def _use(self, convention: Convention | None) -> None:
        self.convention = convention
        if self.window.annotator is not None:
            self.window.annotator.convention = convention
        self.label.setText(convention.describe() if convention is not None else "")
        self.freeze_action.blockSignals(True)
        self.freeze_action.setChecked(bool(convention and convention.frozen))
        self.freeze_action.blockSignals(False)
        self.changed.emit(convention)

    # -- refits ----------------------------------------------------------------------------
    def note_edit(self, target=None) -> None:
        """One more edit: refit now after REFIT_EVERY of them, else once the user pauses.

        Edits of candidates (new clicks, their brush strokes) change no example and are not
        counted; confirming, rejecting, and editing or undoing on a confirmed target are."""
        if self.convention is None or self.convention.frozen:
            return
        if target is not None and target.status == "candidate":
            return
        self.edits += 1
        if self.edits >= REFIT_EVERY:
            self.refit()
        else:
            self._timer.start()

    def refit(self) -> None:
        store = self._store()
        if store is None or self.convention is None or self.convention.frozen:
            return
        self._timer.stop()
        if self.busy:
            self._again = True  # one more fit when this one ends: it may miss the latest edits
            return
        self.edits = 0
        worker = RefitWorker(store.path, self.convention.generator, self.convention.model)
        worker.fitted.connect(self._fitted)
        worker.failed.connect(lambda msg: self.window.statusBar().showMessage(msg, 8000))
        worker.finished.connect(self._finished)
        self._worker = worker
        self._worker_generation = self._generation
        worker.start()

    @property
    def busy(self) -> bool:
        return self._worker is not None and self._worker.isRunning()

    def _fitted(self, convention: Convention) -> None:
        from label_irst.io.convention import save_project_convention

        store = self._store()
        current = self.convention
        if store is None or current is None or current.frozen:
            return
        if self._worker_generation != self._generation or convention.generator != current.generator:
            return  # reset, frozen or another generator chosen while it was fitting
        save_project_convention(store, convention)
        self._use(convention)

    def _finished(self) -> None:
        if self._again:
            self._again = False
            self.refit()

    def wait(self) -> None:
        """Block until the running fit has ended (closing the window, tests)."""
        if self._worker is not None:
            self._worker.wait()

    # -- menu ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the generator's defaults; later confirmations fit a new convention."""
        from label_irst.io.convention import reset_project_convention

        store = self._store()
        if store is None:
            return
        self._timer.stop()
        self.edits = 0
        self._generation += 1
        before = self.convention
        self._use(reset_project_convention(store, self._generator()))
        self._record("reset the convention", before)

    def set_frozen(self, frozen: bool) -> None:
        from label_irst.io.convention import save_project_convention

        store = self._store()
        if store is None or self.convention is None:
            return
        from dataclasses import replace

        self._generation += 1
        before = replace(self.convention, params=dict(self.convention.params))
        self.convention.frozen = bool(frozen)
        save_project_convention(store, self.convention)
        self._use(self.convention)
        self._record("freeze the convention" if frozen else "unfreeze the convention", before)

    # -- undo ------------------------------------------------------------------------------
    def _record(self, text: str, before) -> None:
        """Put a reset or (un)freeze on the window's undo history (Ctrl+Z brings it back)."""
        from label_irst.gui.history import ConventionChange

        history = getattr(self.window, "history", None)
        if history is not None and before is not None and self.convention is not None:
            history.stack.push(ConventionChange(self.restore, text, before, self.convention))

    def restore(self, convention) -> None:
        """Store and use ``convention`` (undo / redo of a reset or a freeze)."""
        from label_irst.io.convention import save_project_convention

        store = self._store()
        if store is None:
            return
        self._timer.stop()
        self._generation += 1
        save_project_convention(store, convention)
        self._use(convention)
