"""Annotation keys that keep working after a panel was touched.

Qt gives a focused widget the first say over a key (a ``ShortcutOverride`` event): a spin box
claims → and Space, a drop-down claims letters, a check box claims Space. After one click on
the Rs box the annotator's keys would then go to the box. :class:`KeyGuard` (an application
event filter) lets the window's shortcuts win over the panels, keeping for each kind of widget
only the keys it really needs: digits, Backspace, Delete, ↑ ↓ and Enter for a number box, ↑ ↓
for a list or drop-down. A number typed into a box is committed before the shortcut runs, and
the views take the focus back. Dialogs and text fields keep every key. The guard runs the
action itself and swallows the key press that follows, so the widget never sees the key.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QWidget,
)

K = Qt.Key
#: keys a number box keeps (editing its text, stepping its value, committing it)
NUMBER_KEYS = {K.Key_Up, K.Key_Down, K.Key_Backspace, K.Key_Delete, K.Key_Return, K.Key_Enter,
               K.Key_Home, K.Key_End}  # fmt: skip
#: keys a list or a drop-down keeps (moving its current item)
LIST_KEYS = {K.Key_Up, K.Key_Down, K.Key_Home, K.Key_End}


class KeyGuard(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._swallow: int | None = None
        QApplication.instance().installEventFilter(self)

    def shortcut_actions(self) -> dict[int, object]:
        out = {}
        for action in QWidget.actions(self.window):
            if not action.isEnabled():
                continue
            for sequence in action.shortcuts():
                if sequence.count():
                    out.setdefault(sequence[0].toCombined(), action)
        return out

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.KeyPress and self._swallow is not None:
            if event.keyCombination().toCombined() == self._swallow:
                self._swallow = None
                return True  # the key press of a shortcut already run
        if kind != QEvent.Type.ShortcutOverride or not isinstance(obj, QWidget):
            return False
        if _owner(obj) is not self.window:
            return False
        action = self.shortcut_actions().get(event.keyCombination().toCombined())
        if action is None:
            return False
        if not self.steals(obj, event):
            if _spin_box(obj) is not None:
                event.accept()  # the box gets the key (Enter commits the number typed)
                return True
            return False
        spin = _spin_box(obj)
        if spin is not None:
            spin.interpretText()  # commit a typed value before the shortcut acts
        if spin is not None or isinstance(obj, QComboBox):
            self.window.focus_views()
        event.accept()  # the widget does not get the key...
        self._swallow = event.keyCombination().toCombined()
        action.trigger()  # ...the window's action does
        return True

    def steals(self, widget: QWidget, event) -> bool:
        key, modifiers = event.key(), event.modifiers()
        plain = not (modifiers & ~Qt.KeyboardModifier.KeypadModifier)
        if _spin_box(widget) is not None:
            text = event.text()
            typing = plain and bool(text) and (text.isdigit() or text in ".,-+")
            return not typing and not (plain and key in NUMBER_KEYS)
        if isinstance(widget, QLineEdit):
            return False  # a free text field keeps every key
        if isinstance(widget, (QComboBox, QAbstractItemView)):
            return not (plain and key in LIST_KEYS)
        return True


def _owner(widget: QWidget) -> QWidget:
    """The window a widget belongs to; a floating dock belongs to the window it came from."""
    top = widget.window()
    if isinstance(top, QDockWidget) and top.parentWidget() is not None:
        return top.parentWidget().window()
    return top


def _spin_box(widget: QWidget) -> QAbstractSpinBox | None:
    if isinstance(widget, QAbstractSpinBox):
        return widget
    parent = widget.parentWidget()
    return parent if isinstance(parent, QAbstractSpinBox) else None


def key_text(name: str, keys) -> str:
    """Keys as the user reads them (platform names)."""
    del name
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
