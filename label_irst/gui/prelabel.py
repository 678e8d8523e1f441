"""Sequence > Pre-annotate with RPR-Net: detections -> guided-PAMG candidates in the review queue.

The worker runs the pipeline of ``prelabel PROJECT`` (:func:`label_irst.infer.pipeline.run_sequence`:
RPR-Net with the sliding-window encoder cache, Sec. III-B; tracks linked and their gaps filled;
guided masks with Rs = 5 r_hat, Sec. III-C2, by the project's generator, convention and learned
model) over the open sequence, in its own reader, with the model on CUDA / TensorRT where
present, else the CPU. It writes nothing: its sink hands each frame's masks (``detected``), or
the linked sequence (``linked``), to the window by a signal, and the GUI thread stores them
through a :class:`label_irst.infer.sinks.ProjectSink`, the sink of ``prelabel PROJECT``, so the
app and the command give the same candidates and track ids. Track ids are handed out when
they are written, so a target confirmed while the model ran keeps its own; a model track
through a confirmed target continues its id. A re-run replaces the earlier ``model``
candidates; a detection whose seed falls inside a target kept on that frame (confirmed,
rejected, or from another source) is dropped, and a reviewed frame is not written at all. The
model is the project's own detector (:mod:`label_irst.infer.detector_model`) unless the user
picks another, which the project then records. Each candidate keeps its detection's score; the
review queue shows them lowest score first (:mod:`label_irst.gui.review`).

With tracking (the action's default, :data:`label_irst.infer.tracks.DEFAULT_TRACKING`) the
worker first detects in every frame at the tracker's low threshold, then links the detections
into tracks (:func:`label_irst.infer.tracks.finish_sequence`, gaps filled); the Tracks dock
lists them. Cancel links the frames read so far.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, QThread, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from label_irst.errors import LabelIrstError
from label_irst.infer.project import detection_scores, store_detections
from label_irst.infer.tracks import DEFAULT_TRACKING
from label_irst.io.project_reviewed import reviewed_frames
from label_irst.io.project_settings import ProjectSettings
from label_irst.job import Job


def default_model() -> Path:
    """The model shipped in ``models/`` (its metadata record)."""
    from label_irst.infer.detector_model import SHIPPED_DETECTOR

    return SHIPPED_DETECTOR


def segmenter_model() -> Path:
    """The single-frame LESPS segmenter shipped in ``models/`` (its metadata record)."""
    from label_irst.infer.detector_model import SHIPPED_SEGMENTER

    return SHIPPED_SEGMENTER


def detector_name(model: Path) -> str:
    """How the status bar and the progress dialog name a model's kind."""
    from label_irst.infer.detector_model import is_segmenter_record

    if not is_segmenter_record(model):
        return "RPR-Net"
    from label_irst.infer.segmenter import read_record

    _, meta = read_record(model)
    # a segmenter trained another way, or an ensemble, goes by its model's name
    return "LESPS" if meta.get("supervision") == "lesps" else Path(model).stem


def project_model(window) -> Path:
    """The project's detector (adopted by the loop, or picked) when it still exists, else the
    shipped one (the status bar says when the recorded one is missing)."""
    from label_irst.infer.detector_model import project_detector_model

    if window.workspace is None:
        return default_model()
    warn = lambda message: window.statusBar().showMessage(message, 10000)  # noqa: E731
    return project_detector_model(window.workspace.store, warn)


def record_model(store, model: Path) -> None:
    """Record ``model`` as the project's detector, unless it is the shipped one and the project
    never recorded another (nothing is written then). A segmenter is never recorded: the
    project's detector, which the loop adapts, stays an RPR-Net."""
    from label_irst.infer.detector_model import is_segmenter_record

    if is_segmenter_record(model):
        return
    settings = ProjectSettings(store)
    if settings.detector is not None or Path(model).resolve() != default_model().resolve():
        settings.set_detector(model)


def is_detector_model(path: Path) -> bool:
    """An RPR-Net or segmenter (LESPS) metadata record (the picker lists no other model, e.g.
    ``edgsp.json``)."""
    from label_irst.infer.detector_model import is_segmenter_record
    from label_irst.infer.session import FORMAT
    from label_irst.io.files import read_json

    if Path(path).suffix.lower() != ".json":
        return False
    try:
        record = read_json(path)
    except (LabelIrstError, OSError):
        return False
    return isinstance(record, dict) and record.get("format") == FORMAT or is_segmenter_record(path)


class _DetectorsOnly(QSortFilterProxyModel):
    """Folders and detector records of the file dialog's folder; nothing else."""

    def filterAcceptsRow(self, row: int, parent) -> bool:
        model = self.sourceModel()
        index = model.index(row, 0, parent)
        return model.isDir(index) or is_detector_model(Path(model.filePath(index)))


