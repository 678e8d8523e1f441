"""eval-masks: seeds from ground-truth components -> generator -> Table III metrics.

Seeds are drawn per 8-connected ground-truth component: the pixel nearest its centroid
("centroid"), a uniformly random interior pixel ("random") or a random boundary pixel
("boundary"), with NumPy's generator seeded 3407 as in the paper (Sec. IV-B1).

Modes of Table I (Sec. IV-B1): "blind" gives a generator only the seed; "prior" also hands the
ground-truth component's bbox size (width, height) to generators that take a size prior.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.batch.dataset import mask_pairs
from label_irst.core.convention import Convention, Example, apply_margin, fit
from label_irst.core.generators import get_generator
from label_irst.core.geometry import CroppedMask, boundary_pixels, components
from label_irst.core.metrics import intersection_union, target_score
from label_irst.errors import LabelIrstError
from label_irst.io.images import read_image, read_mask
from label_irst.job import Job

SEED_MODES = ("centroid", "random", "boundary")
PRIOR_MODES = ("blind", "prior")
RNG_SEED = 3407


def pick_seed(part: CroppedMask, mode: str, rng: np.random.Generator) -> tuple[int, int]:
    """One seed (x, y) inside a ground-truth component."""
    ys, xs = np.nonzero(part.crop)
    ys, xs = ys + part.offset[0], xs + part.offset[1]
    if mode == "centroid":
        cx, cy = xs.mean(), ys.mean()
        i = int(np.argmin((xs - cx) ** 2 + (ys - cy) ** 2))
    elif mode == "random":
        i = int(rng.integers(xs.size))
    elif mode == "boundary":
        ys, xs = boundary_pixels(part)
        i = int(rng.integers(xs.size))
    else:
        raise LabelIrstError(f"unknown seed mode {mode!r}; choose one of: {', '.join(SEED_MODES)}")
    return int(xs[i]), int(ys[i])


@dataclass
class EvalReport:
    generator: str
    seeds: str
    support_radius: float
    mode: str = "blind"
    targets: int = 0
    images: int = 0
    target_scores: list = field(default_factory=list)
    image_ious: list = field(default_factory=list)
    inter: int = 0
    union: int = 0
    times_ms: list = field(default_factory=list)
    skipped: int = 0
    skipped_seeds: int = 0
    gt_margin: int = 0
    #: the convention fitted on the calibration targets (eval-masks --calibrate N)
    convention: Convention | None = None

    def add_image(self, predicted: np.ndarray, truth: np.ndarray) -> None:
        """Count one image's predicted and true masks in the dataset IoU and the per-image mIoU
        (an image with neither scores 1)."""
        i, u = intersection_union(predicted, truth)
        self.inter += i
        self.union += u
        self.image_ious.append(i / u if u else 1.0)

    def summary(self) -> dict:
        def mean(values):
            values = [v for v in values if not math.isnan(v)]
            return float(np.mean(values)) if values else float("nan")

        s = self.target_scores
        out = {
            "generator": self.generator,
            "seeds": self.seeds,
            "mode": self.mode,
            "rs": self.support_radius,
            "targets": self.targets,
            "images": self.images,
            "skipped_images": self.skipped,
            "refused_seeds": self.skipped_seeds,
            "miou_target": 100.0 * mean([t.iou for t in s]),
            "miou_image": 100.0 * mean(self.image_ious),
            "iou_dataset": 100.0 * self.inter / self.union if self.union else float("nan"),
            "area_ratio": mean([t.area_ratio for t in s]),
            "centroid_error": mean([t.centroid_error for t in s]),
            "radius_error": mean([t.radius_error for t in s]),
            "ms_per_target": float(np.median(self.times_ms)) if self.times_ms else float("nan"),
        }
        if self.gt_margin:
            out["gt_margin"] = self.gt_margin
        if self.convention is not None:
            out["calibrated_on"] = self.convention.n_examples
            out["convention"] = dict(self.convention.params)
        return out


def evaluate_masks(
    root: str | Path,
    generator: str | None = None,
    seeds: str = "random",
    support_radius: float = 20.0,
    split: str | None = None,
    samples: int = 1,
    job: Job | None = None,
    mode: str = "blind",
    calibrate: int = 0,
    calibration_seed: int = 0,
    gt_margin: int = 0,
    prepare=None,
) -> EvalReport:
    """Grow one mask per ground-truth target and score it (per target, per image, dataset).

    ``gt_margin`` K re-draws every ground-truth component with its edge moved K pixels
    (4-connected dilation for K > 0, erosion for K < 0; a component that erosion would empty is
    kept), standing for another team's convention; seeds are still drawn in the component as
    annotated (where an annotator clicks does not depend on where they draw the edge).
    ``calibrate`` N > 0: N targets drawn with ``calibration_seed`` play the annotator's
    confirmed masks; the generator's convention (:func:`label_irst.core.convention.fit`) is
    fitted on them only, and every score is over the other targets only. ``prepare``, called
    with those N examples before the fit, may adapt a learned generator to them and return the
    model to grow with (``--fine-tune``), passed explicitly to the fit and the scoring.
    """
    if seeds not in SEED_MODES:
        raise LabelIrstError(f"unknown seed mode {seeds!r}; choose one of: {', '.join(SEED_MODES)}")
    if mode not in PRIOR_MODES:
        raise LabelIrstError(f"unknown mode {mode!r}; choose one of: {', '.join(PRIOR_MODES)}")
    if calibrate < 0:
        raise LabelIrstError(f"--calibrate must be 0 or more, got {calibrate}")
    if abs(gt_margin) > 3:
        raise LabelIrstError(f"--gt-margin must be between -3 and 3, got {gt_margin}")
    spec = get_generator(generator)
    with_prior = mode == "prior" and spec.uses_prior
    job = job or Job()
    before = len(job.warnings)
    pairs = mask_pairs(root, split, job.warning)
    unlisted = len(job.warnings) - before
    repeats = 1 if seeds == "centroid" else max(1, samples)
    report = EvalReport(spec.name, seeds, support_radius, mode)
    report.skipped = unlisted
    report.gt_margin = gt_margin
    grow = spec.fn
    held_out: set[tuple[int, int, int]] = set()
    if calibrate > 0:
        if with_prior:
            raise LabelIrstError("--calibrate works in blind mode only")
        convention, held_out = _calibrate(
            pairs, spec.name, seeds, support_radius, repeats, calibrate, calibration_seed,
            gt_margin, job, prepare,
        )  # fmt: skip
        report.convention = convention

        def grow(image, seed, rs, **_):
            return convention.generate(image, seed, rs)

    rng = np.random.default_rng(RNG_SEED)
    warmed = False
    for done, pair in enumerate(pairs):
        if job.cancelled:
            break
        try:
            image, originals, parts = _load(pair, gt_margin)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            report.skipped += 1
            continue
        for rep in range(repeats):
            predicted = np.zeros(image.shape, bool)
            truth = np.zeros(image.shape, bool)
            scored = 0
            for j, (original, part) in enumerate(zip(originals, parts)):
                seed = pick_seed(original, seeds, rng)
                if (done, rep, j) in held_out:
                    continue
                extra = {"size_prior": part.crop.shape[::-1]} if with_prior else {}
                try:
                    if not warmed:
                        grow(image, seed, support_radius, **extra)
                        warmed = True
                    t0 = time.perf_counter()
                    result = grow(image, seed, support_radius, **extra)
                except LabelIrstError as exc:  # scored as a miss: an empty prediction
                    job.warning(f"{pair.image.name}: seed {seed[0]},{seed[1]}: {exc}; scored empty")
                    report.skipped_seeds += 1
                    part.paint(truth)
                    empty = CroppedMask(np.zeros((1, 1), bool), part.offset)
                    report.target_scores.append(target_score(empty, part))
                    report.targets += 1
                    scored += 1
                    continue
                report.times_ms.append(1000.0 * (time.perf_counter() - t0))
                result.mask.paint(predicted)
                part.paint(truth)
                report.target_scores.append(target_score(result.mask, part))
                report.targets += 1
                scored += 1
            if scored == 0 and parts:
                continue  # every target of the frame calibrated the convention
            report.add_image(predicted, truth)
        report.images += 1
        job.step(done + 1, len(pairs))
    if report.targets == 0:
        raise LabelIrstError(f"{root}: no ground-truth target could be evaluated")
    return report


def _load(pair, gt_margin: int):
    """A frame, its ground-truth components as annotated and as re-drawn with ``gt_margin``."""
    image = read_image(pair.image)
    gt = read_mask(pair.mask)
    if gt.shape != image.shape:
        raise LabelIrstError(f"{pair.mask}: mask size {gt.shape} != image {image.shape}")
    originals = components(gt)
    parts = [apply_margin(p, gt_margin, gt.shape) for p in originals] if gt_margin else originals
    return image, originals, parts


def _calibrate(
    pairs, generator, seeds, support_radius, repeats, count, calibration_seed, gt_margin, job,
    prepare=None,
):  # fmt: skip
    """Draw ``count`` targets (with the same seeds as the scoring pass) and fit on them."""
    rng = np.random.default_rng(RNG_SEED)
    keys = []
    for done, pair in enumerate(pairs):
        try:
            _, originals, _ = _load(pair, 0)
        except LabelIrstError:
            continue
        for rep in range(repeats):
            for j, original in enumerate(originals):
                keys.append((done, rep, j, pick_seed(original, seeds, rng)))
    if count >= len(keys):
        raise LabelIrstError(f"--calibrate {count} leaves no target to score ({len(keys)} in all)")
    chosen = np.random.default_rng(calibration_seed).choice(len(keys), count, replace=False)
    picked = sorted(keys[int(i)] for i in chosen)
    examples = []
    for done, _, j, seed in picked:
        image, _, parts = _load(pairs[done], gt_margin)
        examples.append(Example(image, seed, parts[j], support_radius))
    model = prepare(examples) if prepare is not None else None
    convention = fit(examples, generator, model=model)
    return convention, {(d, r, j) for d, r, j, _ in picked}
