"""Pd per bin of a ground-truth property (Eq. 18 per bin): target speed or SCR.

Each frame's predictions are matched to all its ground-truth targets with the same rule as
:func:`label_irst.infer.evaluate.evaluate_detections` (3 px centroid, greedy); a target then
counts as detected or missed in the bin of its ``speed`` (px/frame, written by ``label-irst
synth``) or ``scr`` (Eq. 20). Bins:

* speed: 0 (static), (0, 0.5) (hovering, slow), [0.5, 2], > 2 px/frame;
* scr: < 2, 2-4, 4-6, 6-8, >= 8 (the model card's bins; synthetic SCR lies in 1-10).
"""

from __future__ import annotations

import math
from pathlib import Path

from label_irst.batch.progress import Job
from label_irst.errors import LabelIrstError
from label_irst.infer.matching import match
from label_irst.infer.sequences import read_annotation, read_sequences

#: (label, test) per bin, in report order
BINS = {
    "speed": [
        ("0", lambda v: v == 0.0),
        ("<0.5", lambda v: 0.0 < v < 0.5),
        ("0.5-2", lambda v: 0.5 <= v <= 2.0),
        (">2", lambda v: v > 2.0),
    ],
    "scr": [
        ("<2", lambda v: v < 2.0),
        ("2-4", lambda v: 2.0 <= v < 4.0),
        ("4-6", lambda v: 4.0 <= v < 6.0),
        ("6-8", lambda v: 6.0 <= v < 8.0),
        (">=8", lambda v: v >= 8.0),
    ],
}


def bin_of(key: str, value: float) -> str:
    for label, test in BINS[key]:
        if test(value):
            return label
    raise ValueError(f"{key} {value} falls in no bin")


def pd_by(
    pred: str | Path,
    gt: str | Path,
    key: str,
    split: str | None = None,
    min_score: float = 0.0,
    job: Job | None = None,
) -> list[dict]:
    """[{"bin", "targets", "hits", "pd"}] per bin of ``key`` ("speed" or "scr"), in bin order;
    pd in percent (NaN for an empty bin)."""
    if key not in BINS:
        raise LabelIrstError(f"--by {key!r}: choose one of {', '.join(BINS)}")
    job = job or Job()
    pred = Path(pred)
    if not (pred / "annotations").is_dir():
        raise LabelIrstError(f"{pred}: no annotations/ folder of predictions")
    counts = {label: [0, 0] for label, _ in BINS[key]}
    seen = 0
    for seq in read_sequences(gt, split):
        if seq.annotation is None:
            raise LabelIrstError(f"{gt}: sequence {seq.name} has no annotation file with {key}")
        truth = read_annotation(seq.annotation)
        pred_ann = pred / "annotations" / f"{seq.name}.json"
        predicted = read_annotation(pred_ann) if pred_ann.is_file() else {}
        for frame in seq.frames:
            stem = frame.stem
            if (seq.keep is not None and stem not in seq.keep) or stem not in predicted:
                continue
            targets = truth.get(stem, [])
            dets = [d for d in predicted[stem] if float(d.get("score", 1.0)) >= min_score]
            _, hit = match(
                [(float(d["x"]), float(d["y"])) for d in dets],
                [(float(t["x"]), float(t["y"])) for t in targets],
            )
            for t, h in zip(targets, hit):
                value = t.get(key)
                if value is None or not math.isfinite(float(value)):
                    raise LabelIrstError(
                        f"{seq.annotation}: frame {stem} has a target without {key}; "
                        f"regenerate the set with `label-irst synth` (it writes {key})"
                    )
                cell = counts[bin_of(key, float(value))]
                cell[0] += 1
                cell[1] += int(h)
                seen += 1
    if seen == 0:
        raise LabelIrstError(f"{pred}: no predicted frame matches a ground-truth target of {gt}")
    return [
        {"bin": label, "targets": n, "hits": h, "pd": 100.0 * h / n if n else float("nan")}
        for label, (n, h) in counts.items()
    ]
