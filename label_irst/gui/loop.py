"""The loop in the app: after every K newly reviewed frames, adapt the project's detector on its
reviewed frames and pre-annotate the unreviewed frames again, in the background.

1. **Adapt.** The app does not import torch: ``label-irst adapt PROJECT --no-record --json``
   (:mod:`label_irst.train.project_adapt`) runs in a child process (QProcess) that only reads
   the project; its progress bar drives the status bar's progress. Pause creates the child's
   ``--pause-file``: it waits at its next optimiser step, and the wait does not count against
   its budget; Resume deletes the file; Cancel kills the child.
2. **Re-annotate.** When the new model is adopted (better than the current one on the held-back
   fifth), :class:`~label_irst.gui.loop_work.ReannotateWorker` runs the shared pipeline
   (:func:`label_irst.infer.pipeline.run_sequence`, tracks linked) with it over every sequence of
   the project, in its own read-only connection, writing nothing: it collects the linked
   sequences. Pause blocks it at the next frame, Cancel stops it.
3. **Apply.** On the GUI thread, in one go: the model is recorded for the project, the collected
   candidates are stored through :class:`label_irst.infer.sinks.ProjectSink` (so reviewed frames,
   confirmed and rejected targets are never touched and new tracks continue confirmed ones), and
   the whole re-annotation is one step of the undo history
   (:class:`~label_irst.gui.loop_work.ReannotationEdit`). Cancel at
   any point leaves the project as it was (the child's model files stay in
   ``<project>.models/``, unrecorded, as ``label-irst adapt`` leaves a model it did not adopt).

The status bar says what happened ("detector: adapted on 48 frames, held-back Pd 61 → 90 %;
212 frames re-annotated"). K is a setting (Review › Adapt after every K reviewed frames…,
default :data:`DEFAULT_EVERY`; 0: only Review › Adapt the detector and re-annotate now).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from label_irst.gui.loop_work import (
    Collected,
    ReannotateWorker,
    ReannotationEdit,
    frames_of,
    model_candidates,
)
from label_irst.io.project_reviewed import (
    LAST_ADAPTATION_KEY,
    adaptation_notes,
    last_adaptation,
    reviewed_frames,
)

#: the loop runs after every this many newly reviewed frames (the setting's default)
DEFAULT_EVERY = 20
#: the adaptation's budget in wall minutes
MINUTES = 5.0
#: torch and ONNX Runtime threads of the loop's work
THREADS = 2
#: extra ``label-irst adapt`` arguments (tests make the adaptation tiny)
EXTRA_ARGS: list[str] = []
_PROGRESS = re.compile(r"(\d+)/(\d+) \[")


class LoopPanel(QWidget):
    """The loop's progress in the status bar: what it does, a bar, Pause and Cancel."""

    def __init__(self):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(140)
        self.bar.setMaximumHeight(14)
        self.pause = QPushButton("Pause")
        self.pause.setCheckable(True)
        self.cancel = QPushButton("Cancel")
        for w in (self.label, self.bar, self.pause, self.cancel):
            layout.addWidget(w)
        self.hide()

    def show_step(self, text: str) -> None:
        self.label.setText(text)
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.show()


