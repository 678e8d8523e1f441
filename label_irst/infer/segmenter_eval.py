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
from label_irst.infer.segmenter import SegmenterModel
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
