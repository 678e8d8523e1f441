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

#: the RPR-Net shipped with Label-IRST (its metadata record)
SHIPPED_DETECTOR = Path(__file__).resolve().parents[2] / "models" / "rprnet.json"


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
