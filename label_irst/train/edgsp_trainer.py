"""Training of the EDGSP generator (``label-irst train-generator``).

Loss: binary cross-entropy of Eq. 3's saliency map plus a soft-IoU term per crop (the metric is
the per-target IoU). Adam, cosine learning rate; each epoch draws fresh jittered, augmented
crops (:mod:`label_irst.train.edgsp_data`). A fixed part of the examples (``val_fraction``,
drawn with the run's seed) is held out and scored after every epoch with the inference path
itself (network, threshold, BBM): mean per-target IoU over a random and a centroid click each.

``<out>.train/checkpoint.pt`` is rewritten atomically after every epoch (weights, optimiser,
history, RNG state), so ``--resume`` carries on where a run stopped; ``--init`` starts from
another model's weights (``<stem>.pt`` beside its ``.json``). At the end the epoch with the
best held-out IoU is exported: ``<out>.onnx``, ``<out>.json`` (metadata record and model card
fields) and ``<out>.pt``.
"""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from label_irst.core import edgsp as prompts
from label_irst.core.geometry import centroid_pixel
from label_irst.core.metrics import cropped_iou
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_path, write_text_atomic
from label_irst.train import checkpoint
from label_irst.train.edgsp_data import draw_epoch, jitter_seed
from label_irst.train.edgsp_model import WithSigmoid, build, parameters

FORMAT = "label-irst/edgsp-onnx/1"
OPSET = 17


@dataclass
class GeneratorTrainConfig:
    epochs: int = 30
    per_example: int = 8
    batch: int = 64
    lr: float = 3e-3
    crop: int = prompts.CROP
    sigma: float = prompts.SIGMA
    width: int = 16
    val_fraction: float = 0.1
    seed: int = 0
    threads: int = 1
    split: str | None = None
    init: str | None = None
    iou_weight: float = 1.0
    #: views per click at inference (test-time augmentation, core.edgsp.network_input)
    tta: int = 2
    #: jittered clicks per held-out target (plus its centroid) in validation
    val_clicks: int = 4


@dataclass
class TrainResult:
    metadata: Path
    history: list = field(default_factory=list)
    best_epoch: int = 0
    best_val_miou: float = float("nan")
    init_val_miou: float | None = None
    seconds: float = 0.0


def split_examples(examples, fraction: float, seed: int):
    """(train, held-out) examples (:func:`label_irst.core.edgsp.held_out_split`)."""
    try:
        train, val = prompts.held_out_split(len(examples), fraction, seed)
    except ValueError as exc:
        raise LabelIrstError(str(exc)) from None
    return [examples[i] for i in train], [examples[i] for i in val]


THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


@torch.no_grad()
def held_out_maps(net, examples, cfg, seed: int = 1) -> list:
    """Saliency maps of the inference path (with ``cfg.tta`` views) for ``cfg.val_clicks``
    jittered clicks and the centroid click of every example: (example, click, map, offset)."""
    net.eval()
    rng = np.random.default_rng(seed)
    out = []
    for ex in examples:
        clicks = [jitter_seed(ex, rng) for _ in range(cfg.val_clicks)] + [centroid_pixel(ex.mask)]
        x, offs, _, pixels = prompts.network_input(ex.image, clicks, cfg.crop, cfg.sigma, cfg.tta)
        probs = prompts.merge_tta(torch.sigmoid(net(torch.from_numpy(x)))[:, 0].numpy(), cfg.tta)
        out += [(ex, c, p, o) for c, p, o in zip(pixels, probs, offs)]
    return out


def miou(maps, threshold: float = prompts.THRESHOLD) -> float:
    """Mean per-target IoU (%) of BBM masks of ``maps`` at ``threshold``."""
    if not maps:
        return float("nan")
    ious = [
        cropped_iou(prompts.box_matching(p, o, c, ex.image.shape, threshold), ex.mask)
        for ex, c, p, o in maps
    ]
    return 100.0 * float(np.mean(ious))


def choose_threshold(maps) -> tuple[float, float]:
    """The threshold of THRESHOLDS with the best held-out mIoU (ties: nearest 0.5)."""
    if not maps:
        return prompts.THRESHOLD, float("nan")
    scores = {t: miou(maps, t) for t in THRESHOLDS}
    best = max(scores.values())
    t = min((t for t in THRESHOLDS if scores[t] >= best - 1e-9), key=lambda t: abs(t - 0.5))
    return t, scores[t]


