"""Pd per bin of a ground-truth property (Eq. 18 per bin): target speed or SCR.

Each frame's predictions are matched to all its ground-truth targets with the same rule as
:func:`label_irst.infer.evaluate.evaluate_detections` (3 px centroid, greedy); a target then
counts as detected or missed in the bin of its ``speed`` (px/frame, written by ``label-irst
synth``) or ``scr`` (Eq. 20). Bins:

* speed: 0 (static), (0, 0.5) (hovering, slow), [0.5, 2], > 2 px/frame;
* scr: < 2, 2-4, 4-6, 6-8, >= 8 (the model card's bins; synthetic SCR lies in 1-10).

Categorical keys group by a label instead: ``class`` and ``distance`` (written per target or
per sequence by ``label-irst dataset videos``) and ``source`` (a sequence's data source: its
record's ``source``, else the dataset's own name). Their groups are whole sequences, or targets
of a class, so each group also reports its false detections per frame (predictions matched to
no target of the frame, counted once per frame in the group of its sequence).
"""

from __future__ import annotations

import math
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.infer.matching import boxes_for, match
from label_irst.infer.sequences import read_annotation, read_sequences
from label_irst.job import Job

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


#: keys whose values are labels, not numbers
CATEGORIES = ("class", "distance", "source")


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
    distance: float | None = None,
    match_rule: str = "point",
) -> list[dict]:
    """[{"bin", "targets", "hits", "pd"}] per bin of ``key`` (speed, scr, or a category), in bin
    order (categories: sorted); pd in percent (NaN for an empty bin). Categories also carry
    "frames" and "false_per_frame"."""
    if key not in BINS and key not in CATEGORIES:
        raise LabelIrstError(f"--by {key!r}: choose one of {', '.join([*BINS, *CATEGORIES])}")
    job = job or Job()
    pred = Path(pred)
    if not (pred / "annotations").is_dir():
        raise LabelIrstError(f"{pred}: no annotations/ folder of predictions")
    categorical = key in CATEGORIES
    counts: dict[str, list[int]] = {label: [0, 0, 0, 0] for label, _ in BINS.get(key, [])}
    seen = 0
    kwargs = {} if distance is None else {"distance": distance}
    boxes_for([], match_rule)  # an unknown rule: one line before any work
    for seq in read_sequences(gt, split):
        if seq.annotation is None:
            raise LabelIrstError(f"{gt}: sequence {seq.name} has no annotation file with {key}")
        truth = read_annotation(seq.annotation)
        default = _sequence_label(seq.annotation, key, Path(gt)) if categorical else None
        pred_ann = pred / "annotations" / f"{seq.name}.json"
        predicted = read_annotation(pred_ann) if pred_ann.is_file() else {}
        for stem in seq.stems():
            if (seq.keep is not None and stem not in seq.keep) or stem not in predicted:
                continue
            targets = truth.get(stem, [])
            dets = [d for d in predicted[stem] if float(d.get("score", 1.0)) >= min_score]
            used, hit = match(
                [(float(d["x"]), float(d["y"])) for d in dets],
                [(float(t["x"]), float(t["y"])) for t in targets],
                boxes=boxes_for(targets, match_rule, f"{seq.name}/{stem}"),
                **kwargs,
            )
            if categorical:
                cell = counts.setdefault(default, [0, 0, 0, 0])
                cell[2] += 1
                cell[3] += sum(1 for u in used if not u)
            for t, h in zip(targets, hit):
                if categorical:
                    label = str(t.get(key, default)) if key != "source" else default
                    cell = counts.setdefault(label, [0, 0, 0, 0])
                else:
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
    labels = sorted(counts) if categorical else list(counts)
    rows = []
    for label in labels:
        n, h, frames, false = counts[label]
        row = {"bin": label, "targets": n, "hits": h, "pd": 100.0 * h / n if n else float("nan")}
        if categorical and frames:
            row.update(frames=frames, false_per_frame=false / frames)
        rows.append(row)
    return rows


def _sequence_label(path: Path, key: str, root: Path) -> str:
    """A sequence's own label for ``key`` (its record's value; for ``source`` the dataset's name
    when the record names none); "?" when it has none."""
    from label_irst.io.files import read_json

    record = read_json(path)
    value = record.get(key) if isinstance(record, dict) else None
    if value is None and key == "source":
        return root.resolve().name
    return "?" if value is None else str(value)
