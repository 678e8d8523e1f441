"""Batch pre-labelling of sequences with RPR-Net (+ guided masks, Sec. III-C2).

Writes the ground-truth layout: ``OUT/annotations/<seq>.json`` (per-frame targets x, y, radius,
score) and, with masks, ``OUT/masks/<seq>/<frame>.png`` grown in guided mode (Rs = 5 r_hat,
Sec. III-C2) by the project's generator and annotation convention (default: pamg+ as shipped;
``convention`` overrides, see :mod:`label_irst.core.convention`).
DATA may also be a Label-IRST project: every readable sequence of it is pre-labelled, and each
frame's guided-PAMG masks are also stored in the project as ``model`` candidates for review
(:func:`label_irst.infer.project.store_detections`, one transaction per frame).
The annotation file is rewritten atomically every ``flush`` frames with ``"complete": false``
until the sequence ends, so a stopped run resumes at the first frame it had not saved.

With ``tracking`` (a :class:`label_irst.core.tracking.TrackerConfig`, the command's default) the
model runs at the tracker's low threshold, each frame's raw detections are saved as
``"detections"``, and once the sequence is read they are linked into tracks
(:func:`label_irst.infer.tracks.finish_sequence`): each frame's ``"targets"`` then carry the
track ``"id"`` (project candidates its ``track_id``), masks are grown for the tracked targets
and gaps in a track are filled by guided masks at the local extremum near the predicted position.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.core.convention import Convention
from label_irst.core.pamg import GUIDED_SCALE, guided_support_radius
from label_irst.core.tracking import TrackerConfig
from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD
from label_irst.infer.project import (
    detection_scores,
    fresh,
    is_project,
    project_sequences,
    store_detections,
)
from label_irst.infer.rprnet import SequenceRunner
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import RPRModel
from label_irst.infer.tracks import finish_sequence, settings, track_summary
from label_irst.io.atomic import clean_temp_files, write_text_atomic
from label_irst.io.files import read_json, refuse_overlap
from label_irst.io.images import write_mask
from label_irst.io.project import ProjectStore
from label_irst.job import Job


@dataclass
class PrelabelReport:
    frames: int = 0
    targets: int = 0
    seconds: float = 0.0
    provider: str = ""
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
            "sequences": self.sequences,
            "skipped_frames": self.skipped_frames,
            "encoder_runs": self.encoder_runs,
            "tracks": self.tracks,
        }


def guided_results(
    image: np.ndarray,
    dets,
    scale: float = GUIDED_SCALE,
    warn=None,
    convention: Convention | None = None,
) -> list:
    """Guided mode (Rs = scale * r_hat, Sec. III-C2) for each detection (x, y, r_hat) with the
    convention's generator and parameters (default: pamg+ as shipped): one GeneratedMask per
    detection, None where the generator refused the seed (``warn`` says why)."""
    convention = convention or Convention()
    dets = list(dets)
    try:  # one batch per frame (one network call for a learned generator)
        radii = [guided_support_radius(d.radius, scale) for d in dets]
        return convention.generate_many(image, [(d.x, d.y) for d in dets], radii)
    except LabelIrstError:
        pass  # some seed was refused: seed by seed, None in its place
    out = []
    for d in dets:
        try:
            rs = guided_support_radius(d.radius, scale)
            out.append(convention.generate(image, (d.x, d.y), rs))
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


def guided_masks(image: np.ndarray, dets, scale: float = GUIDED_SCALE, convention=None):
    """Union mask and per-detection mask areas of the guided masks seeded by (x, y, r_hat)."""
    return union(guided_results(image, dets, scale, convention=convention), image.shape)


def _record_of(path: Path) -> dict | None:
    """The prelabel record at ``path`` (a dict with the keys this module writes), or None."""
    try:
        record = read_json(path)
    except LabelIrstError:
        return None
    if isinstance(record, dict) and {"sequence", "model", "complete", "frames"} <= set(record):
        return record
    return None


def _load_partial(path: Path, frames: list[str], tracking: dict | None = None) -> list[dict]:
    if not path.is_file():
        return []
    record = _record_of(path)
    if record is None or not isinstance(record["frames"], list):
        return []
    done = record["frames"]
    if not all(isinstance(f, dict) for f in done):
        return []
    if record.get("tracking") != tracking:  # other tracking settings: start the sequence again
        return []
    names = [f.get("frame") for f in done]
    if names != frames[: len(names)]:
        return []
    return done


def check_outputs(seqs, out: Path, masks: bool, force: bool) -> None:
    """Refuse to replace annotation files or masks that prelabel did not write (``force``
    overrides); a record of an earlier prelabel run is resumed, as are its masks."""
    for seq in seqs:
        ann_path = out / "annotations" / f"{seq.name}.json"
        ours = _record_of(ann_path) is not None if ann_path.is_file() else False
        if force or ours:
            continue
        if os.path.lexists(ann_path):
            raise LabelIrstError(
                f"{ann_path}: exists and was not written by prelabel "
                "(use --force to replace it, or choose another --out)"
            )
        mask_dir = out / "masks" / seq.name
        hidden = lambda p: p.name.startswith(".")  # noqa: E731 - a killed run's temporaries
        if masks and mask_dir.is_dir() and any(not hidden(p) for p in mask_dir.iterdir()):
            raise LabelIrstError(
                f"{mask_dir}: holds masks that prelabel did not write "
                "(use --force to replace them, or choose another --out)"
            )


@dataclass
class UnitOptions:
    """What a unit of work needs besides its frames (sent as is to a cluster worker).

    ``grow``: grow guided masks (for mask files or project candidates); ``masks``: mask files
    are written (targets then carry ``mask_area``).
    """

    threshold: float
    cache: bool = True
    batch: int = 1
    pipeline: bool = True
    grow: bool = False
    masks: bool = False
    tracking: bool = False
    convention: Convention | None = None


@dataclass
class FrameResult:
    """One frame of a unit, nothing written: its annotation entry (``targets``, or raw
    ``detections`` when tracking), frame shape, guided masks (None where not grown) and the
    encoder runs it cost."""

    t: int
    entry: dict
    shape: tuple[int, int]
    results: list | None
    encoded: int = 0


def label_unit(seq, model: RPRModel, opts: UnitOptions, start: int, stop: int, warn=None):
    """Yield a :class:`FrameResult` for each frame t in [start, stop) of ``seq``: RPR-Net
    detections (Sec. III-C2) and, without tracking, their guided masks. Writes nothing; the
    single-machine driver and the cluster workers (:mod:`label_irst.infer.ray_runner`) both
    call it, so their outputs are the same."""
    stems = seq.stems()
    runner = SequenceRunner(
        model, opts.threshold, cache=opts.cache, batch=opts.batch, pipeline=opts.pipeline
    )
    runs = 0
    for t, img, dets in runner.run(seq.read, len(stems), start, stop):
        encoded, runs = runner.encoder_runs - runs, runner.encoder_runs
        if opts.tracking:  # linked, masked and stored once the sequence is read
            entry = {"frame": stems[t], "detections": [d.as_dict() for d in dets]}
            yield FrameResult(t, entry, img.shape, None, encoded)
            continue
        targets = [d.as_dict() for d in dets]
        results = None
        if opts.grow:
            where = f"{seq.name}/{stems[t]}"
            results = guided_results(
                img, dets, warn=None if warn is None else lambda m, w=where: warn(f"{w}: {m}"),
                convention=opts.convention,
            )  # fmt: skip
            if opts.masks:
                for d, g in zip(targets, results):
                    d["mask_area"] = int(g.area) if g is not None else 0
        yield FrameResult(t, {"frame": stems[t], "targets": targets}, img.shape, results, encoded)


def track_unit(seq, done: list[dict], tracking: TrackerConfig, opts: UnitOptions, warn=None):
    """Link a fully read sequence's detections into tracks (:func:`finish_sequence`), nothing
    written: (per-frame targets, track summary, [(t, shape, guided masks, per-sequence track
    ids)] of the frames whose masks or candidates are to be stored)."""
    stems = seq.stems()
    done = [dict(e) for e in done]
    writes = []

    def grow(img, dets, t):
        where = f"{seq.name}/{stems[t]}"
        return guided_results(
            img, dets, warn=None if warn is None else lambda m, w=where: warn(f"{w}: {m}"),
            convention=opts.convention,
        )  # fmt: skip

    def write(t, img, results, targets, ids):
        writes.append((t, img.shape, results, ids))

    tracks = finish_sequence(done, tracking, seq.read, grow, write, opts.grow)
    return [e["targets"] for e in done], track_summary(tracks), writes


@dataclass
class SequenceState:
    """The driver's view of one sequence: its annotation record, the frames done so far."""

    seq: object
    stems: list[str]
    path: Path
    record: dict
    done: list[dict]
    finished: bool

    def save(self, complete: bool) -> None:
        """Rewrite the annotation file atomically (temporary file + rename)."""
        record = {**self.record, "complete": complete, "frames": self.done}
        write_text_atomic(self.path, json.dumps(record, indent=0))


