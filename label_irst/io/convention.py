"""Annotation conventions on disk: a small JSON file, or the project's meta table.

A project keeps one convention per generator and the name of the generator it annotates with
(:class:`label_irst.io.project_settings.ProjectSettings`), so switching generators in the app
never applies one generator's parameters to another. ``--convention FILE|PROJECT`` on the command line
reads either form through :func:`read_convention`.
"""

from __future__ import annotations

import os
from pathlib import Path

from label_irst.core.convention import Convention
from label_irst.core.generators import DEFAULT_GENERATOR, get_generator
from label_irst.errors import LabelIrstError
from label_irst.io.atomic import write_text_atomic
from label_irst.io.files import read_text
from label_irst.io.project_settings import ProjectSettings


def project_generator(store) -> str:
    """The generator the project annotates with (the default one if it never chose)."""
    name = ProjectSettings(store).generator
    return get_generator(name).name if name else DEFAULT_GENERATOR


def project_convention(store, generator: str | None = None) -> Convention:
    """The project's convention for ``generator`` (its own generator if None); the generator's
    defaults when none was fitted yet. A learned generator's convention carries the project's
    own model (``Convention.model``), so whoever grows with it uses that model, passed along
    explicitly."""
    spec = get_generator(generator or project_generator(store))
    settings = ProjectSettings(store)
    text = settings.convention_json(spec.name)
    if text is None:
        convention = Convention(spec.name)
    else:
        where = f"{store.path} (stored convention)"
        convention = Convention.from_json(text, spec.name, where=where)
    if spec.learned and settings.learned_generator is not None:
        convention.model = str(settings.learned_generator)
    return convention


def save_project_convention(store, convention: Convention) -> None:
    """Store ``convention`` as the project's convention for its generator (one transaction)."""
    ProjectSettings(store).set_convention_json(convention.generator, convention.to_json())


def reset_project_convention(store, generator: str | None = None) -> Convention:
    """Forget the fitted convention for ``generator``; returns the defaults now in force."""
    generator = get_generator(generator or project_generator(store)).name
    ProjectSettings(store).set_convention_json(generator, None)
    return Convention(generator)


def read_convention(path: str | os.PathLike, generator: str | None = None) -> Convention:
    """A convention from a JSON file or from a project (read without taking its lock).

    ``generator``: the generator it will drive; a file fitted for another one is refused.
    """
    from label_irst.io.formats.project_file import detect

    path = Path(path)
    if detect(path):
        from label_irst.io.project import ProjectStore

        with ProjectStore.open(path, readonly=True) as store:
            return project_convention(store, generator)
    try:
        text = read_text(path, encoding="utf-8")  # regular files only: a FIFO never hangs
    except LabelIrstError as exc:
        raise LabelIrstError(f"cannot read the convention: {exc}") from None
    if generator is not None:
        generator = get_generator(generator).name
    return Convention.from_json(text, generator, where=str(path))


def write_convention(path: str | os.PathLike, convention: Convention) -> None:
    write_text_atomic(path, convention.to_json() + "\n")


def resolve_convention(generator: str | None, source: str | os.PathLike | None) -> Convention:
    """What a command uses: ``--convention`` (for ``--generator`` if given), else the
    generator's defaults."""
    if source is None:
        return Convention(get_generator(generator).name)
    return read_convention(source, generator)
