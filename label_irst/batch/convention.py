"""A project's annotation convention: gather its examples and refit (the app and the CLI).

Examples are the confirmed targets grown from a seed -- clicks, pre-annotations, converted
boxes, including masks corrected with the brush afterwards -- with their final masks; targets
drawn entirely by hand (source ``manual``) have no seed the generator was run from and are left
out. A frozen convention is never refitted.

The box convention (:mod:`label_irst.core.box_convention`: which box generator, the team's box
margin, the mask margin) is fitted the same way from the confirmed box conversions that still
carry their source box, and kept in the project's meta table under ``box-convention`` (outside
the ``convention/<generator>`` keys of the point conventions).
"""

from __future__ import annotations

import os
from pathlib import Path

from label_irst.core.box_convention import BoxConvention, BoxExample, fit_boxes
from label_irst.core.convention import Convention, Example, fit
from label_irst.core.geometry import centroid_pixel
from label_irst.errors import LabelIrstError
from label_irst.io.convention import project_convention, project_generator, save_project_convention

SEEDED_SOURCES = ("pamg", "model", "box")
#: At most this many examples (the most recent) feed a fit: 200 take about 0.3-0.5 s.
MAX_EXAMPLES = 200
#: At most this many box conversions (the most recent) feed a box fit (35 grid cells each).
MAX_BOX_EXAMPLES = 100
BOX_KEY = "box-convention"


def project_examples(store, limit: int = MAX_EXAMPLES, warn=None) -> list[Example]:
    """The latest ``limit`` confirmed, seeded targets of every readable sequence as examples."""
    chosen = _confirmed(store, lambda t: t.source in SEEDED_SOURCES, limit)
    return [Example(image, t.seed, t.mask, t.support_radius)
            for t, image in _with_frames(chosen, warn)]  # fmt: skip


#: the weight of a generated mask confirmed unchanged when a learned generator trains on it
WEAK = 0.25


def learning_examples(store, limit: int = 0, warn=None) -> list[Example]:
    """What the project teaches its learned generator (``limit`` latest; 0: all): every
    confirmed target the annotator drew (seeded at its centroid pixel) or edited, at weight 1,
    and the generated masks confirmed unchanged as weak examples (:data:`WEAK`)."""
    from label_irst.io.project_edits import edited_targets

    edited = edited_targets(store)
    chosen = _confirmed(store, lambda t: t.source in (*SEEDED_SOURCES, "manual"), limit)
    out = []
    for t, image in _with_frames(chosen, warn):
        if t.source == "manual":
            out.append(Example(image, centroid_pixel(t.mask), t.mask, t.support_radius))
        else:
            weight = 1.0 if t.id in edited else WEAK
            out.append(Example(image, t.seed, t.mask, t.support_radius, weight))
    return out


def _confirmed(store, keep, limit: int) -> list:
    chosen = []
    for record in store.sequences():
        for t in store.targets(record.id, status="confirmed"):
            if keep(t) and t.mask.area > 0:
                chosen.append((record, t))
    return sorted(chosen, key=lambda rt: rt[1].id)[-limit:] if limit else chosen


def _with_frames(chosen, warn) -> list:
    """(target, its grey frame) for every (sequence record, target) whose frame reads."""
    from label_irst.io.sequence import open_sequence

    out = []
    readers: dict[int, object] = {}
    frames: dict[tuple[int, int], object] = {}
    try:
        for record, t in chosen:
            key = (record.id, t.frame)
            if key not in frames:
                try:
                    if record.id not in readers:
                        readers[record.id] = open_sequence(record.source)
                    frames[key] = readers[record.id].frame(t.frame)
                except (LabelIrstError, IndexError) as exc:
                    frames[key] = None
                    if warn is not None:
                        warn(f"sequence {record.id} frame {t.frame}: {exc}; not used")
            image = frames[key]
            if image is not None and image.ndim == 2:
                out.append((t, image))
    finally:
        for reader in readers.values():
            reader.close()
    return out


def project_box_examples(store, limit: int = MAX_BOX_EXAMPLES, warn=None) -> list[BoxExample]:
    """The latest ``limit`` confirmed box conversions (with their source box) as examples."""
    chosen = _confirmed(store, lambda t: t.source == "box" and t.box is not None, limit)
    return [BoxExample(image, tuple(float(v) for v in t.box), t.mask, t.support_radius)
            for t, image in _with_frames(chosen, warn)]  # fmt: skip


def stored_box_convention(store) -> BoxConvention:
    """The box convention kept in the project (the defaults when none was stored)."""
    text = store.meta(BOX_KEY)
    if text is None:
        return BoxConvention(point_generator=project_generator(store))
    return BoxConvention.from_json(text, where=f"{store.path} (stored box convention)")


def save_box_convention(store, convention: BoxConvention) -> None:
    store.set_meta(BOX_KEY, convention.to_json())


def fit_project_boxes(store, warn=None, now=None) -> BoxConvention:
    """The box convention fitted on the project's confirmed box conversions (not stored); a
    frozen stored one is returned as it is."""
    current = stored_box_convention(store)
    if current.frozen:
        return current
    generator = project_generator(store)
    return fit_boxes(project_box_examples(store, warn=warn), generator, now=now)


def read_box_convention(path: str | os.PathLike) -> BoxConvention | None:
    """``--convention FILE|PROJECT`` for boxes: a project's box convention fitted on its
    confirmed conversions, or a box convention JSON file; None for a point convention file."""
    from label_irst.io.files import read_text
    from label_irst.io.formats.project_file import detect

    path = Path(path)
    if detect(path):
        from label_irst.io.project import ProjectStore

        with ProjectStore.open(path, readonly=True) as store:
            return fit_project_boxes(store)
    try:
        text = read_text(path, encoding="utf-8")
    except LabelIrstError as exc:
        raise LabelIrstError(f"cannot read the convention: {exc}") from None
    if '"label-irst-box-convention"' not in text:
        return None
    return BoxConvention.from_json(text, where=str(path))


def refit_project(store, generator: str | None = None, warn=None, now=None) -> Convention:
    """Refit and store the project's convention for ``generator`` (unless it is frozen)."""
    current = project_convention(store, generator)
    if current.frozen:
        return current
    examples = project_examples(store, warn=warn)
    convention = fit(examples, current.generator, now=now, model=current.model)
    save_project_convention(store, convention)
    return convention
