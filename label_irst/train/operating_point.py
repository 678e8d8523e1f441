"""The adapted detector's operating point, set on the held-back reviewed frames.

Fine-tuning on reviewed frames with their mined false alarms as hard negatives makes the model
more cautious: its scores drop on clutter *and* on faint targets, so at the record's threshold
(and at the tracker's fixed thresholds, which read the same scores) it trades found targets for
false detections it did not need to give up. Adoption compares Pd at a fixed number of false
detections per frame, which no monotone change of the scores alters; this module then shifts
the adopted model's heatmap logits by ``b ≥ 0`` (the bias of the heatmap head's last
convolution, so the exported graphs carry it and nothing downstream changes) so that on the
held-back frames it makes as many false detections per frame at the threshold as the current
model made, capped at ``cap``. The cap is a budget for frames not yet seen, so it bounds the
one-sided upper confidence limit of the held-back rate (:func:`allowed_false`), not the rate
itself: set on the point estimate, the unseen frames would exceed it about half the time. The
sigmoid of Eq. 16's heatmap is monotone, so
``sigmoid(z + b) > t`` ⇔ ``sigmoid(z) > t'`` with ``b = logit(t) − logit(t')``: the shift is
read off the sorted scores of the new model's false detections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: fewer held-back frames than this: no shift (the false-detection rate is not measured)
MIN_FRAMES = 20
#: the largest shift, in logits
MAX_SHIFT = 2.0
#: the false-detection budget holds on unseen frames with this confidence (one-sided)
CONFIDENCE = 0.9


@dataclass
class HeldBackScores:
    """Every detection on the held-back frames as (score, found a target), matched once."""

    frames: int = 0
    targets: int = 0
    scored: list[tuple[float, bool]] = field(default_factory=list)

    def pd_at(self, false_per_frame: float) -> float:
        """Pd (%) at the lowest threshold that keeps the false detections within
        ``false_per_frame`` per frame; NaN without targets."""
        if not self.targets:
            return float("nan")
        allowance = false_per_frame * self.frames
        hits = false = best_hits = 0
        for _, hit in sorted(self.scored, key=lambda p: -p[0]):
            if hit:
                hits += 1
            else:
                false += 1
            if false <= allowance:
                best_hits = hits
        return 100.0 * best_hits / self.targets

    def false_per_frame(self, threshold: float) -> float:
        """False detections per frame with a score above ``threshold``."""
        if not self.frames:
            return float("nan")
        return sum(1 for s, hit in self.scored if not hit and s > threshold) / self.frames

    def shifted(self, shift: float) -> HeldBackScores:
        """The same detections with every score's logit moved by ``shift``."""
        moved = [(1.0 / (1.0 + math.exp(-(logit(s) + shift))), hit) for s, hit in self.scored]
        return HeldBackScores(self.frames, self.targets, moved)

    def threshold_for(self, false_per_frame: float, floor: float) -> float:
        """The lowest threshold (not below ``floor``) with at most ``false_per_frame`` false
        detections per frame above it."""
        false = sorted((s for s, hit in self.scored if not hit), reverse=True)
        allowed = int(math.floor(false_per_frame * self.frames + 1e-9))
        if allowed >= len(false):
            return floor
        return max(false[allowed], floor)  # the first false one that must stay out


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def poisson_upper(count: int, confidence: float = CONFIDENCE) -> float:
    """The exact (Garwood) one-sided upper confidence limit of a Poisson mean, ``count`` seen."""
    from scipy.stats import chi2

    return float(chi2.ppf(confidence, 2 * (count + 1)) / 2.0)


def allowed_false(frames: int, cap: float, confidence: float = CONFIDENCE) -> int:
    """The most false detections on ``frames`` held-back frames whose upper confidence limit
    stays within ``cap`` per frame; -1 where even none leaves too wide a limit. False detections
    of neighbouring frames are correlated (the same clutter), so the limit is, if anything, too
    narrow: it errs on the side of fewer false detections."""
    budget = cap * frames
    count = -1
    while poisson_upper(count + 1, confidence) <= budget:
        count += 1
    return count


def score_shift(
    current: HeldBackScores, new: HeldBackScores, threshold: float, cap: float, floor: float
) -> float:
    """The logit shift ``b`` in [0, MAX_SHIFT] that brings the new model's false detections per
    frame at ``threshold`` up to the current model's, as long as their upper confidence limit
    stays within ``cap`` (:func:`allowed_false`); 0 where it already makes as many, or where
    fewer than MIN_FRAMES frames were held back."""
    if new.frames < MIN_FRAMES or current.frames < MIN_FRAMES:
        return 0.0
    wanted = min(current.false_per_frame(threshold), allowed_false(new.frames, cap) / new.frames)
    if not new.false_per_frame(threshold) < wanted:
        return 0.0
    lower = new.threshold_for(wanted, floor)
    return float(min(max(logit(threshold) - logit(lower), 0.0), MAX_SHIFT))


def unshifted_note(
    current: HeldBackScores, new: HeldBackScores, threshold: float, cap: float
) -> str | None:
    """Why a new model with fewer held-back false detections than the current one at
    ``threshold`` was not shifted up to it: the budget leaves no room; None where a shift was
    made, was not wanted, or could not be measured."""
    if cap <= 0 or min(new.frames, current.frames) < MIN_FRAMES:
        return None
    if not new.false_per_frame(threshold) < current.false_per_frame(threshold):
        return None
    allowed = max(allowed_false(new.frames, cap), 0)
    if new.false_per_frame(threshold) < allowed / new.frames:
        return None  # there was room: score_shift shifted it
    return (
        f"scores not shifted: held-back false detections per frame at {threshold:g}: current "
        f"{current.false_per_frame(threshold):.2f}, new {new.false_per_frame(threshold):.2f}; at "
        f"most {allowed} on {new.frames} frames keep {cap:g} per frame within the "
        f"{100 * CONFIDENCE:.0f} % limit"
    )


def shift_heatmap(model, shift: float) -> None:
    """Add ``shift`` to the heatmap head's output bias (its logits), in place."""
    import torch

    conv = model.head.heatmap[-1]
    with torch.no_grad():
        conv.bias += shift
