"""The pre-annotation pipeline: stages on plain records, and one driver for a sequence.

Stages (nothing here knows where results go):

1. **detect** (:func:`label_unit`): RPR-Net over frames [start, stop) of a sequence with the
   sliding-window encoder cache (Sec. III-B); each frame's detections (x, y, r_hat, score) as
   the frame's annotation entry. Without tracking the detections are final and their masks are
   grown at once.
2. **link** and **fill gaps** (:func:`track_unit`, :func:`label_irst.infer.tracks.finish_sequence`):
   once a sequence is read, its detections are linked into tracks; a gap of at most ``max_gap``
   frames is filled at the local extremum near the predicted position.
3. **grow masks** (:func:`guided_results`): guided mode, Rs = 5 r_hat (Sec. III-C2), with the
   project's generator and annotation convention; a learned ``edgsp`` generator is the model
   named in the options (the project's), never a process-wide choice.

:func:`run_sequence` drives one sequence through the stages into a
:class:`label_irst.infer.sinks.Sink` (a dataset folder, a project, or both). The command
(:mod:`label_irst.infer.prelabel`), the app's worker (:mod:`label_irst.gui.prelabel`) and the
cluster runner (:mod:`label_irst.infer.ray_runner`, which only schedules units of
:func:`label_unit` and :func:`track_unit` on its workers) all run these stages, so their outputs
are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from label_irst.core.convention import Convention
from label_irst.core.pamg import GUIDED_SCALE, guided_support_radius
from label_irst.core.tracking import TrackerConfig
from label_irst.errors import LabelIrstError
from label_irst.infer.rprnet import SequenceRunner
from label_irst.infer.tracks import finish_sequence, track_summary
from label_irst.job import Job


@dataclass
class PrelabelReport:
    frames: int = 0
    targets: int = 0
    seconds: float = 0.0
    provider: str = ""
    #: the model record that ran (a CPU copy where one ran in its record's place)
    model: str = ""
    sequences: int = 0
    skipped_frames: int = 0
    encoder_runs: int = 0
    tracks: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "frames": self.frames,
            "targets": self.targets,
            "fps": round(self.frames / self.seconds, 3) if self.seconds > 0 else None,
            "provider": self.provider,
            "model": self.model,
            "sequences": self.sequences,
            "skipped_frames": self.skipped_frames,
            "encoder_runs": self.encoder_runs,
            "tracks": self.tracks,
        }


@dataclass
class UnitOptions:
    """What a unit of work needs besides its frames (sent as is to a cluster worker).

    ``grow``: grow guided masks (for mask files or project candidates); ``masks``: mask files
    are written (targets then carry ``mask_area``); ``tracker``: link detections into tracks
    (None: decide frame by frame at ``threshold``); ``edgsp_model``: the learned generator's
    model when the convention's generator is ``edgsp`` (None: the shipped one); ``flush``:
    frames between two saves of a folder record; ``link_partial``: a cancelled run still
    links the frames it read (the app, which does not resume); ``still_threshold``: the
    frame-by-frame threshold of image sets (stills are never linked; None: ``threshold``).
    """

    threshold: float
    cache: bool = True
    batch: int = 1
    pipeline: bool = True
    grow: bool = False
    masks: bool = False
    tracker: TrackerConfig | None = None
    convention: Convention | None = None
    edgsp_model: Path | None = None
    flush: int = 100
    link_partial: bool = False
    still_threshold: float | None = None

    @property
    def tracking(self) -> bool:
        return self.tracker is not None


def is_still(seq) -> bool:
    """Whether ``seq`` is an image set: each image pre-annotated alone."""
    return bool(getattr(seq, "still", False))


def is_single_frame(model) -> bool:
    """Whether ``model`` decides each frame alone and gives its masks itself (a segmenter,
    :class:`label_irst.infer.segmenter_detect.SegmenterDetector`): no triplets, no tracks."""
    return bool(getattr(model, "single_frame", False))


def options_for(seq, opts: UnitOptions) -> UnitOptions:
    """The options of one sequence: an image set is decided image by image at the
    frame-by-frame threshold, never linked into tracks."""
    if not is_still(seq) or opts.tracker is None:
        return opts
    threshold = opts.still_threshold if opts.still_threshold is not None else opts.threshold
    return replace(opts, tracker=None, threshold=threshold)


@dataclass
class FrameResult:
    """One frame of a unit, nothing written: its annotation entry (``targets``, or raw
    ``detections`` when tracking), frame shape, guided masks (None where not grown) and the
    encoder runs it cost, and why it was skipped (an image of an image set that cannot be
    read)."""

    t: int
    entry: dict
    shape: tuple[int, int]
    results: list | None
    encoded: int = 0
    skipped: str | None = None


class Tracked(NamedTuple):
    """A linked sequence, nothing written: each frame's target records, the track summary, and
    (t, shape, guided masks, per-sequence track ids) of the frames whose masks are stored."""

    targets: list[list[dict]]
    summary: list[dict]
    writes: list[tuple]


# -- grow masks ----------------------------------------------------------------------------------
def _grower(convention: Convention, edgsp_model: Path | None, warn):
    """``grow(image, seeds, radii) -> [GeneratedMask]`` of the convention, with the named
    learned model for ``edgsp`` passed explicitly (pamg+ with a warning where that model
    cannot be loaded)."""
    if convention.generator != "edgsp" or edgsp_model is None:
        return convention.generate_many
    from label_irst.infer.edgsp import current_model

    try:
        current_model(edgsp_model)
    except LabelIrstError as exc:
        if warn is not None:
            warn(f"edgsp: {exc}; using pamg+ instead")
        margin = int(convention.params.get("margin", 0))
        return Convention("pamg+", {"margin": margin}).generate_many
    return replace(convention, model=str(edgsp_model)).generate_many


def guided_results(
    image: np.ndarray,
    dets,
    scale: float = GUIDED_SCALE,
    warn=None,
    convention: Convention | None = None,
    edgsp_model: Path | None = None,
) -> list:
    """Guided mode (Rs = scale * r_hat, Sec. III-C2) for each detection (x, y, r_hat) with the
    convention's generator and parameters (default: pamg+ as shipped; ``edgsp_model`` names the
    learned generator's model): one GeneratedMask per detection, None where the generator
    refused the seed (``warn`` says why)."""
    convention = convention or Convention()
    dets = list(dets)
    if not dets:
        return []
    grow = _grower(convention, edgsp_model, warn)
    try:  # one batch per frame (one network call for a learned generator)
        radii = [guided_support_radius(d.radius, scale) for d in dets]
        return grow(image, [(d.x, d.y) for d in dets], radii)
    except LabelIrstError:
        pass  # some seed was refused: seed by seed, None in its place
    out = []
    for d in dets:
        try:
            rs = guided_support_radius(d.radius, scale)
            out.append(grow(image, [(d.x, d.y)], [rs])[0])
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"detection at {d.x:.0f},{d.y:.0f}: {exc}")
            out.append(None)
    return out


def union(results, shape: tuple[int, int]) -> tuple[np.ndarray, list[int]]:
    """Union mask and per-result areas (0 where PAMG refused) of guided-PAMG results."""
    full = np.zeros(shape, bool)
    areas = []
    for g in results:
        if g is not None:
            g.mask.paint(full, True)
        areas.append(int(g.area) if g is not None else 0)
    return full, areas


# -- detect --------------------------------------------------------------------------------------
def _warn_at(warn, where: str):
    return None if warn is None else (lambda m: warn(f"{where}: {m}"))


def label_unit(seq, model, opts: UnitOptions, start: int, stop: int, warn=None):
    """Yield a :class:`FrameResult` for each frame t in [start, stop) of ``seq``: RPR-Net
    detections (Sec. III-C2) and, without tracking, their guided masks. Writes nothing. An
    image set's images are run one by one, each as a still triplet (the image as its own
    temporal context, of any size); one that cannot be read is skipped."""
    opts = options_for(seq, opts)
    if is_single_frame(model):
        yield from _segmented(seq, model, opts, start, stop)
        return
    stems = seq.stems()
    threshold = opts.tracker.low if opts.tracker is not None else opts.threshold
    runner = SequenceRunner(
        model, threshold, cache=opts.cache, batch=opts.batch, pipeline=opts.pipeline
    )
    runs = 0
    if is_still(seq):
        frames = _stills(seq, runner, start, stop)
    else:
        frames = runner.run(seq.read, len(stems), start, stop)
    for t, img, dets in frames:
        encoded, runs = runner.encoder_runs - runs, runner.encoder_runs
        if isinstance(img, LabelIrstError):
            entry = {"frame": stems[t], "targets": [], "skipped": str(img)}
            yield FrameResult(t, entry, (0, 0), None, encoded, skipped=str(img))
            continue
        if opts.tracking:  # linked, masked and stored once the sequence is read
            entry = {"frame": stems[t], "detections": [d.as_dict() for d in dets]}
            yield FrameResult(t, entry, img.shape, None, encoded)
            continue
        targets = [d.as_dict() for d in dets]
        results = None
        if opts.grow:
            where = _warn_at(warn, f"{seq.name}/{stems[t]}")
            results = guided_results(img, dets, warn=where, convention=opts.convention,
                                     edgsp_model=opts.edgsp_model)  # fmt: skip
            if opts.masks:
                for d, g in zip(targets, results):
                    d["mask_area"] = int(g.area) if g is not None else 0
        yield FrameResult(t, {"frame": stems[t], "targets": targets}, img.shape, results, encoded)


def _segmented(seq, model, opts: UnitOptions, start: int, stop: int):
    """:func:`label_unit` with a single-frame segmenter: each frame's components are its
    detections and its masks (no generator runs, no tracks). An unreadable image of an image
    set is skipped; in a sequence it stops the sequence, as with RPR-Net."""
    stems = seq.stems()
    for t in range(start, stop):
        try:
            img = seq.read(t)
            dets, results = model.detect(img, opts.threshold)
        except LabelIrstError as exc:
            if not is_still(seq):
                raise
            entry = {"frame": stems[t], "targets": [], "skipped": str(exc)}
            yield FrameResult(t, entry, (0, 0), None, 0, skipped=str(exc))
            continue
        targets = [d.as_dict() for d in dets]
        if opts.masks:
            for d, g in zip(targets, results):
                d["mask_area"] = int(g.area)
        grown = results if opts.grow else None
        yield FrameResult(t, {"frame": stems[t], "targets": targets}, img.shape, grown, 1)


def _stills(seq, runner: SequenceRunner, start: int, stop: int):
    """(t, image, detections) of images start..stop-1, each run alone as a still triplet;
    (t, the error, []) for an image that cannot be read or run."""
    for t in range(start, stop):
        try:
            image = seq.read(t)
            for _, img, dets in runner.run(lambda _i, im=image: im, 1):
                yield t, img, dets
        except LabelIrstError as exc:
            yield t, exc, []


# -- link, fill gaps, grow -----------------------------------------------------------------------
def track_unit(seq, done: list[dict], opts: UnitOptions, warn=None) -> Tracked:
    """Link the detections of the frames read (``done``, from frame 0 on) into tracks, fill
    their gaps and grow their masks (:func:`finish_sequence`); nothing written."""
    stems = seq.stems()
    done = [dict(e) for e in done]
    writes = []

    def grow(img, dets, t):
        where = _warn_at(warn, f"{seq.name}/{stems[t]}")
        return guided_results(img, dets, warn=where, convention=opts.convention,
                              edgsp_model=opts.edgsp_model)  # fmt: skip

    def write(t, img, results, targets, ids):
        writes.append((t, img.shape, results, ids))

    tracks = finish_sequence(done, opts.tracker, seq.read, grow, write, opts.grow)
    return Tracked([e["targets"] for e in done], track_summary(tracks), writes)


def apply_tracks(done: list[dict], tracked: Tracked) -> None:
    """Each frame entry of ``done`` takes its tracked target records."""
    for entry, frame_targets in zip(done, tracked.targets):
        entry["targets"] = frame_targets


# -- the driver ----------------------------------------------------------------------------------
@dataclass
class Progress:
    """Frames done of a run's ``total``, reported to a job."""

    job: Job
    total: int
    done: int = 0

    def advance(self, n: int) -> None:
        self.done += n
        self.job.step(self.done, self.total)