class LoopController(QObject):
    """Runs the loop (adapt, then re-annotate) in the background and applies its outcome."""

    #: the loop ended: "applied", "kept", "cancelled" or "failed"
    finished = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel = LoopPanel()
        window.statusBar().addPermanentWidget(self.panel)
        self.panel.pause.toggled.connect(self.pause)
        self.panel.cancel.clicked.connect(self.cancel)
        self.process: QProcess | None = None
        self.worker: ReannotateWorker | None = None
        self.summary: dict | None = None
        self.cancelled = False
        self.paused = False
        #: re-annotate also when the adapted model is not adopted (tests; the same model then
        #: links its candidates to the tracks confirmed since)
        self.reannotate_kept = False
        self._project: Path | None = None
        self._store = None
        self._baseline: dict[Path, int] = {}  # reviewed frames when a loop last ended
        self.last_message = ""
        self._running = False
        self._pause_dir: Path | None = None  # holds the child's --pause-file while it runs
        window.reviewed.changed.connect(self.note_reviewed)

    # -- when ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """From :meth:`start` until the outcome is applied or dropped (:meth:`_end`)."""
        return self._running

    def pending(self) -> int:
        """Frames reviewed since the last adaptation (of the app or of ``label-irst adapt``)."""
        ws = self.window.workspace
        if ws is None:
            return 0
        total = sum(len(f) for f in reviewed_frames(ws.store).values())
        try:
            last = json.loads(ws.store.meta(LAST_ADAPTATION_KEY) or "{}")
            done = int(last.get("reviewed_frames") or 0)
        except (ValueError, TypeError, AttributeError):
            done = 0
        return total - max(done, self._baseline.get(Path(ws.store.path), 0))

    def note_reviewed(self, _changed: int = 0) -> None:
        """After a frame was marked reviewed: start the loop once K frames are new."""
        every = self.window.prefs.loop_every()
        if every > 0 and not self.busy and self.pending() >= every:
            self.start()

    def ask_every(self) -> None:
        every, ok = QInputDialog.getInt(
            self.window, "The loop", "Adapt the detector after every K newly reviewed frames "
            "(0: only when asked):", self.window.prefs.loop_every(), 0, 100_000,
        )  # fmt: skip
        if ok:
            self.window.prefs.set_loop_every(every)

    # -- 1. adapt ----------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the loop on the open project (False: nothing to do, or already running)."""
        ws = self.window.workspace
        bar = self.window.statusBar()
        if ws is None or self.busy:
            return False
        if not reviewed_frames(ws.store):
            bar.showMessage("the loop needs reviewed frames: mark frames reviewed (V)", 8000)
            return False
        self._project, self._store = Path(ws.store.path), ws.store
        self.summary, self.cancelled, self.paused = None, False, False
        self._reviewed_at_start = sum(len(f) for f in reviewed_frames(ws.store).values())
        self._pause_dir = Path(tempfile.mkdtemp(prefix="label-irst-loop-"))
        args = ["-m", "label_irst", "adapt", str(self._project), "--no-record", "--json",
                "--minutes", str(MINUTES), "--threads", str(THREADS),
                "--pause-file", str(self.pause_file), *EXTRA_ARGS]  # fmt: skip
        for done in (self.process, self.worker):
            if done is not None:
                done.deleteLater()
        self.worker = None
        self._running = True
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setArguments(args)
        self.process.readyReadStandardError.connect(self._progress)
        self.process.finished.connect(self._adapted)
        self._stderr = ""
        self.panel.pause.setChecked(False)
        self.panel.show_step("detector: adapting…")
        self.process.start()
        return True

    def _progress(self) -> None:
        text = bytes(self.process.readAllStandardError()).decode(errors="replace")
        self._stderr = (self._stderr + text)[-4000:]
        said = re.findall(r"adapt: (paused|resumed)", text)
        if said:
            self.panel.label.setText(
                "detector: paused" if said[-1] == "paused" else "detector: adapting…"
            )
        found = _PROGRESS.findall(text)
        if found:
            done, total = found[-1]
            self.panel.bar.setRange(0, max(int(total), 1))
            self.panel.bar.setValue(int(done))

    def _adapted(self, code: int, _status) -> None:
        if self.cancelled:
            return self._end("cancelled", "the loop was cancelled; the project is as it was")
        if code != 0:
            lines = [ln for ln in self._stderr.splitlines() if "error" in ln]
            reason = lines[-1].strip() if lines else f"exit status {code}"
            return self._end("failed", f"the loop failed: {reason}")
        out = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        try:
            self.summary = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return self._end("failed", "the loop failed: no summary from label-irst adapt")
        if not self.summary.get("adopted") and not self.reannotate_kept:
            return self._apply(None)
        self._reannotate()

    # -- 2. re-annotate ----------------------------------------------------------------------
    def _reannotate(self) -> None:
        from label_irst.infer.detector_model import project_detector_model
        from label_irst.io.generator_model import project_model

        ws = self.window.workspace
        if ws is None or ws.store is not self._store:
            return self._end("cancelled", "the loop stopped: its project was closed")
        adopted = self.summary.get("adopted")
        model = Path(self.summary["model"]) if adopted else project_detector_model(ws.store)
        self.worker = ReannotateWorker(
            self._project, model, self.window.conventions.convention, project_model(ws.store),
            THREADS,
        )  # fmt: skip
        self.worker.progress.connect(self._worker_progress)
        self.worker.collected.connect(self._apply)
        self.worker.failed.connect(self._failed)
        if self.paused:
            self.worker.job.running.clear()
        self.panel.show_step("re-annotating…")
        self.worker.start()

    def _failed(self, message: str) -> None:
        self._end("failed", f"the loop failed: {message}")

    def _worker_progress(self, done: int, total: int) -> None:
        self.panel.bar.setRange(0, max(total, 1))
        self.panel.bar.setValue(done)

    # -- 3. apply ----------------------------------------------------------------------------
    def _apply(self, sink: Collected | None) -> None:
        """Record the outcome and store the re-annotation as one undo step (GUI thread)."""
        from label_irst.infer.sinks import ProjectSink
        from label_irst.io.project_settings import ProjectSettings

        ws = self.window.workspace
        if self.cancelled or (sink is not None and self.worker.job.cancelled):
            return self._end("cancelled", "the loop was cancelled; the project is as it was")
        if ws is None or ws.store is not self._store:
            return self._end("cancelled", "the loop stopped: its project was closed")
        store, s = ws.store, self.summary
        if s.get("adopted"):
            ProjectSettings(store).set_detector(s["model"])
        store.set_meta(LAST_ADAPTATION_KEY, last_adaptation(s, self._reviewed_at_start))
        figures = f"held-back Pd {_pct(s.get('current_pd'))} → {_pct(s.get('new_pd'))} %"
        if _pct(s.get("current_pd")) == _pct(s.get("new_pd")) == "–":
            figures = "no target in the held-back frames to score"
        head = (
            f"detector: adapted on {s.get('training_frames', 0)} frames, {figures}"
            if s.get("adopted")
            else f"detector: kept, {figures} ({s.get('held_back_frames', 0)} held-back frame(s))"
        )
        head = "; ".join([head, *adaptation_notes(s)])
        if sink is None:
            return self._end("kept", f"{head}; nothing re-annotated")
        project_sink = ProjectSink(store)
        frames = frames_of(sink, project_sink.reviewed)
        before = model_candidates(store, frames)
        for seq, tracked in sink.tracked:
            project_sink.finish_sequence(seq, [], tracked, True)
        for seq, frame in sink.frames:
            from label_irst.infer.project import detection_scores

            scores = detection_scores(frame.entry.get("targets", []))
            project_sink.store_frame(seq, frame.t, frame.shape, frame.results, scores)
        after = model_candidates(store, frames)
        count = len({(sid, t) for sid, t in frames})
        text = f"re-annotation of {count} frames by the loop"
        self.window.history.stack.push(ReannotationEdit(self, store, before, after, text))
        self.refresh_window()
        self._end("applied", f"{head}; {count} frames re-annotated")

    def refresh_window(self) -> None:
        """Show the project's rows again: the frame on screen, the queue, the marks."""
        w = self.window
        annotator = w.annotator
        if annotator is not None and annotator.frame is not None:
            ws = w.workspace
            annotator.targets = {
                t.id: t for t in ws.store.targets(ws.sequence_id, frame=annotator.frame.index)
            }
            annotator.select(annotator.selected if annotator.selected in annotator.targets
                             else None)  # fmt: skip
            w.refresh_masks()
        w.refresh_review()
        w.reviewed.refresh()

    # -- control -----------------------------------------------------------------------------
    @property
    def pause_file(self) -> Path | None:
        """The adapting child's ``--pause-file``: it waits while the file exists."""
        return None if self._pause_dir is None else self._pause_dir / "pause"

    def pause(self, on: bool) -> None:
        """Pause (or go on): the child waits at its next optimiser step (its budget stops
        counting), the worker at its next frame."""
        self.paused = on
        self.panel.pause.setText("Resume" if on else "Pause")
        if self.pause_file is not None:
            if on:
                self.pause_file.touch()
            else:
                self.pause_file.unlink(missing_ok=True)
        if self.worker is not None and self.worker.isRunning():
            (self.worker.job.running.clear if on else self.worker.job.running.set)()

    def cancel(self) -> None:
        """Stop the loop; nothing of it is recorded in the project."""
        if not self.busy:
            return
        self.cancelled = True
        if self.process is not None and self.process.state() != QProcess.NotRunning:
            if self.process.state() == QProcess.Starting:
                self.process.waitForStarted(10_000)
            self.process.kill()
        if self.worker is not None and self.worker.isRunning():
            self.worker.job.cancel.set()
            self.worker.job.running.set()

    def stop(self) -> None:
        """Cancel and wait (closing the window)."""
        self.cancel()
        if self.process is not None:
            self.process.waitForFinished(5000)
        if self.worker is not None:
            self.worker.wait()

    def _end(self, outcome: str, message: str) -> None:
        self._running = False
        if self._pause_dir is not None:
            shutil.rmtree(self._pause_dir, ignore_errors=True)
            self._pause_dir = None
        if self._project is not None:
            self._baseline[self._project] = self._reviewed_at_start
        self.panel.hide()
        self.last_message = message
        self.window.statusBar().showMessage(message, 20000)
        self.finished.emit(outcome)


def _pct(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if value != value else f"{value:.0f}"
