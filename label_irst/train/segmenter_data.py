"""Training frames of the segmenter: a grey frame, its target points and (where known) its mask.

Sources:

* a dataset root (``images/``, ``masks/``, ``img_idx/<split>.txt``): the points are read from
  ``--points CSV`` if given, else ``centroids.csv`` beside the folders, else they are the
  centroids of the masks' 8-connected components. The masks are used only by ``--supervision
  masks`` (and to score the evolved labels); point supervision never reads them otherwise.
* an image folder with ``--points CSV`` (image,x,y): point supervision without any mask.
* a project: the frames of its confirmed, seeded targets, their seeds as points and their
  masks as masks.

Training crops (:func:`draw_crop`) are ``crop`` x ``crop`` windows of the standardised frame
(:func:`label_irst.infer.preprocess.normalise`); most hold a target, the others are anywhere,
all flipped and rotated by a multiple of 90 degrees. ``augment="strong"`` adds what a new sensor
changes (:func:`photometric`): the scale of the scene, blur, noise and contrast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from label_irst.core.geometry import components
from label_irst.errors import LabelIrstError
from label_irst.infer.preprocess import normalise
from label_irst.infer.segmenter_labels import digest


@dataclass
class TrainFrame:
    stem: str
    image: np.ndarray  # standardised float32 frame
    points: list  # [(x, y), ...]
    mask: np.ndarray | None  # bool, or None where no mask is known
    digest: str = ""  # of the raw frame (:func:`label_irst.infer.segmenter_labels.digest`)


def _mask_centroids(mask: np.ndarray) -> list:
    return [part.centroid() for part in components(mask)]


def dataset_frames(
    root: str | Path, split: str | None = None, points_csv: str | Path | None = None, warn=None
) -> list[TrainFrame]:
    """The frames of a dataset root (or an image folder with a points CSV), in natural order."""
    from label_irst.io.images import list_images, read_image, read_mask
    from label_irst.io.points import read_points

    root = Path(root)
    if not root.is_dir():
        raise LabelIrstError(f"{root}: no such dataset folder")
    csv = Path(points_csv) if points_csv else root / "centroids.csv"
    points = read_points(csv, warn) if csv.is_file() else None
    if points_csv and points is None:
        raise LabelIrstError(f"{points_csv}: no such points file")
    if (root / "masks").is_dir():
        from label_irst.batch.dataset import mask_pairs

        pairs = [(p.stem, p.image, p.mask) for p in mask_pairs(root, split, warn)]
    else:
        if points is None:
            raise LabelIrstError(f"{root}: no masks/ folder and no points (give --points CSV)")
        folder = root / "images" if (root / "images").is_dir() else root
        pairs = [(p.stem, p, None) for p in list_images(folder, warn)]
        if split:
            from label_irst.batch.dataset import read_split

            keep = set(read_split(root, split))
            pairs = [p for p in pairs if p[0] in keep]
    out = []
    for stem, image_path, mask_path in pairs:
        try:
            image = read_image(image_path)
            mask = read_mask(mask_path) if mask_path is not None else None
            if image.ndim != 2 or (mask is not None and mask.shape != image.shape):
                raise LabelIrstError(f"{image_path}: not a grey frame the size of its mask")
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"skipped: {exc}")
            continue
        pts = points.get(stem, []) if points is not None else _mask_centroids(mask)
        pts = [tuple(map(float, p)) for p in pts]
        out.append(TrainFrame(stem, normalise(image), pts, mask, digest(image)))
    if not out:
        raise LabelIrstError(
            f"{root}: no readable frames" + (f" in split {split}" if split else "")
        )
    return out


def negative_frames(folder: str | Path, warn=None) -> list[TrainFrame]:
    """Target-free frames (every pixel background) from an image folder, for the clutter a
    training set's own frames do not show; named ``negative/<stem>``."""
    from label_irst.io.images import list_images, read_image

    folder = Path(folder)
    if not folder.is_dir():
        raise LabelIrstError(f"{folder}: no such folder of target-free frames")
    out = []
    for path in list_images(folder, warn):
        try:
            image = read_image(path)
            if image.ndim != 2:
                raise LabelIrstError(f"{path}: not a grey frame")
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"skipped: {exc}")
            continue
        out.append(
            TrainFrame(f"negative/{path.stem}", normalise(image), [], np.zeros(image.shape, bool),
                       digest(image))
        )  # fmt: skip
    if not out:
        raise LabelIrstError(f"{folder}: no readable target-free frames")
    return out


