"""An adopted model's int8 copy for the CPU, calibrated on the project's own reviewed frames.

The loop's re-annotation runs on the CPU, where the int8 graphs run about 1.5 times as many
frames per second as the float ones at the same Pd (models/README.md, ``rprnet-real-int8``).
So an adopted model gets a copy (:func:`label_irst.train.quantize.quantize_triplets`) calibrated
on up to :data:`CALIBRATION_TRIPLETS` of the reviewed training triplets: the frames the project
will see, not another data set's.

The adopted model's operating point (its score shift) was set on its float scores, and a copy's
scores move a little, so the copy is checked on the same held-back frames before it is named:
it is kept (as the record's ``cpu_variant``) only if it passes the adoption rule itself (Pd at
the fixed false rate beats the current model's) and makes at most :data:`FALSE_SLACK` more false
detections per frame at the record's threshold than the float model. Otherwise its files are
removed and the float model runs; so it does when the copy cannot be made at all (the error
goes into the record and the log: a failed copy never costs the adopted model). Its figures go
into the record either way. The copy takes no training time: :func:`label_irst.train.adapt.
adapt` makes it only where the budget has room left after the export (about half the held-back
score's time and 15 s).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.infer.session import load_model
from label_irst.io.atomic import write_text_atomic
from label_irst.io.files import read_json
from label_irst.train.operating_point import HeldBackScores
from label_irst.train.quantize import quantize_triplets

#: reviewed training triplets the activation ranges are set on (the shipped copies use 16)
CALIBRATION_TRIPLETS = 16
#: false detections per frame the copy may add to the float model's at the threshold
FALSE_SLACK = 0.1
#: the files of a copy beside ``<stem>.json``
SUFFIXES = ("-int8.encoder.onnx", "-int8.head.onnx", "-int8.json")


class OnnxPredictor:
    """Exported graphs as :func:`label_irst.train.adapt.score_frames` reads them."""

    def __init__(self, model):
        self.model = model

    def encode(self, frame: np.ndarray):
        return self.model.encoder.run(None, {"frame": frame[None, None].astype(np.float32)})[0]

    def head(self, prev, curr, nxt):
        heat, off, rad = self.model.head.run(None, {"prev": prev, "curr": curr, "next": nxt})
        return heat[0, 0], off[0], rad[0, 0]


@dataclass
class Int8Check:
    """The copy's figures on the held-back frames and whether it was kept."""

    kept: bool
    pd: float
    false_per_frame: float
    seconds: float
    #: why no copy could be made (one line), else None
    error: str | None = None

    def record(self) -> dict:
        pd = self.pd if np.isfinite(self.pd) else None
        fpf = self.false_per_frame if np.isfinite(self.false_per_frame) else None
        out = {
            "kept": self.kept,
            "pd_new": pd,
            "false_per_frame_at_threshold": fpf,
            "seconds": round(self.seconds, 1),
        }
        if self.error:
            out["error"] = self.error
        return out


def calibration_set(sampler, count: int = CALIBRATION_TRIPLETS) -> list[np.ndarray]:
    """Up to ``count`` triplets of the sampler's frames, evenly spread over them."""
    index = sampler.index
    picks = np.linspace(0, len(index) - 1, min(count, len(index))).round().astype(int)
    return [sampler.triplet(*index[int(k)]) for k in sorted(set(picks.tolist()))]


def remove_copy(meta: Path) -> None:
    for suffix in SUFFIXES[::-1]:  # the record first: a copy without it is never loaded
        meta.with_name(meta.stem + suffix).unlink(missing_ok=True)


def int8_copy(
    meta: Path,
    sampler,
    score,
    current: HeldBackScores,
    float_false: float,
    threshold: float,
    false_per_frame: float,
    threads: int = 1,
) -> Int8Check:
    """Quantise the adopted record ``meta`` on ``sampler``'s triplets, score the copy with
    ``score(predictor)`` (the held-back frames) and name it as ``meta``'s ``cpu_variant`` if it
    passes (module docstring); ``float_false``: the float model's held-back false detections per
    frame at ``threshold``."""
    t0 = time.perf_counter()
    try:
        copy = quantize_triplets(
            meta, calibration_set(sampler), {"data": ["reviewed frames"], "split": "adaptation"}
        )
        scores = score(OnnxPredictor(load_model(copy, "cpu", threads=threads, precision="fp32")))
    except Exception as exc:  # noqa: BLE001 - a copy that cannot be made must not cost the model
        remove_copy(meta)
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        check = Int8Check(False, float("nan"), float("nan"), time.perf_counter() - t0, error)
        _record(meta, check, None)
        return check
    pd = scores.pd_at(false_per_frame)
    fpf = scores.false_per_frame(threshold)
    base = current.pd_at(false_per_frame)
    passes = np.isfinite(pd) and (not np.isfinite(base) or pd > base)
    kept = bool(passes and fpf <= float_false + FALSE_SLACK + 1e-9)
    check = Int8Check(kept, pd, fpf, time.perf_counter() - t0)
    if not kept:
        remove_copy(meta)
    _record(meta, check, copy if kept else None)
    return check


def _record(meta: Path, check: Int8Check, copy: Path | None) -> None:
    """The copy's figures into the adopted record, and its name as ``cpu_variant`` if kept."""
    record = read_json(meta)
    record.setdefault("training", {}).setdefault("held_back", {})["int8"] = check.record()
    if copy is not None:
        record["cpu_variant"] = copy.name
    write_text_atomic(meta, json.dumps(record, indent=1))
