"""``label-irst eval-loop``: the loop measured by replaying the annotator on ground truth.

The dataset root plays one project (:mod:`label_irst.infer.loop` has the protocol): the first
⌊share × frames⌋ frames of each sequence are reviewed (their ground-truth targets confirmed),
one adaptation (:func:`label_irst.train.adapt.adapt`) runs on the reviewed frames of all
sequences, and the remaining frames are pre-annotated with ``prelabel``'s defaults (tracking
on, the model's own record) by the model before and after. The adapted model is used only where
it was adopted (it beat the current one on the held-back reviewed frames); otherwise "after" is
the current model again, as in the app.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from label_irst.core.metrics import MATCH_DISTANCE
from label_irst.infer.loop import LoopSequence, review_split, score
from label_irst.infer.matching import boxes_for
from label_irst.io.files import refuse_overlap
from label_irst.job import Job
from label_irst.train.adapt import AdaptConfig, ReviewedSequence, adapt, torch_weights


def reviewed_items(seqs: list[LoopSequence]) -> list[ReviewedSequence]:
    """The review of the protocol as the adaptation reads it: ground-truth points confirmed on
    the reviewed frames, nothing rejected (the mined false alarms are the negatives)."""
    items = []
    for s in seqs:
        if not s.reviewed:
            continue
        stems = s.reviewed_stems
        items.append(
            ReviewedSequence(
                s.sequence,
                stems,
                points={stem: s.truth.get(stem, []) for stem in stems},
            )
        )
    return items


def _prelabel(
    seqs: list[LoopSequence], model_path: Path, out: Path, device: str, job: Job, precision: str
):
    from label_irst.infer.decode import DEFAULT_THRESHOLD
    from label_irst.infer.prelabel import prelabel_sequences
    from label_irst.infer.session import load_model
    from label_irst.infer.tracks import DEFAULT_TRACKING

    model = load_model(model_path, device, 1, precision=precision)
    threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
    windows = [w for w in (s.remaining() for s in seqs) if w is not None]
    return prelabel_sequences(windows, model, out, threshold, DEFAULT_TRACKING, job)


def eval_loop(
    data: str | Path,
    model: str | Path,
    out: str | Path | None = None,
    share: float = 0.2,
    split: str | None = None,
    distance: float = MATCH_DISTANCE,
    cfg: AdaptConfig | None = None,
    device: str = "auto",
    job: Job | None = None,
    log=print,
    match_rule: str = "point",
    precision: str = "fp32",
) -> dict:
    """Run the protocol (``match_rule`` ``box``: a detection inside a target's labelled box
    also finds it, :mod:`label_irst.infer.matching`); returns {"before", "after", "adapt_seconds", "adopted", "held_back",
    "reviewed_frames", "remaining_frames", "by_distance"}. ``precision`` ``fp32`` (default) runs
    both models in float, like for like; ``auto`` runs them as ``prelabel`` does on the CPU
    (each record's int8 copy where it names one). ``out`` keeps the remaining frames'
    predictions of the adapted loop in prelabel's layout (``out/annotations/<seq>.json``), the
    current model's in ``out/before/``, the adapted model in ``out/model/``; a re-run resumes
    them."""
    job = job or Job()
    cfg = cfg or AdaptConfig()
    model = Path(model)
    torch_weights(model)  # refuse a model that cannot be adapted before any work
    boxes_for([], match_rule)  # and an unknown match rule
    seqs = review_split(data, share, split)
    with tempfile.TemporaryDirectory(prefix="label-irst-loop-") as tmp:
        keep = Path(out) if out is not None else Path(tmp) / "out"
        refuse_overlap(keep, [data])
        log(
            f"eval-loop: {sum(s.reviewed for s in seqs)} reviewed frames, "
            f"{sum(len(s.remaining_stems) for s in seqs)} remaining, {len(seqs)} sequences"
        )
        _prelabel(seqs, model, keep / "before", device, job, precision)
        before, before_bins = score(seqs, keep / "before", distance, match_rule)
        if job.cancelled:
            return {}
        t0 = time.perf_counter()
        result = adapt(reviewed_items(seqs), model, keep / "model", cfg, job, log)
        adapt_seconds = time.perf_counter() - t0
        if result.cancelled:
            return {}
        after_model = result.model if result.adopted else model
        _prelabel(seqs, after_model, keep, device, job, precision)
        after, after_bins = score(seqs, keep, distance, match_rule)
    by_distance = [
        {"bin": b["bin"], "before": b, "after": a} for b, a in zip(before_bins, after_bins)
    ]
    for row in by_distance:
        row["before"].pop("bin")
        row["after"].pop("bin")
    return {
        "before": before,
        "after": after,
        "adapt_seconds": adapt_seconds,
        "adapt_cpu_seconds": result.cpu_seconds,
        "stopped_by_budget": result.stopped_by_budget,
        "adopted": result.adopted,
        "held_back": {
            "frames": result.held_back_frames,
            "false_per_frame": cfg.false_per_frame,
            "pd_current": result.current_pd,
            "pd_new": result.new_pd,
            "false_per_frame_at_threshold": list(result.held_back_false),
        },
        "score_shift": result.score_shift,
        "int8": result.int8,
        "precision": precision,
        "training_frames": result.training_frames,
        "steps": result.steps,
        "reviewed_frames": sum(s.reviewed for s in seqs),
        "remaining_frames": sum(len(s.remaining_stems) for s in seqs),
        "by_distance": by_distance,
        "distance_px": distance,
        "match": match_rule,
    }
