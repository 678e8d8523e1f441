"""The neutral in-memory model that every dataset format reads into and writes from.

A dataset is a list of :class:`Frame` (sequence name, frame name, image file or pixels, size,
dtype, split) each holding its :class:`Target` list (id, track id, bbox-cropped mask, source,
review status, rho of Eq. 20, the model's detection score of a model candidate) and its review items (:class:`ReviewItem`: boxes or points that
still have to become masks, box centre -> PAMG as in Sec. III-D1). Centroid, equivalent radius
r = sqrt(area / pi) (Sec. III-C1), bbox and area are derived from the mask, never stored twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from label_irst.core.geometry import components
from label_irst.errors import LabelIrstError
from label_irst.io.files import as_float, as_int
from label_irst.io.target import STATUSES, Target, as_score  # noqa: F401 (re-exported)

#: Frames without a sequence (single-frame datasets such as SIRST) use this sequence name.
NO_SEQUENCE = ""


@dataclass
class ReviewItem:
    """A box or point waiting in the review queue to be turned into a mask.

    ``bbox`` is (x0, y0, x1, y1) in pixel-edge coordinates (x1, y1 exclusive) or None for a
    point; ``seed`` is (x, y) in pixel indices (the box centre for a box); ``radius`` is a
    predicted equivalent radius when the source gives one (CSV), used for guided PAMG.
    """

    seed: tuple[float, float]
    bbox: tuple[float, float, float, float] | None = None
    radius: float | None = None
    label: str = "target"
    source: str = "box"
    id: int = 0
    track_id: int | None = None

    def __post_init__(self) -> None:
        _check_ids(self)
        self.seed = (as_float(self.seed[0], "x"), as_float(self.seed[1], "y"))
        if self.radius is not None:
            self.radius = as_float(self.radius, "radius")
        if self.bbox is not None:
            self.bbox = tuple(as_float(v, "a box corner") for v in self.bbox)


@dataclass
class Frame:
    """One frame of a sequence and its annotations."""

    sequence: str
    name: str
    image_path: Path | None = None
    shape: tuple[int, int] = (0, 0)
    dtype: str = "uint8"
    targets: list[Target] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    split: str | None = None
    image: np.ndarray | None = None
    reader: Callable[[], np.ndarray] | None = None
    #: the video file of a frame read from a video (``name`` is then its index name)
    video: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.sequence}/{self.name}" if self.sequence else self.name

    def load_image(self) -> np.ndarray:
        """The raw frame (dtype kept), from memory or from its file."""
        if self.image is not None:
            return self.image
        if self.reader is not None:
            return self.reader()
        if self.image_path is None:
            raise LabelIrstError(f"{self.key}: the frame has neither pixels nor an image file")
        from label_irst.io.images import read_image

        return read_image(self.image_path)

    def union_mask(self, statuses: tuple[str, ...] = ("candidate", "confirmed")) -> np.ndarray:
        """The full-frame mask of the targets whose status is in ``statuses``."""
        full = np.zeros(self.shape, bool)
        for target in self.targets:
            if target.status in statuses:
                target.mask.paint(full)
        return full


@dataclass
class Annotations:
    """A whole dataset: frames in order, a name, and free metadata (generator, settings)."""

    frames: list[Frame] = field(default_factory=list)
    name: str = "dataset"
    meta: dict = field(default_factory=dict)

    def sequences(self) -> dict[str, list[Frame]]:
        """Frames grouped by sequence, sequences in order of first appearance."""
        out: dict[str, list[Frame]] = {}
        for frame in self.frames:
            out.setdefault(frame.sequence, []).append(frame)
        return out

    @property
    def target_count(self) -> int:
        return sum(len(f.targets) for f in self.frames)

    @property
    def review_count(self) -> int:
        return sum(len(f.review) for f in self.frames)

    def filtered(self, statuses: tuple[str, ...]) -> Annotations:
        """A shallow copy keeping only the targets whose status is in ``statuses``."""
        frames = [
            replace(f, targets=[t for t in f.targets if t.status in statuses]) for f in self.frames
        ]
        return Annotations(frames, self.name, dict(self.meta))


def frame_points(points, shape: tuple[int, int]) -> np.ndarray:
    """``points`` as an (n, 2) float array of (x, y), each within one frame size of the frame.

    Drawing (cv2.fillPoly, cv2.circle) a shape with vertices billions of pixels away takes
    seconds to minutes: such shapes are refused (ValueError) rather than drawn.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    reach = float(max(shape))
    if not np.isfinite(pts).all() or (np.abs(pts) > 2.0 * reach + 2.0).any():
        raise ValueError("a shape's points lie far outside the frame")
    return pts


def read_score(record: dict, where: str, warn: Callable[[str], None] | None) -> float | None:
    """The ``"score"`` of a target record read from a file: None when absent or null; a value
    that is no score (not a number in [0, 1]) is dropped with a warning (``warn``), the target
    is kept without a score."""
    value = record.get("score")
    if value is None:
        return None
    try:
        return as_score(value)
    except ValueError as exc:
        if warn is not None:
            warn(f"{where}: {exc}; the target is kept without a score")
        return None


def _check_ids(item) -> None:
    """Ids and track ids must fit 64 bits (they go into SQLite and JSON); ValueError if not."""
    item.id = as_int(item.id, "id")
    if item.track_id is not None:
        item.track_id = as_int(item.track_id, "track id")


def targets_from_mask(
    mask: np.ndarray, source: str = "manual", status: str = "confirmed", first_id: int = 1
) -> list[Target]:
    """One target per 8-connected component of a full-frame mask."""
    return [
        Target(mask=part, id=first_id + k, source=source, status=status)
        for k, part in enumerate(components(np.asarray(mask, bool)))
    ]


def image_info(path: Path) -> tuple[tuple[int, int], str]:
    """(height, width) and dtype name of an image file, from its header where possible."""
    from label_irst.io.images import image_header, read_image

    path = Path(path)
    if path.suffix.lower() in (".png", ".bmp", ".jpg", ".jpeg"):
        height, width, mode = image_header(path)
        dtype = {"I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16", "I": "uint16"}.get(
            mode, "float32" if mode == "F" else "uint8"
        )
        return (int(height), int(width)), dtype
    image = read_image(path)
    return (int(image.shape[0]), int(image.shape[1])), str(image.dtype)
