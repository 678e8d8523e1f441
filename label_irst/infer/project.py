"""RPR-Net and Label-IRST projects: sequences of a project for pre-labelling and training, and
detections stored as review candidates.

* :func:`project_sequences`: the frame sources of a project as sequences (name, frame stems,
  lazy reader), with each frame's confirmed targets (centroid, r = sqrt(area / pi)) for
  training (Sec. III-C1: full masks are used directly).
* :func:`store_candidates`: one frame's candidates of one source in one transaction, replacing
  that frame's earlier candidates of the source (never duplicating them); a candidate whose seed
  falls inside a target kept on the frame (reviewed, or from another source) is dropped. The
  app's Pre-annotate and Convert boxes actions and ``prelabel PROJECT`` (through
  :func:`store_detections`, for guided-PAMG masks) share it.
* :func:`detection_scores`: the detection score of each target record of a frame
  (``prelabel``'s annotation records): a model candidate is stored with its detection's RPR-Net
  score (Sec. III-B). A frame that a tracker filled (``"filled"``, grown at the local extremum
  near the predicted position) has no detection and is stored without a score: the track's
  score (its mean over the frames, gaps counting 0) is a property of the track, which the track
  list derives from its targets' scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.core.geometry import equivalent_radius
from label_irst.errors import LabelIrstError
from label_irst.infer.sequences import Sequence
from label_irst.io.project import ProjectStore, Target

SOURCE = "model"


def is_project(path: str | Path) -> bool:
    """A project file: the .lirst (or .irst) suffix, or an SQLite file."""
    from label_irst.io.formats.project_file import detect

    return detect(Path(path))


@dataclass
class ProjectSequence(Sequence):
    """One frame source of a project (a folder, a video or a single image) as a
    :class:`~label_irst.infer.sequences.Sequence`, with its id in the project and the confirmed
    targets of each frame."""

    sequence_id: int = 0
    #: frame stem -> [(x, y, r)] of the confirmed targets
    confirmed: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    #: the source as the project records it (the folder, the video or the image file)
    origin: Path | None = None

    @property
    def source(self) -> Path:
        return self.origin


def project_sequence(
    name: str, sequence_id: int, source, names: list[str], still: bool = False, reader=None
) -> ProjectSequence:
    """The project sequence of ``source`` whose frames are ``names`` (file names in a folder,
    index names of a video, the file name of a single image); ``reader``: one already open."""
    from label_irst.io.sequence import is_video_file

    source = Path(source)
    if is_video_file(source):
        storage = {"video": source, "names": list(names)}
    elif source.is_dir():
        storage = {"frames": [source / n for n in names]}
    else:
        storage = {"frames": [source]}
    seq = ProjectSequence(name, still=still, sequence_id=sequence_id, origin=source, **storage)
    if reader is not None and seq.video is not None:
        seq._reader = reader
    elif reader is not None:
        reader.close()
    return seq


def frames_are_stills(store: ProjectStore, sequence_id: int, kind: str, source, names) -> bool:
    """Whether a project sequence is an image set, pre-annotated image by image: as the
    project says (Sequence › Frames form a sequence), else a video is a sequence, and a folder
    is one when its frames are numbered and of one size (:func:`label_irst.infer.sequences.is_image_set`)."""
    from label_irst.infer.sequences import is_image_set
    from label_irst.io.project_settings import ProjectSettings

    said = ProjectSettings(store).frames_form_sequence(sequence_id)
    if said is not None:
        return not said
    if kind == "video":
        return False
    if kind == "folder":
        return is_image_set([Path(source) / n for n in names])
    return True  # a single image


def project_sequences(store: ProjectStore, warn=None, mode: str = "auto") -> list[ProjectSequence]:
    """The project's sequences whose source can still be opened (``warn`` names the others);
    ``mode`` ``still`` or ``sequence`` overrides :func:`frames_are_stills`."""
    from label_irst.io.sequence import open_sequence

    out: list[ProjectSequence] = []
    used: set[str] = set()
    for record in store.sequences():
        source = Path(record.source)
        try:
            reader = open_sequence(source)
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"sequence {record.id}: {exc}; skipped")
            continue
        name = source.name if record.kind == "folder" else source.stem
        if name in used:
            name = f"{name}_{record.id}"
        used.add(name)
        seq = project_sequence(name, record.id, source, list(reader.names), reader=reader)
        if mode == "auto":
            seq.still = frames_are_stills(store, record.id, record.kind, source, list(reader.names))
        else:
            seq.still = mode == "still"
        stems = seq.stems()
        for t in store.targets(record.id, status="confirmed"):
            if 0 <= t.frame < len(stems) and t.mask.area > 0:
                cx, cy = t.mask.centroid()
                r = float(equivalent_radius(t.mask.area))
                seq.confirmed.setdefault(stems[t.frame], []).append((float(cx), float(cy), r))
        out.append(seq)
    return out


def model_candidate(sequence_id: int, index: int, result, score: float | None = None) -> Target:
    """The review-queue target of one detection's guided-PAMG mask, with the detection's score
    (None: no detection, as in a frame the tracker filled)."""
    return Target.from_generated(
        result, sequence_id=sequence_id, frame=index, source=SOURCE, status="candidate",
        score=_score(score),
    )  # fmt: skip


def _score(value) -> float | None:
    """A detection score as stored: a finite number, else None."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def detection_scores(records: list[dict]) -> list[float | None]:
    """The detection score of each of a frame's target records: ``det_score`` in a tracked
    frame (``score`` there is the track's), ``score`` in an untracked one, None in a frame the
    tracker filled (no detection) or where the record holds no number."""
    out = []
    for r in records:
        if not isinstance(r, dict) or r.get("filled"):
            out.append(None)
        else:
            out.append(_score(r["det_score"] if "det_score" in r else r.get("score")))
    return out


