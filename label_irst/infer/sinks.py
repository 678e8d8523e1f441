"""Where pre-annotation goes: a dataset folder, a project, or both (the :class:`Sink` protocol).

:func:`label_irst.infer.pipeline.run_sequence` asks a sink where a sequence stops
(``resume_from``), hands it each frame (``write_frame``) and, at the end or at a save point,
the sequence (``finish_sequence``, with its tracks once linked).

* :class:`FolderSink`: ``OUT/annotations/<seq>.json`` (per-frame targets x, y, radius, score;
  rewritten atomically with ``"complete": false`` every ``flush`` frames) and, with masks,
  ``OUT/masks/<seq>/<frame>.png``. A record's header (sequence, model, the model's SHA-256,
  threshold, tracking, and with masks the generator, its convention and a learned generator's
  model) says how it was made: a run with another header does not resume it, and refuses to
  replace it without ``force``.
* :class:`ProjectSink`: each frame's guided masks as ``model`` candidates (one transaction per
  frame, each with its detection score), replacing the frame's earlier model candidates and
  never touching confirmed or rejected targets. A reviewed frame
  (:mod:`label_irst.io.project_reviewed`) is not written at all: its detections still link
  the tracks through it, but its targets, candidates included, stay as the annotator left
  them. Track ids are handed out inside the
  transaction that writes them, so a target confirmed while the model ran keeps its own; a
  model track that runs through a confirmed target continues that target's track id.
* :class:`Tee`: both, the folder last: its record says what is done, so it is written after
  the project (a run killed between the two redoes the frame) and says where to resume.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from label_irst.errors import LabelIrstError
from label_irst.infer.pipeline import (
    FrameResult,
    Tracked,
    UnitOptions,
    is_single_frame,
    options_for,
    union,
)
from label_irst.infer.project import (
    confirmed_track_ids,
    detection_scores,
    store_detections,
)
from label_irst.infer.tracks import settings
from label_irst.io.atomic import clean_temp_files, write_text_atomic
from label_irst.io.files import read_json
from label_irst.io.images import write_mask
from label_irst.io.project_reviewed import reviewed_frames


@dataclass
class Resume:
    """What a sink already holds of a sequence: the annotation entries of its first frames,
    and whether the whole sequence is written (tracks linked where asked)."""

    done: list[dict] = field(default_factory=list)
    finished: bool = False


class Sink(Protocol):
    def resume_from(self, seq) -> Resume: ...

    def write_frame(self, seq, frame: FrameResult) -> None: ...

    def finish_sequence(self, seq, done: list[dict], tracked: Tracked | None,
                        complete: bool) -> int: ...  # fmt: skip


# -- a dataset folder ----------------------------------------------------------------------------
def file_digest(*paths: Path) -> str:
    """SHA-256 of the files' bytes, in order (a model: its record and its graphs)."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def model_digest(model) -> str:
    """SHA-256 of a detector model: an RPR-Net's metadata record, encoder and head graphs (a
    segmenter's record and graph)."""
    if hasattr(model, "graphs"):
        return file_digest(*model.graphs())
    meta = Path(model.path)
    return file_digest(meta, *(meta.parent / model.meta[k] for k in ("encoder", "head")))


def _learned_digest(path: Path | None) -> str | None:
    """SHA-256 of a learned generator (record and graph), None for the shipped one."""
    if path is None:
        return None
    try:
        meta = read_json(path)
        return file_digest(Path(path), Path(path).parent / str(meta.get("graph", "")))
    except (LabelIrstError, OSError, AttributeError):
        return "missing"


def record_of(path: Path) -> dict | None:
    """The prelabel record at ``path`` (a dict with the keys this module writes), or None."""
    try:
        record = read_json(path)
    except LabelIrstError:
        return None
    if isinstance(record, dict) and {"sequence", "model", "complete", "frames"} <= set(record):
        return record
    return None


#: keys of a record that are its content, not how it was made
CONTENT = ("tracks", "complete", "frames")


def check_outputs(seqs, out: Path, masks: bool, force: bool) -> None:
    """Refuse to replace annotation files or masks that prelabel did not write (``force``
    overrides); a record of an earlier prelabel run is resumed, as are its masks."""
    for seq in seqs:
        ann_path = out / "annotations" / f"{seq.name}.json"
        ours = record_of(ann_path) is not None if ann_path.is_file() else False
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


