"""point2mask and box2mask: seeds -> generator, or boxes -> box generator -> one mask per image.

Points grow with the point generator (and its convention). Boxes use the box: a box generator
of :mod:`label_irst.core.box_generators` chosen by the box convention (fitted on a project's
confirmed conversions) or, with none, by each box's tightness (``auto``); ``centre`` keeps the
SIRSTD-Pixel conversion (box centre -> PAMG, Sec. III-D1).

Each image gets ``OUT/<stem>.png`` (0/255, the union of its targets' masks) and the run writes
``OUT/targets.csv`` with one row per target (seed, centroid, equivalent radius, area, rho, and
for boxes the box size) so a reviewer can sort by rho. A bad image, row, box file or seed is
skipped with a warning and counted; the run goes on. Everything is written into a temporary
folder renamed into place at the end (a killed run leaves OUT as it was, and the next run
removes its temporaries); a non-empty OUT is replaced only with ``force``, and an OUT that is or
holds an input is refused.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.core.box_convention import BoxConvention
from label_irst.core.convention import Convention
from label_irst.core.generators import get_generator
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_folder, write_text_atomic
from label_irst.io.boxes import Box, detect_format, read_boxes
from label_irst.io.files import is_folder, refuse_overlap, regular_file
from label_irst.io.formats.review import MAX_SUPPORT_RADIUS
from label_irst.io.images import image_header, is_image_file, list_images, read_image, write_mask
from label_irst.io.points import read_points
from label_irst.job import Job

CSV_COLUMNS = [
    "image",
    "seed_x",
    "seed_y",
    "centroid_x",
    "centroid_y",
    "radius",
    "area",
    "rho",
    "polarity",
    "box_w",
    "box_h",
]


@dataclass
class ConvertReport:
    images_written: int = 0
    targets: int = 0
    skipped: int = 0
    rows: list = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.images_written} mask(s) written, {self.targets} target(s)"
        if self.skipped:
            text += f", {self.skipped} item(s) skipped (see warnings)"
        return text


def image_index(images: str | Path, warn=None) -> dict[str, Path]:
    """stem -> path for a folder of frames or a single image file (``warn``: skipped entries)."""
    images = Path(images)
    if is_folder(images):
        return {p.stem: p for p in list_images(images, warn)}
    if not os.path.lexists(images):
        raise LabelIrstError(f"{images}: no such file or folder")
    regular_file(images)
    if not is_image_file(images):
        raise LabelIrstError(f"{images}: not an image file")
    return {images.stem: images}


def _image_size(path: Path) -> tuple[int, int] | None:
    try:
        height, width, _ = image_header(path)
    except LabelIrstError:
        return None
    return width, height


def _convert(
    index: dict[str, Path],
    seeds: dict[str, list[tuple[tuple[float, float], Box | None]]],
    out: Path,
    convention: Convention,
    support_radius: float,
    job: Job,
    skipped: int = 0,
    force: bool = False,
    box_convention: BoxConvention | None = None,
) -> ConvertReport:
    """Grow the masks into a temporary folder beside ``out``, renamed into place at the end
    (:func:`atomic_folder`): a killed run leaves ``out`` as it was. ``skipped`` counts the
    items already skipped while reading."""
    check_support_radius(support_radius)
    report = ConvertReport(skipped=skipped)
    with atomic_folder(out, force) as tmp:
        _grow(index, seeds, tmp, convention, support_radius, job, report, box_convention)
    return report


def check_support_radius(rs: float) -> None:
    if not (math.isfinite(rs) and 0 < rs <= MAX_SUPPORT_RADIUS):
        raise LabelIrstError(
            f"--rs must be a number of pixels in (0, {MAX_SUPPORT_RADIUS:g}], got {rs}"
        )


def _grow(
    index, seeds, out: Path, convention, support_radius: float, job: Job, report, boxes=None
) -> None:
    for stem in sorted(set(seeds) - set(index)):
        job.warning(f"skipped: no image named {stem!r} for {len(seeds[stem])} seed(s)")
        report.skipped += 1
    todo = [stem for stem in index if stem in seeds]
    for done, stem in enumerate(todo, 1):
        if job.cancelled:
            break
        try:
            image = read_image(index[stem])
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            report.skipped += 1
            continue
        mask = np.zeros(image.shape, bool)
        grown = 0
        height, width = image.shape
        valid = []
        for (x, y), box in seeds[stem]:
            if box is None and not (-0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5):
                job.warning(f"skipped a seed of {stem}: seed {x:g},{y:g} lies outside the image")
                report.skipped += 1
                continue
            if box is not None and not box.inside(width, height):
                job.warning(
                    f"skipped a seed of {stem}: box {box.x0:g},{box.y0:g},{box.x1:g},"
                    f"{box.y1:g} lies outside the image"
                )
                report.skipped += 1
                continue
            valid.append(((x, y), box))
        if boxes is None:
            results = _grow_frame(convention, image, [s for s, _ in valid], support_radius)
        else:
            results = [_grow_box(boxes, convention, image, b, support_radius) for _, b in valid]
        for ((x, y), box), result in zip(valid, results):
            if isinstance(result, LabelIrstError):
                job.warning(f"skipped a seed of {stem}: {result}")
                report.skipped += 1
                continue
            result.mask.paint(mask)
            grown += 1
            cx, cy = result.centroid
            bw, bh = box.size if box is not None else ("", "")
            report.rows.append(
                [stem, x, y, round(cx, 3), round(cy, 3), round(result.radius, 3), result.area,
                 round(result.boundary_ratio, 4), result.polarity, bw, bh]
            )  # fmt: skip
        if grown:
            write_mask(out / f"{stem}.png", mask)
            report.images_written += 1
            report.targets += grown
        job.step(done, len(todo))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(report.rows)
    write_text_atomic(out / "targets.csv", buffer.getvalue())


def _grow_frame(convention: Convention, image, seeds, support_radius) -> list:
    """Every seed of one frame in one batch (one network call for a learned generator); if
    the generator refuses a seed, seed by seed, the refusal in that seed's place."""
    try:
        return convention.generate_many(image, seeds, support_radius)
    except LabelIrstError:
        out = []
        for seed in seeds:
            try:
                out.append(convention.generate(image, seed, support_radius))
            except LabelIrstError as exc:
                out.append(exc)
        return out


