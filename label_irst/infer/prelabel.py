"""Batch pre-labelling of sequences with RPR-Net (+ guided masks, Sec. III-C2): ``label-irst
prelabel``.

Writes the ground-truth layout: ``OUT/annotations/<seq>.json`` (per-frame targets x, y, radius,
score) and, with masks, ``OUT/masks/<seq>/<frame>.png`` grown in guided mode (Rs = 5 r_hat,
Sec. III-C2) by the project's generator and annotation convention (default: pamg+ as shipped;
``convention`` overrides, see :mod:`label_irst.core.convention`).
DATA may also be a Label-IRST project: every readable sequence of it is pre-labelled, and each
frame's guided masks are also stored in the project as ``model`` candidates for review
(:class:`label_irst.infer.sinks.ProjectSink`, one transaction per frame), grown by the
project's own generator (its learned ``edgsp`` model included).
The annotation file is rewritten atomically every ``flush`` frames with ``"complete": false``
until the sequence ends, so a stopped run resumes at the first frame it had not saved; a run
with other settings (model, threshold, tracking, masks) refuses to resume it without ``force``.

With ``tracking`` (a :class:`label_irst.core.tracking.TrackerConfig`, the command's default) the
model runs at the tracker's low threshold, each frame's raw detections are saved as
``"detections"``, and once the sequence is read they are linked into tracks
(:func:`label_irst.infer.tracks.finish_sequence`): each frame's ``"targets"`` then carry the
track ``"id"`` (project candidates its ``track_id``), masks are grown for the tracked targets
and gaps in a track are filled by guided masks at the local extremum near the predicted position.

``model`` may also be a single-frame segmenter (LESPS,
:class:`label_irst.infer.segmenter_detect.SegmenterDetector`): each frame is then decided on its
own, its predicted components are the detections and their masks (no generator, no tracks);
this is the detector for image sets, where RPR-Net has no temporal context.

The stages and the per-sequence driver live in :mod:`label_irst.infer.pipeline`, the outputs in
:mod:`label_irst.infer.sinks`; this module picks the sequences, the settings and the sinks.
"""

from __future__ import annotations

import time
from pathlib import Path

from label_irst.core.convention import Convention
from label_irst.core.pamg import GUIDED_SCALE
from label_irst.core.tracking import TrackerConfig
from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD
from label_irst.infer.pipeline import (  # noqa: F401 - the stages, as callers knew them here
    FrameResult,
    PrelabelReport,
    Progress,
    UnitOptions,
    guided_results,
    is_single_frame,
    label_unit,
    run_sequence,
    track_unit,
    union,
)
from label_irst.infer.project import is_project, project_sequences
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import RPRModel
from label_irst.infer.sinks import FolderSink, ProjectSink, Tee, check_outputs
from label_irst.io.files import refuse_overlap
from label_irst.io.project import ProjectStore
from label_irst.job import Job


def guided_masks(image, dets, scale: float = GUIDED_SCALE, convention=None):
    """Union mask and per-detection mask areas of the guided masks seeded by (x, y, r_hat)."""
    return union(guided_results(image, dets, scale, convention=convention), image.shape)