def sequence_state(seq, out: Path, model_name: str, opts: UnitOptions, tracking) -> SequenceState:
    """What is already done of ``seq`` in ``out`` (resume), and its annotation record."""
    stems = seq.stems()
    path = out / "annotations" / f"{seq.name}.json"
    clean_temp_files(path.parent)  # what a killed run was writing
    clean_temp_files(out / "masks" / seq.name)
    done = _load_partial(path, stems, settings(tracking))
    record = {"sequence": seq.name, "model": model_name, "threshold": opts.threshold,
              "tracking": settings(tracking)}  # fmt: skip
    if opts.masks:
        record["generator"] = opts.convention.generator
        record["convention"] = opts.convention.params
    finished = len(done) == len(stems) and (
        tracking is None or "tracks" in (_record_of(path) or {})
    )
    return SequenceState(seq, stems, path, record, done, finished)


def write_frame(
    state: SequenceState, t, shape, results, out: Path, masks: bool, store, ids=None, records=None
):
    """Store one frame's guided masks: project candidates (one transaction, each with its
    detection score from ``records``, the frame's target records) and the union mask file
    (atomic)."""
    seq = state.seq
    if store is not None and results is not None:  # project sequences name their frames
        scores = detection_scores(records) if records is not None else None
        store_detections(store, seq.sequence_id, t, seq.names[t], shape, results, ids, scores)
    if masks and results is not None:
        full, _ = union(results, shape)
        write_mask(out / "masks" / seq.name / f"{state.stems[t]}.png", full)


