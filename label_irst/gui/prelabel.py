"""Sequence > Pre-annotate with RPR-Net: detections -> guided-PAMG candidates in the review queue.

RPR-Net (Sec. III-B) runs over the open sequence with the sliding-window encoder cache
(:class:`label_irst.infer.rprnet.SequenceRunner`); every detection (x, y, r_hat, score) seeds
guided PAMG with Rs = 5 r_hat (Sec. III-C2, :func:`label_irst.core.pamg.pamg_guided`). The
worker opens its own reader of the frames, loads the model (CUDA / TensorRT where present, else
the CPU) and only computes; it hands each frame's masks to the window by a signal, and the
window saves them as ``model`` candidates, one transaction per frame, replacing the frame's
earlier ``model`` candidates so that running it twice never duplicates them. A detection whose
seed falls inside a target already kept on that frame (confirmed, rejected, or from another
source) is dropped. Each candidate keeps its detection's score; the review queue shows them
lowest score first (:mod:`label_irst.gui.review`).

With tracking (the action's default, :data:`label_irst.infer.tracks.DEFAULT_TRACKING`) the
worker first detects in every frame at the tracker's low threshold, then links the detections
into tracks (:func:`label_irst.infer.tracks.finish_sequence`, gaps filled) and hands each
frame's masks with their track ids (``tracked``); the window stores them with project-wide
track ids, which the Tracks dock lists. Cancel links the frames read so far.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QMessageBox

from label_irst.core.pamg import GUIDED_SCALE
from label_irst.errors import LabelIrstError
from label_irst.infer.project import detection_scores, store_detections
from label_irst.infer.tracks import DEFAULT_TRACKING
from label_irst.io.sequence import open_sequence
from label_irst.job import Job

MODEL_KEY = "app.rprnet_model"


def default_model() -> Path:
    """The model shipped in ``models/`` (its metadata record)."""
    return Path(__file__).resolve().parents[2] / "models" / "rprnet.json"


def project_model(window) -> Path:
    """The model last used on the window's project when it still exists, else the shipped one."""
    if window.workspace is not None:
        kept = window.workspace.store.meta(MODEL_KEY)
        if kept and Path(kept).is_file():
            return Path(kept)
    return default_model()


class PrelabelWorker(QThread):
    """Runs RPR-Net + guided PAMG over a sequence; emits ``detected`` once per frame."""

    progress = Signal(int, int)
    warned = Signal(str)
    #: frame index, name, (h, w), [GeneratedMask], the masks' detection scores
    detected = Signal(int, str, object, object, object)
    tracked = Signal(int, str, object, object, object, object)  # ... and the masks' track ids
    succeeded = Signal(object)  # {"frames", "targets", "provider", "cancelled"}
    failed = Signal(str)

    def __init__(
        self, source, names, model: Path, device="auto", threads=None, threshold=None,
        convention=None, tracking=None,
    ):  # fmt: skip
        super().__init__()
        self.convention = convention  # the project's annotation convention (None: pamg+)
        self.source, self.names, self.model = Path(source), list(names), Path(model)
        self.device, self.threads, self.threshold = device, threads, threshold
        self.tracking = tracking
        self.job = Job(progress=self.progress.emit, warn=self.warned.emit)

    def run(self) -> None:
        try:
            summary = self._prelabel()
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
            return
        self.succeeded.emit(summary)

    def _prelabel(self) -> dict:
        from label_irst.infer.decode import DEFAULT_THRESHOLD
        from label_irst.infer.prelabel import guided_results
        from label_irst.infer.rprnet import SequenceRunner
        from label_irst.infer.session import load_model

        model = load_model(self.model, self.device, self.threads)
        threshold = self.threshold
        if threshold is None:
            threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
        summary = {"frames": 0, "targets": 0, "provider": model.provider, "cancelled": False}
        sequence = open_sequence(self.source)
        count = len(self.names)
        if self.tracking is not None:
            try:
                return self._tracked(SequenceRunner(model, self.tracking.low), sequence, summary)
            finally:
                sequence.close()
        try:
            runner = SequenceRunner(model, threshold)
            self.job.step(0, count)
            for t, image, dets in runner.run(sequence.frame, count):
                name = self.names[t]
                results = guided_results(
                    image, dets, GUIDED_SCALE, lambda m, n=name: self.job.warning(f"{n}: {m}"),
                    self.convention,
                )  # fmt: skip
                kept = [(r, d.score) for r, d in zip(results, dets)
                        if r is not None and r.mask.area > 0]  # fmt: skip
                masks = [r for r, _ in kept]
                self.detected.emit(t, self.names[t], image.shape, masks, [s for _, s in kept])
                summary["frames"] += 1
                summary["targets"] += len(masks)
                self.job.step(t + 1, count)
                if self.job.cancelled:
                    summary["cancelled"] = True
                    break
        finally:
            sequence.close()
        return summary

    def _tracked(self, runner, sequence, summary: dict) -> dict:
        """Detect in every frame, link into tracks, then emit each frame's masks and ids."""
        from label_irst.infer.prelabel import guided_results
        from label_irst.infer.tracks import finish_sequence

        count = len(self.names)
        raw = []
        self.job.step(0, count)
        for t, _image, dets in runner.run(sequence.frame, count):
            raw.append({"frame": self.names[t], "detections": [d.as_dict() for d in dets]})
            summary["frames"] += 1
            self.job.step(t + 1, count)
            if self.job.cancelled:
                summary["cancelled"] = True
                break

        def grow(image, dets, t):
            warn = lambda m, n=self.names[t]: self.job.warning(f"{n}: {m}")  # noqa: E731
            return guided_results(image, dets, GUIDED_SCALE, warn, self.convention)

        def write(t, image, results, targets, ids):
            scores = detection_scores(targets)  # None in a filled frame: no detection
            kept = [(r, i, s) for r, i, s in zip(results, ids, scores)
                    if r is not None and r.mask.area > 0]  # fmt: skip
            self.tracked.emit(t, self.names[t], image.shape, [r for r, _, _ in kept],
                              [i for _, i, _ in kept], [s for _, _, s in kept])  # fmt: skip
            summary["targets"] += len(kept)

        tracks = finish_sequence(raw, self.tracking, sequence.frame, grow, write, True)
        summary["tracks"] = len(tracks)
        return summary


