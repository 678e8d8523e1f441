"""ONNX export of RPR-Net as two graphs with a metadata record.

* ``<stem>.encoder.onnx``: input ``frame`` (N, 1, H, W) normalised -> ``features`` (N, C, H/4,
  W/4); H and W dynamic (multiples of 16). Run once per frame at inference.
* ``<stem>.head.onnx``: inputs ``prev``, ``curr``, ``next`` (N, C, H/4, W/4) -> ``heatmap``
  (sigmoid probabilities), ``offset`` (stride-4 cells) and ``radius`` (pixels).
* ``<stem>.json``: the metadata record (format, graphs, input/output names, stride, multiple,
  normalisation, variant, training summary). The same record is stored in each graph's
  metadata_props under ``label_irst``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from label_irst.errors import LabelIrstError
from label_irst.infer.preprocess import MULTIPLE, NORMALISATION
from label_irst.io.atomic import atomic_path, write_text_atomic
from label_irst.train import checkpoint as checkpoint_file
from label_irst.train.model import FEATURES, STRIDE, RPRNet

FORMAT = "label-irst/rprnet-onnx/1"
OPSET = 17


class _Head(nn.Module):
    def __init__(self, model: RPRNet):
        super().__init__()
        self.head = model.head

    def forward(self, prev, curr, nxt):
        if not self.head.temporal:
            # Variant-Single ignores its neighbours; one pixel of each keeps them graph inputs
            # so every RPR-Net head has the same interface
            curr = curr + 0.0 * (prev[:, :1, :1, :1] + nxt[:, :1, :1, :1])
        heat, off, rad = self.head(prev, curr, nxt)
        return torch.sigmoid(heat), off, rad


def load_checkpoint(path: str | Path, state: dict | None = None) -> RPRNet:
    """The RPR-Net of a checkpoint (read without running code); one-line error otherwise."""
    state = checkpoint_file.load(path) if state is None else state
    cfg = state.get("config", {})
    if "model" not in state or not isinstance(cfg, dict):
        raise LabelIrstError(f"{path}: not an RPR-Net checkpoint")
    model = RPRNet(temporal=cfg.get("temporal", True), gate=cfg.get("gate", True))
    checkpoint_file.load_weights_into(model, state["model"], path, "an RPR-Net checkpoint")
    model.eval()
    return model


def metadata(model: RPRNet, stem: str, training: dict | None = None) -> dict:
    return {
        "format": FORMAT,
        "model": "RPR-Net",
        "encoder": f"{stem}.encoder.onnx",
        "head": f"{stem}.head.onnx",
        "encoder_inputs": ["frame"],
        "encoder_outputs": ["features"],
        "head_inputs": ["prev", "curr", "next"],
        "head_outputs": ["heatmap", "offset", "radius"],
        "features": FEATURES,
        "stride": STRIDE,
        "multiple": MULTIPLE,
        "normalisation": NORMALISATION,
        "variant": "temporal" if model.config["temporal"] else "single-frame",
        "training": training or {},
    }


def _stamp(path: Path, record: dict, role: str) -> None:
    import onnx

    m = onnx.load(str(path))
    entry = m.metadata_props.add()
    entry.key = "label_irst"
    entry.value = json.dumps({**record, "role": role})
    with atomic_path(path, suffix=".onnx") as tmp:
        onnx.save(m, str(tmp))


def export_onnx(model: RPRNet, out_dir: str | Path, stem: str = "rprnet", training=None) -> Path:
    """Write the two graphs and the metadata record; returns the metadata path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    record = metadata(model, stem, training)
    frame = torch.randn(1, 1, 64, 96)
    feat = model.encoder(frame)
    dyn = {0: "batch", 2: "height", 3: "width"}
    enc_path, head_path = out / record["encoder"], out / record["head"]
    with atomic_path(enc_path, suffix=".onnx") as tmp:
        torch.onnx.export(
            model.encoder,
            (frame,),
            str(tmp),
            input_names=["frame"],
            output_names=["features"],
            dynamic_axes={"frame": dyn, "features": dyn},
            opset_version=OPSET,
            dynamo=False,
        )
    with atomic_path(head_path, suffix=".onnx") as tmp:
        torch.onnx.export(
            _Head(model),
            (feat, feat, feat),
            str(tmp),
            input_names=["prev", "curr", "next"],
            output_names=["heatmap", "offset", "radius"],
            dynamic_axes={k: dyn for k in ("prev", "curr", "next", "heatmap", "offset", "radius")},
            opset_version=OPSET,
            dynamo=False,
            keep_initializers_as_inputs=False,
        )
    _stamp(enc_path, record, "encoder")
    _stamp(head_path, record, "head")
    meta = out / f"{stem}.json"
    write_text_atomic(meta, json.dumps(record, indent=1))
    return meta


@torch.no_grad()
def parity(model: RPRNet, meta: str | Path, height: int = 64, width: int = 80, seed: int = 0):
    """Max abs difference between torch and onnxruntime (CPU) on a random triplet."""
    import onnxruntime as ort

    meta = Path(meta)
    record = json.loads(meta.read_text())
    rng = np.random.default_rng(seed)
    frames = rng.normal(size=(3, 1, height, width)).astype(np.float32)
    model = model.eval()
    ref = [t.numpy() for t in model(torch.from_numpy(frames.reshape(1, 3, height, width)))]
    ref[0] = 1.0 / (1.0 + np.exp(-ref[0]))
    opts = ["CPUExecutionProvider"]
    enc = ort.InferenceSession(str(meta.parent / record["encoder"]), providers=opts)
    head = ort.InferenceSession(str(meta.parent / record["head"]), providers=opts)
    feats = [enc.run(None, {"frame": f[None]})[0] for f in frames]
    got = head.run(None, {"prev": feats[0], "curr": feats[1], "next": feats[2]})
    return max(float(np.abs(a - b).max()) for a, b in zip(ref, got))


def export_checkpoint(
    checkpoint: str | Path, out_dir: str | Path, stem: str = "rprnet", threshold=None
) -> dict:
    """Export a training checkpoint (with its training record) and check ONNX parity."""
    torch.set_num_threads(1)
    state = checkpoint_file.load(checkpoint)
    model = load_checkpoint(checkpoint, state)
    train_config = state.get("train_config")
    train_config = dict(train_config) if isinstance(train_config, dict) else {}
    if train_config.get("init"):  # a local path says nothing elsewhere: keep the file's name
        train_config["init"] = Path(train_config["init"]).name
    training = {"train_config": train_config, "history": state.get("history", [])}
    meta = export_onnx(model, out_dir, stem, training)
    if threshold is not None:
        record = json.loads(meta.read_text())
        record["threshold"] = float(threshold)
        write_text_atomic(meta, json.dumps(record, indent=1))
    return {"metadata": str(meta), "parity_max_abs_diff": parity(model, meta)}
