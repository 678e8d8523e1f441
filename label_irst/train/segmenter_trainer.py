"""Training of the single-frame segmenter (``label-irst train-segmenter``).

Three supervisions, the three rows of the LESPS paper's tables:

* ``lesps``: the labels start as the points (one pixel per target) and evolve from the
  network's own predictions (:mod:`label_irst.train.lesps`, Sec. 4): once an epoch's mean loss
  is below ``T_loss``, and then every ``f`` epochs, every training frame's labels are updated
  with Eq. 1-4 from the network's prediction around each target.
* ``centroid``: the point labels, fixed (the paper's "w/o LESPS"; its masks are read at the
  threshold 0.15, footnote 6).
* ``masks``: the ground-truth masks (full supervision).
* ``pamg``: the points grown once into masks by the default point-to-mask generator (``pamg+``,
  the pseudo masks Label-IRST trains RPR-Net with, Sec. III-C1), fixed: point supervision that
  starts where label evolution hopes to arrive. No mask is read.

Loss (Sec. 5.1 and 5.4): focal loss (gamma 2, alpha weighting the positives) between the
prediction and the current labels on every pixel of the crop -- all background points are
negatives, none sampled or hand-picked. It is summed over a crop's pixels and averaged over the
batch, the scale on which ``T_loss`` is read. Adam, cosine learning rate, ``crop`` x ``crop``
crops (:func:`label_irst.train.segmenter_data.draw_crop`). No mask is read for model selection:
the last epoch is exported.

``<out>.train/checkpoint.pt`` is rewritten atomically after every epoch (weights, optimiser,
scheduler, current labels, history, RNG state), so ``--resume`` carries on where a run stopped,
also with a larger ``--epochs``. The export writes ``<out>.onnx`` (input ``x`` (N, 1, H, W), the
standardised frame, H and W multiples of 8; output ``prob``), ``<out>.pt``, ``<out>.json``
(metadata record) and, for point supervision, ``<out>.labels.npz``: the final training labels
(:mod:`label_irst.infer.segmenter_labels`).
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

from label_irst.errors import LabelIrstError
from label_irst.infer import segmenter_labels
from label_irst.infer.segmenter import FORMAT, MULTIPLE
from label_irst.io.atomic import atomic_path, write_text_atomic
from label_irst.train import checkpoint, lesps
from label_irst.train.segmenter_data import draw_crop
from label_irst.train.segmenter_model import WithSigmoid, build, parameters

OPSET = 17
SUPERVISIONS = ("lesps", "centroid", "masks", "pamg")
THRESHOLDS = {"lesps": 0.5, "centroid": 0.15, "masks": 0.5, "pamg": 0.5}
WINDOW = 64  # side of the prediction window around each target for the label update


@dataclass
class SegmenterTrainConfig:
    supervision: str = "lesps"
    epochs: int = 40
    batch: int = 8
    crop: int = 128
    crops_per_frame: int = 1
    augment: str = "geometric"  # or "strong": :func:`label_irst.train.segmenter_data.draw_crop`
    lr: float = 1e-3
    widths: tuple = (8, 16, 32, 64)
    alpha: float = 0.75
    gamma: float = 2.0
    seed: int = 0
    threads: int = 1
    device: str = "cpu"
    split: str | None = None
    evolution: lesps.EvolutionConfig = field(default_factory=lesps.EvolutionConfig)


@dataclass
class TrainResult:
    metadata: Path
    history: list
    seconds: float


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float, gamma: float):
    """Focal loss on soft labels, summed over each crop's pixels, mean over the batch:
    ``-a y (1-p)^g log p - (1-a) (1-y) p^g log(1-p)``."""
    p = torch.sigmoid(logits)
    log_p = torch.nn.functional.logsigmoid(logits)
    log_q = torch.nn.functional.logsigmoid(-logits)
    pos = alpha * target * (1 - p).pow(gamma) * log_p
    neg = (1 - alpha) * (1 - target) * p.pow(gamma) * log_q
    return -(pos + neg).sum(dim=(1, 2, 3)).mean()


def initial_labels(frames, supervision: str) -> list[np.ndarray]:
    if supervision == "masks":
        if any(f.mask is None for f in frames):
            raise LabelIrstError("--supervision masks needs a mask for every frame")
        return [f.mask.astype(np.float32) for f in frames]
    if supervision == "pamg":
        return [pamg_label(f) for f in frames]
    return [lesps.point_label(f.image.shape, f.points) for f in frames]


def pamg_label(frame) -> np.ndarray:
    """The frame's points grown by the default generator (its point pixels always included).
    ``pamg+`` reads contrast relative to the local background, so the standardised frame gives
    the masks the raw one does."""
    from label_irst.core.generators import get_generator
    from label_irst.core.pamg import DEFAULT_SUPPORT_RADIUS

    label = lesps.point_label(frame.image.shape, frame.points)
    grow = get_generator()
    for point in frame.points:
        part = np.zeros(frame.image.shape, bool)
        grow.grow(frame.image, point, DEFAULT_SUPPORT_RADIUS).mask.paint(part)
        label[part] = 1.0
    return label


@torch.no_grad()
def predict_windows(net, frames, device: str, batch: int = 32) -> list[np.ndarray]:
    """Per frame, a probability map that holds the network's prediction in a WINDOW x WINDOW
    window around each point (zero elsewhere): all :func:`lesps.evolve` reads."""
    net.eval()
    half = WINDOW // 2
    jobs = []
    padded = []
    for fi, f in enumerate(frames):
        padded.append(np.pad(f.image, half, mode="edge"))
        for x, y in f.points:
            c, r = lesps.point_pixel(f.image.shape, x, y)
            jobs.append((fi, r, c))
    maps = [np.zeros(f.image.shape, np.float32) for f in frames]
    for s in range(0, len(jobs), batch):
        part = jobs[s : s + batch]
        x = np.stack([padded[fi][r : r + WINDOW, c : c + WINDOW] for fi, r, c in part])
        prob = torch.sigmoid(net(torch.from_numpy(x[:, None]).to(device)))[:, 0].cpu().numpy()
        for (fi, r, c), p in zip(part, prob):
            h, w = maps[fi].shape
            r0, c0 = r - half, c - half
            ya, xa, yb, xb = max(r0, 0), max(c0, 0), min(r0 + WINDOW, h), min(c0 + WINDOW, w)
            sub = p[ya - r0 : yb - r0, xa - c0 : xb - c0]
            np.maximum(maps[fi][ya:yb, xa:xb], sub, out=maps[fi][ya:yb, xa:xb])
    return maps


def label_iou(frames, labels) -> float | None:
    """IoU (%) of the positive label pixels against the masks, where every frame has one."""
    if any(f.mask is None for f in frames):
        return None
    inter = sum(int(((lab > lesps.POSITIVE) & f.mask).sum()) for f, lab in zip(frames, labels))
    union = sum(int(((lab > lesps.POSITIVE) | f.mask).sum()) for f, lab in zip(frames, labels))
    return 100.0 * inter / union if union else None


def _pack(labels) -> list:
    out = []
    for lab in labels:
        rows, cols = np.nonzero(lab)
        out.append(
            {
                "rows": torch.from_numpy(rows.astype(np.int32)),
                "cols": torch.from_numpy(cols.astype(np.int32)),
                "values": torch.from_numpy(lab[rows, cols].astype(np.float32)),
            }
        )
    return out


def _unpack(packed, frames) -> list[np.ndarray]:
    if len(packed) != len(frames):
        raise LabelIrstError(
            f"the checkpoint holds labels of {len(packed)} frames, this run has {len(frames)}: "
            "resume with the same data (and --negatives) as the run that wrote it"
        )
    out = []
    for p, f in zip(packed, frames):
        lab = np.zeros(f.image.shape, np.float32)
        lab[p["rows"].numpy(), p["cols"].numpy()] = p["values"].numpy()
        out.append(lab)
    return out


def _schedule(opt, total: int):
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / max(total, 1))) + 0.01
    )


def initial_state(init: str | Path, frames, cfg: SegmenterTrainConfig):
    """The network of a trained segmenter record (its ``.pt``) to fine-tune from, and for
    ``lesps`` its evolved labels of the frames it trained on (None for the others: they start
    from their points). A frame whose image changed since keeps its initial label."""
    from label_irst.infer.segmenter import FORMAT, read_record

    meta_path, meta = read_record(init)
    if meta.get("format") != FORMAT:
        raise LabelIrstError(f"{init}: --init needs one segmenter's record ({FORMAT})")
    if meta.get("supervision") != cfg.supervision:
        raise LabelIrstError(
            f"{init}: a {meta.get('supervision')} model; --init needs a {cfg.supervision} one"
        )
    weights = meta_path.parent / str(meta.get("weights") or f"{meta_path.stem}.pt")
    if not weights.is_file():
        raise LabelIrstError(f"{weights}: no such weights file (--init reads the model's .pt)")
    state = checkpoint.load(weights)
    net = build(state["config"])
    checkpoint.load_weights_into(net, state["model"], weights, "a segmenter's weights")
    labels: list = [None] * len(frames)
    if cfg.supervision == "lesps" and meta.get("labels"):
        evolved = segmenter_labels.read(meta_path.parent / str(meta["labels"]))
        for i, f in enumerate(frames):
            e = evolved.get(f.stem)
            if e is not None and e.label.shape == f.image.shape and e.digest in ("", f.digest):
                labels[i] = e.label.astype(np.float32)
    return net, labels


def train_segmenter(
    frames, out: str | Path, cfg: SegmenterTrainConfig, source: dict, resume: bool = False,
    progress=None, init: str | Path | None = None,
) -> TrainResult:  # fmt: skip
    """Train on ``frames`` (:mod:`label_irst.train.segmenter_data`) and export to ``out``.

    ``init`` (a trained segmenter's record) starts a new run from its weights and, for
    ``lesps``, its evolved labels, which go on evolving every period; a resumed run carries on
    from its own checkpoint instead."""
    if cfg.supervision not in SUPERVISIONS:
        raise LabelIrstError(f"--supervision must be one of {', '.join(SUPERVISIONS)}")
    if not frames or not any(f.points for f in frames):
        raise LabelIrstError("no training frame with a target")
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise LabelIrstError("--device cuda: no CUDA device is available to torch")
    torch.set_num_threads(max(1, cfg.threads))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + ".train")
    work.mkdir(exist_ok=True)
    ckpt_path = work / "checkpoint.pt"
    torch.manual_seed(cfg.seed)
    net = build({"widths": list(cfg.widths)}).to(cfg.device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    steps = math.ceil(len(frames) * cfg.crops_per_frame / cfg.batch)
    sched = _schedule(opt, cfg.epochs * steps)
    rng = np.random.default_rng(cfg.seed)
    labels = initial_labels(frames, cfg.supervision)
    history: list[dict] = []
    start_epoch, spent, started = 0, 0.0, None
    if init is not None and not (resume and ckpt_path.is_file()):
        net, evolved = initial_state(init, frames, cfg)
        net = net.to(cfg.device)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        sched = _schedule(opt, cfg.epochs * steps)
        labels = [lab if e is None else e for lab, e in zip(labels, evolved)]
        if any(e is not None for e in evolved):
            started = 0  # the labels evolved already: on with the period
    if resume and ckpt_path.is_file():
        state = checkpoint.load(ckpt_path)
        saved = state.get("train_config", {})
        if saved.get("supervision") != cfg.supervision:
            raise LabelIrstError(
                f"{ckpt_path}: a {saved.get('supervision')} run, not {cfg.supervision}"
            )
        net = build(state["config"]).to(cfg.device)
        checkpoint.load_weights_into(net, state["model"], ckpt_path, "a segmenter checkpoint")
        opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        opt.load_state_dict(state["optimizer"])
        sched = _schedule(opt, cfg.epochs * steps)
        sched.load_state_dict(state["scheduler"])
        history, start_epoch = state["history"], state["epoch"]
        spent, started = state.get("seconds", 0.0), state.get("evolution_started")
        labels = _unpack(state["labels"], frames)
        rng.bit_generator.state = state["rng"]
    t0 = time.perf_counter() - spent
    for epoch in range(start_epoch, cfg.epochs):
        net.train()
        crops = [(i, k) for i in range(len(frames)) for k in range(cfg.crops_per_frame)]
        order = rng.permutation(len(crops))
        losses = []
        for s in range(steps):
            idx = order[s * cfg.batch : (s + 1) * cfg.batch]
            if len(idx) == 0:
                break
            pairs = [
                draw_crop(frames[crops[j][0]].image, labels[crops[j][0]],
                          frames[crops[j][0]].points, cfg.crop, rng, augment=cfg.augment)
                for j in idx
            ]  # fmt: skip
            x = torch.from_numpy(np.stack([p[0] for p in pairs])[:, None]).to(cfg.device)
            y = torch.from_numpy(np.stack([p[1] for p in pairs])[:, None]).to(cfg.device)
            loss = focal_loss(net(x), y, cfg.alpha, cfg.gamma)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        record = {"epoch": epoch + 1, "loss": float(np.mean(losses))}
        if cfg.supervision == "lesps" and cfg.evolution.due(epoch + 1, record["loss"], started):
            started = epoch + 1 if started is None else started
            preds = predict_windows(net, frames, cfg.device)
            labels = [
                lesps.evolve(lab, p, f.points, cfg.evolution)
                for lab, p, f in zip(labels, preds, frames)
            ]
            record["evolved"] = True
        record["label_pixels"] = int(sum(int((lab > lesps.POSITIVE).sum()) for lab in labels))
        record["label_iou"] = label_iou(frames, labels)
        record["seconds"] = round(time.perf_counter() - t0, 1)
        history.append(record)
        checkpoint.save(
            ckpt_path,
            {
                "model": net.state_dict(),
                "config": net.config,
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "history": history,
                "epoch": epoch + 1,
                "seconds": time.perf_counter() - t0,
                "evolution_started": started,
                "labels": _pack(labels),
                "rng": rng.bit_generator.state,
                "train_config": _config_record(cfg),
            },
        )
        if progress is not None:
            progress(epoch + 1, cfg.epochs, record)
    seconds = time.perf_counter() - t0
    training = {
        "source": source,
        "init": None if init is None else Path(init).name,
        "frames": len(frames),
        "targets": sum(len(f.points) for f in frames),
        "target_free_frames": sum(1 for f in frames if not f.points),
        "config": _config_record(cfg),
        "history": history,
        "evolution_started": started,
        "seconds": round(seconds, 1),
        "machine": f"{platform.machine()}, {cfg.device}, {cfg.threads} torch thread(s)",
    }
    meta = export(net.cpu(), out, cfg, training)
    if cfg.supervision != "masks":
        kept = [(f, lab) for f, lab in zip(frames, labels) if f.points]  # not target-free ones
        segmenter_labels.write(
            out.with_name(f"{out.name}.labels.npz"),
            {f.stem: lab for f, lab in kept},
            {f.stem: f.points for f, _ in kept},
            {f.stem: f.digest for f, _ in kept},
        )
    return TrainResult(meta, history, seconds)


def _config_record(cfg: SegmenterTrainConfig) -> dict:
    record = asdict(cfg)
    record["widths"] = list(cfg.widths)
    return record


def metadata(net, stem: str, cfg: SegmenterTrainConfig, training: dict) -> dict:
    return {
        "format": FORMAT,
        "model": "nested U-Net segmenter",
        "supervision": cfg.supervision,
        "graph": f"{stem}.onnx",
        "weights": f"{stem}.pt",
        "labels": f"{stem}.labels.npz" if cfg.supervision != "masks" else None,
        "inputs": ["x"],
        "outputs": ["prob"],
        "normalisation": "per-frame standardisation: (I - mean(I)) / max(std(I), 1e-6)",
        "multiple": MULTIPLE,
        "threshold": THRESHOLDS[cfg.supervision],
        "architecture": {**net.config, "parameters": parameters(net)},
        "training": training,
    }


def export(net, out: Path, cfg: SegmenterTrainConfig, training: dict) -> Path:
    """Write ``<out>.onnx``, ``<out>.pt`` and ``<out>.json``; returns the metadata path."""
    net = net.eval().cpu()
    stem = out.name
    dummy = torch.zeros(1, 1, 64, 64)
    graph = out.with_name(f"{stem}.onnx")
    with atomic_path(graph, suffix=".onnx") as tmp:
        torch.onnx.export(
            WithSigmoid(net),
            (dummy,),
            str(tmp),
            input_names=["x"],
            output_names=["prob"],
            dynamic_axes={"x": {0: "batch", 2: "h", 3: "w"}, "prob": {0: "batch", 2: "h", 3: "w"}},
            opset_version=OPSET,
            dynamo=False,
        )
    checkpoint.save(out.with_name(f"{stem}.pt"), {"model": net.state_dict(), "config": net.config})
    meta = out.with_name(f"{stem}.json")
    write_text_atomic(meta, json.dumps(metadata(net, stem, cfg, training), indent=1))
    return meta