def score(net, examples, cfg) -> float:
    """Held-out mIoU (%) at the default threshold."""
    return miou(held_out_maps(net, examples, cfg)) if examples else float("nan")


def _loss(logits, target, iou_weight: float):
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum(dim=(1, 2, 3))
    union = (p + target - p * target).sum(dim=(1, 2, 3))
    soft_iou = (inter + 1.0) / (union + 1.0)
    return bce + iou_weight * (1.0 - soft_iou).mean()


def _load_init(path: str | Path):
    p = Path(path)
    if p.suffix in (".json", ".onnx"):
        p = p.with_suffix(".pt")
    if not p.is_file():
        raise LabelIrstError(f"--init {path}: no weights file {p.name} (a trained model's .pt)")
    state = checkpoint.load(p)
    try:
        net = build(checkpoint.config(state))
    except Exception as exc:  # a foreign config: one line, no traceback
        raise LabelIrstError(f"--init {p}: not an EDGSP weights file ({exc})") from None
    if "model" not in state:
        raise LabelIrstError(f"--init {p}: not an EDGSP weights file (no weights)")
    checkpoint.load_weights_into(net, state["model"], p, "an EDGSP weights file")
    return net, state


def _init_threshold(init: str | None) -> float:
    if init:
        try:
            return float(json.loads(Path(init).with_suffix(".json").read_text())["threshold"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return prompts.THRESHOLD


def train_generator(
    examples, out: str | Path, cfg: GeneratorTrainConfig, source: dict, resume: bool = False,
    progress=None, should_stop=None,
) -> TrainResult:  # fmt: skip
    """Train on ``examples`` and export to ``out`` (a path stem: ``models/edgsp``)."""
    if len(examples) < 2:
        raise LabelIrstError(f"{len(examples)} training example(s): at least 2 targets needed")
    torch.set_num_threads(max(1, cfg.threads))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + ".train")
    work.mkdir(exist_ok=True)
    ckpt_path = work / "checkpoint.pt"
    train, val = split_examples(examples, cfg.val_fraction, cfg.seed)
    init_state = None
    if cfg.init:
        net, init_state = _load_init(cfg.init)
        cfg.crop = int(init_state.get("crop", cfg.crop))
        cfg.sigma = float(init_state.get("sigma", cfg.sigma))
    else:
        torch.manual_seed(cfg.seed)
        net = build({"width": cfg.width})
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(train) * cfg.per_example / cfg.batch)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / max(total, 1))) + 0.01
    )
    history: list[dict] = []
    start_epoch, best, best_state, spent = 0, -1.0, None, 0.0
    init_val = score(net, val, cfg) if cfg.init else None
    if cfg.init:
        best, best_state = init_val, _state(net)
    rng = np.random.default_rng(cfg.seed)
    if resume and ckpt_path.is_file():
        state = checkpoint.load(ckpt_path)
        net = build(state["config"])
        net.load_state_dict(state["model"])
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        opt.load_state_dict(state["optimizer"])
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / max(total, 1))) + 0.01
        )
        sched.load_state_dict(state["scheduler"])
        history, start_epoch = state["history"], state["epoch"]
        best, best_state = state["best"], state["best_state"]
        init_val, spent = state.get("init_val"), state.get("seconds", 0.0)
        rng.bit_generator.state = state["rng"]
    t0 = time.perf_counter() - spent
    for epoch in range(start_epoch, cfg.epochs):
        net.train()
        xs, ys = draw_epoch(train, cfg.per_example, cfg.crop, cfg.sigma, rng)
        order = rng.permutation(len(xs))
        losses = []
        for s in range(steps_per_epoch):
            idx = order[s * cfg.batch : (s + 1) * cfg.batch]
            if len(idx) == 0:
                break
            logits = net(torch.from_numpy(xs[idx]))
            loss = _loss(logits, torch.from_numpy(ys[idx]), cfg.iou_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
            if should_stop is not None and should_stop():
                raise LabelIrstError("training cancelled; the last finished epoch is kept")
        val_miou = score(net, val, cfg)
        record = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "val_miou": val_miou,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        history.append(record)
        if not val or val_miou > best:
            best, best_state = val_miou, _state(net)
        checkpoint.save(
            ckpt_path,
            {
                "model": net.state_dict(),
                "config": net.config,
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "history": history,
                "epoch": epoch + 1,
                "best": best,
                "best_state": best_state,
                "init_val": init_val,
                "seconds": time.perf_counter() - t0,
                "rng": rng.bit_generator.state,
                "train_config": asdict(cfg),
            },
        )
        if progress is not None:
            progress(epoch + 1, cfg.epochs, record)
    seconds = time.perf_counter() - t0
    final = build(net.config)
    final.load_state_dict(best_state if best_state is not None else net.state_dict())
    best_epoch = max(history, key=lambda r: r["val_miou"])["epoch"] if val and history else 0
    if cfg.init and best_state is not None and history and best <= init_val:
        best_epoch = 0  # no epoch beat the initial weights on the held-out targets
    if val:
        threshold, tuned = choose_threshold(held_out_maps(final, val, cfg))
    else:  # nothing held out: keep the initial model's threshold
        threshold, tuned = _init_threshold(cfg.init), None
    training = {
        "source": source,
        "examples": len(examples),
        "train_examples": len(train),
        "held_out_examples": len(val),
        "config": {**asdict(cfg), "init": Path(cfg.init).name if cfg.init else None},
        "history": history,
        "best_epoch": best_epoch,
        "held_out_miou": best if val else None,
        "held_out_miou_at_threshold": tuned,
        "init_held_out_miou": init_val,
        "seconds": round(seconds, 1),
        "machine": f"{platform.machine()}, {cfg.threads} torch thread(s)",
    }
    meta = export(final, out, cfg, training, threshold)
    return TrainResult(meta, history, best_epoch, best, init_val, seconds)


def _state(net) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def metadata(net, stem: str, cfg: GeneratorTrainConfig, training: dict, threshold: float) -> dict:
    return {
        "format": FORMAT,
        "model": "EDGSP",
        "graph": f"{stem}.onnx",
        "weights": f"{stem}.pt",
        "inputs": ["x"],
        "outputs": ["prob"],
        "channels": ["TEI energy", "local SCR", "Sobel edge", "Gaussian prompt"],
        "crop": cfg.crop,
        "sigma": cfg.sigma,
        "threshold": threshold,
        "tta": cfg.tta,
        "architecture": {**net.config, "parameters": parameters(net)},
        "training": training,
    }


def export(
    net, out: Path, cfg: GeneratorTrainConfig, training: dict, threshold: float = 0.5
) -> Path:
    """Write ``<out>.onnx``, ``<out>.pt`` and ``<out>.json``; returns the metadata path."""
    net = net.eval().cpu()
    stem = out.name
    record = metadata(net, stem, cfg, training, threshold)
    dummy = torch.zeros(2, prompts.CHANNELS, cfg.crop, cfg.crop)
    graph = out.with_name(f"{stem}.onnx")
    with atomic_path(graph, suffix=".onnx") as tmp:
        torch.onnx.export(
            WithSigmoid(net),
            (dummy,),
            str(tmp),
            input_names=["x"],
            output_names=["prob"],
            dynamic_axes={"x": {0: "batch"}, "prob": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    weights = {"model": net.state_dict(), "config": net.config, "crop": cfg.crop}
    checkpoint.save(out.with_name(f"{stem}.pt"), {**weights, "sigma": cfg.sigma})
    meta = out.with_name(f"{stem}.json")
    write_text_atomic(meta, json.dumps(record, indent=1))
    return meta


@torch.no_grad()
def parity(net, meta: str | Path, n: int = 3, seed: int = 0) -> float:
    """Max abs difference between torch and the exported graph on random inputs."""
    import onnxruntime as ort

    meta = Path(meta)
    record = json.loads(meta.read_text())
    x = np.random.default_rng(seed).normal(size=(n, 4, record["crop"], record["crop"]))
    x = x.astype(np.float32)
    ref = torch.sigmoid(net.eval()(torch.from_numpy(x))).numpy()
    sess = ort.InferenceSession(
        str(meta.parent / record["graph"]), providers=["CPUExecutionProvider"]
    )
    got = sess.run(None, {"x": x})[0]
    return float(np.abs(ref - got).max())
