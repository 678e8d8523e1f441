"""Which EDGSP model a project uses (meta key ``edgsp/model``).

"Learn from confirmed targets" (gui/learn.py) writes the models it adopts beside the project,
in ``<project stem>.models/``, and records the metadata file's path, relative to the project's
folder when it lies inside it, so a project folder can be moved as a whole.
"""

from __future__ import annotations

from pathlib import Path

MODEL_KEY = "edgsp/model"


def project_model(store) -> Path | None:
    """The model recorded for the project (it may no longer exist), or None for the shipped one."""
    text = store.meta(MODEL_KEY)
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else Path(store.path).parent / path


def set_project_model(store, path: str | Path | None) -> None:
    """Record ``path`` (None: back to the shipped model) in one transaction."""
    if path is None:
        store.set_meta(MODEL_KEY, None)
        return
    path, folder = Path(path).resolve(), Path(store.path).resolve().parent
    try:
        text = str(path.relative_to(folder))
    except ValueError:
        text = str(path)
    store.set_meta(MODEL_KEY, text)


def models_folder(project: str | Path) -> Path:
    """Where learned models of ``project`` are written."""
    project = Path(project)
    return project.parent / f"{project.stem}.models"
