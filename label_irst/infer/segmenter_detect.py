"""Candidates with masks from a single-frame segmenter, for pre-annotating image sets.

Each 8-connected component of the thresholded probability map is one candidate: its centroid
and equivalent radius sqrt(area / pi) as a :class:`label_irst.infer.decode.Detection` (score:
the component's peak probability) and the component itself as the mask. This is what
``prelabel --detector lesps`` and the app's Pre-annotate give with a segmenter model (LESPS):
the masks are the network's, no point-to-mask generator runs, and every frame is decided on its
own (no temporal context, no tracks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.core.geometry import CroppedMask, components, equivalent_radius
from label_irst.core.pamg import GUIDED_SCALE, guided_support_radius
from label_irst.core.result import describe
from label_irst.infer.decode import Detection
from label_irst.infer.segmenter import SegmenterModel, load_segmenter

GENERATOR = "lesps"  # the generator name a segmenter's candidate masks are stored with


def candidates(
    model: SegmenterModel, image: np.ndarray, threshold: float | None = None
) -> list[tuple[Detection, CroppedMask]]:
    """(detection, mask) per predicted component of one frame, highest score first."""
    dets, results = SegmenterDetector(model).detect(image, threshold)
    return [(d, g.mask) for d, g in zip(dets, results)]


def _peak_pixel(prob: np.ndarray, part: CroppedMask) -> tuple[int, int]:
    """(x, y) of the component's most probable pixel: a seed that lies inside its mask."""
    y0, x0 = part.offset
    h, w = part.crop.shape
    local = np.where(part.crop, prob[y0 : y0 + h, x0 : x0 + w], -1.0)
    r, c = np.unravel_index(int(np.argmax(local)), local.shape)
    return int(c + x0), int(r + y0)


@dataclass
class SegmenterDetector:
    """A segmenter in the pre-annotation pipeline's detector role
    (:func:`label_irst.infer.pipeline.label_unit`): one network run per frame gives the frame's
    detections and their masks at once. ``single_frame``: no triplets, no tracks."""

    model: SegmenterModel
    single_frame = True

    @property
    def path(self) -> Path:
        return self.model.path

    @property
    def meta(self) -> dict:
        return self.model.meta

    @property
    def provider(self) -> str:
        return self.model.session.get_providers()[0]

    def graphs(self) -> list[Path]:
        """The files that make the model (for its digest): records and graphs."""
        return self.model.files()

    def detect(self, image: np.ndarray, threshold: float | None = None):
        """(detections, [GeneratedMask]) of one frame, highest score first; each mask is its
        component, seeded at the component's most probable pixel, with its local SCR, gamma and
        rho (Eq. 20) so that the review queue ranks it as any generator's mask."""
        prob = self.model.probabilities(image)
        t = self.model.threshold if threshold is None else threshold
        dets, results = [], []
        for part in components(prob > t):
            x, y = part.centroid()
            r = equivalent_radius(part.area)
            y0, x0 = part.offset
            h, w = part.crop.shape
            score = float(prob[y0 : y0 + h, x0 : x0 + w][part.crop].max())
            dets.append(Detection(x, y, r, score))
            rs = guided_support_radius(r, GUIDED_SCALE)  # SCR, gamma and rho (Eq. 20) as PAMG's
            results.append(describe(image, part, _peak_pixel(prob, part), rs, GENERATOR))
        order = sorted(range(len(dets)), key=lambda i: -dets[i].score)
        return [dets[i] for i in order], [results[i] for i in order]


def load_segmenter_detector(path, device: str = "cpu", threads: int | None = 1):
    """A segmenter model (``<stem>.json``) opened as a pipeline detector."""
    return SegmenterDetector(load_segmenter(path, device, threads))
