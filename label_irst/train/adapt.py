"""Detector adaptation (the loop): fine-tune the current RPR-Net on a project's reviewed frames.

A reviewed frame is one whose every target the annotator labelled, so it gives trustworthy
positives *and* negatives:

* positives are the confirmed targets, labelled as Sec. III-C1 does (a mask gives its centroid
  and r = √(area/π); a point gets PAMG's pseudo mask, :func:`label_irst.train.supervision.
  pseudo_targets`), with the adaptive Gaussian labels of Eq. 16 and the loss of Eq. 17;
* hard negatives are crops centred on rejected candidates, plus the current model's false
  alarms on the reviewed frames, mined each epoch (:mod:`label_irst.train.mining`);
* the rest of each reviewed frame is background (the label maps are zero there).

The last fifth of each sequence's reviewed frames is held back (consecutive video frames are
near copies, so a random fifth would flatter the new model). The new model is adopted only if
its Pd at a fixed number of false detections per frame (default 1) on the held-back frames beats
the current model's; both figures go into the record. The budget is wall time (default 5
minutes), checked at every optimiser step; the known-good recipe (3 epochs × 150 steps, batch 8,
128 px crops, 30 % hard negatives mined on 24 frames, lr 3e-4 after 20 warm-up steps) usually
ends well inside it on 2 CPU cores. Progress and cancel go through a
:class:`label_irst.job.Job`; a cancelled or stopped run resumes from its work folder
after the last finished epoch when it is re-run on the same reviewed frames.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from label_irst.core.pamg import DEFAULT_SUPPORT_RADIUS
from label_irst.errors import LabelIrstError
from label_irst.infer.decode import decode
from label_irst.infer.sequences import Sequence, mask_targets
from label_irst.io.files import read_json
from label_irst.job import Job
from label_irst.train import checkpoint
from label_irst.train.data import TripletSampler
from label_irst.train.losses import rpr_loss
from label_irst.train.mining import mine
from label_irst.train.model import RPRNet
from label_irst.train.operating_point import (
    HeldBackScores,
    score_shift,
    shift_heatmap,
    unshifted_note,
)
from label_irst.train.supervision import pseudo_targets
from label_irst.train.trainer import WEIGHT_DECAY, TrainConfig, load_weights, lr_schedule

#: score floor of the detections the held-back sweep reads (below every operating point used)
SWEEP_THRESHOLD = 0.05


@dataclass
class AdaptConfig:
    """The adaptation recipe and budget (defaults: the known-good CPU recipe)."""

    minutes: float = 5.0
    epochs: int = 3
    steps: int = 150
    batch: int = 8
    crop: int = 128
    hard_negatives: float = 0.3
    mine_frames: int = 24
    lr: float = 3e-4
    warmup: int = 20
    held_back: float = 0.2
    #: held-back frames scored at most (evenly spread; 0: all)
    held_back_limit: int = 120
    false_per_frame: float = 1.0
    #: shift an adopted model's scores back to the current model's false detections per frame
    #: on the held-back frames, while that rate's upper confidence limit stays within this
    #: many (:func:`label_irst.train.operating_point.allowed_false`; 0: no shift)
    false_per_frame_cap: float = 0.3
    distance: float = 3.0
    #: give an adopted model an int8 copy for the CPU, checked on the held-back frames
    #: (:mod:`label_irst.train.adapt_int8`)
    int8: bool = True
    threads: int = 2
    device: str = "cpu"
    seed: int = 0


@dataclass
class ReviewedSequence:
    """The reviewed frames of one sequence: ``sequence`` holds all its frames (neighbours give
    the temporal context; a dataset :class:`~label_irst.infer.sequences.Sequence` or a project's
    sequence), ``reviewed`` the stems of the reviewed ones. The confirmed targets per stem come
    from ``targets`` ((x, y, r) from masks, as a project holds them), else ``masks`` (mask
    files), else ``points`` (PAMG pseudo labels); ``rejected`` holds the rejected candidates
    (x, y) per stem."""

    sequence: Sequence
    reviewed: list[str]
    points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    masks: dict[str, Path] = field(default_factory=dict)
    rejected: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    targets: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)


@dataclass
class AdaptResult:
    adopted: bool = False
    cancelled: bool = False
    current_pd: float = float("nan")
    new_pd: float = float("nan")
    held_back_frames: int = 0
    training_frames: int = 0
    #: wall seconds of the adaptation, pauses left out
    seconds: float = 0.0
    #: wall seconds spent paused (``job.pause``), not counted against the budget
    paused_seconds: float = 0.0
    #: processor seconds of this process over the adaptation (all its threads)
    cpu_seconds: float = 0.0
    steps: int = 0
    stopped_by_budget: bool = False
    #: logits added to the adopted model's heatmap (its operating point), 0 if none
    score_shift: float = 0.0
    #: false detections per frame on the held-back frames at the record's threshold: the
    #: current model's, the new model's before and after the shift
    held_back_false: tuple[float, float, float] = (float("nan"),) * 3
    #: the adapted model's metadata record (written whether adopted or not), None if cancelled
    model: Path | None = None
    history: list[dict] = field(default_factory=list)
    #: the int8 copy's held-back figures and whether it was kept (None: no copy was made)
    int8: dict | None = None

    def summary(self) -> dict:
        out = asdict(self)
        out["model"] = None if self.model is None else str(self.model)
        return out


def torch_weights(model: str | Path) -> Path:
    """The torch weights of ``model``: a ``.pt`` checkpoint itself, or the ``<stem>.pt`` beside
    an ONNX metadata record (``models/rprnet.json`` → ``models/rprnet.pt``)."""
    p = Path(model)
    if p.suffix == ".pt":
        weights = p
    elif p.suffix in (".json", ".onnx"):
        stem = p.name.removesuffix(p.suffix).removesuffix(".encoder").removesuffix(".head")
        weights = p.with_name(f"{stem}.pt")
    else:
        raise LabelIrstError(f"{model}: not an RPR-Net model (.json record or .pt checkpoint)")
    if not weights.is_file():
        raise LabelIrstError(f"{model}: no torch weights {weights.name} beside it to adapt")
    return weights


def labels(item: ReviewedSequence, stems: list[str]) -> dict[str, list]:
    """Frame stem -> [(x, y, r)] of the confirmed targets (Sec. III-C1)."""
    index = {stem: t for t, stem in enumerate(item.sequence.stems())}
    out: dict[str, list] = {}
    for stem in stems:
        if stem in item.targets:
            out[stem] = list(item.targets[stem])
        elif stem in item.masks:
            out[stem] = mask_targets(item.masks[stem])
        elif item.points.get(stem):
            image = item.sequence.read(index[stem])
            out[stem] = pseudo_targets(image, item.points[stem], DEFAULT_SUPPORT_RADIUS)
        else:
            out[stem] = []
    return out


def split_held_back(items: list[ReviewedSequence], share: float) -> tuple[list, list]:
    """(training, held-back) stems per sequence: the last ⌈share × n⌉ reviewed frames of each
    sequence with at least two reviewed frames are held back."""
    train, held = [], []
    for item in items:
        order = {stem: i for i, stem in enumerate(item.sequence.stems())}
        stems = sorted(item.reviewed, key=order.__getitem__)
        k = int(np.ceil(share * len(stems))) if len(stems) >= 2 and share > 0 else 0
        train.append(stems[: len(stems) - k])
        held.append(stems[len(stems) - k :])
    return train, held


def _sampler(items, stems_per_seq, crop, hard_bias=0.0):
    seqs, targets, kept = [], {}, []
    for item, stems in zip(items, stems_per_seq):
        if not stems:
            continue
        seq = replace(item.sequence, keep=set(stems))
        seqs.append(seq)
        kept.append(item)
        targets[seq.name] = labels(item, stems)
    if not seqs:
        return None, []
    return TripletSampler(seqs, targets, crop, hard_bias=hard_bias), kept


class TorchPredictor:
    """The training model as :func:`score_frames` reads it: numpy heatmap (after the sigmoid),
    offsets and radius of one frame from three encoded frames."""

    def __init__(self, model, device):
        self.model, self.device = model, device

    def encode(self, frame: np.ndarray):
        return self.model.encoder(torch.from_numpy(frame)[None, None].to(self.device))

    def head(self, prev, curr, nxt):
        heat, off, rad = self.model.head(prev, curr, nxt)
        return (
            torch.sigmoid(heat)[0, 0].cpu().numpy(),
            off[0].cpu().numpy(),
            rad[0, 0].cpu().numpy(),
        )


@torch.no_grad()
def held_back_scores(
    model, sampler: TripletSampler | None, shapes, cfg: AdaptConfig, device
) -> HeldBackScores:
    """The torch model's detections on the sampler's frames (:func:`score_frames`)."""
    was_training = model.training
    model.eval()
    try:
        return score_frames(TorchPredictor(model, device), sampler, shapes, cfg)
    finally:
        if was_training:
            model.train()


def score_frames(predictor, sampler: TripletSampler | None, shapes, cfg: AdaptConfig):
    """A model's detections on the sampler's frames, scored for
    :meth:`~label_irst.train.operating_point.HeldBackScores.pd_at` (Pd at
    ``cfg.false_per_frame`` false detections per frame) and the operating point.

    ``predictor`` has ``encode(frame)`` and ``head(prev, curr, next)`` -> (heatmap, offsets,
    radius) as numpy arrays (:class:`TorchPredictor`; :class:`label_irst.train.adapt_int8.
    OnnxPredictor` for exported graphs). Each frame's detections (score ≥ SWEEP_THRESHOLD) are
    matched best score first, each to the nearest free target within ``cfg.distance`` px, so
    that a detection's status does not change with the threshold. At most
    ``cfg.held_back_limit`` frames are read, evenly spread; each frame is encoded once
    (neighbouring triplets share it)."""
    if sampler is None or not sampler.index:
        return HeldBackScores()
    index = sampler.index
    if cfg.held_back_limit and len(index) > cfg.held_back_limit:
        picks = np.linspace(0, len(index) - 1, cfg.held_back_limit).round().astype(int)
        index = [index[int(k)] for k in picks]
    scored: list[tuple[float, bool]] = []
    total = 0
    feats: dict[tuple[int, int], object] = {}

    def feature(s: int, t: int):
        t = min(max(t, 0), sampler.lengths[s] - 1)
        if (s, t) not in feats:
            feats[(s, t)] = predictor.encode(np.asarray(sampler.frames[s][t], np.float32))
        return feats[(s, t)]

    for s, t in index:
        heat, off, rad = predictor.head(feature(s, t - 1), feature(s, t), feature(s, t + 1))
        for key in [k for k in feats if k[0] != s or k[1] < t - 1]:
            del feats[key]
        dets = decode(heat, off, rad, SWEEP_THRESHOLD, shapes[s])
        truth = [(x, y) for x, y, _ in sampler.targets[s][t]]
        total += len(truth)
        free = list(range(len(truth)))
        for d in sorted(dets, key=lambda d: -d.score):
            best, best_dist = None, cfg.distance
            for k in free:
                dist = float(np.hypot(truth[k][0] - d.x, truth[k][1] - d.y))
                if dist <= best_dist:
                    best, best_dist = k, dist
            if best is not None:
                free.remove(best)
            scored.append((float(d.score), best is not None))
    return HeldBackScores(len(index), total, scored)


def _fingerprint(items, init: Path, cfg: AdaptConfig) -> str:
    h = hashlib.sha256()
    h.update(str(Path(init).resolve()).encode())
    export_only = ("minutes", "threads", "device", "false_per_frame_cap")
    recipe = {k: v for k, v in asdict(cfg).items() if k not in export_only}
    h.update(json.dumps(recipe, sort_keys=True).encode())
    for item in items:
        h.update(item.sequence.name.encode())
        for stem in sorted(item.reviewed):
            h.update(stem.encode())
            h.update(repr(item.points.get(stem)).encode())
            h.update(repr(item.rejected.get(stem)).encode())
            h.update(str(item.masks.get(stem, "")).encode())
            h.update(repr(item.targets.get(stem)).encode())
    return h.hexdigest()[:16]


def adapt(
    items: list[ReviewedSequence],
    init: str | Path,
    out: str | Path,
    cfg: AdaptConfig | None = None,
    job: Job | None = None,
    log=print,
    stem: str = "rprnet-adapted",
    work: str | Path | None = None,
) -> AdaptResult:
    """Fine-tune the RPR-Net of ``init`` (a ``.pt`` checkpoint or an ONNX record with its
    ``.pt`` beside it) on the reviewed frames of ``items``; writes ``out/<stem>.json`` (ONNX
    graphs, record with the held-back figures) and ``out/<stem>.pt``. ``work`` keeps the
    resumable checkpoint (default ``out/<stem>.work``)."""
    cfg = cfg or AdaptConfig()
    job = job or Job()

    def now() -> float:  # wall seconds less the job's pauses: what the budget counts
        return time.perf_counter() - job.paused_seconds

    t0, c0 = now(), time.process_time()
    deadline = t0 + 60.0 * cfg.minutes
    if cfg.crop % 16 or cfg.crop < 32:
        raise LabelIrstError("the adaptation crop must be a multiple of 16, at least 32")
    if not any(item.reviewed for item in items):
        raise LabelIrstError("no reviewed frames to adapt on")
    weights = torch_weights(init)
    out = Path(out)
    work = Path(work) if work is not None else out / f"{stem}.work"
    torch.set_num_threads(max(cfg.threads, 1))
    torch.manual_seed(cfg.seed)
    from label_irst.train.trainer import pick_device

    device = pick_device(cfg.device)

    train_stems, held_stems = split_held_back(items, cfg.held_back)
    sampler, train_items = _sampler(items, train_stems, cfg.crop, cfg.hard_negatives)
    if sampler is None:
        raise LabelIrstError("every reviewed frame is held back: review more frames first")
    held, held_items = _sampler(items, held_stems, cfg.crop)
    held_shapes = [item.sequence.read(0).shape[:2] for item in held_items]
    result = AdaptResult(
        training_frames=len(sampler.index), held_back_frames=0 if held is None else len(held.index)
    )
    stems_of = [item.sequence.stems() for item in train_items]
    rejected = [
        (k, t, float(x), float(y))
        for k, t in sampler.index
        for x, y in train_items[k].rejected.get(stems_of[k][t], [])
    ]

    state = checkpoint.load(weights, map_location=device)
    temporal = checkpoint.config(state).get("temporal", True)
    gate = checkpoint.config(state).get("gate", True)
    model = RPRNet(temporal=temporal, gate=gate).to(device)
    load_weights(model, weights, temporal, device)
    t_eval = time.perf_counter()
    current = held_back_scores(model, held, held_shapes, cfg, device)
    result.current_pd = current.pd_at(cfg.false_per_frame)
    eval_seconds = time.perf_counter() - t_eval
    log(
        f"adapt: {result.training_frames} reviewed frames to train on, "
        f"{result.held_back_frames} held back; current model: Pd {result.current_pd:.1f} % "
        f"at {cfg.false_per_frame:g} false per frame ({now() - t0:.0f} s to "
        f"prepare, {eval_seconds:.0f} s of it to score)"
    )

    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=WEIGHT_DECAY)
    total_steps = cfg.epochs * cfg.steps
    schedule_cfg = TrainConfig(lr=cfg.lr, warmup=cfg.warmup)
    sched = lr_schedule(opt, schedule_cfg, total_steps)
    fingerprint = _fingerprint(items, weights, cfg)
    ckpt = work / "checkpoint.pt"
    start_epoch, history = 0, []
    if ckpt.is_file():
        saved = checkpoint.load(ckpt, map_location=device)
        if saved.get("fingerprint") == fingerprint:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
            sched.load_state_dict(saved["scheduler"])
            start_epoch, history = int(saved["epoch"]), list(saved["history"])
            log(f"adapt: resumed after epoch {start_epoch}")
    rng = np.random.default_rng([cfg.seed, start_epoch])
    model.train()
    steps_done = start_epoch * cfg.steps
    # the new model's held-back score costs about what the current one's did; export ~10 s
    # (the int8 copy takes no training time: it is made only if the budget has room left)
    stop_at = deadline - eval_seconds - 10.0
    for epoch in range(start_epoch, cfg.epochs):
        if now() >= stop_at:
            result.stopped_by_budget = True
            break
        t_epoch, losses = now(), []
        mined = 0
        if cfg.hard_negatives:
            mined = mine(model, sampler, cfg.mine_frames, rng, device)
            sampler.negatives = sampler.negatives + rejected
        for _ in range(cfg.steps):
            if job.cancelled:
                result.cancelled = True
                result.seconds, result.paused_seconds = now() - t0, job.paused_seconds
                log("adapt: cancelled; the current model stays")
                return result
            if now() >= stop_at:
                result.stopped_by_budget = True
                break
            x, y = sampler.batch(cfg.batch, rng)
            x, y = x.to(device), {k: v.to(device) for k, v in y.items()}
            loss, _ = rpr_loss(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            steps_done += 1
            job.step(steps_done, total_steps)
        record = {
            "epoch": epoch + 1,
            "steps": len(losses),
            "loss": float(np.mean(losses)) if losses else float("nan"),
            "hard_negatives": mined + len(rejected),
            "seconds": now() - t_epoch,
        }
        history.append(record)
        log("adapt: " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in record.items()))  # fmt: skip
        if len(losses) == cfg.steps:
            work.mkdir(parents=True, exist_ok=True)
            checkpoint.save(
                ckpt,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "epoch": epoch + 1,
                    "history": history,
                    "fingerprint": fingerprint,
                    "config": model.config,
                },
            )
        if result.stopped_by_budget:
            break
    result.steps = steps_done
    result.history = history
    new = held_back_scores(model, held, held_shapes, cfg, device)
    result.new_pd = new.pd_at(cfg.false_per_frame)
    result.adopted = bool(
        held is not None
        and np.isfinite(result.new_pd)
        and (not np.isfinite(result.current_pd) or result.new_pd > result.current_pd)
    )
    if result.adopted:
        threshold = record_threshold(init)
        result.score_shift = score_shift(
            current, new, threshold, cfg.false_per_frame_cap, SWEEP_THRESHOLD
        ) if cfg.false_per_frame_cap > 0 else 0.0  # fmt: skip
        shift_heatmap(model, result.score_shift)
        shifted = new.shifted(result.score_shift)
        result.held_back_false = (
            current.false_per_frame(threshold), new.false_per_frame(threshold),
            shifted.false_per_frame(threshold),
        )  # fmt: skip
        if result.score_shift:
            log(
                f"adapt: scores shifted by {result.score_shift:+.2f} logits: held-back false "
                f"detections per frame at {threshold:g}: current {result.held_back_false[0]:.2f}, "
                f"new {result.held_back_false[1]:.2f} -> {result.held_back_false[2]:.2f}"
            )
        elif note := unshifted_note(current, new, threshold, cfg.false_per_frame_cap):
            log(f"adapt: {note}")
    result.seconds, result.paused_seconds = now() - t0, job.paused_seconds
    result.cpu_seconds = time.process_time() - c0
    result.model = _export(model, out, stem, weights, init, cfg, result)
    log(
        f"adapt: held-back Pd {result.current_pd:.1f} → {result.new_pd:.1f} % "
        f"({'adopted' if result.adopted else 'not adopted'}), {result.seconds:.0f} s"
    )
    # the copy: calibration ~5 s and a held-back score at about half the float model's cost
    wanted = result.adopted and cfg.int8 and not job.cancelled
    if wanted and deadline - now() < eval_seconds / 2 + 15.0:
        log("adapt: no budget left for an int8 copy; the float model runs")
    elif wanted:
        from label_irst.train.adapt_int8 import int8_copy

        check = int8_copy(
            result.model, sampler, lambda p: score_frames(p, held, held_shapes, cfg), current,
            result.held_back_false[2], threshold, cfg.false_per_frame, cfg.threads,
        )  # fmt: skip
        result.int8 = check.record()
        if check.error:
            log(f"adapt: no int8 copy ({check.error}); the float model runs")
        else:
            log(
                f"adapt: int8 copy {'kept' if check.kept else 'not kept'}: held-back Pd "
                f"{check.pd:.1f} % at {cfg.false_per_frame:g} false per frame, "
                f"{check.false_per_frame:.2f} false per frame at {threshold:g} "
                f"({check.seconds:.0f} s)"
            )
    if result.int8 is not None:
        result.seconds, result.paused_seconds = now() - t0, job.paused_seconds
        result.cpu_seconds = time.process_time() - c0
    return result


def record_threshold(init: str | Path) -> float:
    """The score threshold of ``init``'s metadata record (the default where it has none)."""
    from label_irst.infer.decode import DEFAULT_THRESHOLD

    path = Path(init)
    record = read_json(path) if path.suffix == ".json" and path.is_file() else None
    try:
        return float(record["threshold"])
    except (TypeError, KeyError, ValueError):
        return DEFAULT_THRESHOLD


