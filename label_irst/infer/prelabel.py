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
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.batch.progress import Job
from label_irst.core.convention import Convention
from label_irst.core.pamg import GUIDED_SCALE, guided_support_radius
from label_irst.core.tracking import TrackerConfig
from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD
from label_irst.infer.project import is_project, project_sequences, store_detections
from label_irst.infer.rprnet import SequenceRunner
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import RPRModel
from label_irst.infer.tracks import finish_sequence, settings, track_summary
from label_irst.io.atomic import write_text_atomic
from label_irst.io.images import write_mask
from label_irst.io.project import ProjectStore


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


def _load_partial(path: Path, frames: list[str], tracking: dict | None = None) -> list[dict]:
    if not path.is_file():
        return []
    try:
        record = json.loads(path.read_text())
        done = list(record["frames"])
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if record.get("tracking") != tracking:  # other tracking settings: start the sequence again
        return []
    names = [f.get("frame") for f in done]
    if names != frames[: len(names)]:
        return []
    return done


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
) -> PrelabelReport:
    """Pre-label every sequence of ``data`` (dataset root, frame folder or project) into
    ``out``; resumes finished work. ``tracking`` links the detections into tracks.

    Masks come from ``convention`` when given; else, for a project, from the project's generator
    (or ``generator``) and its stored convention; else from ``generator`` (default pamg+).
    """
    from label_irst.io.convention import project_convention, resolve_convention

    job = job or Job()
    if is_project(data):
        if split is not None:
            raise LabelIrstError("--split applies to dataset roots, not to a project")
        with ProjectStore.open(data) as store:
            convention = convention or project_convention(store, generator)
            seqs = project_sequences(store, job.warning)
            if not seqs:
                raise LabelIrstError(f"{data}: no readable sequence in the project")
            try:
                return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline,
                                 flush, job, convention, store, tracking)  # fmt: skip
            finally:
                for seq in seqs:
                    seq.close()
    convention = convention or resolve_convention(generator, None)
    seqs = read_sequences(data, split)
    return _prelabel(seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job,
                     convention, None, tracking)  # fmt: skip


def _prelabel(
    seqs, model, out, masks, threshold, batch, cache, pipeline, flush, job: Job, convention,
    store=None, tracking: TrackerConfig | None = None,
) -> PrelabelReport:  # fmt: skip
    out = Path(out)
    report = PrelabelReport(provider=model.provider, sequences=len(seqs))
    total = sum(len(s.frames) for s in seqs)
    done_total = 0
    t0 = time.perf_counter()
    for seq in seqs:
        stems = seq.stems()
        ann_path = out / "annotations" / f"{seq.name}.json"
        done = _load_partial(ann_path, stems, settings(tracking))
        record = {"sequence": seq.name, "model": model.path.name, "threshold": threshold,
                  "tracking": settings(tracking)}  # fmt: skip
        if tracking is not None:
            record["threshold"] = tracking.low
        if masks:
            record["generator"] = convention.generator
            record["convention"] = convention.params
        if len(done) == len(stems) and (tracking is None or "tracks" in _record_of(ann_path)):
            done_total += len(stems)
            report.skipped_frames += len(stems)
            job.step(done_total, total)
            continue
        report.skipped_frames += len(done)
        done_total += len(done)
        runner = SequenceRunner(
            model, record["threshold"], cache=cache, batch=batch, pipeline=pipeline
        )

        def save(complete: bool, done=done, record=record, ann_path=ann_path) -> None:
            write_text_atomic(
                ann_path, json.dumps({**record, "complete": complete, "frames": done}, indent=0)
            )

        try:
            for t, img, dets in runner.run(seq.read, len(stems), len(done)):
                if tracking is not None:  # linked, masked and stored once the sequence is read
                    done.append({"frame": stems[t], "detections": [d.as_dict() for d in dets]})
                    report.frames += 1
                    done_total += 1
                    job.step(done_total, total)
                    if len(done) % flush == 0:
                        save(False)
                    if job.cancelled:
                        break
                    continue
                targets = [d.as_dict() for d in dets]
                if masks or store is not None:
                    where = f"{seq.name}/{stems[t]}"
                    results = guided_results(
                        img, dets, warn=lambda m, w=where: job.warning(f"{w}: {m}"),
                        convention=convention,
                    )  # fmt: skip
                    if store is not None:  # project sequences name their frames
                        store_detections(
                            store, seq.sequence_id, t, seq.names[t], img.shape, results
                        )
                if masks:
                    full, areas = union(results, img.shape)
                    write_mask(out / "masks" / seq.name / f"{stems[t]}.png", full)
                    for d, a in zip(targets, areas):
                        d["mask_area"] = a
                done.append({"frame": stems[t], "targets": targets})
                report.frames += 1
                report.targets += len(targets)
                done_total += 1
                job.step(done_total, total)
                if len(done) % flush == 0:
                    save(False)
                if job.cancelled:
                    break
        except LabelIrstError as exc:
            job.warning(f"sequence {seq.name}: {exc}; skipped")
            report.warnings.append(str(exc))
            continue
        finally:
            report.encoder_runs += runner.encoder_runs
        if tracking is not None and len(done) == len(stems) and not job.cancelled:
            try:
                tracks = _finish_tracks(
                    seq, stems, done, tracking, out, masks, store, job, convention
                )
            except LabelIrstError as exc:
                job.warning(f"sequence {seq.name}: {exc}; skipped")
                report.warnings.append(str(exc))
                continue
            record["tracks"] = track_summary(tracks)
            report.tracks += len(tracks)
            report.targets += sum(len(e["targets"]) for e in done)
        save(len(done) == len(stems) and (tracking is None or "tracks" in record))
        if job.cancelled:
            break
    report.seconds = time.perf_counter() - t0
    return report


def _record_of(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _finish_tracks(seq, stems, done, tracking, out, masks, store, job: Job, convention):
    """Link a fully read sequence's detections into tracks; masks and project candidates of
    the tracked targets, with project-wide track ids (per-sequence id + an offset)."""
    base = store.new_track_id() - 1 if store is not None else 0

    def grow(img, dets, t):
        where = f"{seq.name}/{stems[t]}"
        return guided_results(img, dets, warn=lambda m, w=where: job.warning(f"{w}: {m}"),
                              convention=convention)  # fmt: skip

    def write(t, img, results, targets, ids):
        if store is not None:
            ids = [base + i for i in ids]
            store_detections(store, seq.sequence_id, t, seq.names[t], img.shape, results, ids)
        if masks:
            full, _ = union(results, img.shape)
            write_mask(Path(out) / "masks" / seq.name / f"{stems[t]}.png", full)

    return finish_sequence(done, tracking, seq.read, grow, write, masks or store is not None)
