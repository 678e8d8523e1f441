"""Dockable panels: annotation parameters, enhancement settings, review queue."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from label_irst.core.enhance import COLORMAPS, WINDOW_MODES, DisplaySettings
from label_irst.core.generators import available
from label_irst.core.snap import SNAP_RADIUS
from label_irst.gui.review import QueueRow, group_by_track

TOOLS = ("seed", "brush", "erase", "box", "polygon")
TOOL_KEYS = "SBEDL"


def add_dock(window, widget: QWidget, title: str, area) -> QDockWidget:
    """Dock ``widget`` in the main window under ``title`` (its object name: the window's saved
    layout restores it)."""
    dock = QDockWidget(title, window)
    dock.setObjectName(title)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def _columns(widget: QWidget, *columns: list[tuple]) -> None:
    """Lay out form rows in side-by-side columns (keeps the docked panel short)."""
    row = QHBoxLayout(widget)
    row.setContentsMargins(6, 4, 6, 4)
    for rows in columns:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for item in rows:
            form.addRow(*item)
        row.addLayout(form)
        row.addSpacing(24)
    row.addStretch(1)


def _spin(lo: float, hi: float, value: float, step: float, decimals: int = 1) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setKeyboardTracking(False)
    return box


class ParametersPanel(QWidget):
    """Rs, generator, tool (seed / brush / erase) and brush radius."""

    supportRadiusChanged = Signal(float)
    generatorChanged = Signal(str)
    modeChanged = Signal(bool, float)  # guided, k
    toolChanged = Signal(str)
    brushRadiusChanged = Signal(float)

    def __init__(
        self, generator: str, support_radius: float, guided: bool = False, scale: float = 5.0
    ):
        super().__init__()
        self.rs = _spin(2.0, 200.0, support_radius, 1.0)
        self.rs.setToolTip(
            "Rs: how far (in pixels) PAMG looks around the seed for the target and its "
            "background (Eq. 6); a new value re-runs the selected PAMG candidate"
        )
        self.generator = QComboBox()
        for spec in available():
            if spec.known_frames_only:
                continue  # a click on any other frame than its own would fail
            self.generator.addItem(spec.name, spec.name)
            self.generator.setItemData(self.generator.count() - 1, spec.summary, 3)
        self.generator.setCurrentIndex(max(self.generator.findData(generator), 0))
        self.mode = QComboBox()
        self.mode.addItem("blind (Rs above)", False)
        self.mode.addItem("guided (Rs = k·r)", True)
        self.mode.setToolTip(
            "guided (Sec. III-C2): a seed on a target with a radius r (a model's prediction, a "
            "target carried from the previous frame) uses Rs = k * r; new seeds keep Rs"
        )
        self.scale = _spin(1.0, 20.0, scale, 0.5)
        self.scale.setToolTip(
            "k: in guided mode a seed on a target of radius r uses Rs = k · r (Sec. III-C2), "
            "so the support grows with the target"
        )
        mode = QHBoxLayout()
        mode.addWidget(self.mode)
        k_label = QLabel("k")
        k_label.setToolTip(self.scale.toolTip())  # the box is disabled in blind mode
        mode.addWidget(k_label)
        mode.addWidget(self.scale)
        tools = QHBoxLayout()
        self.tool_group = QButtonGroup(self)
        for i, name in enumerate(TOOLS):
            button = QRadioButton(f"{name} ({TOOL_KEYS[i]})")
            button.setChecked(i == 0)
            self.tool_group.addButton(button, i)
            tools.addWidget(button)
        self.brush = _spin(1.0, 41.0, 1.0, 1.0, 0)
        self.brush.setToolTip("brush and eraser size in pixels across (1 = one pixel); [ and ]")
        self.snap = _spin(0.0, 6.0, SNAP_RADIUS, 1.0, 0)
        self.snap.setToolTip(
            "a click seeds at the strongest local peak within this many pixels (0: exactly "
            "where clicked); the circle under the cursor shows it"
        )
        _columns(
            self,
            [("Rs (px)", self.rs), ("generator", self.generator), ("mode", mode)],
            [("tool", tools), ("brush size px ([ ])", self.brush), ("click snap (px)", self.snap)],
        )
        self.rs.valueChanged.connect(self.supportRadiusChanged)
        self.generator.currentIndexChanged.connect(
            lambda _: self.generatorChanged.emit(self.generator.currentData())
        )
        self.tool_group.idClicked.connect(lambda i: self.toolChanged.emit(TOOLS[i]))
        self.brush.valueChanged.connect(self.brushRadiusChanged)
        self.mode.setCurrentIndex(1 if guided else 0)
        self.scale.setEnabled(guided)
        self.mode.currentIndexChanged.connect(self._mode)
        self.scale.valueChanged.connect(self._mode)

    def brush_radius(self) -> float:
        """The brush disc's radius: half its size (size 1: the pixel under the cursor)."""
        return self.brush.value() / 2.0

    def guided(self) -> tuple[bool, float]:
        return bool(self.mode.currentData()), self.scale.value()

    def _mode(self, *_) -> None:
        guided, scale = self.guided()
        self.scale.setEnabled(guided)
        self.modeChanged.emit(guided, scale)

    def set_tool(self, name: str) -> None:
        self.tool_group.button(TOOLS.index(name)).setChecked(True)
        self.toolChanged.emit(name)

    def show_tool(self, name: str) -> None:
        """Check the tool's button (the session's tool changed elsewhere); emits nothing."""
        self.tool_group.button(TOOLS.index(name)).setChecked(True)


