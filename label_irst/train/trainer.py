"""Training loop of RPR-Net (Sec. IV-A3): AdamW (lr 1e-3, weight decay 1e-4), cosine annealing
to 1e-5, loss of Eq. 17; resumable checkpoints and validation Pd / Fa after each epoch."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD, decode
from label_irst.infer.matching import match
from label_irst.infer.preprocess import normalise, pad
from label_irst.infer.project import is_project, training_sequences
from label_irst.infer.sequences import Sequence, read_sequences
from label_irst.train import checkpoint
from label_irst.train.data import TripletSampler
from label_irst.train.losses import rpr_loss
from label_irst.train.mining import mine
from label_irst.train.mix import MixedSampler, Source
from label_irst.train.model import RPRNet
from label_irst.train.supervision import supervision

LR, WEIGHT_DECAY, LR_MIN = 1e-3, 1e-4, 1e-5


@dataclass
class TrainConfig:
    epochs: int = 10
    steps: int = 100
    batch: int = 8
    crop: int = 128
    supervision: str = "masks"
    temporal: bool = True
    gate: bool = True
    seed: int = 0
    device: str = "cpu"
    train_split: str | None = "train"
    val_split: str | None = "test"
    val_frames: int = 40
    threshold: float = DEFAULT_THRESHOLD
    threads: int = 1
    lr: float = LR
    warmup: int = 0
    init: str | None = None
    hard_negatives: float = 0.0
    mine_frames: int = 48
    repeat_frame: float = 0.0
    #: further sources (label_irst.train.mix.Source) drawn at their shares; DATA gets the rest
    mix: list = field(default_factory=list)


@dataclass
class History:
    epochs: list[dict] = field(default_factory=list)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise LabelIrstError("--device cuda: torch sees no CUDA device here")
    return torch.device(name)


@torch.no_grad()
def validate(model: RPRNet, seqs: list[Sequence], targets, cfg: TrainConfig, device) -> dict:
    """Pd / Fa (Eq. 18) of decoded points on up to ``val_frames`` frames; a false alarm counts
    its predicted disc's pixels."""
    model.eval()
    hits = total = false_px = pixels = frames = 0
    for seq in seqs:
        feats: dict[int, torch.Tensor] = {}

        def feature(t: int, seq=seq, feats=feats):
            t = min(max(t, 0), len(seq) - 1)
            if t not in feats:
                x = torch.from_numpy(pad(normalise(seq.read(t))))[None, None]
                feats[t] = model.encoder(x.to(device))
            return feats[t]

        for t, stem in enumerate(seq.stems()):
            if frames >= cfg.val_frames:
                break
            if seq.keep is not None and stem not in seq.keep:
                continue
            shape = seq.read(t).shape
            heat, off, rad = model.head(feature(t - 1), feature(t), feature(t + 1))
            dets = decode(
                torch.sigmoid(heat)[0, 0].cpu().numpy(),
                off[0].cpu().numpy(),
                rad[0, 0].cpu().numpy(),
                cfg.threshold,
                shape,
            )
            gt = targets[seq.name].get(stem, [])
            used, hit = match([(d.x, d.y) for d in dets], [(x, y) for x, y, _ in gt])
            hits += sum(hit)
            total += len(gt)
            false_px += sum(math.pi * d.radius**2 for d, u in zip(dets, used) if not u)
            pixels += shape[0] * shape[1]
            frames += 1
            feats.pop(t - 2, None)
    model.train()
    return {
        "pd": 100.0 * hits / total if total else float("nan"),
        "fa": false_px / pixels if pixels else float("nan"),
        "frames": frames,
    }


