"""Candidates with masks from a single-frame segmenter, for pre-annotating image sets.

Each 8-connected component of the thresholded probability map is one candidate: its centroid
and equivalent radius sqrt(area / pi) as a :class:`label_irst.infer.decode.Detection` (score:
the component's peak probability) and the component itself as the mask. This is what
``prelabel --detector lesps`` is meant to give for a folder of unrelated images, where RPR-Net
has no temporal context.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.geometry import CroppedMask, components, equivalent_radius
from label_irst.infer.decode import Detection
from label_irst.infer.segmenter import SegmenterModel


def candidates(
    model: SegmenterModel, image: np.ndarray, threshold: float | None = None
) -> list[tuple[Detection, CroppedMask]]:
    """(detection, mask) per predicted component of one frame, highest score first."""
    prob = model.probabilities(image)
    t = model.threshold if threshold is None else threshold
    out = []
    for part in components(prob > t):
        x, y = part.centroid()
        y0, x0 = part.offset
        h, w = part.crop.shape
        score = float(prob[y0 : y0 + h, x0 : x0 + w][part.crop].max())
        out.append((Detection(x, y, equivalent_radius(part.area), score), part))
    return sorted(out, key=lambda dm: -dm[0].score)
