"""The loop's work off the GUI thread and its undo step (:mod:`label_irst.gui.loop` drives them).

* :class:`ReannotateWorker`: the shared pre-annotation pipeline
  (:func:`label_irst.infer.pipeline.run_sequence`, tracks linked) over every sequence of the
  project with the adapted model, in its own read-only connection; it writes nothing and hands
  the linked sequences (:class:`Collected`) to the GUI thread. Its :class:`PausableJob` waits at
  the next frame while paused.
* :class:`ReannotationEdit`: the stored re-annotation as one undo step, the model candidates it
  replaced and the ones it stored swapped back in one transaction
  (:func:`label_irst.io.project_swap.swap_targets`).
* :func:`frames_of` and :func:`model_candidates`: which frames a re-annotation writes (never a
  reviewed one) and what it replaces there.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QUndoCommand

from label_irst.errors import LabelIrstError
from label_irst.job import Job


class PausableJob(Job):
    """A :class:`Job` that waits at its next progress report while ``running`` is clear (and
    not cancelled): the pipeline stops at the next frame and goes on where it stopped."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.running = threading.Event()
        self.running.set()
        self.pause = lambda: not self.running.is_set()


class Collected:
    """The worker's sink: it keeps each linked sequence (and each untracked frame) to be stored
    later on the GUI thread; it writes nothing."""

    def __init__(self):
        self.tracked: list = []  # (sequence, Tracked)
        self.frames: list = []  # (sequence, FrameResult) of sequences not linked (image sets)

    def resume_from(self, seq):
        from label_irst.infer.sinks import Resume

        return Resume()

    def write_frame(self, seq, frame) -> None:
        if frame.results is not None:
            self.frames.append((seq, frame))

    def finish_sequence(self, seq, done, tracked, complete: bool) -> int:
        if tracked is None:
            return 0
        self.tracked.append((seq, tracked))
        return len(tracked.summary)


class ReannotateWorker(QThread):
    """Pre-annotates every sequence of the project with ``model`` (the shared pipeline, tracks
    linked), writing nothing; ``collected`` carries what to store."""

    progress = Signal(int, int)
    collected = Signal(object)  # a Collected
    failed = Signal(str)

    def __init__(self, project: Path, model: Path, convention, edgsp_model, threads: int = 2):
        super().__init__()
        self.project, self.model = Path(project), Path(model)
        self.convention, self.edgsp_model, self.threads = convention, edgsp_model, threads
        self.job = PausableJob(progress=self.progress.emit)

    def run(self) -> None:
        try:
            sink = self._run()
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
            return
        except Exception as exc:  # a bug must end the loop, not leave it running for ever
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            raise
        self.collected.emit(sink)

    def _run(self) -> Collected:
        from label_irst.core.convention import Convention
        from label_irst.infer.decode import DEFAULT_THRESHOLD
        from label_irst.infer.pipeline import Progress, UnitOptions, run_sequence
        from label_irst.infer.project import project_sequences
        from label_irst.infer.session import load_model
        from label_irst.infer.tracks import DEFAULT_TRACKING
        from label_irst.io.project import ProjectStore

        model = load_model(self.model, "auto", self.threads)
        threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
        opts = UnitOptions(
            DEFAULT_TRACKING.low, grow=True, tracker=DEFAULT_TRACKING,
            convention=self.convention or Convention(), edgsp_model=self.edgsp_model,
            still_threshold=threshold,
        )  # fmt: skip
        with ProjectStore.open(self.project, readonly=True) as store:
            seqs = project_sequences(store)
        sink = Collected()
        try:
            progress = Progress(self.job, sum(len(s.stems()) for s in seqs))
            for seq in seqs:
                report = run_sequence(seq, model, opts, sink, self.job, progress=progress)
                if report.warnings:
                    raise LabelIrstError(report.warnings[0])
                if self.job.cancelled:
                    break
        finally:
            for seq in seqs:
                seq.close()
        return sink


class ReannotationEdit(QUndoCommand):
    """The loop's re-annotation as one undo step: the model candidates it replaced and the ones
    it stored (each side restored under its own ids, in one transaction)."""

    def __init__(self, controller, store, before: list, after: list, text: str):
        super().__init__(text)
        self.controller, self.store = controller, store
        self.before, self.after = before, after
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._swap(self.before, self.after)

    def undo(self) -> None:
        self._swap(self.after, self.before)

    def _swap(self, out: list, back: list) -> None:
        from label_irst.io.project_swap import swap_targets

        ws = self.controller.window.workspace
        if ws is None or ws.store is not self.store:
            return
        swap_targets(self.store, [t.id for t in out], back)
        self.controller.refresh_window()


def frames_of(sink: Collected, reviewed: dict) -> list[tuple[int, int]]:
    """(sequence id, frame) of every frame the re-annotation writes (not the reviewed ones)."""
    out = []
    for seq, tracked in sink.tracked:
        out += [(seq.sequence_id, t) for t, *_ in tracked.writes]
    out += [(seq.sequence_id, frame.t) for seq, frame in sink.frames]
    return sorted({(s, t) for s, t in out if t not in reviewed.get(s, ())})


def model_candidates(store, frames: list[tuple[int, int]]) -> list:
    """The model candidates on ``frames`` (what a re-annotation replaces)."""
    wanted: dict[int, set[int]] = {}
    for sid, t in frames:
        wanted.setdefault(sid, set()).add(t)
    return [
        t
        for sid, idx in wanted.items()
        for t in store.targets(sid)
        if t.frame in idx and t.source == "model" and t.status == "candidate"
    ]
