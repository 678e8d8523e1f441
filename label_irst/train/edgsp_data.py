"""Training examples of EDGSP and the crops drawn from them.

An example is one target: its frame, a seed and its mask (:class:`label_irst.core.convention.
Example`). They come from a dataset root (``images/`` + ``masks/``, one example per
8-connected ground-truth component, ``img_idx/<split>.txt`` where given) or from a project's
confirmed, seeded targets (:func:`label_irst.batch.convention.project_examples`).

Each epoch draws fresh crops: the click is jittered inside the mask (a uniformly random mask
pixel 70 % of the time, a boundary pixel 15 %, the pixel nearest the centroid 15 %), and the
crop is flipped and rotated by a multiple of 90 degrees. The target is the prompted component
only: other targets inside the crop are background, which teaches the network the paper's
"individual differences" (no label adhesion).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from label_irst.core import edgsp as prompts
from label_irst.core.convention import Example
from label_irst.core.geometry import boundary_pixels, centroid_pixel, components
from label_irst.errors import LabelIrstError


def dataset_examples(root: str | Path, split: str | None = None, warn=None) -> list[Example]:
    """One example per ground-truth component of a dataset root (seed: its centroid pixel)."""
    from label_irst.batch.dataset import mask_pairs
    from label_irst.io.images import read_image, read_mask

    out = []
    for pair in mask_pairs(root, split):
        try:
            image, gt = read_image(pair.image), read_mask(pair.mask)
            if gt.shape != image.shape or image.ndim != 2:
                raise LabelIrstError(f"{pair.mask}: mask size {gt.shape} != image {image.shape}")
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"skipped: {exc}")
            continue
        for part in components(gt):
            out.append(Example(image, centroid_pixel(part), part))
    return out


def project_training_examples(path: str | Path, warn=None) -> list[Example]:
    """What a project teaches its generator (all of it, oldest first): the confirmed targets
    the annotator drew or edited, and, as weak examples, generated ones confirmed unchanged
    (:func:`label_irst.batch.convention.learning_examples`)."""
    from label_irst.batch.convention import learning_examples as project_examples
    from label_irst.io.project import ProjectStore

    store = ProjectStore.open(path, readonly=True)
    try:
        return project_examples(store, limit=0, warn=warn)
    finally:
        store.close()


def jitter_seed(ex: Example, rng: np.random.Generator) -> tuple[int, int]:
    """A click inside the example's mask: random pixel, boundary pixel or centroid."""
    u = rng.random()
    if u < 0.15:
        return centroid_pixel(ex.mask)
    if u < 0.30:
        ys, xs = boundary_pixels(ex.mask)
    else:
        ys, xs = np.nonzero(ex.mask.crop)
        ys, xs = ys + ex.mask.offset[0], xs + ex.mask.offset[1]
    i = int(rng.integers(xs.size))
    return int(xs[i]), int(ys[i])


def crop_pair(
    ex: Example, seed: tuple[int, int], size: int, sigma: float, k: int = 0, flip: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Network input (4, S, S) and target (S, S) for a click, rotated k x 90 deg and flipped.

    The crop is cut one pixel larger (odd, centred on the click) so that rotations and flips
    keep the click on the centre pixel; the last row and column are then dropped."""
    truth = np.zeros(ex.image.shape, np.float32)
    ex.mask.paint(truth, 1.0)
    win, _ = prompts.crop_at(ex.image, seed, size + 1)
    lab, _ = prompts.crop_at(truth, seed, size + 1)
    h, w = ex.image.shape
    r0, c0 = seed[1] - (size + 1) // 2, seed[0] - (size + 1) // 2
    rows = np.arange(r0, r0 + size + 1)[:, None]
    cols = np.arange(c0, c0 + size + 1)[None, :]
    lab = lab * ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w))  # no label off the frame
    # crop_at centres size+1 on pixel (size+1)//2 == size//2 for even sizes
    win, lab = np.rot90(win, k), np.rot90(lab, k)
    if flip:
        win, lab = win[:, ::-1], lab[:, ::-1]
    win = np.ascontiguousarray(win[:size, :size])
    lab = np.ascontiguousarray(lab[:size, :size])
    x, _ = prompts.channels(win, sigma)
    return x, lab


def draw_epoch(
    examples: list[Example], per_example: int, size: int, sigma: float, rng: np.random.Generator,
    augment: bool = True,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``per_example`` jittered, augmented crops of every example (``per_example`` × its
    ``weight``, at least one, for a weak example): inputs and targets."""
    counts = [max(1, round(per_example * min(1.0, float(ex.weight)))) for ex in examples]
    n = sum(counts)
    xs = np.empty((n, prompts.CHANNELS, size, size), np.float32)
    ys = np.empty((n, 1, size, size), np.float32)
    i = 0
    for ex, count in zip(examples, counts):
        for _ in range(count):
            seed = jitter_seed(ex, rng)
            k = int(rng.integers(4)) if augment else 0
            flip = bool(rng.integers(2)) if augment else False
            xs[i], ys[i, 0] = crop_pair(ex, seed, size, sigma, k, flip)
            i += 1
    return xs, ys
