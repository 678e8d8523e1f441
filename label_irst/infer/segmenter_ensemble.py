"""An ensemble of single-frame segmenters: the mean of their probability maps.

Two segmenters trained from the same points in different ways (LESPS label evolution, and
labels grown once by pamg+) are wrong in different places: on sirst-v1's test split the hot
trail behind one target is a long false component for the pamg+-trained network and nothing for
the LESPS one, while LESPS misses faint targets the other finds. Averaging the two maps keeps
what both see (docs/benchmarks.md, "LESPS": on sirst-v1's test split IoU 64.3 against 58.1 and
55.2 for the members alone, Fa 72e-6 against 183e-6 for the pamg+-trained one).

A model is a metadata record ``<stem>.json`` (format ``label-irst/segmenter-ensemble/1``,
read by :func:`label_irst.infer.segmenter.load_segmenter`):
``members``, the records of two or more segmenters (:mod:`label_irst.infer.segmenter`), named
relative to this record's folder; ``threshold``, applied to the mean map; optionally
``weights``, one per member, for a weighted mean. It runs wherever a
segmenter does (``prelabel --detector lesps``, ``eval-segmenter``); ``ensemble-segmenter``
writes one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from label_irst.errors import LabelIrstError
from label_irst.infer.segmenter import ENSEMBLE_FORMAT, SegmenterEnsemble, resolve, weights_ok

__all__ = ["ENSEMBLE_FORMAT", "SegmenterEnsemble", "write_ensemble"]


def write_ensemble(
    members: list[str | Path], out: str | Path, threshold: float | None = None,
    weights: list[float] | None = None,
):  # fmt: skip
    """Write an ensemble record at ``out`` (``.json``) over ``members`` (segmenter records in
    the same folder); the threshold defaults to the mean of the members'; ``weights`` (one per
    member, normalised to sum 1) make the map a weighted mean. Atomic."""
    import json

    from label_irst.io.atomic import write_text_atomic

    out = Path(out)
    out = out if out.suffix == ".json" else out.with_name(out.name + ".json")
    if len(members) < 2:
        raise LabelIrstError("an ensemble needs two or more segmenter models")
    records = []
    for member in members:
        path, meta = resolve(member)
        if path.parent.resolve() != out.parent.resolve():
            raise LabelIrstError(f"{member}: an ensemble's members must lie in {out.parent}")
        records.append((path, meta))
    if threshold is None:
        threshold = round(float(np.mean([float(m["threshold"]) for _, m in records])), 3)
    if not 0.0 < threshold < 1.0:
        raise LabelIrstError(f"--threshold must be between 0 and 1, got {threshold}")
    if weights is not None:
        weights = [float(w) for w in weights]
        if not weights_ok(weights, len(records)):
            raise LabelIrstError(
                f"--weights must be one non-negative number per member ({len(records)}), "
                f"not all 0; got {weights}"
            )
        weights = [round(w / sum(weights), 6) for w in weights]
    record = {
        "format": ENSEMBLE_FORMAT,
        "supervision": "+".join(str(m.get("supervision")) for _, m in records),
        "members": [p.name for p, _ in records],
        "threshold": threshold,
        "rule": "mean of the members' probability maps > threshold",
    }
    if weights is not None:
        record["weights"] = weights
        record["rule"] = "weighted mean of the members' probability maps > threshold"
    write_text_atomic(out, json.dumps(record, indent=1))
    return out