def start(
    window, model: Path, threads=None, threshold=None, tracking=DEFAULT_TRACKING
) -> PrelabelWorker | None:
    """Start a worker for the window's sequence with a progress dialog (Cancel) and wire it."""
    from label_irst.gui.workers import run_with_progress

    if window.workspace is None:
        return None
    seq = window.workspace.sequence
    window.workspace.store.set_meta(MODEL_KEY, str(Path(model).resolve()))
    worker = PrelabelWorker(
        seq.source, seq.names, model, threads=threads, threshold=threshold,
        convention=window.conventions.convention, tracking=tracking,
    )  # fmt: skip
    worker.added = 0  # candidates stored (a detection inside a kept target is dropped)
    owner = (window.workspace.store.path, window.workspace.sequence_id)
    worker.detected.connect(
        lambda i, name, shape, results, scores: _count(
            worker, save_frame(window, i, name, shape, results, owner=owner, scores=scores)
        )
    )
    base = window.workspace.store.new_track_id() - 1  # per-sequence ids -> project-wide ones
    worker.tracked.connect(
        lambda i, name, shape, results, ids, scores: _count(
            worker,
            save_frame(
                window,
                i,
                name,
                shape,
                results,
                owner=owner,
                track_ids=[base + k for k in ids],
                scores=scores,
            ),  # fmt: skip
        )
    )
    worker.warned.connect(lambda msg: window.statusBar().showMessage(msg, 5000))
    worker.failed.connect(lambda msg: QMessageBox.warning(window, "Pre-annotation failed", msg))
    worker.succeeded.connect(lambda summary: finished(window, {**summary, "added": worker.added}))
    window._prelabel_dialog = run_with_progress(window, worker, "Pre-annotating with RPR-Net")
    window._prelabel_worker = worker
    return worker


def save_frame(
    window, index: int, name: str, shape, results, owner=None, track_ids=None, scores=None
) -> None:
    """Store one frame's candidates (one transaction, with their detection scores) and refresh
    the frame on screen.

    ``owner`` (project path, sequence id) is the sequence the run started on: results that
    arrive after another sequence was opened are dropped.
    """
    if window.workspace is None:
        return
    if owner is not None and owner != (window.workspace.store.path, window.workspace.sequence_id):
        return
    store, seq_id = window.workspace.store, window.workspace.sequence_id
    saved = store_detections(store, seq_id, index, name, shape, results, track_ids, scores)
    annotator = window.annotator
    if annotator is not None and annotator.frame is not None and annotator.frame.index == index:
        annotator.targets = {t.id: t for t in store.targets(seq_id, frame=index)}
        annotator.select(annotator.selected)
    return len(saved)


def _count(worker, added) -> None:
    worker.added += added or 0


def finished(window, summary: dict) -> None:
    """Status bar: what was found and on which execution provider."""
    provider = summary["provider"].removesuffix("ExecutionProvider")
    how = "stopped after" if summary["cancelled"] else "done:"
    tracks = f" in {summary['tracks']} track(s)" if "tracks" in summary else ""
    window.statusBar().showMessage(
        f"RPR-Net {how} {summary['frames']} frame(s), "
        f"{summary.get('added', summary['targets'])} candidate(s) added{tracks} "
        f"on the {provider} provider: review them (A / R)",
        15000,
    )
    if window.annotator is not None and window.annotator.frame is not None:
        window.refresh_masks()
    window.refresh_review()