def model_dialog(window, start: Path) -> QFileDialog:
    """The model picker: a file dialog that lists only detector (RPR-Net) models."""
    dialog = QFileDialog(
        window, "Detector model: RPR-Net or LESPS (metadata record)", str(Path(start).parent)
    )
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # the proxy needs Qt's own dialog
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilter("Detector model (*.json)")
    dialog.setProxyModel(_DetectorsOnly(dialog))
    if Path(start).is_file():
        dialog.selectFile(str(start))
    return dialog


def choose_model(window, start: Path) -> Path | None:
    """The detector model the user picks (None: cancelled)."""
    dialog = model_dialog(window, start)
    if not dialog.exec() or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


def rerun_counts(store, sequence_id: int) -> dict[str, int]:
    """What a re-run of pre-annotation replaces (model candidates and their frames) and keeps
    (confirmed and rejected targets) on a sequence."""
    targets = store.targets(sequence_id)
    model = [t for t in targets if t.source == "model" and t.status == "candidate"]
    return {
        "candidates": len(model),
        "frames": len({t.frame for t in model}),
        "confirmed": sum(t.status == "confirmed" for t in targets),
        "rejected": sum(t.status == "rejected" for t in targets),
    }


def confirm_rerun(window) -> bool:
    """On a sequence with reviewed work, ask before pre-annotating it again, saying what will be
    replaced and what is kept; True to go on."""
    n = rerun_counts(window.workspace.store, window.workspace.sequence_id)
    if n["confirmed"] + n["rejected"] == 0:
        return True
    text = (
        f"This sequence has {n['confirmed']} confirmed and {n['rejected']} rejected target(s): "
        f"they are kept, and a new detection inside one of them is dropped; reviewed frames "
        f"are left as they are.\n"
        f"{n['candidates']} model candidate(s) awaiting review on {n['frames']} frame(s) will be "
        "replaced by the new run's.\n\nPre-annotate the sequence again?"
    )
    answer = QMessageBox.question(window, "Pre-annotate again", text)
    return answer == QMessageBox.StandardButton.Yes


class _Relay:
    """The worker's sink: each frame's masks, or the linked sequence, go to the GUI thread."""

    def __init__(self, worker: PrelabelWorker):
        self.worker = worker

    def resume_from(self, seq):
        from label_irst.infer.sinks import Resume

        return Resume()  # the app does not resume: a re-run replaces the candidates

    def write_frame(self, seq, frame) -> None:
        if frame.results is None:
            return
        scores = detection_scores(frame.entry.get("targets", []))
        kept = [(r, s) for r, s in zip(frame.results, scores) if r is not None and r.mask.area > 0]
        masks = [r for r, _ in kept]
        self.worker.detected.emit(frame.t, seq.frame_name(frame.t), frame.shape, masks,
                                  [s for _, s in kept])  # fmt: skip
        self.worker.emitted += len(masks)

    def finish_sequence(self, seq, done, tracked, complete: bool) -> int:
        if tracked is None:
            return 0
        self.worker.linked.emit(tracked)
        self.worker.emitted += sum(
            1 for _t, _s, results, _i in tracked.writes for r in results
            if r is not None and r.mask.area > 0
        )  # fmt: skip
        return len(tracked.summary)


class PrelabelWorker(QThread):
    """Runs the pre-annotation pipeline over a sequence; emits ``detected`` once per frame
    (without tracking) or ``linked`` once (with tracking)."""

    progress = Signal(int, int)
    warned = Signal(str)
    #: frame index, name, (h, w), [GeneratedMask], the masks' detection scores
    detected = Signal(int, str, object, object, object)
    linked = Signal(object)  # the linked sequence (label_irst.infer.pipeline.Tracked)
    succeeded = Signal(object)  # {"frames", "targets", "provider", "cancelled"[, "tracks"]}
    failed = Signal(str)

    def __init__(
        self, source, names, model: Path, device="auto", threads=None, threshold=None,
        convention=None, tracking=None, edgsp_model=None, still=False,
    ):  # fmt: skip
        super().__init__()
        self.convention = convention  # the project's annotation convention (None: pamg+)
        self.edgsp_model = edgsp_model  # the project's learned generator (None: the shipped one)
        self.source, self.names, self.model = Path(source), list(names), Path(model)
        self.device, self.threads, self.threshold = device, threads, threshold
        self.tracking = tracking
        self.still = still  # an image set: each image alone, no tracks
        self.emitted = 0
        self.job = Job(progress=self.progress.emit, warn=self.warned.emit)

    def run(self) -> None:
        try:
            summary = self._prelabel()
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
            return
        self.succeeded.emit(summary)

    def _prelabel(self) -> dict:
        from label_irst.core.convention import Convention
        from label_irst.infer.decode import DEFAULT_THRESHOLD
        from label_irst.infer.detector_model import load_detector
        from label_irst.infer.pipeline import UnitOptions, is_single_frame, run_sequence
        from label_irst.infer.project import project_sequence

        model = load_detector(self.model, self.device, self.threads)
        threshold = self.threshold
        if threshold is None:
            threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
        tracking = None if is_single_frame(model) else self.tracking  # a segmenter: no tracks
        opts = UnitOptions(
            tracking.low if tracking is not None else threshold, grow=True,
            tracker=tracking, convention=self.convention or Convention(),
            edgsp_model=self.edgsp_model, link_partial=True, still_threshold=threshold,
        )  # fmt: skip
        source = project_sequence(self.source.name, 0, self.source, self.names, still=self.still)
        self.job.step(0, len(self.names))
        try:
            report = run_sequence(source, model, opts, _Relay(self), self.job)
        finally:
            source.close()
        if report.warnings:
            raise LabelIrstError(report.warnings[0])
        summary = {"frames": report.frames, "targets": self.emitted, "provider": model.provider,
                   "cancelled": self.job.cancelled,
                   "detector": detector_name(self.model),
                   "precision": model.meta.get("precision", "fp32")}  # fmt: skip
        if opts.tracking and not self.still:
            summary["tracks"] = report.tracks
        return summary


