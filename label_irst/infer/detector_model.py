"""Which detector (RPR-Net) model pre-annotates a project.

A project records its detector under the meta key ``detector/model``
(:class:`label_irst.io.project_settings.ProjectSettings`): the model adopted by the loop (``label-irst adapt``,
the app's loop), or the one the annotator picked. :func:`project_detector_model` resolves it,
falling back to the model shipped in ``models/`` when nothing is recorded. ``prelabel PROJECT``
and the app's Pre-annotate both call it and pass the model on explicitly, never through a
process-wide choice.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.project_settings import ProjectSettings

#: the RPR-Net every project starts from (its metadata record): the model trained on real
#: infrared video and images (models/README.md, "rprnet-real"); ``rprnet.json``, trained on
#: synthetic spots only, stays beside it
SHIPPED_DETECTOR = Path(__file__).resolve().parents[2] / "models" / "rprnet-real.json"


def project_detector_model(store, warn=None) -> Path:
    """The project's recorded detector model, else the shipped one. A recorded model that is
    missing is refused in one line, unless ``warn`` is given: then ``warn`` is told and the
    shipped model is used."""
    recorded = ProjectSettings(store).detector
    if recorded is None:
        return SHIPPED_DETECTOR
    if recorded.is_file():
        return recorded
    message = f"{store.path}: the project's detector model {recorded} is missing"
    if warn is None:
        raise LabelIrstError(message)
    warn(f"{message}; using the shipped model")
    return SHIPPED_DETECTOR


#: the single-frame segmenter (LESPS) shipped with Label-IRST, for image sets
SHIPPED_SEGMENTER = SHIPPED_DETECTOR.with_name("lesps-sirst.json")


def is_segmenter_record(path: str | Path) -> bool:
    """Whether ``path`` names a segmenter model (its record, or its .onnx graph)."""
    from label_irst.infer.segmenter import ENSEMBLE_FORMAT, FORMAT
    from label_irst.io.files import read_json

    p = Path(path)
    p = p.with_suffix(".json") if p.suffix == ".onnx" else p
    try:
        record = read_json(p)
    except (LabelIrstError, OSError):
        return False
    return isinstance(record, dict) and record.get("format") in (FORMAT, ENSEMBLE_FORMAT)


def load_detector(
    path: str | Path, device: str = "auto", threads: int | None = None, precision: str = "auto"
):
    """The pre-annotation detector a model record names: RPR-Net
    (:func:`label_irst.infer.session.load_model`, ``precision`` as there) or a single-frame
    segmenter (:class:`label_irst.infer.segmenter_detect.SegmenterDetector`), by the record's
    format."""
    if is_segmenter_record(path):
        from label_irst.infer.segmenter_detect import load_segmenter_detector

        return load_segmenter_detector(path, device, threads)
    from label_irst.infer.session import load_model

    return load_model(path, device, threads, precision)