def run_sequence(source, model, options: UnitOptions, sink, job: Job | None = None,
                 report: PrelabelReport | None = None,
                 progress: Progress | None = None) -> PrelabelReport:  # fmt: skip
    """Pre-annotate one sequence into ``sink``: detect from where the sink stopped, write each
    frame, then link, fill and grow the tracks of a fully read sequence. A bad frame skips the
    rest of the sequence with a warning (the frames before it are kept)."""
    job = job or Job()
    report = report if report is not None else PrelabelReport()
    options = options_for(source, options)
    stems = source.stems()
    progress = progress or Progress(job, len(stems))
    resume = sink.resume_from(source)
    done = resume.done
    if resume.finished:
        report.skipped_frames += len(stems)
        progress.advance(len(stems))
        return report
    report.skipped_frames += len(done)
    progress.done += len(done)
    try:
        for fr in label_unit(source, model, options, len(done), len(stems), job.warning):
            take_frame(source, fr, sink, done, report, job)
            progress.advance(1)
            if len(done) % options.flush == 0:
                sink.finish_sequence(source, done, None, False)
            if job.cancelled:
                break
    except LabelIrstError as exc:
        _skipped(job, report, source, exc)
        report.skipped_frames += len(stems) - len(done)  # the frames not read count as skipped
        if done:  # the frames read before the bad one are kept
            sink.finish_sequence(source, done, None, False)
        return report
    complete = len(done) == len(stems)
    if (
        options.tracking
        and done
        and ((complete and not job.cancelled) or (options.link_partial and job.cancelled))
    ):
        try:
            tracked = track_unit(source, done, options, job.warning)
        except LabelIrstError as exc:
            _skipped(job, report, source, exc)
            return report
        apply_tracks(done, tracked)
        report.tracks += sink.finish_sequence(source, done, tracked, complete)
        report.targets += sum(len(e["targets"]) for e in done)
        return report
    sink.finish_sequence(source, done, None, complete and not options.tracking)
    return report


def take_frame(source, fr: FrameResult, sink, done: list[dict], report: PrelabelReport,
               job: Job) -> None:  # fmt: skip
    """Hand one frame to the sink, add its entry to ``done`` and count it (a skipped image of
    an image set as skipped, with a warning)."""
    report.encoder_runs += fr.encoded
    sink.write_frame(source, fr)
    done.append(fr.entry)
    if fr.skipped is not None:
        job.warning(f"{source.name}/{fr.entry['frame']}: {fr.skipped}; skipped")
        report.skipped_frames += 1
    else:
        report.frames += 1
        report.targets += len(fr.entry.get("targets", ()))


def _skipped(job: Job, report: PrelabelReport, source, exc: LabelIrstError) -> None:
    job.warning(f"sequence {source.name}: {exc}; skipped")
    report.warnings.append(str(exc))