class FolderSink:
    """Annotation records and mask files under ``out`` (see the module docstring)."""

    def __init__(self, out: Path, model, opts: UnitOptions, force: bool = False):
        self.out = Path(out)
        self.masks = opts.masks
        self.force = force
        self.opts = opts
        self.model = {"model": Path(model.path).name, "model_sha256": model_digest(model)}
        self.own_masks = is_single_frame(model)  # a segmenter's masks: no generator runs
        self._records: dict[str, dict] = {}
        self._resumes: dict[str, Resume] = {}

    def header(self, seq) -> dict:
        """How ``seq``'s record is made: what a resumed run must repeat."""
        opts = options_for(seq, self.opts)
        header = {"sequence": seq.name, **self.model, "threshold": opts.threshold,
                  "tracking": settings(opts.tracker)}  # fmt: skip
        if opts.masks and self.own_masks:
            header["generator"] = self.model["model"]  # the segmenter's own components
        elif opts.masks:
            header["generator"] = opts.convention.generator
            header["convention"] = opts.convention.params
            if opts.convention.generator == "edgsp":
                header["generator_model"] = _learned_digest(opts.edgsp_model)
        return header

    def _path(self, seq) -> Path:
        return self.out / "annotations" / f"{seq.name}.json"

    def resume_from(self, seq) -> Resume:
        """What is already done of ``seq`` (asked once per sequence; the answer is kept)."""
        if seq.name in self._resumes:
            return self._resumes[seq.name]
        path = self._path(seq)
        clean_temp_files(path.parent)  # what a killed run was writing
        clean_temp_files(self.out / "masks" / seq.name)
        record = self.header(seq)
        old = record_of(path) if path.is_file() else None
        resume = Resume()
        if old is not None:
            made = {k: v for k, v in old.items() if k not in CONTENT}
            if made != record:
                if not self.force:
                    keys = sorted(
                        k for k in set(made) | set(record) if made.get(k) != record.get(k)
                    )
                    raise LabelIrstError(
                        f"{path}: written by prelabel with other settings ({', '.join(keys)}); "
                        "use --force to start it again, or choose another --out"
                    )
            else:
                resume.done = _frames_done(old, seq.stems())
                resume.finished = len(resume.done) == len(seq.stems()) and (
                    not options_for(seq, self.opts).tracking or "tracks" in old
                )
        self._records[seq.name] = record
        self._resumes[seq.name] = resume
        return resume

    def write_frame(self, seq, frame: FrameResult) -> None:
        if self.masks and frame.results is not None:
            self._write_mask(seq, frame.t, frame.shape, frame.results)

    def _write_mask(self, seq, t: int, shape, results) -> None:
        full, _ = union(results, shape)
        write_mask(self.out / "masks" / seq.name / f"{seq.stems()[t]}.png", full)

    def finish_sequence(self, seq, done, tracked: Tracked | None, complete: bool) -> int:
        """Rewrite the record atomically (temporary file + rename), with its tracks' masks."""
        record = self._records[seq.name]
        if tracked is not None:
            if self.masks:
                for t, shape, results, _ids in tracked.writes:
                    if results is not None:
                        self._write_mask(seq, t, shape, results)
            record["tracks"] = tracked.summary
        saved = {**record, "complete": complete, "frames": done}
        write_text_atomic(self._path(seq), json.dumps(saved, indent=0))
        return len(tracked.summary) if tracked is not None else 0


def _frames_done(record: dict, stems: list[str]) -> list[dict]:
    """The frame entries of a record that continue ``stems`` from its start ([] if none)."""
    done = record["frames"]
    if not isinstance(done, list) or not all(isinstance(f, dict) for f in done):
        return []
    names = [f.get("frame") for f in done]
    if names != stems[: len(names)]:
        return []
    return done


# -- a project -----------------------------------------------------------------------------------
class ProjectSink:
    """Model candidates in a project (see the module docstring); ``added`` counts them,
    ``kept_frames`` the reviewed frames left as they were."""

    def __init__(self, store):
        self.store = store
        self.added = 0
        self.kept_frames = 0
        self.reviewed = {seq: set(frames) for seq, frames in reviewed_frames(store).items()}

    def resume_from(self, seq) -> Resume:
        return Resume()  # a project keeps no raw detections: a sequence is read again

    def write_frame(self, seq, frame: FrameResult) -> None:
        if frame.results is None:
            return
        scores = detection_scores(frame.entry.get("targets", []))
        self.store_frame(seq, frame.t, frame.shape, frame.results, scores)

    def store_frame(self, seq, t: int, shape, results, scores, ids=None, tracks=None) -> int:
        """One frame's masks in one transaction; ``ids`` the per-sequence track ids, made
        project-wide through ``tracks`` (filled inside the transaction). A reviewed frame is
        left as it is (0)."""
        if t in self.reviewed.get(seq.sequence_id, ()):
            self.kept_frames += 1
            return 0
        saved = store_detections(self.store, seq.sequence_id, t, seq.frame_name(t), shape, results,
                                 ids, scores, tracks=tracks)  # fmt: skip
        self.added += len(saved)
        return len(saved)

    def finish_sequence(self, seq, done, tracked: Tracked | None, complete: bool) -> int:
        if tracked is None:
            return 0
        tracks = confirmed_track_ids(self.store, seq.sequence_id, tracked.writes)
        for t, shape, results, ids in tracked.writes:
            scores = detection_scores(tracked.targets[t])  # None in a filled frame
            self.store_frame(seq, t, shape, results, scores, ids, tracks)
        return len(tracked.summary)


class Tee:
    """Every call to each sink in order; the last sink (the record of what is done) says
    where a sequence resumes."""

    def __init__(self, *sinks):
        self.sinks = sinks

    def resume_from(self, seq) -> Resume:
        answers = [s.resume_from(seq) for s in self.sinks]
        return answers[-1]

    def write_frame(self, seq, frame: FrameResult) -> None:
        for s in self.sinks:
            s.write_frame(seq, frame)

    def finish_sequence(self, seq, done, tracked, complete: bool) -> int:
        return max(s.finish_sequence(seq, done, tracked, complete) for s in self.sinks)
