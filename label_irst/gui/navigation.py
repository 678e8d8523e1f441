"""Sequence navigation: previous / play-pause / next, a frame slider, a go-to-frame box, the
frame label, and a timeline that marks each frame (candidates waiting, reviewed, confirmed, empty:
:mod:`label_irst.gui.frame_marks`); a click on the timeline goes to that frame."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

#: timeline colours per frame mark
COLOURS = {"candidates": QColor(255, 170, 0), "reviewed": QColor(70, 150, 255),
           "confirmed": QColor(60, 200, 90), "empty": QColor(70, 70, 70)}  # fmt: skip


class Timeline(QWidget):
    """One thin bar per frame in its mark's colour, the current frame outlined in white."""

    frameClicked = Signal(int)

    def __init__(self):
        super().__init__()
        self.setFixedHeight(8)
        self.setToolTip("frames: orange, candidates to review; blue, reviewed (V); green, "
                        "confirmed; grey, empty (N / Shift+N: next / previous frame with "
                        "candidates)")  # fmt: skip
        self.marks: list[str] = []
        self.current = 0

    def show_marks(self, marks: list[str], current: int | None = None) -> None:
        if current is not None:
            self.current = current
        self.marks = list(marks)
        self.update()

    def _frame_at(self, x: float) -> int:
        n = max(len(self.marks), 1)
        return int(min(max(x / max(self.width(), 1) * n, 0), n - 1))

    def mousePressEvent(self, event) -> None:
        if self.marks:
            self.frameClicked.emit(self._frame_at(event.position().x()))

    def paintEvent(self, event) -> None:
        if not self.marks:
            return
        painter = QPainter(self)
        n, w, h = len(self.marks), self.width(), self.height()
        step = w / n
        for i, mark in enumerate(self.marks):
            painter.fillRect(QRectF(i * step, 0, max(step, 1.0), h), COLOURS[mark])
        painter.setPen(QColor(255, 255, 255))
        painter.drawRect(QRectF(self.current * step, 0, max(step, 2.0) - 1, h - 1))
        painter.end()


class NavigationBar(QWidget):
    """Emits ``frameRequested(index)``; playing steps forward on a timer until the last frame."""

    frameRequested = Signal(int)

    def __init__(self, fps: float = 10.0):
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 0, 4, 0)
        outer.setSpacing(1)
        layout = QHBoxLayout()
        self.prev_button = QPushButton("◀")
        self.play_button = QPushButton("▶ play")
        self.next_button = QPushButton("▶")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.go_to = QSpinBox()
        self.go_to.setPrefix("frame ")
        self.go_to.setKeyboardTracking(False)  # go on Enter, not on every digit typed
        self.go_to.setToolTip("go to frame (Ctrl+G; Home / End: first / last frame)")
        self.label = QLabel("no frames")
        for w in (self.prev_button, self.play_button, self.next_button):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            layout.addWidget(w)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.go_to)
        layout.addWidget(self.label)
        self.timeline = Timeline()
        outer.addLayout(layout)
        outer.addWidget(self.timeline)
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / fps))
        self.timer.timeout.connect(self._tick)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.valueChanged.connect(self.frameRequested)
        self.go_to.valueChanged.connect(lambda v: self.frameRequested.emit(v - 1))
        self.timeline.frameClicked.connect(self.frameRequested)
        self._names: list[str] = []

    def set_sequence(self, names: list[str]) -> None:
        self._names = names
        for widget, low, high in ((self.slider, 0, max(len(names) - 1, 0)),
                                  (self.go_to, 1, max(len(names), 1))):  # fmt: skip
            widget.blockSignals(True)
            widget.setRange(low, high)
            widget.setValue(low)
            widget.blockSignals(False)
        self.timeline.show_marks(["empty"] * len(names), 0)

    def show_index(self, index: int) -> None:
        for widget, value in ((self.slider, index), (self.go_to, index + 1)):
            widget.blockSignals(True)
            widget.setValue(value)
            widget.blockSignals(False)
        self.timeline.show_marks(self.timeline.marks, index)
        if self._names:
            self.label.setText(f"{index + 1} / {len(self._names)}  {self._names[index]}")

    def step(self, delta: int) -> None:
        target = self.slider.value() + delta
        if 0 <= target < len(self._names):
            self.frameRequested.emit(target)

    def jump(self, index: int) -> None:
        """Go to frame ``index`` (negative: from the end, -1 the last frame)."""
        if self._names:
            self.frameRequested.emit(index % len(self._names))

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play_button.setText("▶ play")
        else:
            self.timer.start()
            self.play_button.setText("❚❚ pause")

    def _tick(self) -> None:
        if self.slider.value() + 1 >= len(self._names):
            self.toggle_play()
        else:
            self.step(1)
