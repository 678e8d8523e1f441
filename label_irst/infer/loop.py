"""The loop's evaluation protocol (``label-irst eval-loop``): the annotator's review replayed on
ground truth, and the pre-annotation of what is left scored as an annotator meets it.

* **Review.** For each sequence of a dataset root, the first ⌊share × frames⌋ frames play the
  annotator's review: their ground-truth targets are confirmed and the frames are reviewed
  (everything else in them is background). The other frames are *remaining*.
* **Remaining frames** are pre-annotated as ``prelabel`` does it, through the same pipeline, as
  a window of each sequence that starts after its review (:meth:`LoopSequence.remaining`), so
  the tracker sees what an annotator would still have to review; frames are read where they
  are stored (folders of frames or videos).
* **Score** on the remaining frames: Pd (Eq. 18 with a matching distance, default 3 px), false
  detections per frame, Fa (Eq. 18: unmatched discs of radius r̂ over all pixels), tracks, and
  the review effort left: one key (T or X) per predicted track plus one click per missed
  target-frame, divided by the target-frames. A target with no track id counts one key.
  Sequences that carry a ``distance`` label (``label-irst dataset videos``) are also scored per
  distance bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from label_irst.core.metrics import MATCH_DISTANCE
from label_irst.errors import LabelIrstError
from label_irst.infer.matching import boxes_for, match
from label_irst.infer.sequences import Sequence, read_annotation, read_sequences
from label_irst.io.files import read_json

Points = list[tuple[float, float]]


@dataclass
class LoopSequence:
    """One sequence of the protocol: the indices of its frames in order (those of the split),
    the ground-truth points per frame stem, its distance label, and how many of those frames
    the review covers."""

    sequence: Sequence
    kept: list[int]
    truth: dict[str, Points]
    distance: str | None
    reviewed: int
    #: each frame's target boxes (None where a target has none), for ``--match box``
    boxes: dict[str, list] = field(default_factory=dict)

    @property
    def stems(self) -> list[str]:
        names = self.sequence.stems()
        return [names[t] for t in self.kept]

    @property
    def reviewed_stems(self) -> list[str]:
        return self.stems[: self.reviewed]

    @property
    def remaining_stems(self) -> list[str]:
        return self.stems[self.reviewed :]

    def remaining(self) -> Sequence | None:
        """The frames after the review as a window of the sequence (read where they are
        stored: a folder or a video), its split frames named in ``keep``; None if none."""
        rest = self.kept[self.reviewed :]
        if not rest:
            return None
        return self.sequence.window(rest[0], rest[-1] + 1, keep=set(self.remaining_stems))


def review_split(data: str | Path, share: float, split: str | None = None) -> list[LoopSequence]:
    """The sequences of ``data`` (a dataset root with ``annotations/<seq>.json``, a video or a
    folder of videos with their annotations), each with its first ⌊share × frames⌋ frames as
    the review."""
    if not 0.0 < share < 1.0:
        raise LabelIrstError(f"--review-share must lie in (0, 1), got {share}")
    out = []
    for seq in read_sequences(data, split):
        if seq.annotation is None:
            raise LabelIrstError(f"{data}: sequence {seq.name} has no annotations/{seq.name}.json")
        record = read_json(seq.annotation)
        ann = read_annotation(seq.annotation)
        try:
            truth = {
                stem: [(float(t["x"]), float(t["y"])) for t in targets]
                for stem, targets in ann.items()
            }
        except (KeyError, TypeError, ValueError):
            raise LabelIrstError(f"{seq.annotation}: a target without x and y") from None
        boxes = {
            stem: boxes_for(targets, "box", str(seq.annotation)) for stem, targets in ann.items()
        }
        kept = [t for t, stem in enumerate(seq.stems()) if seq.keep is None or stem in seq.keep]
        distance = record.get("distance") if isinstance(record, dict) else None
        out.append(
            LoopSequence(
                seq,
                kept,
                truth,
                None if distance is None else str(distance),
                int(math.floor(share * len(kept))),
                boxes,
            )
        )
    if not any(s.reviewed for s in out):
        raise LabelIrstError(f"{data}: --review-share {share} reviews no frame of any sequence")
    if not any(s.remaining_stems for s in out):
        raise LabelIrstError(f"{data}: --review-share {share} leaves no frame to pre-annotate")
    return out


@dataclass
class Tally:
    """Counts behind one row of the report."""

    frames: int = 0
    targets: int = 0
    hits: int = 0
    false: int = 0
    false_pixels: float = 0.0
    pixels: int = 0
    tracks: int = 0

    def add(self, other: Tally) -> None:
        for key in self.__dataclass_fields__:
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def summary(self) -> dict:
        missed = self.targets - self.hits
        keys = self.tracks + missed
        return {
            "frames": self.frames,
            "targets": self.targets,
            "pd": 100.0 * self.hits / self.targets if self.targets else float("nan"),
            "false_per_frame": self.false / self.frames if self.frames else float("nan"),
            "fa": self.false_pixels / self.pixels if self.pixels else float("nan"),
            "tracks": self.tracks,
            "missed": missed,
            "review_keys": keys,
            "keys_per_target_frame": keys / self.targets if self.targets else float("nan"),
        }


def score_sequence(
    s: LoopSequence, predicted: dict[str, list[dict]], distance: float, match_rule: str = "point"
) -> Tally:
    """The tally of one sequence's remaining frames against its predictions (frame stem ->
    prelabel's target records); a remaining frame with no record counts every target missed.
    ``match_rule`` ``box``: a detection inside a target's box also finds it."""
    tally = Tally()
    remaining = s.remaining_stems
    if not remaining:
        return tally
    h, w = s.sequence.shape(s.kept[s.reviewed])
    tracks: set = set()
    for stem in remaining:
        dets = predicted.get(stem, [])
        truth = s.truth.get(stem, [])
        boxes = s.boxes.get(stem) if match_rule == "box" else None
        used, hit = match([(float(d["x"]), float(d["y"])) for d in dets], truth, distance, boxes)
        tally.frames += 1
        tally.pixels += h * w
        tally.targets += len(truth)
        tally.hits += sum(hit)
        for d, u in zip(dets, used):
            if "id" in d and d["id"] is not None:
                tracks.add(d["id"])
            else:
                tally.tracks += 1  # an untracked target is reviewed on its own
            if not u:
                tally.false += 1
                tally.false_pixels += math.pi * max(float(d.get("radius", 0.5)), 0.5) ** 2
    tally.tracks += len(tracks)
    return tally


def score(
    seqs: list[LoopSequence], pred: str | Path, distance: float = MATCH_DISTANCE,
    match_rule: str = "point",
) -> tuple[dict, list[dict]]:  # fmt: skip
    """(overall summary, summaries per distance bin) of ``pred`` (prelabel's output folder) on
    the remaining frames; the bins are empty when no sequence carries a distance label."""
    pred = Path(pred)
    total, bins = Tally(), {}
    for s in seqs:
        path = pred / "annotations" / f"{s.sequence.name}.json"
        predicted = read_annotation(path) if path.is_file() else {}
        tally = score_sequence(s, predicted, distance, match_rule)
        total.add(tally)
        if s.distance is not None:
            bins.setdefault(s.distance, Tally()).add(tally)
    rows = [{"bin": k, **bins[k].summary()} for k in sorted(bins)]
    return total.summary(), rows