class EnhancePanel(QWidget):
    """Display-only contrast: window, gamma, CLAHE (detail), colour map, invert, linked views."""

    changed = Signal(object, bool)  # DisplaySettings, linked
    overlayChanged = Signal(bool, float)  # outline only, opacity

    def __init__(self, settings: DisplaySettings, linked: bool = True):
        super().__init__()
        self.outline = QCheckBox("masks as outlines (O)")
        self.outline.setChecked(True)
        self.outline.setToolTip("outline only: lines between pixels, no target pixel covered")
        self.opacity = _spin(0.05, 1.0, 0.5, 0.05, 2)
        self.opacity.setToolTip("opacity of the mask overlay (H hides it)")
        self.mode = QComboBox()
        self.mode.addItems(WINDOW_MODES)
        self.mode.setCurrentText(settings.mode)
        self.low = _spin(0.0, 99.0, settings.low, 0.5, 2)
        self.high = _spin(1.0, 100.0, settings.high, 0.1, 2)
        self.gamma = _spin(0.1, 5.0, settings.gamma, 0.1, 2)
        self.clahe = QCheckBox("CLAHE on the detail region")
        self.clahe.setChecked(settings.clahe)
        self.colormap = QComboBox()
        self.colormap.addItems(COLORMAPS)
        self.colormap.setCurrentText(settings.colormap)
        self.invert = QCheckBox("invert")
        self.invert.setChecked(settings.invert)
        self.linked = QCheckBox("detail shares the global window")
        self.linked.setChecked(linked)
        window = QHBoxLayout()
        window.addWidget(self.mode)
        window.addWidget(self.low)
        window.addWidget(self.high)
        _columns(
            self,
            [("window (%)", window), ("gamma", self.gamma), ("colour map", self.colormap)],
            [(self.clahe,), (self.invert,), (self.linked,)],
            [(self.outline,), ("mask opacity", self.opacity)],
        )
        self.outline.toggled.connect(self._overlay)
        self.opacity.valueChanged.connect(self._overlay)
        for box in (self.low, self.high, self.gamma):
            box.valueChanged.connect(self._emit)
        for combo in (self.mode, self.colormap):
            combo.currentIndexChanged.connect(self._emit)
        for check in (self.clahe, self.invert, self.linked):
            check.toggled.connect(self._emit)

    def settings(self) -> DisplaySettings:
        low, high = self.low.value(), self.high.value()
        return DisplaySettings(
            mode=self.mode.currentText(), low=min(low, high - 0.01), high=high,
            gamma=self.gamma.value(), clahe=self.clahe.isChecked(),
            colormap=self.colormap.currentText(), invert=self.invert.isChecked(),
        )  # fmt: skip

    def _emit(self, *_) -> None:
        self.changed.emit(self.settings(), self.linked.isChecked())

    def _overlay(self, *_) -> None:
        self.overlayChanged.emit(self.outline.isChecked(), self.opacity.value())

    def show_overlay(self, outline: bool, opacity: float) -> None:
        for widget, value in ((self.outline, outline), (self.opacity, opacity)):
            widget.blockSignals(True)
            (widget.setChecked if widget is self.outline else widget.setValue)(value)
            widget.blockSignals(False)


