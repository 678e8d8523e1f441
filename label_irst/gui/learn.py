"""Generator › Learn from confirmed targets: fine-tune the project's EDGSP model in the background.

The app does not import torch: training runs as ``label-irst train-generator PROJECT --init
CURRENT --val-fraction HELD_OUT`` in a child process (QProcess), whose per-epoch lines drive a
progress dialog; Cancel kills it and leaves everything as it was. The child holds back a fixed
part of the confirmed targets (:func:`label_irst.core.edgsp.held_out_split`); when it ends, a
worker thread scores on those same held-back targets, from the annotator's own seeds, both the
current generator (with the project's convention) and the new model. The new model is adopted
only when it is better: it is recorded in the project (:mod:`label_irst.io.generator_model`),
the generator switches to ``edgsp`` and the convention is refitted for it. The status bar shows
both figures either way. Opening a project loads the model it recorded; if that file is gone,
the status bar says so and ``edgsp`` falls back to ``pamg+``.

It also runs on its own: after every M confirmations (Generator › Learn after every M confirmed
targets…, default 20, 0 for never) it starts in the background, without a dialog (progress in
the status bar; Generator › Cancel learning stops it), with the same adoption rule. It learns
from the targets the annotator drew or edited, and from generated masks confirmed unchanged only
as weak examples (:func:`label_irst.batch.convention.learning_examples`).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QProcess, Qt, QThread, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QProgressDialog

from label_irst.errors import LabelIrstError

MIN_TARGETS = 10
HELD_OUT = 0.2
#: the generator learns on its own after every this many confirmations (a setting)
DEFAULT_EVERY = 20
EPOCHS = 8
#: extra train-generator arguments (tests make the run tiny)
EXTRA_ARGS: list[str] = ["--per-example", "8", "--threads", "1"]
_EPOCH = re.compile(r"epoch (\d+)/(\d+)")


def mean_iou(results, examples) -> float:
    from label_irst.core.metrics import cropped_iou

    ious = [0.0 if r is None else cropped_iou(r.mask, ex.mask) for r, ex in zip(results, examples)]
    return 100.0 * float(np.mean(ious))


class CompareWorker(QThread):
    """Scores the current generator and the new model on the held-back targets."""

    compared = Signal(float, float, int)
    failed = Signal(str)

    def __init__(self, project: Path, count: int, convention, model: Path, fraction: float):
        super().__init__()
        self.project, self.count, self.convention = Path(project), count, convention
        self.model, self.fraction = Path(model), fraction

    def run(self) -> None:
        from label_irst.batch.convention import learning_examples
        from label_irst.core.edgsp import held_out_split
        from label_irst.infer.edgsp import load_edgsp
        from label_irst.io.project import ProjectStore

        try:
            with ProjectStore.open(self.project, readonly=True) as store:
                examples = learning_examples(store)[: self.count]  # the trainer's list
            _, held = held_out_split(len(examples), self.fraction)
            held = [examples[i] for i in held]
            model = load_edgsp(self.model)
            new = [model.generate(ex.image, [ex.seed], ex.support_radius)[0] for ex in held]
            current = [self._current(ex) for ex in held]
            self.compared.emit(mean_iou(new, held), mean_iou(current, held), len(held))
        except (LabelIrstError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))

    def _current(self, ex):
        try:
            return self.convention.generate(ex.image, ex.seed, ex.support_radius)
        except LabelIrstError:
            return None


class LearnController(QObject):
    """The Generator menu's learning action, its child process and the adoption check."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.process: QProcess | None = None
        self.dialog: QProgressDialog | None = None
        self.worker: CompareWorker | None = None
        self.out: Path | None = None
        self.cancelled = False
        self.last_result: tuple[float, float, int, bool] | None = None
        self.label = QLabel("")
        window.statusBar().addPermanentWidget(self.label)
        menu = window.menuBar().addMenu("&Generator")
        self.learn_action = QAction("Learn from confirmed targets…", window)
        self.learn_action.triggered.connect(lambda *_: self.start())
        menu.addAction(self.learn_action)
        every_action = QAction("Learn after every M confirmed targets…", window)
        every_action.triggered.connect(lambda *_: self.ask_every())
        menu.addAction(every_action)
        cancel_action = QAction("Cancel learning", window)
        cancel_action.triggered.connect(lambda *_: self.cancel())
        menu.addAction(cancel_action)
        #: confirmations since the last learning run (the automatic trigger counts them)
        self.confirmed_since = 0
        self.background = False

    def _store(self):
        ws = self.window.workspace
        return ws.store if ws is not None else None

    # -- the project's model ----------------------------------------------------------------
    def load(self) -> None:
        """Show the project's model (the shipped one if it recorded none); the project's
        convention carries it to whatever grows masks (:func:`label_irst.io.convention.project_convention`)."""
        from label_irst.io.generator_model import project_model

        store = self._store()
        path = project_model(store) if store is not None else None
        if path is None:
            _show(self.label, "")
        elif path.with_suffix(".json").is_file():
            _show(self.label, f"edgsp model: {path.stem}")
        else:
            message = f"{path}: the project's generator model is missing; edgsp uses pamg+"
            _show(self.label, f"edgsp model missing ({path.name}): pamg+")
            self.window.statusBar().showMessage(message, 15000)

    # -- training ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        running = self.process is not None and self.process.state() != QProcess.NotRunning
        return running or (self.worker is not None and self.worker.isRunning())

    def note_saved(self, target=None) -> None:
        """A target was saved: after every M confirmations (Generator › Learn after every M
        confirmed targets…, default :data:`DEFAULT_EVERY`; 0 turns it off) learning starts on
        its own, in the background (no dialog: progress in the status bar's label)."""
        if target is None or getattr(target, "status", None) != "confirmed":
            return
        self.confirmed_since += 1
        every = self.window.prefs.learn_every()
        if every and self.confirmed_since >= every and not self.busy:
            self.start(background=True)

    def ask_every(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        every, ok = QInputDialog.getInt(
            self.window, "Learn after every M confirmed targets",
            "Fine-tune the generator on its own after this many confirmations "
            "(0: only when asked):", self.window.prefs.learn_every(), 0, 100_000,
        )  # fmt: skip
        if ok:
            self.window.prefs.set_learn_every(every)

    def start(self, background: bool = False) -> None:
        from label_irst.batch.convention import SEEDED_SOURCES
        from label_irst.infer import edgsp as runtime
        from label_irst.io.generator_model import models_folder, project_model

        store = self._store()
        bar = self.window.statusBar()
        if store is None or self.busy:
            return
        count = sum(
            1
            for rec in store.sequences()
            for t in store.targets(rec.id, status="confirmed")
            if t.source in (*SEEDED_SOURCES, "manual") and t.mask.area > 0
        )
        if count < MIN_TARGETS:
            if background:
                return  # too few yet: the next confirmations try again
            bar.showMessage(
                f"Learning needs at least {MIN_TARGETS} confirmed targets ({count} so far)",
                8000,
            )
            return
        folder = models_folder(store.path)
        folder.mkdir(parents=True, exist_ok=True)
        self.out = folder / time.strftime("edgsp-%Y%m%d-%H%M%S")
        base = project_model(store) or runtime.model_path()
        args = ["-m", "label_irst", "train-generator", str(store.path), "--out", str(self.out),
                "--epochs", str(EPOCHS), "--val-fraction", str(HELD_OUT), "--json",
                *EXTRA_ARGS]  # fmt: skip
        if base.with_suffix(".json").is_file() and base.with_suffix(".pt").is_file():
            args += ["--init", str(base.with_suffix(".json"))]
        self.cancelled = False
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setArguments(args)
        self.process.readyReadStandardError.connect(self._progress)
        self.process.finished.connect(self._trained)
        self.confirmed_since = 0
        self.background = background
        self._stderr = ""
        if background:
            self.dialog = None
            _show(self.label, f"learning from {count} targets…")
            self.process.start()
            return
        self.dialog = QProgressDialog(
            f"Learning from {count} confirmed targets…", "Cancel", 0, EPOCHS, self.window
        )
        self.dialog.setWindowTitle("Learn from confirmed targets")
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.process.start()
        self.dialog.show()

    def _progress(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode(errors="replace")
        self._stderr = (self._stderr + text)[-4000:]
        for done, total in _EPOCH.findall(text):
            if self.background:
                _show(self.label, f"learning: epoch {done}/{total}")
            if self.dialog is not None:
                self.dialog.setMaximum(int(total))
                self.dialog.setValue(int(done))

    def cancel(self) -> None:
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            self.cancelled = True
            if self.process.state() == QProcess.Starting:
                self.process.waitForStarted(10_000)  # a process still starting ignores kill()
            self.process.kill()

    def _trained(self, code: int, _status) -> None:
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
        bar = self.window.statusBar()
        if self.cancelled or code != 0:
            self._discard(keep_model=False)
            if self.cancelled:
                bar.showMessage("Learning cancelled; the generator is unchanged", 8000)
            else:
                lines = [ln for ln in self._stderr.splitlines() if "error" in ln]
                reason = lines[-1] if lines else f"exit status {code}"
                bar.showMessage(f"Learning failed: {reason}", 15000)
            return
        out = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        try:
            summary = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            self._discard(keep_model=False)
            bar.showMessage("Learning failed: no summary from train-generator", 15000)
            return
        self._discard(keep_model=True)
        convention = self.window.conventions.convention
        if convention is None:
            from label_irst.core.convention import Convention

            convention = Convention(self.window.annotator.generator)
        bar.showMessage("Comparing the new model with the current generator…")
        self.worker = CompareWorker(
            self._store().path, int(summary["examples"]), convention,
            self.out.with_suffix(".json"), HELD_OUT,
        )  # fmt: skip
        self.worker.compared.connect(lambda new, cur, n: self._decide(new, cur, n, convention))
        self.worker.failed.connect(lambda msg: self._rejected(f"Learning: {msg}"))
        self.worker.start()

    def _discard(self, keep_model: bool) -> None:
        """Remove the checkpoint folder and, unless kept, the new model's files."""
        if self.out is None:
            return
        shutil.rmtree(self.out.with_name(self.out.name + ".train"), ignore_errors=True)
        if not keep_model:
            for suffix in (".onnx", ".json", ".pt"):
                self.out.with_suffix(suffix).unlink(missing_ok=True)

    def _rejected(self, message: str) -> None:
        self._discard(keep_model=False)
        self.window.statusBar().showMessage(message, 15000)

    def _decide(self, new: float, current: float, n: int, convention) -> None:
        from label_irst.io.generator_model import set_project_model

        store = self._store()
        name = convention.generator
        figures = f"new {new:.1f} vs {name} {current:.1f} mean IoU on {n} held-back targets"
        adopted = store is not None and new > current
        self.last_result = (new, current, n, adopted)
        if not adopted:
            self._rejected(f"Learned model not adopted: {figures}")
            _show(self.label, f"kept {name}: {current:.1f} vs new {new:.1f}",
                  f"learning: kept {name} ({figures})")  # fmt: skip
            return
        path = self.out.with_suffix(".json")
        set_project_model(store, path)
        _show(self.label, f"edgsp {new:.1f} vs {name} {current:.1f}",
              f"edgsp model: {path.stem} ({figures})")  # fmt: skip
        if not self.window.choose_generator("edgsp"):  # else it switches, loads the convention
            self.window.conventions.load()  # the convention now carries the new model
            self.window.conventions.refit()  # the margin was fitted for the old model
        self.window.statusBar().showMessage(f"Learned model adopted: {figures}", 15000)

    def stop(self) -> None:
        """Kill a running training and wait for the comparison (closing the window)."""
        self.cancel()
        if self.process is not None:
            self.process.waitForFinished(5000)
        if self.worker is not None:
            self.worker.wait()


#: the learning status in the status bar is cut to this width (full text in its tooltip), so
#: that the selected target's line beside it (with its score) keeps its room
LABEL_WIDTH = 260


def _show(label, text: str, full: str | None = None) -> None:
    """``text`` in the label, cut to ``LABEL_WIDTH``; ``full`` (else ``text``) in its tooltip."""
    label.setToolTip(full or text)
    label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, LABEL_WIDTH))