def fresh(results, kept: list[Target]) -> list:
    """The items (generator results or targets: anything with a seed) whose seed does not fall
    inside a target kept on the frame."""
    out = []
    for r in results:
        col, row = r.seed
        if not any(_covers(t, col, row) for t in kept):
            out.append(r)
    return out


def _covers(target: Target, col: int, row: int) -> bool:
    r0, c0 = target.mask.offset
    crop = target.mask.crop
    i, j = row - r0, col - c0
    return 0 <= i < crop.shape[0] and 0 <= j < crop.shape[1] and bool(crop[i, j])


def store_candidates(
    store: ProjectStore,
    sequence_id: int,
    index: int,
    source: str,
    targets: list[Target],
    name: str,
    shape,
    tracks: dict[int, int] | None = None,
) -> list[Target]:
    """Swap a frame's ``source`` candidates for ``targets`` in one transaction, leaving out the
    targets whose seed falls inside a target kept on the frame (reviewed, or another source);
    ``tracks``: see :meth:`ProjectStore.replace_candidates`."""
    kept = [
        t
        for t in store.targets(sequence_id, frame=index)
        if not (t.source == source and t.status == "candidate")
    ]
    todo = fresh(targets, kept)
    return store.replace_candidates(sequence_id, index, source, todo, name, tuple(shape), tracks)


def store_detections(
    store: ProjectStore, sequence_id: int, index: int, name: str, shape, results, track_ids=None,
    scores=None, tracks: dict[int, int] | None = None,
) -> list[Target]:  # fmt: skip
    """Save one frame's guided-PAMG results (None entries ignored) as ``model`` candidates,
    each with its track id when ``track_ids`` and its detection score when ``scores`` (one per
    result each) are given. With ``tracks``, ``track_ids`` are the run's per-sequence ids, made
    project-wide inside the writing transaction (:meth:`ProjectStore.replace_candidates`)."""
    ids = list(track_ids) if track_ids is not None else [None] * len(results)
    scores = list(scores) if scores is not None else [None] * len(results)
    if not len(ids) == len(scores) == len(results):
        raise LabelIrstError(
            f"{name}: {len(results)} masks, {len(ids)} track ids and {len(scores)} scores"
        )
    targets = [
        model_candidate(sequence_id, index, r, s).copy(track_id=i)
        for r, i, s in zip(results, ids, scores)
        if r is not None and r.mask.area > 0
    ]
    return store_candidates(store, sequence_id, index, SOURCE, targets, name, shape, tracks)


def confirmed_track_ids(store, sequence_id: int, writes) -> dict[int, int]:
    """Per-sequence track id -> the track id of a confirmed target the track runs through (its
    guided mask's seed falls inside that target in some frame), so a track continues the one
    the annotator confirmed instead of starting a second track on the same target. Each
    confirmed track is taken by one model track at most (the first in frame order). ``writes``:
    (frame, shape, guided masks, per-sequence track ids) of a linked sequence."""
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


def training_sequences(path: str | Path, warn=None):
    """Training data from a project (Sec. III-C1): its sequences restricted to the frames that
    hold at least one confirmed target, and those targets' (x, y, r) from their masks.

    Everything else in such a frame is taken as background, so confirm every target of a frame
    before training on it. The project is read without taking its lock.
    """
    with ProjectStore.open(path, readonly=True) as store:
        seqs = project_sequences(store, warn)
    out, targets = [], {}
    for seq in seqs:
        if not seq.confirmed:
            seq.close()
            continue
        seq.keep = set(seq.confirmed)
        out.append(seq)
        targets[seq.name] = seq.confirmed
    if not out:
        raise LabelIrstError(f"{path}: no confirmed targets to train on")
    return out, targets
