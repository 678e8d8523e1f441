"""Write synthetic moving-target sequences as a SIRSTD-Pixel-style dataset.

Layout (Sec. III-D)::

    ROOT/images/<seq>/<frame>.png      8-bit frames
    ROOT/masks/<seq>/<frame>.png       0/255 ground-truth masks
    ROOT/annotations/<seq>.json        per-frame targets: id, centroid x/y, radius, bbox
    ROOT/img_idx/train.txt, test.txt   "<seq>/<frame>" lines

With real backgrounds, whole scenes (the file-name prefix before the first "_") are held out
for the test sequences, so a detector is scored on backgrounds it never saw; ``procedural_share``
of the sequences then use a procedural background of the same size instead. A
:class:`~label_irst.core.synthetic_sequences.MotionMix` makes a share of the targets static,
hovering or stop-and-start; every annotated target has its ``speed`` (px/frame) and ``motion``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.core import synthetic_sequences as ss
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import write_text_atomic
from label_irst.io.images import list_images, read_image, write_image, write_mask

DEFAULT_SHAPE = (512, 640)


@dataclass(frozen=True)
class SynthSummary:
    sequences: int
    frames: int
    targets: int
    train_sequences: int
    test_sequences: int
    train_backgrounds: list[str]
    test_backgrounds: list[str]


def scene_of(path: Path) -> str:
    return path.stem.split("_")[0]


def split_backgrounds(
    paths: list[Path], test_fraction: float, rng: np.random.Generator
) -> tuple[list[Path], list[Path]]:
    """Hold out whole scenes, about ``test_fraction`` of the backgrounds, for testing."""
    if test_fraction <= 0:
        return paths, []
    scenes = sorted({scene_of(p) for p in paths})
    if len(scenes) < 2:
        k = max(1, int(round(test_fraction * len(paths))))
        order = rng.permutation(len(paths))
        test = {int(i) for i in order[:k]}
        return [p for i, p in enumerate(paths) if i not in test], [paths[i] for i in sorted(test)]
    order = [scenes[i] for i in rng.permutation(len(scenes))]
    want = test_fraction * len(paths)
    test_scenes: set[str] = set()
    held = 0
    for scene in order:
        n = sum(scene_of(p) == scene for p in paths)
        if held + n <= want * 1.5 or not test_scenes:
            test_scenes.add(scene)
            held += n
        if held >= want:
            break
    train = [p for p in paths if scene_of(p) not in test_scenes]
    test = [p for p in paths if scene_of(p) in test_scenes]
    if not train:
        raise LabelIrstError("every background would be held out: lower --test-fraction")
    return train, test


def load_background(path: Path, shape: tuple[int, int] | None) -> np.ndarray:
    image = read_image(path).astype(np.float64)
    if image.dtype != np.uint8 and image.max() > 255:
        image = image * (255.0 / max(float(image.max()), 1.0))
    if shape is not None:
        h, w = shape
        if image.shape[0] < h or image.shape[1] < w:
            raise LabelIrstError(
                f"{path}: background {image.shape[1]}x{image.shape[0]} is smaller than {w}x{h}"
            )
        image = image[:h, :w]
    return image


def write_synthetic_dataset(
    out: str | os.PathLike,
    sequences: int,
    frames: int,
    seed: int = 0,
    backgrounds: str | os.PathLike | None = None,
    shape: tuple[int, int] | None = None,
    test_fraction: float = 0.2,
    job=None,
    mix: ss.MotionMix | None = None,
    procedural_share: float = 0.0,
    templates: list | None = None,
    template_share: float = 0.5,
) -> SynthSummary:
    """Render ``sequences`` sequences of ``frames`` frames into ``out`` (deterministic in seed);
    with ``templates`` (:func:`read_templates`), ``template_share`` of the targets are real
    targets' templates instead of PSF spots."""
    if sequences < 1 or frames < 1:
        raise LabelIrstError("--sequences and --frames must be at least 1")
    if not 0.0 <= procedural_share <= 1.0:
        raise LabelIrstError("--procedural-share must lie in [0, 1]")
    if not 0.0 <= test_fraction < 1.0:
        raise LabelIrstError("--test-fraction must lie in [0, 1)")
    root = Path(out)
    rng = np.random.default_rng(seed)
    if backgrounds is not None:
        paths = list_images(backgrounds)
        if not paths:
            raise LabelIrstError(f"{backgrounds}: no background images")
        train_bg, test_bg = split_backgrounds(paths, test_fraction, rng)
    else:
        train_bg, test_bg = [], []
    n_test = int(round(test_fraction * sequences)) if test_fraction > 0 else 0
    if backgrounds is not None and not test_bg:
        n_test = 0
    n_test = min(n_test, sequences - 1) if sequences > 1 else n_test
    split_lines: dict[str, list[str]] = {"train": [], "test": []}
    total_targets = 0
    for s in range(sequences):
        if job is not None and job.cancelled:
            break
        split = "test" if s >= sequences - n_test else "train"
        seq_rng = np.random.default_rng([seed, s])
        name = f"seq{s:04d}"
        if backgrounds is not None:
            pool = test_bg if split == "test" else train_bg
            bg_path = pool[int(seq_rng.integers(len(pool)))]
            base = load_background(bg_path, shape)
            source = bg_path.name
            # a separate stream, so the other sequences stay those of the same seed without it
            if (
                procedural_share > 0
                and np.random.default_rng([seed, s, 1]).random() < procedural_share
            ):
                base = ss.procedural_background(base.shape, seq_rng)
                source = "procedural"
        else:
            base = ss.procedural_background(shape or DEFAULT_SHAPE, seq_rng)
            source = "procedural"
        images, targets = ss.render_sequence(
            base, frames, seq_rng, mix=mix, templates=templates, template_share=template_share
        )
        record = {
            "sequence": name,
            "background": source,
            "width": int(base.shape[1]),
            "height": int(base.shape[0]),
            "frames": [],
        }
        for t, (image, tlist) in enumerate(zip(images, targets)):
            frame = f"{t:05d}"
            write_image(root / "images" / name / f"{frame}.png", image)
            write_mask(root / "masks" / name / f"{frame}.png", ss.union_mask(tlist, image.shape))
            record["frames"].append({"frame": frame, "targets": [x.annotation() for x in tlist]})
            split_lines[split].append(f"{name}/{frame}")
            total_targets += len(tlist)
        write_text_atomic(root / "annotations" / f"{name}.json", json.dumps(record, indent=1))
        if job is not None:
            job.step(s + 1, sequences)
    for split, lines in split_lines.items():
        write_text_atomic(root / "img_idx" / f"{split}.txt", "".join(f"{x}\n" for x in lines))
    return SynthSummary(
        sequences=sequences,
        frames=sum(len(v) for v in split_lines.values()),
        targets=total_targets,
        train_sequences=sequences - n_test,
        test_sequences=n_test,
        train_backgrounds=[p.name for p in train_bg],
        test_backgrounds=[p.name for p in test_bg],
    )


def read_templates(root: str | os.PathLike, split: str = "train") -> list:
    """Templates of the real targets of a single-frame dataset's ``split`` (``images/``,
    ``masks/`` with the same stems, ``img_idx/<split>.txt``): only that split is read, so a
    test split stays unseen."""
    from label_irst.core.target_templates import cut_templates
    from label_irst.io.files import read_text
    from label_irst.io.images import read_mask

    root = Path(root)
    names = [Path(n).stem for n in read_text(root / "img_idx" / f"{split}.txt").split()]
    out = []
    for name in names:
        image = next(iter(sorted((root / "images").glob(f"{name}.*"))), None)
        mask = root / "masks" / f"{name}.png"
        if image is None or not mask.is_file():
            continue
        try:
            out.extend(cut_templates(read_image(image), read_mask(mask)))
        except LabelIrstError:
            continue
    if not out:
        raise LabelIrstError(f"{root}: no target templates in split {split}")
    return out