def lr_schedule(opt, cfg: TrainConfig, total_steps: int):
    """Cosine annealing from ``cfg.lr`` to 1e-5 (Sec. IV-A3), after an optional linear warm-up
    of ``cfg.warmup`` steps."""
    total_steps = max(total_steps, 1)
    if cfg.warmup <= 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps, eta_min=LR_MIN)
    floor = LR_MIN / cfg.lr

    def factor(step: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        t = min((step - cfg.warmup) / max(total_steps - cfg.warmup, 1), 1.0)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def load_weights(model: RPRNet, path: str | Path, temporal: bool, device) -> None:
    """Start from the weights of another checkpoint of the same variant (fine-tuning)."""
    state = checkpoint.load(path, map_location=device)
    if not isinstance(state, dict) or "model" not in state:
        raise LabelIrstError(f"{path}: not an RPR-Net checkpoint")
    if checkpoint.config(state).get("temporal") != temporal:
        raise LabelIrstError(f"{path}: checkpoint of a different model variant")
    checkpoint.load_weights_into(model, state["model"], path, "an RPR-Net checkpoint")


def _mixed(primary: TripletSampler, cfg: TrainConfig, log) -> MixedSampler:
    """The primary sampler plus one per ``cfg.mix`` source, at their shares (the primary takes
    what the others leave)."""
    sources = [s if isinstance(s, Source) else Source(**s) for s in cfg.mix]
    rest = 1.0 - sum(s.share for s in sources)
    if rest <= 0:
        raise LabelIrstError("the --mix shares must leave a share for DATA (sum below 1)")
    samplers, shares = [primary], [rest]
    for src in sources:
        seqs = read_sequences(src.root, cfg.train_split)
        count = sum(len(s.keep) if s.keep is not None else len(s) for s in seqs)
        log(
            f"mix: {src.root} ({src.share:.0%} of crops) supervision from {src.supervision} "
            f"on {count} frames"
        )
        sup = supervision(src.root, seqs, src.supervision)
        samplers.append(
            TripletSampler(
                seqs, sup, cfg.crop, hard_bias=cfg.hard_negatives, repeat_frame=cfg.repeat_frame
            )
        )
        shares.append(src.share)
    return MixedSampler(samplers, shares)


def save_checkpoint(path: Path, state: dict) -> None:
    checkpoint.save(path, state)


def train(data: str | Path, out: str | Path, cfg: TrainConfig, job=None, log=print) -> dict:
    """Train (or resume) RPR-Net on a dataset root, or on the confirmed targets of a project;
    returns the last epoch's record."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(cfg.threads, 1))
    torch.manual_seed(cfg.seed)
    device = pick_device(cfg.device)
    if is_project(data):
        train_seqs, sup = training_sequences(data, log)
        val_seqs, val_sup = [], {}
        count = sum(len(s.keep) for s in train_seqs)
        log(f"supervision from the confirmed targets of {count} project frames (no validation)")
    else:
        train_seqs = read_sequences(data, cfg.train_split)
        val_seqs = read_sequences(data, cfg.val_split) if cfg.val_split else []
        if cfg.val_split and not val_seqs:
            raise LabelIrstError(f"{data}: no validation sequences in split {cfg.val_split}")
        count = sum(len(s) for s in train_seqs)
        log(f"supervision from {cfg.supervision} on {count} frames")
        sup = supervision(data, train_seqs, cfg.supervision)
        val_mode = "masks" if val_seqs and val_seqs[0].mask_dir else cfg.supervision
        val_sup = supervision(data, val_seqs, val_mode) if val_seqs else {}
    sampler = TripletSampler(
        train_seqs, sup, cfg.crop, hard_bias=cfg.hard_negatives, repeat_frame=cfg.repeat_frame
    )
    if cfg.mix:
        sampler = _mixed(sampler, cfg, log)
    model = RPRNet(temporal=cfg.temporal, gate=cfg.gate).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=WEIGHT_DECAY)
    total_steps = cfg.epochs * cfg.steps
    sched = lr_schedule(opt, cfg, total_steps)
    start_epoch, history = 0, []
    ckpt = out / "checkpoint.pt"
    if ckpt.is_file():
        state = checkpoint.load(ckpt, map_location=device)
        if checkpoint.config(state).get("temporal") != cfg.temporal:
            raise LabelIrstError(
                f"{ckpt}: checkpoint of a different model variant; use another --out"
            )
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch, history = state["epoch"], state["history"]
        log(f"resumed from {ckpt} after epoch {start_epoch}")
    elif cfg.init:
        load_weights(model, cfg.init, cfg.temporal, device)
        log(f"weights initialised from {cfg.init}")
    rng = np.random.default_rng([cfg.seed, start_epoch])
    record: dict = history[-1] if history else {}
    for epoch in range(start_epoch, cfg.epochs):
        model.train()
        t0, losses = time.perf_counter(), []
        mined = None
        if cfg.hard_negatives:
            if isinstance(sampler, MixedSampler):
                mined = sampler.mine(model, cfg.mine_frames, rng, device)
            else:
                mined = mine(model, sampler, cfg.mine_frames, rng, device)
        for step in range(cfg.steps):
            if job is not None and job.cancelled:
                return record
            x, y = sampler.batch(cfg.batch, rng)
            x, y = x.to(device), {k: v.to(device) for k, v in y.items()}
            loss, parts = rpr_loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            if job is not None:
                job.step(epoch * cfg.steps + step + 1, total_steps)
        record = {
            "epoch": epoch + 1,
            "loss": float(np.mean(losses)),
            "seconds": time.perf_counter() - t0,
        }
        if mined is not None:
            record["hard_negatives"] = mined
        if val_seqs:
            record.update(validate(model, val_seqs, val_sup, cfg, device))
        history.append(record)
        log(
            " ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()
            )
        )
        state = {
            "model": model.state_dict(),
            "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(),
            "epoch": epoch + 1,
            "history": history,
            "config": model.config,
            "train_config": cfg.__dict__,
        }
        save_checkpoint(ckpt, state)
    return record
