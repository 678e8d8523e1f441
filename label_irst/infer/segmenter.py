"""The single-frame segmenter (LESPS, nested U-Net) run through ONNX Runtime, without torch.

A model is a metadata record ``<stem>.json`` (format ``label-irst/segmenter-onnx/1``: graph
file, supervision, threshold, training record) beside its graph ``<stem>.onnx``: input ``x``
(N, 1, H, W), the frame standardised on its own (:func:`label_irst.infer.preprocess.normalise`)
and edge-padded on the right and bottom to multiples of 8; output ``prob`` (N, 1, H, W), the
target probability of every pixel. A pixel is target where ``prob > threshold`` (0.5 for LESPS
and full supervision, 0.15 for fixed centroid labels, the paper's footnote 6).
"""

from __future__ import annotations

import json
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


@dataclass
class SegmenterModel:
    session: object
    meta: dict
    path: Path

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """The (H, W) target probability map of one grey frame (any dtype)."""
        image = np.asarray(image)
        if image.ndim != 2 or image.size == 0:
            raise LabelIrstError(f"the segmenter needs one non-empty grey frame, got {image.shape}")
        h, w = image.shape
        x = pad(normalise(image), int(self.meta.get("multiple", MULTIPLE)))
        prob = self.session.run(None, {"x": x[None, None].astype(np.float32)})[0]
        return prob[0, 0, :h, :w]

    def segment(self, image: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """The boolean target mask of one frame."""
        t = self.threshold if threshold is None else threshold
        return self.probabilities(image) > t


def resolve(path: str | Path) -> tuple[Path, dict]:
    """The metadata path and record of a model named by its .json or its .onnx graph."""
    p = Path(path)
    if p.suffix == ".onnx":
        p = p.with_suffix(".json")
    if not p.is_file():
        raise LabelIrstError(f"{path}: no such model file; {EXPECTED}")
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        raise LabelIrstError(f"{p}: not a model metadata record (JSON); {EXPECTED}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise LabelIrstError(f"{p}: not a segmenter record (format {found!r}); {EXPECTED}")
    try:
        ok = 0.0 < float(meta["threshold"]) < 1.0 and int(meta.get("multiple", MULTIPLE)) >= 1
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise LabelIrstError(f"{p}: bad threshold or multiple in the metadata record; {EXPECTED}")
    return p, meta


def load_segmenter(path: str | Path, device: str = "cpu", threads: int | None = 1):
    """Open a model on ``device`` (cpu, auto or cuda; see :mod:`label_irst.infer.session`)."""
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