def finish_tracks(state: SequenceState, tracked, out: Path, masks: bool, store) -> int:
    """Write what :func:`track_unit` returned: masks and candidates with project-wide track
    ids (per-sequence id + an offset), each frame's targets; the number of tracks."""
    targets, summary, writes = tracked
    base = store.new_track_id() - 1 if store is not None else 0
    adopted = confirmed_track_ids(store, state.seq.sequence_id, writes) if store else {}
    for t, shape, results, ids in writes:
        ids = [adopted.get(i, base + i) for i in ids]
        write_frame(state, t, shape, results, out, masks, store, ids, targets[t])
    for entry, frame_targets in zip(state.done, targets):
        entry["targets"] = frame_targets
    state.record["tracks"] = summary
    return len(summary)


def confirmed_track_ids(store, sequence_id: int, writes) -> dict[int, int]:
    """Per-sequence track id -> the track id of a confirmed target the track runs through (its
    guided mask's seed falls inside that target in some frame), so a track continues the one
    the annotator confirmed instead of starting a second track on the same target. Each
    confirmed track is taken by one model track at most (the first in frame order)."""
    adopted: dict[int, int] = {}
    taken: set[int] = set()
    for t, _shape, results, ids in writes:
        confirmed = [k for k in store.targets(sequence_id, frame=t)
                     if k.status == "confirmed" and k.track_id is not None]  # fmt: skip
        if not confirmed:
            continue
        for result, i in zip(results, ids):
            if result is None or i in adopted:
                continue
            for k in confirmed:
                if k.track_id not in taken and not fresh([result], [k]):
                    adopted[i] = k.track_id
                    taken.add(k.track_id)
                    break
    return adopted


