"""eval-masks --boxes: box-to-mask conversion scored against the ground-truth masks.

Boxes come from a file or folder (VOC, COCO, YOLO, as ``box2mask`` reads them) or, without one,
from the ground truth: every 8-connected component's bounding box loosened by ``box_margin``
pixels on each side (0: the tight box an annotator would draw around that mask; a box file is
loosened by the same amount). Each ground-truth component is scored against the mask of the box
that holds most of its pixels (no such box: an empty mask); every box's mask counts in its
image's IoU. ``calibrate`` N > 0 fits the box convention
(:func:`label_irst.core.box_convention.fit_boxes`) on N targets drawn with ``calibration_seed``
and scores the others only, as ``--calibrate`` does for clicks.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from label_irst.batch.dataset import mask_pairs
from label_irst.batch.evaluate import EvalReport, _load
from label_irst.core.box_convention import BoxConvention, BoxExample, fit_boxes
from label_irst.core.box_generators import BoxCoords, box_window, loosen
from label_irst.core.geometry import CroppedMask
from label_irst.core.metrics import target_score
from label_irst.errors import LabelIrstError
from label_irst.job import Job

MAX_BOX_MARGIN = 10


def _box_tables(boxes, pairs, warn, voc_exclusive_end: bool) -> dict[str, list[BoxCoords]]:
    from label_irst.io.boxes import detect_format, read_boxes
    from label_irst.io.images import image_header

    path = Path(boxes)
    sizes = None
    if detect_format(path) == "yolo":
        sizes = {}
        for pair in pairs:
            try:
                h, w, _ = image_header(pair.image)
            except LabelIrstError:
                continue
            sizes[pair.stem] = (w, h)
    table = read_boxes(path, sizes, "auto", warn, voc_exclusive_end)
    return {stem: [(b.x0, b.y0, b.x1, b.y1) for b in bs] for stem, bs in table.items()}


def _owner(part: CroppedMask, boxes: list[BoxCoords], shape) -> int | None:
    """The box holding most of ``part``'s pixels (ties: the smaller box); None if none does."""
    rows, cols = np.nonzero(part.crop)
    rows, cols = rows + part.offset[0], cols + part.offset[1]
    best, key = None, (0, 0.0)
    for i, box in enumerate(boxes):
        try:
            c0, r0, c1, r1 = box_window(box, shape)
        except LabelIrstError:
            continue
        inside = int(np.count_nonzero((cols >= c0) & (cols < c1) & (rows >= r0) & (rows < r1)))
        this = (inside, -float((c1 - c0) * (r1 - r0)))
        if inside and this > key:
            best, key = i, this
    return best


def _frame_boxes(pair, parts, shape, table, box_margin) -> tuple[list[BoxCoords], list]:
    """The frame's boxes (loosened) and, per ground-truth component, its box index or None."""
    if table is None:
        boxes = [loosen(tuple(float(v) for v in p.bbox), box_margin) for p in parts]
        return boxes, list(range(len(parts)))
    boxes = [loosen(b, box_margin) if box_margin else b for b in table.get(pair.stem, [])]
    return boxes, [_owner(p, boxes, shape) for p in parts]


def evaluate_boxes(
    root: str | Path,
    boxes: str | Path | None = None,
    box_margin: int = 0,
    method: str | None = None,
    point_generator: str = "pamg+",
    support_radius: float = 20.0,
    split: str | None = None,
    job: Job | None = None,
    calibrate: int = 0,
    calibration_seed: int = 0,
    gt_margin: int = 0,
    voc_exclusive_end: bool = False,
) -> EvalReport:
    """Convert every box of the dataset to a mask with box generator ``method`` (``auto`` when
    None) and score it (per target, per image, dataset); see the module docstring."""
    if abs(box_margin) > MAX_BOX_MARGIN:
        raise LabelIrstError(f"--box-margin must be between -10 and 10, got {box_margin}")
    if calibrate < 0:
        raise LabelIrstError(f"--calibrate must be 0 or more, got {calibrate}")
    if abs(gt_margin) > 3:
        raise LabelIrstError(f"--gt-margin must be between -3 and 3, got {gt_margin}")
    convention = BoxConvention({"method": method or "auto"}, point_generator)
    job = job or Job()
    before = len(job.warnings)
    pairs = mask_pairs(root, split, job.warning)
    table = None if boxes is None else _box_tables(boxes, pairs, job.warning, voc_exclusive_end)
    source = "gt-boxes" if boxes is None else str(boxes)
    report = EvalReport(f"box:{convention.method}", source, support_radius, "blind")
    report.skipped = len(job.warnings) - before
    report.gt_margin = gt_margin
    held_out: set[tuple[int, int]] = set()
    if calibrate > 0:
        convention, held_out = _calibrate(
            pairs, table, box_margin, point_generator, support_radius, calibrate,
            calibration_seed, gt_margin,
        )  # fmt: skip
        report.convention = convention
        report.generator = f"box:{convention.method}"
    for done, pair in enumerate(pairs):
        if job.cancelled:
            break
        try:
            image, _, parts = _load(pair, gt_margin)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            report.skipped += 1
            continue
        frame_boxes, owners = _frame_boxes(pair, parts, image.shape, table, box_margin)
        masks: list[CroppedMask | None] = []
        for box in frame_boxes:
            try:
                t0 = time.perf_counter()
                masks.append(convention.generate(image, box, support_radius).mask)
                report.times_ms.append(1000.0 * (time.perf_counter() - t0))
            except LabelIrstError as exc:
                job.warning(f"{pair.image.name}: box {box}: {exc}; scored empty")
                report.skipped_seeds += 1
                masks.append(None)
        predicted = np.zeros(image.shape, bool)
        truth = np.zeros(image.shape, bool)
        for mask in masks:
            if mask is not None:
                mask.paint(predicted)
        scored = 0
        for j, (part, owner) in enumerate(zip(parts, owners)):
            part.paint(truth)
            if (done, j) in held_out:
                continue
            mask = masks[owner] if owner is not None else None
            empty = CroppedMask(np.zeros((1, 1), bool), part.offset)
            report.target_scores.append(target_score(mask if mask is not None else empty, part))
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


def _calibrate(pairs, table, box_margin, point_generator, support_radius, count, seed, gt_margin):
    """Draw ``count`` targets that have a box and fit the box convention on them."""
    keys = []
    for done, pair in enumerate(pairs):
        try:
            image, _, parts = _load(pair, gt_margin)
        except LabelIrstError:
            continue
        _, owners = _frame_boxes(pair, parts, image.shape, table, box_margin)
        keys += [(done, j) for j, owner in enumerate(owners) if owner is not None]
    if count >= len(keys):
        raise LabelIrstError(f"--calibrate {count} leaves no target to score ({len(keys)} in all)")
    chosen = np.random.default_rng(seed).choice(len(keys), count, replace=False)
    picked = sorted(keys[int(i)] for i in chosen)
    examples = []
    for done, j in picked:
        image, _, parts = _load(pairs[done], gt_margin)
        boxes, owners = _frame_boxes(pairs[done], parts, image.shape, table, box_margin)
        examples.append(BoxExample(image, boxes[owners[j]], parts[j], support_radius))
    return fit_boxes(examples, point_generator), set(picked)