def prelabel(
    data: str | Path,
    model: RPRModel,
    out: str | Path | None,
    masks: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
    split: str | None = None,
    batch: int = 1,
    cache: bool = True,
    pipeline: bool = True,
    flush: int = 100,
    job: Job | None = None,
    convention: Convention | None = None,
    generator: str | None = None,
    tracking: TrackerConfig | None = None,
    ray=None,
    force: bool = False,
    mode: str = "auto",
) -> PrelabelReport:
    """Pre-label every sequence of ``data`` (dataset root, frame folder or project) into
    ``out``; resumes finished work. ``tracking`` links the detections into tracks. ``ray``
    (a :class:`label_irst.infer.ray_runner.RayOptions`) runs the units on a Ray cluster. An
    ``out`` that is or holds ``data`` is refused, and so are files there that prelabel did not
    write (unless ``force``). A project may be pre-annotated with no ``out`` (None): only its
    candidates are written, and nothing resumes. ``mode`` says how folders are read: ``auto`` (an image set, of
    any sizes, image by image as still triplets; numbered frames of one size, videos and the
    sequences of a dataset root as sequences), ``still`` or ``sequence``
    (:mod:`label_irst.infer.sequences`).

    Masks come from ``convention`` when given; else, for a project, from the project's generator
    (or ``generator``) and its stored convention, a learned ``edgsp`` generator being the
    project's model; else from ``generator`` (default pamg+).
    """
    from label_irst.io.convention import project_convention, resolve_convention
    from label_irst.io.generator_model import project_model

    job = job or Job()
    if out is None and not is_project(data):
        raise LabelIrstError(f"{data}: an output folder is needed (only a project takes none)")
    if out is not None:
        refuse_overlap(out, [data])
    if is_project(data):
        if split is not None:
            raise LabelIrstError("--split applies to dataset roots, not to a project")
        with ProjectStore.open(data) as store:
            convention = convention or project_convention(store, generator)
            learned = project_model(store)  # the project's edgsp model, passed explicitly
            seqs = project_sequences(store, job.warning, mode)
            if not seqs:
                raise LabelIrstError(f"{data}: no readable sequence in the project")
            try:
                if out is not None:
                    check_outputs(seqs, Path(out), masks, force)
                return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline,
                                 flush, job, convention, store, tracking, ray, force,
                                 learned)  # fmt: skip
            finally:
                for seq in seqs:
                    seq.close()
    convention = convention or resolve_convention(generator, None)
    seqs = read_sequences(data, split, mode)
    check_outputs(seqs, Path(out), masks, force)
    return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job,
                     convention, None, tracking, ray, force)  # fmt: skip


def prelabel_sequences(
    seqs: list,
    model: RPRModel,
    out: str | Path,
    threshold: float = DEFAULT_THRESHOLD,
    tracking: TrackerConfig | None = None,
    job: Job | None = None,
    force: bool = False,
) -> PrelabelReport:
    """:func:`prelabel` of sequences already read (such as windows of a data set's sequences,
    :meth:`label_irst.infer.sequences.Sequence.window`), into ``out``, with the default
    generator; the same stages and the same folder sink."""
    from label_irst.io.convention import resolve_convention

    check_outputs(seqs, Path(out), False, force)
    return _prelabel(seqs, model, out, False, threshold, 1, True, True, 100, job or Job(),
                     resolve_convention(None, None), None, tracking, None, force)  # fmt: skip


def _prelabel(
    seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job: Job, convention,
    store=None, tracking: TrackerConfig | None = None, ray=None, force: bool = False,
    edgsp_model: Path | None = None,
) -> PrelabelReport:  # fmt: skip
    if is_single_frame(model):  # a segmenter: each frame alone, its own masks
        if ray is not None:
            raise LabelIrstError("a segmenter model runs here only, not on a Ray cluster")
        tracking = None
    opts = UnitOptions(
        tracking.low if tracking is not None else threshold, cache, batch, pipeline,
        grow=masks or store is not None, masks=masks, tracker=tracking,
        convention=convention, edgsp_model=edgsp_model, flush=flush, still_threshold=threshold,
    )  # fmt: skip
    if out is None:  # a project alone: its candidates, nothing to resume
        sink = ProjectSink(store)
    else:
        folder = FolderSink(Path(out), model, opts, force)
        sink = folder if store is None else Tee(ProjectSink(store), folder)
    for seq in seqs:  # refuses a record made with other settings before any work
        sink.resume_from(seq)
    report = PrelabelReport(
        provider=model.provider, model=Path(model.path).name, sequences=len(seqs)
    )
    t0 = time.perf_counter()
    if ray is not None:
        from label_irst.infer.ray_runner import run_on_cluster

        run_on_cluster(ray, seqs, model, opts, sink, job, report)
    else:
        progress = Progress(job, sum(len(s.stems()) for s in seqs))
        for seq in seqs:
            run_sequence(seq, model, opts, sink, job, report, progress)
            if job.cancelled:
                break
    report.seconds = time.perf_counter() - t0
    return report
