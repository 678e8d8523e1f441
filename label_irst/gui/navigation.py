"""Sequence navigation: previous / play-pause / next, a frame slider and the frame label."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget


class NavigationBar(QWidget):
    """Emits ``frameRequested(index)``; playing steps forward on a timer until the last frame."""

    frameRequested = Signal(int)

    def __init__(self, fps: float = 10.0):
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.prev_button = QPushButton("◀")
        self.play_button = QPushButton("▶ play")
        self.next_button = QPushButton("▶")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.label = QLabel("no frames")
        for w in (self.prev_button, self.play_button, self.next_button):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            layout.addWidget(w)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / fps))
        self.timer.timeout.connect(self._tick)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.valueChanged.connect(self.frameRequested)
        self._names: list[str] = []

    def set_sequence(self, names: list[str]) -> None:
        self._names = names
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(names) - 1, 0))
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def show_index(self, index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        if self._names:
            self.label.setText(f"{index + 1} / {len(self._names)}  {self._names[index]}")

    def step(self, delta: int) -> None:
        target = self.slider.value() + delta
        if 0 <= target < len(self._names):
            self.frameRequested.emit(target)

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
