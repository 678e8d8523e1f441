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


#: how a record's fitting rule says that the threshold was raised for a false-alarm budget
RAISED = ", raised to "
#: resolution of :func:`false_alarm_threshold` (thresholds are multiples of 1 / FA_BINS)
FA_BINS = 10_000


def false_alarm_threshold(
    model: SegmenterModel, folder: str | Path, max_fa: float, job: Job | None = None
) -> tuple[float, dict]:
    """The lowest threshold at which the model marks at most ``max_fa`` of the pixels of
    target-free frames as target: a constant-false-alarm-rate operating point.

    On frames without targets every marked pixel is a false one, so this is Fa of the paper's
    Table 2 (falsely predicted pixels over all pixels) measured on clutter the model never
    trained on. A threshold fitted on the training frames alone underestimates Fa on new images
    (the network has learnt its training clutter); unseen target-free frames do not. The
    maps are pooled in a histogram of ``FA_BINS`` bins, so the threshold is exact to 1e-4.
    Unreadable frames are skipped with a warning. Returns the threshold and a summary.
    """
    import numpy as np

    from label_irst.io.images import list_images, read_image

    if not 0.0 < max_fa < 1.0:
        raise LabelIrstError(f"the false-alarm budget must be between 0 and 1, got {max_fa}")
    job = job or Job()
    paths = list_images(folder, job.warning)
    counts = np.zeros(FA_BINS + 1, np.int64)
    pixels = frames = 0
    for done, path in enumerate(paths):
        if job.cancelled:
            break
        try:
            image = read_image(path)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        prob = model.probabilities(image)
        bins = np.clip((prob * FA_BINS).astype(np.int64), 0, FA_BINS)
        counts += np.bincount(bins.ravel(), minlength=FA_BINS + 1)
        pixels += prob.size
        frames += 1
        job.step(done + 1, len(paths))
    if not frames:
        raise LabelIrstError(f"{folder}: no target-free frame could be read")
    at_or_above = np.cumsum(counts[::-1])[::-1]  # pixels with a probability >= bin / FA_BINS
    allowed = int(max_fa * pixels)
    first = int(np.argmax(at_or_above <= allowed)) if at_or_above[-1] <= allowed else FA_BINS
    # every pixel above bin `first`'s lower edge is counted in at_or_above[first]
    threshold = min(max(first, 1), FA_BINS - 1) / FA_BINS
    summary = {
        "folder": Path(folder).name,
        "frames": frames,
        "max_fa_e6": round(max_fa * 1e6, 3),
        "threshold": threshold,
        "fa_e6_at_most": round(1e6 * int(at_or_above[first]) / pixels, 2),
    }
    return threshold, summary


def set_threshold(
    model: SegmenterModel, threshold: float, fitted: dict | None, false_alarm: dict | None = None
) -> None:
    """Write ``threshold`` (and how it was fitted) into the model's record, atomically:
    ``fitted`` from :func:`fit_threshold`, ``false_alarm`` from :func:`false_alarm_threshold`
    (the threshold is then at least the false-alarm one)."""
    import json

    from label_irst.io.atomic import write_text_atomic

    record = dict(model.meta)
    fit: dict = {}
    if fitted is not None:
        fit["rule"] = "best IoU with the model's own training labels on its training frames"
        fit["iou_by_threshold"] = {f"{t:g}": v for t, v in fitted.items()}
    else:  # a threshold raised from the record's own: what set that one stays said
        previous = record.get("threshold_fit")
        fit = dict(previous) if isinstance(previous, dict) else {}
        fit.pop("false_alarm", None)
        rule = str(fit.get("rule", f"the record's threshold ({record.get('threshold')})"))
        fit["rule"] = rule.split(RAISED)[0]
    if false_alarm is not None:
        fit["false_alarm"] = false_alarm
        fit["rule"] = f"{fit['rule']}{RAISED}the lowest with Fa within budget on clutter"
    record["threshold"] = threshold
    record["threshold_fit"] = fit
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
