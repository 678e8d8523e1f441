"""Which EDGSP model a project uses (:attr:`ProjectSettings.learned_generator`).

"Learn from confirmed targets" (gui/learn.py) writes the models it adopts beside the project,
in ``<project stem>.models/``, and records the metadata file's path, relative to the project's
folder when it lies inside it, so a project folder can be moved as a whole.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.io.project_settings import ProjectSettings


def project_model(store) -> Path | None:
    """The model recorded for the project (it may no longer exist), or None for the shipped one."""
    return ProjectSettings(store).learned_generator


def set_project_model(store, path: str | Path | None) -> None:
    """Record ``path`` (None: back to the shipped model) in one transaction."""
    ProjectSettings(store).set_learned_generator(path)


def models_folder(project: str | Path) -> Path:
    """Where learned models of ``project`` are written."""
    project = Path(project)
    return project.parent / f"{project.stem}.models"
