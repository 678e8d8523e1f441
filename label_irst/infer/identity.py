"""Identity metrics of tracked pre-labels against ground-truth tracks (beside Pd/Fa, Sec. IV-A2).

Ground truth: each target's ``"track_id"`` or, as ``synth`` writes it, ``"id"`` in
``annotations/<seq>.json``. Predictions: each target's ``"id"`` (``prelabel`` with tracking).
Detections and targets are matched within 3 px (the Pd rule of Eq. 18):

* **CLEAR MOT** (Bernardin and Stiefelhagen 2008): per frame, a minimum-distance assignment that
  keeps the previous frame's pairs while they stay within 3 px; ``id_switches`` counts the
  ground-truth targets whose matched id changed; ``mota`` = 1 - (misses + false detections +
  switches) / targets; ``false_per_frame`` = unmatched predictions per frame.
* **IDF1** (Ristani et al. 2016): one global assignment of predicted tracks to ground-truth
  tracks per sequence maximising the frames they share within 3 px (IDTP);
  IDF1 = 2 IDTP / (ground-truth detections + predicted detections).
* ``id_dominant``: the share of ground-truth target-frames that carry their track's most
  frequent matched id (a perfect tracker with perfect detection scores 1).

Predictions without an id, or repeating an id in one frame (ground truth too), each get a new
id, with a warning; a prediction file without any id is untracked, and its identity metrics are
NaN, as they are for ground truth without ids (masks only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from label_irst.core.metrics import MATCH_DISTANCE
from label_irst.errors import LabelIrstError
from label_irst.infer.sequences import mask_targets, read_sequences
from label_irst.io.files import as_float, read_json
from label_irst.job import Job


def _read_json(path: Path) -> dict:
    record = read_json(path)  # regular files only, strict numbers, bounded nesting
    if not isinstance(record, dict) or not isinstance(record.get("frames"), list):
        raise LabelIrstError(f"{path}: not a sequence annotation file (no frames list)")
    return record


@dataclass
class FrameTruth:
    """One scored frame: its ground-truth targets and its saved prediction record."""

    sequence: str
    frame: str
    #: (height, width) of the frame
    shape: tuple[int, int]
    truth: list[dict]
    predicted: dict


def scored_frames(
    pred: str | Path, gt: str | Path, split: str | None = None, warn=None
) -> Iterator:
    """(sequence, frames) with each frame's ground truth (dicts with x, y and id when known)
    and its prediction entry; frames of the split without a prediction are left out. A
    sequence whose files are damaged is skipped with ``warn`` (raised without it)."""
    pred = Path(pred)
    if not (pred / "annotations").is_dir():
        raise LabelIrstError(f"{pred}: no annotations/ folder of predictions")
    for seq in read_sequences(gt, split):
        try:
            frames = _sequence_frames(seq, pred, gt)
        except (LabelIrstError, KeyError, TypeError, ValueError, AttributeError) as exc:
            if warn is None:
                raise LabelIrstError(f"sequence {seq.name}: {exc}") from None
            warn(f"skipped sequence {seq.name}: {exc}")
            continue
        yield seq.name, frames


def _sequence_frames(seq, pred: Path, gt) -> list[FrameTruth]:
    """The scored frames of one sequence (its predictions and ground truth read)."""
    path = pred / "annotations" / f"{seq.name}.json"
    predicted = {}
    if path.is_file():
        predicted = {
            str(f.get("frame")): f for f in _read_json(path)["frames"] if isinstance(f, dict)
        }
    truth = {}
    if seq.annotation is not None:
        truth = {
            str(f.get("frame")): list(f.get("targets", []))
            for f in _read_json(seq.annotation)["frames"]
        }
    frames = []
    for t, stem in enumerate(seq.stems()):
        if (seq.keep is not None and stem not in seq.keep) or stem not in predicted:
            continue
        if seq.annotation is not None:
            gt_targets = truth.get(stem, [])
        elif seq.mask_dir is not None and (seq.mask_dir / f"{stem}.png").is_file():
            pts = mask_targets(seq.mask_dir / f"{stem}.png")
            gt_targets = [{"x": x, "y": y, "radius": r} for x, y, r in pts]
        else:
            raise LabelIrstError(f"{gt}: sequence {seq.name} has neither annotations nor masks")
        frames.append(FrameTruth(seq.name, stem, seq.shape(t), gt_targets, predicted[stem]))
    return frames


def truth_id(target: dict) -> int | None:
    for key in ("track_id", "id"):
        value = target.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


@dataclass
class IdentityReport:
    targets: int = 0
    predictions: int = 0
    matches: int = 0
    id_switches: int = 0
    idtp: int = 0
    dominant: int = 0
    frames: int = 0
    gt_tracks: int = 0
    pred_tracks: int = 0
    tracked: bool = False
    gt_ids: bool = True
    warnings: list[str] = field(default_factory=list)
    #: frames or sequences skipped because a record was damaged
    skipped: int = 0

    def summary(self) -> dict:
        nan = float("nan")
        misses = self.targets - self.matches
        false = self.predictions - self.matches
        ok = self.tracked and self.gt_ids and self.targets > 0
        both = self.targets + self.predictions
        return {
            "id_switches": self.id_switches if ok else nan,
            "idf1": 100.0 * 2 * self.idtp / both if ok and both else nan,
            "id_dominant": 100.0 * self.dominant / self.targets if ok else nan,
            "mota": 100.0 * (1 - (misses + false + self.id_switches) / self.targets) if ok else nan,
            "false_per_frame": false / self.frames if self.frames else nan,
            "gt_tracks": self.gt_tracks if self.gt_ids else nan,
            "pred_tracks": self.pred_tracks if self.tracked else nan,
        }


def _pred_ids(targets: list[dict], fresh: Iterator[int], counts: Counter) -> list[int]:
    ids, seen = [], set()
    for t in targets:
        value = t.get("id")
        if not isinstance(value, int) or isinstance(value, bool):
            counts["missing"] += 1
            value = next(fresh)
        elif value in seen:
            counts["repeated"] += 1
            value = next(fresh)
        seen.add(value)
        ids.append(value)
    return ids


def _assign(gt: np.ndarray, pr: np.ndarray, keep: dict[int, int], gids, pids) -> list:
    """Pairs (i, j) within MATCH_DISTANCE, previous pairs (``keep``: gt id -> pred id) first."""
    if len(gt) == 0 or len(pr) == 0:
        return []
    dist = np.hypot(gt[:, None, 0] - pr[None, :, 0], gt[:, None, 1] - pr[None, :, 1])
    cost = np.where(dist <= MATCH_DISTANCE, dist, 1e6)
    for i, g in enumerate(gids):
        for j, p in enumerate(pids):
            if keep.get(g) == p and dist[i, j] <= MATCH_DISTANCE:
                cost[i, j] = -1e3  # CLEAR MOT: a correspondence is kept while it is valid
    rows, cols = linear_sum_assignment(cost)
    return [(i, j) for i, j in zip(rows, cols) if cost[i, j] < 1e5]


def evaluate_identity(
    pred: str | Path,
    gt: str | Path,
    split: str | None = None,
    min_score: float = 0.0,
    job: Job | None = None,
) -> IdentityReport:
    """Identity metrics of ``pred`` (prelabel output) against the dataset root ``gt``."""
    job = job or Job()
    report = IdentityReport()
    counts: Counter = Counter()
    fresh_ids = iter(range(-1, -(10**12), -1))  # never an id a file can hold

    def skip(message: str) -> None:
        report.skipped += 1
        job.warning(message)

    for _name, frames in scored_frames(pred, gt, split, skip):
        last: dict[int, int] = {}
        shared: Counter = Counter()  # (gt id, pred id) -> frames within 3 px
        matched_ids: dict[int, Counter] = {}
        gt_count: Counter = Counter()
        pred_count: Counter = Counter()
        for f in frames:
            try:  # a damaged record skips its frame, before anything is counted
                dets = [
                    t
                    for t in f.predicted.get("targets", [])
                    if isinstance(t, dict) and as_float(t.get("score", 1.0)) >= min_score
                ]
                xy_truth = [(as_float(t["x"]), as_float(t["y"])) for t in f.truth]
                xy_pred = [(as_float(t["x"]), as_float(t["y"])) for t in dets]
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                skip(f"skipped {f.sequence}/{f.frame}: a malformed record ({exc})")
                continue
            report.tracked |= any("id" in t for t in dets)
            pids = _pred_ids(dets, fresh_ids, counts)
            gids = []
            for t in f.truth:
                g = truth_id(t)
                if g is None:
                    report.gt_ids = False
                    g = next(fresh_ids)
                elif g in gids:
                    counts["gt_repeated"] += 1
                    g = next(fresh_ids)
                gids.append(g)
            gt_xy = np.array(xy_truth, dtype=np.float64).reshape(-1, 2)
            pr_xy = np.array(xy_pred, dtype=np.float64).reshape(-1, 2)
            pairs = _assign(gt_xy, pr_xy, last, gids, pids)
            for i, j in pairs:
                g, p = gids[i], pids[j]
                if g in last and last[g] != p:
                    report.id_switches += 1
                last[g] = p
                matched_ids.setdefault(g, Counter())[p] += 1
            if len(gt_xy) and len(pr_xy):
                dist = np.hypot(gt_xy[:, None, 0] - pr_xy[None, :, 0],
                                gt_xy[:, None, 1] - pr_xy[None, :, 1])  # fmt: skip
                for i, j in zip(*np.nonzero(dist <= MATCH_DISTANCE)):
                    shared[(gids[i], pids[j])] += 1
            gt_count.update(gids)
            pred_count.update(pids)
            report.matches += len(pairs)
            report.targets += len(gids)
            report.predictions += len(pids)
            report.frames += 1
        report.gt_tracks += len(gt_count)
        report.pred_tracks += len(pred_count)
        report.dominant += sum(c.most_common(1)[0][1] for c in matched_ids.values())
        report.idtp += _idtp(shared, list(gt_count), list(pred_count))
    reasons = {
        "missing": "predicted target(s) without an id",
        "repeated": "predicted target(s) repeating an id in their frame",
        "gt_repeated": "ground-truth target(s) repeating an id in their frame",
    }
    for what, n in counts.items():
        if report.tracked or what == "gt_repeated":
            msg = f"{n} {reasons[what]}: each given a new id"
            report.warnings.append(msg)
            job.warning(msg)
    return report


def _idtp(shared: Counter, gids: list[int], pids: list[int]) -> int:
    if not shared:
        return 0
    gi = {g: k for k, g in enumerate(gids)}
    pi = {p: k for k, p in enumerate(pids)}
    m = np.zeros((len(gids), len(pids)))
    for (g, p), n in shared.items():
        m[gi[g], pi[p]] = n
    rows, cols = linear_sum_assignment(m, maximize=True)
    return int(m[rows, cols].sum())
