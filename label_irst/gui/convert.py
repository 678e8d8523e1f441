"""Boxes of the open sequence -> candidate masks in the review queue (File > Convert boxes…).

Each box is converted by a box generator that uses the box
(:mod:`label_irst.core.box_generators`): the project's box convention, fitted by the worker on
the box conversions the annotator confirmed or corrected so far (the window stores it), picks
the generator and its margins; a project with none yet starts from each box's tightness
(``auto``). ``box_generator`` overrides the choice; ``centre`` is the SIRSTD-Pixel conversion
(box centre -> the point generator with a support radius covering the box, Sec. III-D1). The
point generator and its convention serve the box generators that run one. Boxes are read by
:func:`label_irst.io.boxes.read_boxes` (VOC folder, COCO json, YOLO folder), as ``label-irst
box2mask`` reads them. The worker opens its own reader of the frames and only computes; it
hands each frame's masks to the window by a signal, and the window saves them in the project
as ``box`` candidates, one transaction per frame that replaces the frame's earlier ``box``
candidates (converting twice never duplicates them; reviewed targets stay), lowest rho first in
the review queue.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QMessageBox

from label_irst.core.box_convention import BoxConvention
from label_irst.core.convention import Convention
from label_irst.core.generators import get_generator
from label_irst.errors import LabelIrstError
from label_irst.infer.project import store_candidates
from label_irst.io.boxes import read_boxes
from label_irst.io.project import Target
from label_irst.io.sequence import open_sequence
from label_irst.job import Job


class BoxConvertWorker(QThread):
    """Grows one mask per box of the sequence's frames; emits ``grown`` per frame."""

    progress = Signal(int, int)
    warned = Signal(str)
    grown = Signal(int, str, object, object)  # frame index, name, (h, w), [(GeneratedMask, box)]
    succeeded = Signal(int)
    failed = Signal(str)
    box_fitted = Signal(object)  # the BoxConvention fitted on the project's conversions

    def __init__(
        self, source, names, boxes: Path, generator: str, support_radius: float, fmt="auto",
        convention=None, project: Path | None = None, box_generator: str | None = None,
    ):  # fmt: skip
        super().__init__()
        self.convention = convention  # the project's annotation convention for ``generator``
        self.source, self.names, self.boxes = Path(source), list(names), Path(boxes)
        self.generator, self.support_radius, self.fmt = generator, float(support_radius), fmt
        self.project, self.box_generator = project, box_generator
        self.box_convention: BoxConvention | None = None
        self.job = Job(progress=self.progress.emit, warn=self.warned.emit)

    def run(self) -> None:
        try:
            count = self._convert()
        except (LabelIrstError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        self.succeeded.emit(count)

    def _box_convention(self, point: str) -> BoxConvention:
        """The project's box convention, refitted on its confirmed conversions (read-only)."""
        conv = BoxConvention(point_generator=point)
        if self.project is not None:
            from label_irst.batch.convention import fit_project_boxes
            from label_irst.io.project import ProjectStore

            with ProjectStore.open(self.project, readonly=True) as store:
                conv = fit_project_boxes(store, self.job.warning)
            conv.point_generator = point
            self.box_fitted.emit(conv)
        if self.box_generator:
            conv = BoxConvention({**conv.params, "method": self.box_generator}, point)
        return conv

    def _convert(self) -> int:
        spec = get_generator(self.generator)
        self.box_convention = self._box_convention(spec.name)
        sequence = open_sequence(self.source)
        try:
            stems = {Path(name).stem: i for i, name in enumerate(self.names)}
            sizes = None
            if self.fmt == "yolo" or (
                self.fmt == "auto" and self.boxes.is_dir() and not any(self.boxes.glob("*.xml"))
            ):  # YOLO boxes are fractions of the frame size
                sizes = {stem: sequence.shape(i)[::-1] for stem, i in stems.items()}
            table = read_boxes(self.boxes, sizes, self.fmt, self.job.warning)
            todo = sorted((stems[s], bs) for s, bs in table.items() if bs and s in stems)
            for stem in sorted(set(table) - set(stems)):
                self.job.warning(f"skipped boxes of {stem!r}: no frame with that name")
            if not todo:
                raise LabelIrstError(f"{self.boxes}: no box belongs to a frame of this sequence")
            grown = 0
            for done, (index, boxes) in enumerate(todo, 1):
                if self.job.cancelled:
                    break
                results = self._frame(sequence, spec, index, boxes)
                grown += len(results)
                if results:
                    raw_shape = results[0][2]
                    self.grown.emit(index, self.names[index], raw_shape, [r[:2] for r in results])
                self.job.step(done, len(todo))
            return grown
        finally:
            sequence.close()

    def _frame(self, sequence, spec, index: int, boxes) -> list:
        try:
            raw = sequence.frame(index)
        except LabelIrstError as exc:
            self.job.warning(f"skipped: {exc}")
            return []
        h, w = raw.shape
        conv = self.convention
        if not (isinstance(conv, Convention) and conv.generator == spec.name):
            conv = Convention(spec.name)
        out = []
        for box in boxes:
            where = f"{self.names[index]}: box at {box.centre[0]:.0f},{box.centre[1]:.0f}"
            if not box.inside(w, h):
                self.job.warning(f"{where}: skipped, its centre lies off the frame")
                continue
            bbox = (round(box.x0), round(box.y0), round(box.x1), round(box.y1))
            try:
                result = self.box_convention.generate(
                    raw, (box.x0, box.y0, box.x1, box.y1), self.support_radius, conv.generate
                )
            except LabelIrstError as exc:
                self.job.warning(f"{where}: skipped: {exc}")
                continue
            if result.mask.area == 0:
                self.job.warning(f"{where}: no mask grew")
                continue
            out.append((result, bbox, (h, w)))
        return out


def box_candidate(sequence_id: int, index: int, result, bbox) -> Target:
    """The review-queue target of one converted box."""
    return Target.from_generated(
        result, sequence_id=sequence_id, frame=index, source="box", status="candidate",
        box=tuple(int(v) for v in bbox),
    )  # fmt: skip


def start(
    window, boxes: Path, fmt: str = "auto", box_generator: str | None = None
) -> BoxConvertWorker | None:
    """Start a worker for the window's sequence with a progress dialog (Cancel) and wire it;
    ``box_generator`` overrides the project's box convention's choice."""
    from label_irst.gui.workers import run_with_progress

    if window.workspace is None:
        return None
    seq = window.workspace.sequence
    worker = BoxConvertWorker(
        seq.source, seq.names, boxes, window.generator_name,
        window.support_radius, fmt, window.conventions.convention,
        window.workspace.store.path, box_generator,
    )  # fmt: skip
    worker.box_fitted.connect(lambda conv: save_box_convention(window, conv))
    worker.grown.connect(lambda *args: save_frame(window, *args))
    worker.warned.connect(lambda msg: window.statusBar().showMessage(msg, 5000))
    worker.failed.connect(lambda msg: QMessageBox.warning(window, "Box conversion failed", msg))
    worker.succeeded.connect(lambda count: finished(window, count))
    window._convert_dialog = run_with_progress(window, worker, "Converting boxes to masks")
    window._convert_worker = worker
    return worker


def save_box_convention(window, convention: BoxConvention) -> None:
    """Keep the box convention the worker fitted in the project (one transaction)."""
    from label_irst.batch.convention import save_box_convention as save

    if window.workspace is not None and not convention.frozen:
        save(window.workspace.store, convention)


def save_frame(window, index: int, name: str, shape, results) -> None:
    """Store one frame's converted boxes as ``box`` candidates (one transaction): converting the
    same boxes again replaces them, and a box whose centre falls inside a reviewed target of the
    frame is not added again."""
    if window.workspace is None:
        return
    store, seq_id = window.workspace.store, window.workspace.sequence_id
    targets = [box_candidate(seq_id, index, r, bbox) for r, bbox in results]
    store_candidates(store, seq_id, index, "box", targets, name, shape)
    annotator = window.annotator
    if annotator is not None and annotator.frame is not None and annotator.frame.index == index:
        annotator.targets = {t.id: t for t in store.targets(seq_id, frame=index)}


def finished(window, count: int) -> None:
    window.statusBar().showMessage(f"{count} box(es) converted: review them (A / R)", 8000)
    if window.annotator is not None and window.annotator.frame is not None:
        window.refresh_masks()
    window.refresh_review()
