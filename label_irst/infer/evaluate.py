"""Scoring pre-labelled detections against a ground-truth dataset (Sec. IV-A2, Table II).

* pd: Eq. 18, a ground-truth target is detected when a prediction lies within 3 px of its
  centroid (percent).
* fa: Eq. 18, false-alarm pixels over all pixels; a prediction matched to no target counts the
  pixels of its mask when masks were predicted, else of its disc of radius r_hat.
* auc: area under the pixel-level ROC of the score map in which every predicted disc carries its
  detection score (scores binned to 1/1000).
* miou_circle: per-frame IoU of the union of predicted discs with the ground-truth mask,
  averaged over frames (percent); miou_mask: the same with the guided-PAMG masks.
Frames with neither ground truth nor predictions are left out of the mIoU averages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.core.metrics import intersection_union
from label_irst.errors import LabelIrstError
from label_irst.infer.matching import boxes_for, match
from label_irst.infer.sequences import mask_targets, read_annotation, read_sequences
from label_irst.io.files import as_float, as_int
from label_irst.io.images import read_mask
from label_irst.job import Job

BINS = 1000


def discs(shape: tuple[int, int], targets: list[dict], value_key: str | None = None) -> np.ndarray:
    """A float map with each target's disc (radius r) painted with its score (or 1)."""
    out = np.zeros(shape, np.float32)
    order = sorted(targets, key=lambda d: float(d.get("score", 1.0)))
    for d in order:
        v = float(d.get(value_key, 1.0)) if value_key else 1.0
        r = max(float(d["radius"]), 0.5)
        cx, cy = float(d["x"]), float(d["y"])
        x0, x1 = max(int(math.floor(cx - r)), 0), min(int(math.ceil(cx + r)) + 1, shape[1])
        y0, y1 = max(int(math.floor(cy - r)), 0), min(int(math.ceil(cy + r)) + 1, shape[0])
        if x1 <= x0 or y1 <= y0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        if not inside.any():
            inside[
                min(max(int(round(cy)) - y0, 0), y1 - y0 - 1),
                min(max(int(round(cx)) - x0, 0), x1 - x0 - 1),
            ] = True
        region = out[y0:y1, x0:x1]
        region[inside] = np.maximum(region[inside], v)
    return out


@dataclass
class DetectionReport:
    hits: int = 0
    targets: int = 0
    false_pixels: int = 0
    pixels: int = 0
    iou_circle: list[float] = field(default_factory=list)
    iou_mask: list[float] = field(default_factory=list)
    pos_hist: np.ndarray = field(default_factory=lambda: np.zeros(BINS + 1, np.int64))
    neg_hist: np.ndarray = field(default_factory=lambda: np.zeros(BINS + 1, np.int64))
    frames: int = 0
    missing: int = 0
    #: frames or sequences skipped because a file was damaged (the command then exits 1)
    skipped: int = 0

    def auc(self) -> float:
        pos, neg = self.pos_hist[::-1].astype(float), self.neg_hist[::-1].astype(float)
        if pos.sum() == 0 or neg.sum() == 0:
            return float("nan")
        tpr = np.concatenate([[0.0], np.cumsum(pos) / pos.sum()])
        fpr = np.concatenate([[0.0], np.cumsum(neg) / neg.sum()])
        return float(np.trapezoid(tpr, fpr))

    def summary(self) -> dict:
        def mean(v):
            return 100.0 * float(np.mean(v)) if v else float("nan")

        return {
            "pd": 100.0 * self.hits / self.targets if self.targets else float("nan"),
            "fa": self.false_pixels / self.pixels if self.pixels else float("nan"),
            "auc": self.auc(),
            "miou_circle": mean(self.iou_circle),
            "miou_mask": mean(self.iou_mask),
            "frames": self.frames,
            "targets": self.targets,
            "missing_frames": self.missing,
        }