def start(
    window, model: Path, threads=None, threshold=None, tracking=DEFAULT_TRACKING
) -> PrelabelWorker | None:
    """Start a worker for the window's sequence with a progress dialog (Cancel) and wire it."""
    from label_irst.gui.workers import run_with_progress
    from label_irst.infer.project import frames_are_stills
    from label_irst.io.generator_model import project_model

    if window.workspace is None or not confirm_rerun(window):
        return None
    seq = window.workspace.sequence
    store = window.workspace.store
    record_model(store, model)
    worker = PrelabelWorker(
        seq.source, seq.names, model, threads=threads, threshold=threshold,
        convention=window.conventions.convention, tracking=tracking,
        edgsp_model=project_model(store),
        still=frames_are_stills(store, window.workspace.sequence_id, seq.kind, seq.source,
                                seq.names),
    )  # fmt: skip
    worker.added = 0  # candidates stored (a detection inside a kept target is dropped)
    owner = (store.path, window.workspace.sequence_id)
    worker.detected.connect(
        lambda i, name, shape, results, scores: _count(
            worker, save_frame(window, i, name, shape, results, owner=owner, scores=scores)
        )
    )
    worker.linked.connect(lambda tracked: _count(worker, save_tracks(window, tracked, owner)))
    worker.warned.connect(lambda msg: window.statusBar().showMessage(msg, 5000))
    worker.failed.connect(lambda msg: QMessageBox.warning(window, "Pre-annotation failed", msg))
    worker.succeeded.connect(lambda summary: finished(window, {**summary, "added": worker.added}))
    dialog = run_with_progress(window, worker, f"Pre-annotating with {detector_name(model)}")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)  # no edits while the model runs
    window._prelabel_dialog = dialog
    window._prelabel_worker = worker
    return worker


def save_tracks(window, tracked, owner) -> int | None:
    """Store a linked sequence's candidates with project-wide track ids, handed out in the
    transactions that write them (:class:`label_irst.infer.sinks.ProjectSink`), and refresh the
    frame on screen. Results for a sequence no longer open are dropped."""
    from label_irst.infer.project import project_sequence
    from label_irst.infer.sinks import ProjectSink

    ws = window.workspace
    if ws is None or owner != (ws.store.path, ws.sequence_id):
        return None
    sink = ProjectSink(ws.store)
    seq = project_sequence(ws.sequence.source.name, ws.sequence_id, ws.sequence.source,
                           list(ws.sequence.names))  # fmt: skip
    sink.finish_sequence(seq, [], tracked, True)
    _refresh_frame(window)
    return sink.added


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
    if index in reviewed_frames(store, seq_id).get(seq_id, ()):
        return 0  # a reviewed frame is left as the annotator left it
    saved = store_detections(store, seq_id, index, name, shape, results, track_ids, scores)
    _refresh_frame(window, index)
    return len(saved)


def _refresh_frame(window, index: int | None = None) -> None:
    """Reload the targets of the frame on screen (when it is ``index``, if given)."""
    annotator = window.annotator
    if annotator is None or annotator.frame is None:
        return
    if index is not None and annotator.frame.index != index:
        return
    store, seq_id = window.workspace.store, window.workspace.sequence_id
    annotator.targets = {t.id: t for t in store.targets(seq_id, frame=annotator.frame.index)}
    annotator.select(annotator.selected)


def _count(worker, added) -> None:
    worker.added += added or 0


def finished(window, summary: dict) -> None:
    """Status bar: what was found and on which execution provider."""
    provider = summary["provider"].removesuffix("ExecutionProvider")
    how = "stopped after" if summary["cancelled"] else "done:"
    tracks = f" in {summary['tracks']} track(s)" if "tracks" in summary else ""
    copy = " (its int8 copy)" if summary.get("precision") == "int8" else ""
    window.statusBar().showMessage(
        f"{summary.get('detector', 'RPR-Net')} {how} {summary['frames']} frame(s), "
        f"{summary.get('added', summary['targets'])} candidate(s) added{tracks} "
        f"on the {provider} provider{copy}: review them (A / R)",
        15000,
    )
    if window.annotator is not None and window.annotator.frame is not None:
        window.refresh_masks()
    window.refresh_review()
