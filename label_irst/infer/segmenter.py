"""The single-frame segmenter (LESPS, nested U-Net) run through ONNX Runtime, without torch.

A model is a metadata record ``<stem>.json`` (format ``label-irst/segmenter-onnx/1``: graph
file, supervision, threshold, training record) beside its graph ``<stem>.onnx``: input ``x``
(N, 1, H, W), the frame standardised on its own (:func:`label_irst.infer.preprocess.normalise`)
and edge-padded on the right and bottom to multiples of 8; output ``prob`` (N, 1, H, W), the
target probability of every pixel. A pixel is target where ``prob > threshold`` (0.5 for LESPS
and full supervision, 0.15 for fixed centroid labels, the paper's footnote 6).

An ensemble record (format ``label-irst/segmenter-ensemble/1``, :class:`SegmenterEnsemble`;
:mod:`label_irst.infer.segmenter_ensemble` writes one) names two or more such records and
thresholds the mean of their maps (weighted by its optional ``weights``, one non-negative number
per member); :func:`load_segmenter` opens either kind.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.errors import LabelIrstError
from label_irst.infer.preprocess import normalise, pad

FORMAT = "label-irst/segmenter-onnx/1"
MULTIPLE = 8
EXPECTED = (
    "expected a segmenter model: <stem>.json (format label-irst/segmenter-onnx/1) beside its "
    "graph <stem>.onnx (input 'x' N x 1 x H x W, output 'prob'), as train-segmenter writes"
)

ENSEMBLE_FORMAT = "label-irst/segmenter-ensemble/1"
EXPECTED_ENSEMBLE = (
    "expected a segmenter ensemble: <stem>.json (format label-irst/segmenter-ensemble/1) with "
    "'members', two or more segmenter records beside it, a 'threshold' between 0 and 1 and "
    "optional 'weights', one non-negative number per member, not all 0"
)


class _Thresholded:
    """What every segmenter model shares: its record's threshold and the mask it gives."""

    meta: dict

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    def segment(self, image: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """The boolean target mask of one frame."""
        t = self.threshold if threshold is None else threshold
        return self.probabilities(image) > t


@dataclass
class SegmenterModel(_Thresholded):
    session: object
    meta: dict
    path: Path

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """The (H, W) target probability map of one grey frame (any dtype)."""
        image = np.asarray(image)
        if image.ndim != 2 or image.size == 0:
            raise LabelIrstError(f"the segmenter needs one non-empty grey frame, got {image.shape}")
        h, w = image.shape
        x = pad(normalise(image), int(self.meta.get("multiple", MULTIPLE)))
        prob = self.session.run(None, {"x": x[None, None].astype(np.float32)})[0]
        return prob[0, 0, :h, :w]

    def files(self) -> list[Path]:
        """The files that make the model (for its digest): record and graph."""
        return [self.path, self.path.parent / str(self.meta.get("graph", ""))]


@dataclass
class SegmenterEnsemble(_Thresholded):
    """Members run on the same frame; a pixel is target where their mean probability exceeds
    the ensemble's threshold. It has :class:`SegmenterModel`'s interface."""

    members: list
    meta: dict
    path: Path

    @property
    def session(self):
        """The first member's ONNX Runtime session (its provider names the ensemble's)."""
        return self.members[0].session

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """The (H, W) mean of the members' target probability maps of one grey frame, weighted
        by the record's ``weights`` where it has them."""
        maps = np.stack([m.probabilities(image) for m in self.members])
        return np.average(maps, axis=0, weights=self.meta.get("weights")).astype(np.float32)

    def files(self) -> list[Path]:
        """Every file that makes the model (for its digest): this record and the members'."""
        return [self.path, *(f for m in self.members for f in m.files())]


def read_record(path: str | Path) -> tuple[Path, dict]:
    """The metadata path and JSON record of a model named by its .json or its .onnx graph."""
    p = Path(path)
    if p.suffix == ".onnx":
        p = p.with_suffix(".json")
    if not p.is_file():
        raise LabelIrstError(f"{path}: no such model file; {EXPECTED}")
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        raise LabelIrstError(f"{p}: not a model metadata record (JSON); {EXPECTED}") from None
    if not isinstance(meta, dict):
        raise LabelIrstError(f"{p}: not a segmenter record (format None); {EXPECTED}")
    return p, meta


def resolve(path: str | Path) -> tuple[Path, dict]:
    """The metadata path and record of one segmenter (not an ensemble), checked."""
    p, meta = read_record(path)
    if meta.get("format") != FORMAT:
        found = meta.get("format")
        raise LabelIrstError(f"{p}: not a segmenter record (format {found!r}); {EXPECTED}")
    try:
        ok = threshold_ok(meta) and int(meta.get("multiple", MULTIPLE)) >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise LabelIrstError(f"{p}: bad threshold or multiple in the metadata record; {EXPECTED}")
    return p, meta


def threshold_ok(meta: dict) -> bool:
    """Whether a record (a segmenter's or an ensemble's) holds a threshold between 0 and 1."""
    try:
        return 0.0 < float(meta["threshold"]) < 1.0
    except (KeyError, TypeError, ValueError):
        return False


def weights_ok(weights, members: int) -> bool:
    """Whether ``weights`` are one finite, non-negative number per member, not all 0."""
    if not isinstance(weights, list) or len(weights) != members:
        return False
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights):
        return False
    return all(math.isfinite(w) and w >= 0 for w in weights) and sum(weights) > 0


