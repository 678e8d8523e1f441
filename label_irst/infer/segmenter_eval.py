"""Score a segmenter on a dataset split (``label-irst eval-segmenter``) and its evolved labels.

:func:`evaluate_segmenter` runs the model on every frame of ``img_idx/<split>.txt`` and scores
the thresholded map with :class:`label_irst.core.segmentation_metrics.SegmentationScores`
(IoU, nIoU, Pd, Fa of the paper's Table 2). :func:`export_labels` writes a model's evolved
training labels as 0/255 PNG masks, one per training frame.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.core.segmentation_metrics import SegmentationScores
from label_irst.errors import LabelIrstError
from label_irst.infer import segmenter_labels
from label_irst.infer.segmenter import SegmenterEnsemble, SegmenterModel
from label_irst.job import Job


def evaluate_segmenter(
    model: SegmenterModel, root: str | Path, split: str | None = None,
    threshold: float | None = None, job: Job | None = None,
) -> SegmentationScores:  # fmt: skip
    from label_irst.batch.dataset import mask_pairs
    from label_irst.io.images import read_image, read_mask

    job = job or Job()
    pairs = mask_pairs(root, split, job.warning)
    scores = SegmentationScores()
    for done, pair in enumerate(pairs):
        if job.cancelled:
            break
        try:
            image, gt = read_image(pair.image), read_mask(pair.mask)
            if image.ndim != 2 or gt.shape != image.shape:
                raise LabelIrstError(f"{pair.mask}: mask size {gt.shape} != image {image.shape}")
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        scores.add(model.segment(image, threshold), gt)
        job.step(done + 1, len(pairs))
    if not scores.frame_ious:
        raise LabelIrstError(f"{root}: no frame could be evaluated")
    return scores


#: thresholds :func:`fit_threshold` tries
THRESHOLD_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def fit_threshold(
    model: SegmenterModel, root: str | Path, split: str = "train", job: Job | None = None
) -> tuple[float, dict[float, float]]:
    """The threshold of THRESHOLD_GRID at which the model's maps agree best (IoU summed over
    the frames) with its own training labels on the training frames of ``root``: no mask is
    read, so a model trained from points is calibrated from points too. An ensemble is scored
    against each member's labels, summed. Returns the threshold (ties: the higher) and the
    IoU (%) at each."""
    import numpy as np

    from label_irst.io.images import list_images, read_image

    job = job or Job()
    label_sets = [segmenter_labels.read(path) for path in labels_files(model)]
    folder = Path(root) / "images" if (Path(root) / "images").is_dir() else Path(root)
    images = {p.stem: p for p in list_images(folder, job.warning)}
    inter = dict.fromkeys(THRESHOLD_GRID, 0)
    union = dict.fromkeys(THRESHOLD_GRID, 0)
    stems = sorted({stem for labels in label_sets for stem in labels})
    used = 0
    for done, stem in enumerate(stems):
        if job.cancelled:
            break
        path = images.get(stem)
        frames = [labels[stem] for labels in label_sets if stem in labels]
        try:
            if path is None:
                raise LabelIrstError(f"{stem}: no image of this training frame in {folder}")
            image = read_image(path)
            if any(f.digest and segmenter_labels.digest(image) != f.digest for f in frames):
                raise LabelIrstError(f"{path}: not the frame the model was trained on")
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        prob = model.probabilities(image)
        for t in THRESHOLD_GRID:
            pred = prob > t
            for frame in frames:
                inter[t] += int((pred & frame.label).sum())
                union[t] += int((pred | frame.label).sum())
        used += 1
        job.step(done + 1, len(stems))
    if not used:
        raise LabelIrstError(f"{root}: none of the model's training frames could be read")
    ious = {t: 100.0 * inter[t] / max(union[t], 1) for t in THRESHOLD_GRID}
    best = max(THRESHOLD_GRID, key=lambda t: (round(ious[t], 6), t))
    return best, {t: round(float(np.round(v, 2)), 2) for t, v in ious.items()}


def set_threshold(model: SegmenterModel, threshold: float, fitted: dict) -> None:
    """Write ``threshold`` (and how it was fitted) into the model's record, atomically."""
    import json

    from label_irst.io.atomic import write_text_atomic

    record = dict(model.meta)
    record["threshold"] = threshold
    record["threshold_fit"] = {
        "rule": "best IoU with the model's own training labels on its training frames",
        "iou_by_threshold": {f"{t:g}": v for t, v in fitted.items()},
    }
    write_text_atomic(model.path, json.dumps(record, indent=1))
    model.meta = record


def labels_files(model) -> list[Path]:
    """The evolved labels of a segmenter, or of every member of an ensemble that has some."""
    if not isinstance(model, SegmenterEnsemble):
        return [labels_file(model)]
    found = [labels_file(m) for m in model.members if m.meta.get("labels")]
    if not found:
        raise LabelIrstError(f"{model.path}: none of the ensemble's members has training labels")
    return found


def labels_file(model: SegmenterModel) -> Path:
    """The model's evolved labels file; one line where the model has none."""
    name = model.meta.get("labels")
    if not name:
        raise LabelIrstError(
            f"{model.path}: no evolved labels (a {model.meta.get('supervision')} model)"
        )
    return model.path.parent / str(name)


def export_labels(model: SegmenterModel, out: str | Path) -> list[Path]:
    """Write every training frame's evolved label as ``out/<stem>.png``."""
    from label_irst.io.images import write_mask

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, frame in segmenter_labels.read(labels_file(model)).items():
        path = out / f"{stem}.png"
        write_mask(path, frame.label)
        written.append(path)
    return written
