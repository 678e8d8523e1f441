"""Optional int8 versions of the two RPR-Net graphs for CPU inference.

Static quantisation (QDQ, per-channel int8 weights, uint8 activations) calibrated on real
training triplets: the encoder on normalised frames, the head on the fp32 encoder's features of
consecutive frames. The stem convolution, which sees the raw normalised frame where a dim
target is a few hundredths of a unit, stays in float. Writes ``<stem>-int8.json`` with its two
graphs beside the float model; the metadata record says ``"precision": "int8"``.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from label_irst.infer.preprocess import normalise, pad
from label_irst.infer.sequences import read_sequences
from label_irst.infer.session import load_model
from label_irst.io.atomic import atomic_path, write_text_atomic


class _Feeds:
    def __init__(self, feeds: list[dict]):
        self._it = iter(feeds)

    def get_next(self):
        return next(self._it, None)


def calibration_triplets(data: str | Path, split: str, count: int) -> list[np.ndarray]:
    """Up to ``count`` normalised, padded triplets (3, H, W) spread over a split's sequences."""
    seqs = read_sequences(data, split)
    out = []
    per_seq = max(1, count // len(seqs))
    for seq in seqs:
        n = len(seq)
        for t in np.linspace(1, max(n - 2, 1), per_seq).astype(int):
            idx = [min(max(t + d, 0), n - 1) for d in (-1, 0, 1)]
            out.append(np.stack([pad(normalise(seq.read(i))) for i in idx]))
            if len(out) >= count:
                return out
    return out


def quantize_int8(
    meta: str | Path,
    data: str | Path | list[str | Path],
    split: str = "train",
    count: int = 16,
) -> Path:
    """Write the int8 model beside ``meta``; returns its metadata path.

    ``data`` is one dataset root or several: ``count`` triplets of each root's ``split`` are
    pooled, so the activation ranges cover every kind of frame the copy will see (real video,
    still images, synthetic sequences); ranges set on one kind clip the others."""
    roots = [data] if isinstance(data, (str, Path)) else list(data)
    triplets = [t for root in roots for t in calibration_triplets(root, split, count)]
    calibration = {"data": [Path(root).name for root in roots], "split": split}
    return quantize_triplets(meta, triplets, calibration)


def quantize_triplets(meta: str | Path, triplets: list[np.ndarray], calibration: dict) -> Path:
    """Write ``<stem>-int8.json`` and its two graphs beside ``meta``, calibrated on ``triplets``
    (normalised, padded (3, H, W) arrays); ``calibration`` describes them in the record."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    meta = Path(meta)
    record = json.loads(meta.read_text())
    model = load_model(meta, "cpu", threads=1, precision="fp32")  # quantise the float graphs
    frames = [{"frame": t[k][None, None].astype(np.float32)} for t in triplets for k in range(3)]
    head_feeds = []
    for t in triplets:
        f = [
            model.encoder.run(None, {"frame": t[k][None, None].astype(np.float32)})[0]
            for k in range(3)
        ]
        head_feeds.append({"prev": f[0], "curr": f[1], "next": f[2]})
    stem = meta.stem + "-int8"
    new = {
        **{k: v for k, v in record.items() if k != "cpu_variant"},  # the copy is the variant
        "encoder": f"{stem}.encoder.onnx",
        "head": f"{stem}.head.onnx",
        "precision": "int8",
        "int8_calibration": {**calibration, "triplets": len(triplets)},
    }
    stem_conv = _first_conv(meta.parent / record["encoder"])
    for role, feeds, exclude in (("encoder", frames, [stem_conv]), ("head", head_feeds, [])):
        with atomic_path(meta.parent / new[role], suffix=".onnx") as tmp, _no_advice():
            quantize_static(
                str(meta.parent / record[role]),
                str(tmp),
                _Feeds(feeds),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=exclude,
            )
    out = meta.parent / f"{stem}.json"
    write_text_atomic(out, json.dumps(new, indent=1))
    return out


class _Advice(logging.Filter):
    """onnxruntime's quantiser advises model pre-processing on the root logger at every call;
    the copies made here are measured without it (benchmarks/bench_int8_fidelity.py), and in
    the loop's log the advice is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextmanager
def _no_advice():
    root, advice = logging.getLogger(), _Advice()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


def _first_conv(path: Path) -> str:
    import onnx

    graph = onnx.load(str(path)).graph
    return next(n.name for n in graph.node if n.op_type == "Conv")
