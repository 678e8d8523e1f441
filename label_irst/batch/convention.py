"""A project's annotation convention: gather its examples and refit (the app and the CLI).

Examples are the confirmed targets grown from a seed -- clicks, pre-annotations, converted
boxes, including masks corrected with the brush afterwards -- with their final masks; targets
drawn entirely by hand (source ``manual``) have no seed the generator was run from and are left
out. A frozen convention is never refitted.
"""

from __future__ import annotations

from label_irst.core.convention import Convention, Example, fit
from label_irst.errors import LabelIrstError
from label_irst.io.convention import project_convention, save_project_convention

SEEDED_SOURCES = ("pamg", "model", "box")
#: At most this many examples (the most recent) feed a fit: 200 take about 0.3-0.5 s.
MAX_EXAMPLES = 200


def project_examples(store, limit: int = MAX_EXAMPLES, warn=None) -> list[Example]:
    """The latest ``limit`` confirmed, seeded targets of every readable sequence as examples."""
    from label_irst.io.sequence import open_sequence

    chosen = []
    for record in store.sequences():
        for t in store.targets(record.id, status="confirmed"):
            if t.source in SEEDED_SOURCES and t.mask.area > 0:
                chosen.append((record, t))
    chosen = sorted(chosen, key=lambda rt: rt[1].id)[-limit:] if limit else chosen
    out: list[Example] = []
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
                out.append(Example(image, t.seed, t.mask, t.support_radius))
    finally:
        for reader in readers.values():
            reader.close()
    return out


def refit_project(store, generator: str | None = None, warn=None, now=None) -> Convention:
    """Refit and store the project's convention for ``generator`` (unless it is frozen)."""
    current = project_convention(store, generator)
    if current.frozen:
        return current
    convention = fit(project_examples(store, warn=warn), current.generator, now=now)
    save_project_convention(store, convention)
    return convention