def evaluate_detections(
    pred: str | Path,
    gt: str | Path,
    split: str | None = None,
    job: Job | None = None,
    min_score: float = 0.0,
    match_rule: str = "point",
) -> DetectionReport:
    """Score ``pred`` (prelabel output) against the dataset root ``gt``; predictions scored
    below ``min_score`` are ignored (to read an operating point off one low-threshold run).
    ``match_rule`` ``box`` also finds a target by a detection inside its labelled box
    (:mod:`label_irst.infer.matching`)."""
    boxes_for([], match_rule)  # an unknown rule: one line before any work
    job = job or Job()
    pred = Path(pred)
    if not (pred / "annotations").is_dir():
        raise LabelIrstError(f"{pred}: no annotations/ folder of predictions")
    seqs = read_sequences(gt, split)
    report = DetectionReport()
    total = sum(len(s) for s in seqs)
    done = 0
    for seq in seqs:
        pred_ann = pred / "annotations" / f"{seq.name}.json"
        try:
            predicted = read_annotation(pred_ann) if pred_ann.exists() else {}
            truth = read_annotation(seq.annotation) if seq.annotation else None
        except LabelIrstError as exc:
            job.warning(f"skipped sequence {seq.name}: {exc}")
            report.skipped += 1
            done += len(seq)
            continue
        for t, stem in enumerate(seq.stems()):
            done += 1
            if seq.keep is not None and stem not in seq.keep:
                continue
            if stem not in predicted:
                report.missing += 1
                continue
            try:
                _score_frame(report, pred, gt, seq, t, stem, predicted, truth, min_score,
                             match_rule)  # fmt: skip
            except (LabelIrstError, KeyError, TypeError, ValueError, OverflowError) as exc:
                job.warning(f"skipped {seq.name}/{stem}: {_reason(exc)}")
                report.skipped += 1
                continue
            job.step(done, total)
    if report.frames == 0:
        raise LabelIrstError(f"{pred}: no predicted frame matches a ground-truth frame of {gt}")
    return report


def _reason(exc: Exception) -> str:
    if isinstance(exc, LabelIrstError):
        return str(exc)
    return f"a malformed prediction or ground-truth record ({type(exc).__name__}: {exc})"


def _score_frame(report, pred, gt, seq, t, stem, predicted, truth, min_score,
                 match_rule: str = "point") -> None:  # fmt: skip
    """Add frame ``t``'s hits, false-alarm pixels, ROC histograms and IoUs to ``report``.

    Everything is computed before the report changes, so a bad record leaves it as it was."""
    gt_mask_path = seq.mask_dir / f"{stem}.png" if seq.mask_dir else None
    gt_mask = read_mask(gt_mask_path) if gt_mask_path and gt_mask_path.exists() else None
    boxes = None
    if truth is not None:
        gt_pts = [(as_float(t["x"]), as_float(t["y"])) for t in truth.get(stem, [])]
        boxes = boxes_for(truth.get(stem, []), match_rule, f"{seq.name}/{stem}")
    elif gt_mask_path is not None and gt_mask_path.exists():
        gt_pts = [(x, y) for x, y, _ in mask_targets(gt_mask_path)]
    else:
        raise LabelIrstError(f"{gt}: sequence {seq.name} has neither annotations nor masks")
    dets = []
    for d in predicted[stem]:
        clean = {
            "x": as_float(d["x"], "x"),
            "y": as_float(d["y"], "y"),
            "radius": as_float(d["radius"], "radius"),
            "score": as_float(d.get("score", 1.0), "score"),
        }
        if "mask_area" in d:
            clean["mask_area"] = as_int(d["mask_area"], "mask_area")
        if clean["score"] >= min_score:
            dets.append(clean)
    used, hit = match([(d["x"], d["y"]) for d in dets], gt_pts, boxes=boxes)
    shape = gt_mask.shape if gt_mask is not None else seq.shape(t)
    pmask_path = pred / "masks" / seq.name / f"{stem}.png"
    pmask = read_mask(pmask_path) if pmask_path.exists() else None
    if pmask is not None and gt_mask is not None and pmask.shape != gt_mask.shape:
        raise LabelIrstError(f"{pmask_path}: mask size {pmask.shape} != ground truth {shape}")
    false_pixels = 0
    for d, u in zip(dets, used):
        if not u:
            if pmask is not None and "mask_area" in d:
                false_pixels += d["mask_area"]
            else:
                false_pixels += int((discs(shape, [d]) > 0).sum())
    if gt_mask is not None:
        score = discs(shape, dets, "score")
        circle = score > 0
        idx = np.clip(np.rint(score * BINS).astype(np.int64), 0, BINS)
        pos = np.bincount(idx[gt_mask], minlength=BINS + 1)
        neg = np.bincount(idx[~gt_mask], minlength=BINS + 1)
    report.hits += sum(hit)
    report.targets += len(gt_pts)
    report.pixels += shape[0] * shape[1]
    report.false_pixels += false_pixels
    report.frames += 1
    if gt_mask is None:
        return
    report.pos_hist += pos
    report.neg_hist += neg
    if gt_mask.any() or circle.any():
        i, un = intersection_union(circle, gt_mask)
        report.iou_circle.append(i / un)
        if pmask is not None:
            i, un = intersection_union(pmask, gt_mask)
            report.iou_mask.append(i / un if un else 1.0)