def load_segmenter(path: str | Path, device: str = "cpu", threads: int | None = 1):
    """Open a segmenter, or an ensemble of them (:mod:`label_irst.infer.segmenter_ensemble`),
    on ``device`` (cpu, auto or cuda; see :mod:`label_irst.infer.session`)."""
    meta_path, meta = read_record(path)
    if meta.get("format") == ENSEMBLE_FORMAT:
        return load_ensemble(meta_path, meta, device, threads)
    return load_single(meta_path, device, threads)


def load_single(path: str | Path, device: str = "cpu", threads: int | None = 1):
    """Open one segmenter (not an ensemble)."""
    from label_irst.infer.session import open_session, providers_for

    meta_path, meta = resolve(path)
    graph = meta_path.parent / str(meta.get("graph", ""))
    sess = open_session(graph, providers_for(device), ["x"], threads, EXPECTED)
    shape = sess.get_inputs()[0].shape
    if len(shape) != 4 or shape[1] != 1:
        raise LabelIrstError(
            f"{graph}: graph input x has shape {shape}, not N x 1 x H x W; {EXPECTED}"
        )
    return SegmenterModel(sess, meta, meta_path)


def member_paths(meta: dict, folder: Path, where: Path) -> list[Path]:
    """The members' record paths, checked: two or more, each a file, none an ensemble."""
    names = meta.get("members")
    if not isinstance(names, list) or len(names) < 2 or not threshold_ok(meta):
        raise LabelIrstError(f"{where}: bad members or threshold; {EXPECTED_ENSEMBLE}")
    if "weights" in meta and not weights_ok(meta["weights"], len(names)):
        raise LabelIrstError(f"{where}: bad weights {meta['weights']!r}; {EXPECTED_ENSEMBLE}")
    paths = []
    for name in names:
        p = folder / str(name)
        if not p.is_file():
            raise LabelIrstError(f"{where}: member {name} is missing; {EXPECTED_ENSEMBLE}")
        paths.append(p)
    return paths


def load_ensemble(meta_path: Path, meta: dict, device: str, threads: int | None):
    """Open every member of the ensemble record at ``meta_path``."""
    members = [
        load_single(p, device, threads) for p in member_paths(meta, meta_path.parent, meta_path)
    ]
    return SegmenterEnsemble(members, meta, meta_path)