def prelabel(
    data: str | Path,
    model: RPRModel,
    out: str | Path,
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
) -> PrelabelReport:
    """Pre-label every sequence of ``data`` (dataset root, frame folder or project) into
    ``out``; resumes finished work. ``tracking`` links the detections into tracks. ``ray``
    (a :class:`label_irst.infer.ray_runner.RayOptions`) runs the units on a Ray cluster. An
    ``out`` that is or holds ``data`` is refused, and so are files there that prelabel did not
    write (unless ``force``).

    Masks come from ``convention`` when given; else, for a project, from the project's generator
    (or ``generator``) and its stored convention; else from ``generator`` (default pamg+).
    """
    from label_irst.io.convention import project_convention, resolve_convention

    job = job or Job()
    refuse_overlap(out, [data])
    if is_project(data):
        if split is not None:
            raise LabelIrstError("--split applies to dataset roots, not to a project")
        with ProjectStore.open(data) as store:
            convention = convention or project_convention(store, generator)
            seqs = project_sequences(store, job.warning)
            if not seqs:
                raise LabelIrstError(f"{data}: no readable sequence in the project")
            try:
                check_outputs(seqs, Path(out), masks, force)
                return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline,
                                 flush, job, convention, store, tracking, ray)  # fmt: skip
            finally:
                for seq in seqs:
                    seq.close()
    convention = convention or resolve_convention(generator, None)
    seqs = read_sequences(data, split)
    check_outputs(seqs, Path(out), masks, force)
    return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job,
                     convention, None, tracking, ray)  # fmt: skip


def _prelabel(
    seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job: Job, convention,
    store=None, tracking: TrackerConfig | None = None, ray=None,
) -> PrelabelReport:  # fmt: skip
    out = Path(out)
    opts = UnitOptions(
        tracking.low if tracking is not None else threshold, cache, batch, pipeline,
        grow=masks or store is not None, masks=masks, tracking=tracking is not None,
        convention=convention,
    )  # fmt: skip
    states = [sequence_state(seq, out, model.path.name, opts, tracking) for seq in seqs]
    report = PrelabelReport(provider=model.provider, sequences=len(seqs))
    t0 = time.perf_counter()
    if ray is not None:
        from label_irst.infer.ray_runner import run_on_cluster

        run_on_cluster(ray, states, model, opts, tracking, out, store, flush, job, report)
    else:
        _run_local(states, model, opts, tracking, out, store, flush, job, report)
    report.seconds = time.perf_counter() - t0
    return report


def _run_local(states, model, opts, tracking, out, store, flush, job: Job, report) -> None:
    total = sum(len(s.stems) for s in states)
    done_total = 0
    for state in states:
        seq, stems, done = state.seq, state.stems, state.done
        if state.finished:
            done_total += len(stems)
            report.skipped_frames += len(stems)
            job.step(done_total, total)
            continue
        report.skipped_frames += len(done)
        done_total += len(done)
        try:
            for fr in label_unit(seq, model, opts, len(done), len(stems), job.warning):
                report.encoder_runs += fr.encoded
                write_frame(state, fr.t, fr.shape, fr.results, out, opts.masks, store,
                            records=fr.entry.get("targets"))  # fmt: skip
                done.append(fr.entry)
                report.frames += 1
                report.targets += len(fr.entry.get("targets", ()))
                done_total += 1
                job.step(done_total, total)
                if len(done) % flush == 0:
                    state.save(False)
                if job.cancelled:
                    break
        except LabelIrstError as exc:
            job.warning(f"sequence {seq.name}: {exc}; skipped")
            report.warnings.append(str(exc))
            if done:  # the frames read before the bad one are kept
                state.save(False)
            continue
        if tracking is not None and len(done) == len(stems) and not job.cancelled:
            try:
                tracked = track_unit(seq, done, tracking, opts, job.warning)
                report.tracks += finish_tracks(state, tracked, out, opts.masks, store)
            except LabelIrstError as exc:
                job.warning(f"sequence {seq.name}: {exc}; skipped")
                report.warnings.append(str(exc))
                continue
            report.targets += sum(len(e["targets"]) for e in done)
        state.save(len(done) == len(stems) and (tracking is None or "tracks" in state.record))
        if job.cancelled:
            break