def _mean(score: float | None) -> str:
    """A track's mean detection score ("mean s=0.81  "), or nothing when it has none."""
    return "" if score is None else f"mean s={score:.2f}  "


def _score(row: QueueRow) -> str:
    """The detection score of a queue row ("s=0.42  "; a gap fill's, the track's discounted:
    "gap s=0.21  "), or nothing when it has none."""
    if row.score is None:
        return ""
    return f"{'gap ' if row.gap else ''}s={row.score:.2f}  "


class ReviewPanel(QWidget):
    """Candidates, least reliable first (lowest detection score, then lowest rho); accept (A) /
    reject (R); counters; box-suspect filter."""

    accept = Signal()
    reject = Signal()
    targetChosen = Signal(int, int)  # frame, target id

    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        self.counters = QLabel("reviewed 0 · remaining 0")
        self.suspects = QCheckBox("only masks far from their box")
        self.order = QComboBox()
        self.order.addItem("least reliable first", "rho")
        self.order.addItem("by frame", "frame")
        self.order.setToolTip(
            "Least reliable first: model candidates by lowest detection score s, then the "
            "others by lowest ρ (Eq. 20: how clearly the mask's edge stands out from its "
            "surroundings; a low ρ is a doubtful mask). By frame: one frame after the other"
        )
        self.by_track = QCheckBox("one row per track")
        self.list = QListWidget()
        self.list.setToolTip(self.order.toolTip())
        buttons = QHBoxLayout()
        self.accept_button = QPushButton("Accept (A)")
        self.reject_button = QPushButton("Reject (R)")
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        for w in (self.counters, self.suspects, self.order, self.by_track, self.list):
            layout.addWidget(w)
        layout.addLayout(buttons)
        self.accept_button.clicked.connect(self.accept)
        self.reject_button.clicked.connect(self.reject)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        self._shown: list[tuple[str, tuple[int, int]]] = []

    def show_queue(
        self, queue: list[QueueRow], reviewed: int, remaining: int, track_means=None,
        frames: tuple[int, int] | None = None,
    ) -> None:  # fmt: skip
        """Show the queue (its first 500 rows), one row per track when ``track_means`` (track
        id -> mean detection score, the Tracks dock's figure) is given; the list is rebuilt only
        when its rows changed, so a frame step that changes nothing keeps the list, its scroll
        and its current row. ``frames``: (reviewed frames, frames) of the sequence, shown once
        a frame is reviewed."""
        text = f"reviewed {reviewed} · remaining {remaining}"
        if frames is not None and frames[0]:
            text += f" · frames reviewed {frames[0]}/{frames[1]}"
        self.counters.setText(text)
        rows = []
        if track_means is not None:  # the track's first candidate in the queue stands for it
            for t, n, first, last in group_by_track(queue)[:500]:
                text = (
                    f"track {t.track_id}  {n} candidate(s)  frames {first + 1}–{last + 1}  "
                    f"{_mean(track_means.get(t.track_id))}ρ={t.rho:.2f}"
                    if t.track_id is not None
                    else f"frame {t.frame + 1}  #{t.id}  {_score(t)}ρ={t.rho:.2f}  area={t.area}"
                )
                rows.append((text, (t.frame, t.id)))
        else:
            rows = [(f"frame {t.frame + 1}  #{t.id}  {_score(t)}ρ={t.rho:.2f}  area={t.area}",
                     (t.frame, t.id)) for t in queue[:500]]  # fmt: skip
        if rows == self._shown:
            return
        self._shown = rows
        self.list.clear()
        for text, data in rows:
            item = QListWidgetItem(text)
            item.setData(256, data)
            self.list.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        frame, tid = item.data(256)
        self.targetChosen.emit(frame, tid)
