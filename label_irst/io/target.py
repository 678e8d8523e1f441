"""The one target type of Label-IRST: a mask and what is known of it.

Every layer uses it: the dataset formats (read and written through
:mod:`label_irst.io.annotations`), the project store (:mod:`label_irst.io.project`, where
``id`` is the row id and ``sequence_id`` / ``frame`` say where it lies), the app and the
pipeline. Its geometry follows from its mask and is never stored beside it: centroid, area,
bounding box and the equivalent radius r = sqrt(area / pi) (Sec. III-C1).

It is built by keyword only. The defaults are those of a target drawn by hand and confirmed;
a generator's candidate says ``source`` and ``status``. ``rho`` (Eq. 20) is None where
unknown, or NaN as a project stores "no boundary ratio". The source is checked where a target
is stored (:meth:`label_irst.io.project.ProjectStore.save_target`), not here: a data set may
name sources of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from label_irst.core.geometry import CroppedMask, equivalent_radius
from label_irst.errors import LabelIrstError
from label_irst.io.files import as_float, as_int

#: The review statuses.
STATUSES = ("candidate", "confirmed", "rejected")


def as_score(value) -> float:
    """A detection score: a finite number in [0, 1] (ValueError otherwise)."""
    score = as_float(value, "score")
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score must lie in [0, 1], got {value!r}")
    return score


@dataclass(kw_only=True)
class Target:
    """One target: its mask and what the project or the data set knows about it.

    ``box`` is the source box (x0, y0, x1, y1, exclusive ends) of a target converted from a box;
    ``score`` the RPR-Net detection score (Sec. III-B) of a model candidate, in [0, 1].
    """

    mask: CroppedMask
    seed: tuple[int, int] | None = None
    source: str = "manual"
    status: str = "confirmed"
    rho: float | None = None
    score: float | None = None
    track_id: int | None = None
    #: the project's row id (None: not stored yet), or the target's number in a data set frame
    id: int | None = None
    sequence_id: int | None = None
    frame: int | None = None
    support_radius: float = 20.0
    generator: str = ""
    box: tuple | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise LabelIrstError(
                f"unknown target status {self.status!r}; expected one of {', '.join(STATUSES)}"
            )
        if self.id is not None:
            self.id = as_int(self.id, "id")
        if self.track_id is not None:
            self.track_id = as_int(self.track_id, "track id")
        if self.rho is not None and not (isinstance(self.rho, float) and math.isnan(self.rho)):
            self.rho = as_float(self.rho, "rho")
        if self.score is not None:
            self.score = as_score(self.score)

    @classmethod
    def from_generated(cls, result, **fields) -> Target:
        """The target of a generator's mask (:class:`label_irst.core.result.GeneratedMask`):
        its mask, seed, support radius, generator and rho (Eq. 20), with ``fields`` (source,
        status, where it lies...) given by the caller."""
        return cls(
            mask=result.mask,
            seed=result.seed,
            rho=float(result.boundary_ratio),
            support_radius=float(result.support_radius),
            generator=result.generator,
            **fields,
        )

    @property
    def area(self) -> int:
        return self.mask.area

    @property
    def centroid(self) -> tuple[float, float]:
        """The mask's centroid (x, y); NaN for an empty mask."""
        return self.mask.centroid()

    @property
    def radius(self) -> float:
        """The equivalent radius r = sqrt(area / pi) of the mask (Sec. III-C1)."""
        return equivalent_radius(self.mask.area)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.mask.bbox

    def copy(self, **changes) -> Target:
        return replace(self, **changes)

    def record(self) -> dict:
        """The JSON/CSV description of the target (no pixels)."""
        x, y = self.centroid
        return {
            "id": int(self.id or 0),
            "track_id": None if self.track_id is None else int(self.track_id),
            "centroid": [round(x, 3), round(y, 3)],
            "radius": round(self.radius, 4),
            "bbox": [int(v) for v in self.bbox],
            "area": int(self.area),
            "source": self.source,
            "status": self.status,
            "rho": None if self.rho is None or not math.isfinite(self.rho) else round(self.rho, 4),
            "score": None if self.score is None else round(self.score, 4),
        }
