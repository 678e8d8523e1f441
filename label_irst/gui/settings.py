"""Persistent preferences (QSettings): window layout, Rs, generator, display, recent projects,
the reviewed-frame and loop settings.

With ``LABEL_IRST_HOME`` set, they live in ``$LABEL_IRST_HOME/settings.ini`` beside the
projects kept there (a second installation, a test, a portable setup never touches the user's
own settings); otherwise in the platform's usual place.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QSettings

from label_irst.core.enhance import DisplaySettings
from label_irst.core.generators import DEFAULT_GENERATOR, available
from label_irst.errors import LabelIrstError

MAX_RECENT = 8


class AppSettings:
    def __init__(self, settings: QSettings | None = None):
        self.q = settings or default_settings()

    def display(self) -> DisplaySettings:
        try:
            return DisplaySettings(**json.loads(self.q.value("display", "{}"))).check()
        except (TypeError, ValueError, LabelIrstError):
            return DisplaySettings()

    def linked(self) -> bool:
        return str(self.q.value("linked", "true")).lower() == "true"

    def set_display(self, settings: DisplaySettings, linked: bool) -> None:
        self.q.setValue("display", json.dumps(asdict(settings)))
        self.q.setValue("linked", "true" if linked else "false")

    def generator(self) -> str:
        name = str(self.q.value("generator", DEFAULT_GENERATOR))
        return name if name in {s.name for s in available()} else DEFAULT_GENERATOR

    def set_generator(self, name: str) -> None:
        self.q.setValue("generator", name)

    def support_radius(self) -> float:
        try:
            return float(self.q.value("support_radius", 20.0))
        except (TypeError, ValueError):
            return 20.0

    def set_support_radius(self, rs: float) -> None:
        self.q.setValue("support_radius", float(rs))

    def mode(self) -> tuple[bool, float]:
        """(guided, k): guided mode of Sec. III-C2 and its scale (k = 5 by default)."""
        from label_irst.core.pamg import GUIDED_SCALE

        guided = str(self.q.value("guided", "false")).lower() == "true"
        try:
            scale = float(self.q.value("guided_scale", GUIDED_SCALE))
        except (TypeError, ValueError):
            scale = GUIDED_SCALE
        return guided, scale if 1.0 <= scale <= 20.0 else GUIDED_SCALE

    def set_mode(self, guided: bool, scale: float) -> None:
        self.q.setValue("guided", "true" if guided else "false")
        self.q.setValue("guided_scale", float(scale))

    def overlay(self) -> tuple[bool, float]:
        """(outline only, opacity) of the mask overlay."""
        outline = str(self.q.value("overlay_outline", "true")).lower() == "true"
        try:
            opacity = float(self.q.value("overlay_opacity", 0.5))
        except (TypeError, ValueError):
            opacity = 0.5
        return outline, opacity if 0.05 <= opacity <= 1.0 else 0.5

    def set_overlay(self, outline: bool, opacity: float) -> None:
        self.q.setValue("overlay_outline", "true" if outline else "false")
        self.q.setValue("overlay_opacity", float(opacity))

    def snap(self) -> float:
        """The click snap radius in pixels (0: off)."""
        from label_irst.core.snap import SNAP_RADIUS

        try:
            radius = float(self.q.value("snap_radius", SNAP_RADIUS))
        except (TypeError, ValueError):
            radius = SNAP_RADIUS
        return radius if 0 <= radius <= 6 else SNAP_RADIUS

    def set_snap(self, radius: float) -> None:
        self.q.setValue("snap_radius", float(radius))

    def auto_reviewed(self) -> bool:
        """Mark a frame reviewed when its last candidate is resolved and the user steps on."""
        return str(self.q.value("auto_reviewed", "false")).lower() == "true"

    def set_auto_reviewed(self, on: bool) -> None:
        self.q.setValue("auto_reviewed", "true" if on else "false")

    def loop_every(self) -> int:
        """The loop adapts the detector after every this many newly reviewed frames (0: never
        on its own)."""
        from label_irst.gui.loop import DEFAULT_EVERY

        try:
            every = int(self.q.value("loop_every", DEFAULT_EVERY))
        except (TypeError, ValueError):
            return DEFAULT_EVERY
        return every if 0 <= every <= 100_000 else DEFAULT_EVERY

    def set_loop_every(self, every: int) -> None:
        self.q.setValue("loop_every", int(every))

    def learn_every(self) -> int:
        """The generator learns on its own after every this many confirmations (0: never)."""
        from label_irst.gui.learn import DEFAULT_EVERY

        try:
            every = int(self.q.value("learn_every", DEFAULT_EVERY))
        except (TypeError, ValueError):
            return DEFAULT_EVERY
        return every if 0 <= every <= 100_000 else DEFAULT_EVERY

    def set_learn_every(self, every: int) -> None:
        self.q.setValue("learn_every", int(every))

    def recent(self) -> list[str]:
        value = self.q.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def add_recent(self, path: str) -> None:
        items = [path] + [p for p in self.recent() if p != path]
        self.q.setValue("recent", items[:MAX_RECENT])

    def restore_window(self, window) -> None:
        geometry, state = self.q.value("geometry"), self.q.value("state")
        if geometry is not None:
            window.restoreGeometry(geometry)
        if state is not None:
            window.restoreState(state)

    def save_window(self, window) -> None:
        self.q.setValue("geometry", window.saveGeometry())
        self.q.setValue("state", window.saveState())
        self.q.sync()


def default_settings() -> QSettings:
    home = os.environ.get("LABEL_IRST_HOME")
    if home:
        return QSettings(str(Path(home) / "settings.ini"), QSettings.Format.IniFormat)
    return QSettings("label-irst", "Label-IRST")


def recent_label(path: str) -> str:
    """A recent project as "name — folder of its frames" (the project's folder when its frames
    cannot be read), so that two projects of the same name can be told apart."""
    from label_irst.io.project import ProjectStore

    project = Path(path)
    folder = project.parent
    try:
        with ProjectStore.open(project, readonly=True) as store:
            records = store.sequences()
        if records:
            folder = Path(records[0].source)
            folder = folder if records[0].kind == "folder" else folder.parent
    except (LabelIrstError, OSError, sqlite3.Error):
        pass
    return f"{project.stem} — {folder}"
