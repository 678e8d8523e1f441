"""A start-up check of the Qt binding: does emitting a signal keep the reference count of ``True``?

PySide6 6.12.0 on Python 3.11 releases one reference to ``True`` per ``Signal.emit`` that it
never took. Every frame step emits a dozen signals (slider, view box, region rectangle), so
after a few thousand steps the count reaches zero and the interpreter aborts with
"Fatal Python error: bool_dealloc". pyproject.toml keeps PySide6 below 6.12; this check names
the fault when an installation got the faulty binding anyway. Python >= 3.12 makes ``True``
immortal (its count never changes), so the check passes there whatever the binding does.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal(object)


def emit_refcount_drift(emits: int = 64) -> int:
    """References to ``True`` lost (negative) or gained over ``emits`` connected emits."""
    probe = _Probe()
    probe.fired.connect(lambda _value: None)
    probe.fired.emit(0)  # first emit builds the connection's caches
    before = sys.getrefcount(True)
    for i in range(emits):
        probe.fired.emit(i)
    drift = sys.getrefcount(True) - before
    probe.deleteLater()
    return drift


def binding_fault() -> str | None:
    """A one-line description of the fault when this binding has it, else None."""
    import PySide6

    if emit_refcount_drift() < -32:
        return (
            f"PySide6 {PySide6.__version__} over-releases True on every signal emit under "
            f"Python {sys.version_info.major}.{sys.version_info.minor}: the app will abort after "
            "a few thousand frame steps; install PySide6-Essentials<6.12"
        )
    return None