def _json_safe(value):
    """``value`` with every non-finite float (a held-back Pd over frames without a target, a
    loss that diverged) as None: JSON has no NaN, and the record must read back."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _export(model, out: Path, stem: str, weights: Path, init, cfg, result) -> Path:
    from label_irst.train.export import export_onnx

    out.mkdir(parents=True, exist_ok=True)
    base = {}
    init_path = Path(init)
    if init_path.suffix == ".json" and init_path.is_file():
        record = read_json(init_path)
        base = record if isinstance(record, dict) else {}
    training = {
        "adapted_from": init_path.name,
        "adapt_config": asdict(cfg),
        "history": result.history,
        "held_back": {
            "frames": result.held_back_frames,
            "false_per_frame": cfg.false_per_frame,
            "pd_current": result.current_pd,
            "pd_new": result.new_pd,
            "adopted": result.adopted,
            "false_per_frame_at_threshold": {
                k: v for k, v in zip(("current", "new", "new_shifted"), result.held_back_false)
            },
        },
        "score_shift": result.score_shift,
        "training_frames": result.training_frames,
        "seconds": result.seconds,
    }
    meta = export_onnx(model, out, stem, _json_safe(training))
    if "threshold" in base:
        from label_irst.io.atomic import write_text_atomic

        record = read_json(meta)
        record["threshold"] = base["threshold"]
        write_text_atomic(meta, json.dumps(record, indent=1))
    checkpoint.save(out / f"{stem}.pt", {"model": model.state_dict(), "config": model.config})
    return meta