def project_frames(path: str | Path, warn=None) -> list[TrainFrame]:
    """One frame per distinct frame of a project's confirmed, seeded targets."""
    from label_irst.batch.convention import project_examples
    from label_irst.io.project import ProjectStore

    store = ProjectStore.open(path, readonly=True)
    try:
        examples = project_examples(store, limit=0, warn=warn)
    finally:
        store.close()
    frames: dict[int, TrainFrame] = {}
    for ex in examples:
        key = id(ex.image)
        if key not in frames:
            mask = np.zeros(ex.image.shape, bool)
            name = f"frame{len(frames)}"
            frames[key] = TrainFrame(name, normalise(ex.image), [], mask, digest(ex.image))
        frames[key].points.append((float(ex.seed[0]), float(ex.seed[1])))
        ex.mask.paint(frames[key].mask)
    if not frames:
        raise LabelIrstError(f"{path}: no confirmed targets to train on")
    return list(frames.values())


SCALES = (0.75, 1.33)  # zoom range of a strong crop (scene scale of another optic)


def photometric(xi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Blur, noise and contrast of another sensor on a standardised crop (``augment="strong"``).

    Each is applied with probability 1/3: a Gaussian blur of sigma 0.3-1.0 px (optics, focus),
    additive white noise of 0-0.1 frame standard deviations (NETD), and a gain of 0.8-1.25 with an
    offset of +-0.2 (the frame's standardisation on other clutter)."""
    xi = xi.astype(np.float32, copy=True)
    if rng.random() < 1 / 3:
        xi = cv2.GaussianBlur(xi, (0, 0), float(rng.uniform(0.3, 1.0)))
    if rng.random() < 1 / 3:
        xi += rng.normal(0.0, rng.uniform(0.0, 0.1), xi.shape).astype(np.float32)
    if rng.random() < 1 / 3:
        xi = xi * np.float32(rng.uniform(0.8, 1.25)) + np.float32(rng.uniform(-0.2, 0.2))
    return xi


def draw_crop(
    image: np.ndarray, label: np.ndarray, points, crop: int, rng: np.random.Generator,
    target_share: float = 0.8, augment: str = "geometric",
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """One augmented (image, label) crop; the frame is edge-padded when smaller than ``crop``.

    With ``augment="strong"`` half the crops are a window of ``crop / s`` px resized to ``crop``
    (s drawn log-uniformly from :data:`SCALES`; labels by nearest neighbour), and every crop
    goes through :func:`photometric`."""
    out = crop
    if augment == "strong" and rng.random() < 0.5:
        s = float(np.exp(rng.uniform(np.log(SCALES[0]), np.log(SCALES[1]))))
        crop = max(8, int(round(out / s)))
    h, w = image.shape
    if h < crop or w < crop:
        ph, pw = max(crop - h, 0), max(crop - w, 0)
        image = np.pad(image, ((0, ph), (0, pw)), mode="edge")
        label = np.pad(label, ((0, ph), (0, pw)))
        h, w = image.shape
    if points and rng.random() < target_share:
        x, y = points[int(rng.integers(len(points)))]
        m = min(8, crop // 4)  # the target lies at least m px inside the crop
        r0 = int(np.clip(round(y) - rng.integers(m, crop - m), 0, h - crop))
        c0 = int(np.clip(round(x) - rng.integers(m, crop - m), 0, w - crop))
    else:
        r0, c0 = int(rng.integers(h - crop + 1)), int(rng.integers(w - crop + 1))
    xi = image[r0 : r0 + crop, c0 : c0 + crop]
    yi = label[r0 : r0 + crop, c0 : c0 + crop]
    k = int(rng.integers(4))
    xi, yi = np.rot90(xi, k), np.rot90(yi, k)
    if rng.random() < 0.5:
        xi, yi = xi[:, ::-1], yi[:, ::-1]
    if crop != out:
        xi = cv2.resize(np.ascontiguousarray(xi), (out, out), interpolation=cv2.INTER_LINEAR)
        yi = cv2.resize(np.ascontiguousarray(yi), (out, out), interpolation=cv2.INTER_NEAREST)
    if augment == "strong":
        xi = photometric(xi, rng)
    return np.ascontiguousarray(xi), np.ascontiguousarray(yi)
