"""The evolved training labels of a segmenter: ``<stem>.labels.npz`` beside its model.

For point supervision ``train-segmenter`` writes the labels the network was last trained on:
for LESPS the masks grown from the points by label evolution (Eq. 1-4 of the paper), for fixed
centroid labels the points themselves. Stored sparse and without pickles: for every training
frame ``NAME`` the arrays ``NAME/shape`` (h, w), ``NAME/rows``, ``NAME/cols``, ``NAME/values``
(the soft label of each non-zero pixel), ``NAME/points`` (k, 2: x, y) and ``NAME/digest`` (of
the raw frame, :func:`digest`, so a frame is recognised by its pixels wherever it is opened).
A pixel is in the label where its value is above 0.5.

The registry's ``lesps-labels`` generator (:func:`lesps_labels`) returns, for a click on a
training frame, the evolved label of the target there: the label region holding the click or
nearest to it within 3 px. Where no frame or region matches it raises a one-line error (the
evaluation scores that as a miss). The labels file is :func:`use_labels`'s path, else
``$LABEL_IRST_LESPS_LABELS``, else the shipped ``models/lesps-sirst.labels.npz``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.core.geometry import CroppedMask, components
from label_irst.core.result import GeneratedMask, describe
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_path

POSITIVE = 0.5
REACH = 3.0  # px: the Pd matching distance
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "lesps-sirst.labels.npz"
ENV = "LABEL_IRST_LESPS_LABELS"


def digest(image: np.ndarray) -> str:
    """A short content hash of a raw frame (shape, dtype and pixels)."""
    a = np.ascontiguousarray(image)
    h = hashlib.sha1(f"{a.shape}{a.dtype.str}".encode())
    h.update(a.tobytes())
    return h.hexdigest()[:20]


@dataclass
class FrameLabel:
    label: np.ndarray  # bool (h, w)
    points: np.ndarray  # (k, 2) x, y
    digest: str


def write(path: str | Path, labels: dict, points: dict, digests: dict | None = None) -> None:
    """Write ``{stem: soft label}``, ``{stem: [(x, y), ...]}`` and ``{stem: digest}``."""
    arrays = {}
    for stem, lab in labels.items():
        rows, cols = np.nonzero(lab)
        arrays[f"{stem}/shape"] = np.asarray(lab.shape, np.int32)
        arrays[f"{stem}/rows"] = rows.astype(np.int32)
        arrays[f"{stem}/cols"] = cols.astype(np.int32)
        arrays[f"{stem}/values"] = lab[rows, cols].astype(np.float16)
        arrays[f"{stem}/points"] = np.asarray(points.get(stem, []), np.float32).reshape(-1, 2)
        arrays[f"{stem}/digest"] = np.asarray((digests or {}).get(stem, ""))
    with atomic_path(Path(path), suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def read(path: str | Path) -> dict[str, FrameLabel]:
    """``{stem: FrameLabel}``; one line if the file is missing or not a labels file."""
    if not Path(path).is_file():
        raise LabelIrstError(
            f"{path}: no such labels file (train-segmenter writes <stem>.labels.npz)"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            stems = sorted({key.rsplit("/", 1)[0] for key in data.files})
            out = {}
            for stem in stems:
                h, w = (int(v) for v in data[f"{stem}/shape"])
                label = np.zeros((h, w), bool)
                keep = data[f"{stem}/values"] > POSITIVE
                label[data[f"{stem}/rows"][keep], data[f"{stem}/cols"][keep]] = True
                key = f"{stem}/digest"
                tag = str(data[key]) if key in data.files else ""
                out[stem] = FrameLabel(label, data[f"{stem}/points"], tag)
            return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabelIrstError(f"{path}: not a segmenter labels file ({exc})") from None


def target_mask(label: np.ndarray, x: float, y: float, reach: float = REACH) -> CroppedMask | None:
    """The 8-connected label region holding (x, y) or nearest to it within ``reach`` px;
    None where the point has no label."""
    best, best_d = None, reach
    for part in components(label):
        ys, xs = np.nonzero(part.crop)
        d = float(np.min(np.hypot(xs + part.offset[1] - x, ys + part.offset[0] - y)))
        if d <= best_d:
            best, best_d = part, d
    return best


_lock = threading.Lock()
_chosen: Path | None = None
_cache: dict[Path, dict[str, FrameLabel] | LabelIrstError] = {}


def use_labels(path: str | Path | None) -> None:
    """Make ``path`` (None: the default) the labels behind the registry's ``lesps-labels``."""
    global _chosen
    with _lock:
        _chosen = None if path is None else Path(path)


def labels_path() -> Path:
    if _chosen is not None:
        return _chosen
    env = os.environ.get(ENV)
    return Path(env) if env else SHIPPED


def _by_digest() -> dict[str, FrameLabel]:
    path = labels_path()
    with _lock:
        if path not in _cache:
            try:
                _cache[path] = {f.digest: f for f in read(path).values() if f.digest}
            except LabelIrstError as exc:
                _cache[path] = exc
        got = _cache[path]
    if isinstance(got, LabelIrstError):
        raise got
    return got


def lesps_labels(
    image: np.ndarray, seed: tuple[float, float], support_radius: float = 20.0
) -> GeneratedMask:
    """The registry's ``lesps-labels``: the evolved label of the target at ``seed``."""
    frame = _by_digest().get(digest(image))
    if frame is None:
        raise LabelIrstError(f"no evolved label for this frame in {labels_path().name}")
    x, y = float(seed[0]), float(seed[1])
    part = target_mask(frame.label, x, y)
    if part is None:
        raise LabelIrstError(f"no evolved label within {REACH:g} px of ({x:g}, {y:g})")
    pixel = (int(round(x)), int(round(y)))
    return describe(image, part, pixel, support_radius, "lesps-labels")