def _grow_box(boxes: BoxConvention, convention: Convention, image, box: Box, rs: float):
    try:
        return boxes.generate(image, (box.x0, box.y0, box.x1, box.y1), rs, convention.generate)
    except LabelIrstError as exc:
        return exc


def _convention(generator: str | None, convention: Convention | None) -> Convention:
    from label_irst.io.convention import resolve_convention

    if convention is None:
        return resolve_convention(generator, None)
    if generator is not None and convention.generator != get_generator(generator).name:
        raise LabelIrstError(
            f"the convention is for generator {convention.generator!r}, not {generator!r}"
        )
    return convention


def points_to_masks(
    images: str | Path,
    points_csv: str | Path,
    out: str | Path,
    generator: str | None = None,
    support_radius: float = 20.0,
    job: Job | None = None,
    convention: Convention | None = None,
    force: bool = False,
) -> ConvertReport:
    """``label-irst point2mask``: one mask per image from a CSV of image,x,y seeds.

    ``convention`` (a fitted annotation convention) replaces ``generator``'s defaults."""
    job = job or Job()
    refuse_overlap(out, [images, points_csv])
    convention = _convention(generator, convention)
    before = len(job.warnings)
    index = image_index(images, job.warning)
    points = read_points(points_csv, warn=job.warning)
    seeds = {stem: [(p, None) for p in pts] for stem, pts in points.items()}
    skipped = len(job.warnings) - before
    return _convert(index, seeds, Path(out), convention, support_radius, job, skipped, force)


def boxes_to_masks(
    images: str | Path,
    boxes: str | Path,
    out: str | Path,
    generator: str | None = None,
    support_radius: float = 20.0,
    box_format: str = "auto",
    voc_exclusive_end: bool = False,
    job: Job | None = None,
    convention: Convention | None = None,
    force: bool = False,
    box_generator: str | None = None,
    box_convention: BoxConvention | None = None,
) -> ConvertReport:
    """``label-irst box2mask``: one mask per box with a box generator that uses the box.

    ``box_convention`` (fitted on a project's confirmed conversions) chooses the box generator
    and its margins, else ``auto`` (each box's tightness); ``box_generator`` overrides its
    choice of generator. ``convention`` (a fitted point convention) drives the point generator
    of the box generators that run one (``pamg-box``, ``pamg-rs``, ``centre``)."""
    job = job or Job()
    refuse_overlap(out, [images, boxes])
    convention = _convention(generator, convention)
    before = len(job.warnings)
    index = image_index(images, job.warning)
    sizes = None
    if box_format in ("auto", "yolo") and is_folder(boxes) and detect_format(Path(boxes)) == "yolo":
        sizes = {stem: size for stem, p in index.items() if (size := _image_size(p))}
    table = read_boxes(boxes, sizes, box_format, job.warning, voc_exclusive_end)
    seeds = {stem: [(b.centre, b) for b in bs] for stem, bs in table.items() if bs}
    skipped = len(job.warnings) - before
    boxes = box_convention or BoxConvention(point_generator=convention.generator)
    if box_generator is not None:
        params = boxes.params if box_convention else {}
        boxes = BoxConvention({**params, "method": box_generator}, convention.generator)
    return _convert(index, seeds, Path(out), convention, support_radius, job, skipped, force,
                    boxes)  # fmt: skip
