"""What the app opens: a project file, or a folder / video / image with its default project.

A folder opened without a project gets one in the user data folder (frames are never written
to, so read-only data folders work). ``--demo`` writes the demo sequence and its project there.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.naming import require_utf8_path
from label_irst.io.project import PROJECT_SUFFIX, ProjectStore
from label_irst.io.sequence import Sequence, open_sequence


@dataclass
class Workspace:
    store: ProjectStore
    sequence: Sequence
    sequence_id: int

    def close(self) -> None:
        self.sequence.close()
        self.store.close()


def data_home() -> Path:
    """Where default projects and the demo live (``LABEL_IRST_HOME`` overrides)."""
    env = os.environ.get("LABEL_IRST_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "label-irst"


def default_project(source: Path) -> Path:
    """The project file used for a frame source opened without one."""
    source = source.resolve()
    digest = hashlib.sha1(os.fsencode(source)).hexdigest()[:8]  # any bytes, UTF-8 or not
    return data_home() / "projects" / f"{source.name}-{digest}{PROJECT_SUFFIX}"


def app_made(workspace: Workspace) -> bool:
    """Whether the workspace's project is one the app made in its data folder for frames opened
    without a project (:func:`default_project`; its file name is a hash), rather than a project
    the user made or opened (the demo's included)."""
    project = workspace.store.path.resolve()
    return (data_home() / "projects").resolve() in project.parents


def open_workspace(path: str | os.PathLike, project: str | os.PathLike | None = None) -> Workspace:
    """Open a project file (its first sequence) or a frame source with its project."""
    path = Path(path)
    if path.suffix == PROJECT_SUFFIX:
        if not path.exists():
            # an empty new project holds no sequence to show: refuse it without leaving a file
            raise LabelIrstError(f"{path}: no such project; open a folder, a video or an image")
        store = ProjectStore.open(path)
        records = store.sequences()
        if not records:
            store.close()
            raise LabelIrstError(f"{path}: the project holds no sequence yet; open a folder")
        try:
            sequence = open_sequence(records[0].source)
        except LabelIrstError:
            store.close()
            raise
        return Workspace(store, sequence, records[0].id)
    sequence = open_sequence(path)
    require_utf8_path(sequence.source, "its folder's path")  # before any project file is made
    store = ProjectStore.open(project or default_project(path), create=True)
    try:
        seq_id = store.add_sequence(sequence.source, sequence.kind, len(sequence))
    except Exception:
        store.close()
        raise
    return Workspace(store, sequence, seq_id)


def write_demo(root: Path | None = None, warn=None) -> Path:
    """Write (once) the demo sequence and its project (one confirmed target, RPR-Net candidates
    in the review queue; :mod:`label_irst.infer.demo`) and return the project file."""
    from label_irst.infer.demo import write_demo_project

    return write_demo_project(root or data_home() / "demo", warn=warn)
