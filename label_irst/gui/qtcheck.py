"""Start-up checks: can Qt open a window here, and is the Qt binding sound?

**Display.** On Linux without a display (no ``DISPLAY``, no ``WAYLAND_DISPLAY``), or with the
xcb platform plugin's shared libraries missing, creating the ``QApplication`` aborts the process
(SIGABRT, a core dump) after a message that can name the wrong library. :func:`display_problem`
finds this before Qt is started, so the app can print one line with the ways out and exit 2.

**Binding.** Does emitting a signal keep the reference count of ``True``? PySide6 6.12.0 on Python 3.11 releases one reference to ``True`` per ``Signal.emit`` that it
never took. Every frame step emits a dozen signals (slider, view box, region rectangle), so
after a few thousand steps the count reaches zero and the interpreter aborts with
"Fatal Python error: bool_dealloc". pyproject.toml keeps PySide6 below 6.12; this check names
the fault when an installation got the faulty binding anyway. Python >= 3.12 makes ``True``
immortal (its count never changes), so the check passes there whatever the binding does.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, Signal

# The shared libraries Qt 6's xcb platform plugin (libqxcb.so -> libQt6XcbQpa.so.6) loads,
# with the Debian/Ubuntu package that ships each one.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
# Platforms that need a display server; any other (offscreen, minimal, vnc, eglfs, linuxfb, ...)
# renders without one, so Qt is left to start them.
_DISPLAY_PLATFORMS = {"xcb", "wayland", "wayland-egl"}


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_xcb_packages(loadable: Callable[[str], bool] = _loadable) -> list[str]:
    """The packages of the xcb plugin's libraries that the dynamic loader cannot find."""
    return [package for soname, package in XCB_LIBRARIES.items() if not loadable(soname)]


def _x_server_reachable(display: str) -> bool:
    """Whether libxcb connects to ``display`` (True when libxcb itself cannot be loaded)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # reported as a missing library instead
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    error = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    return error == 0


def display_problem(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    loadable: Callable[[str], bool] = _loadable,
    reachable: Callable[[str], bool] = _x_server_reachable,
) -> str | None:
    """One line saying why Qt cannot open a window here and the ways out, or None if it can.

    Only Linux (and the BSDs) is checked; ``QT_QPA_PLATFORM`` naming a platform that needs no
    display server (``offscreen``, ``minimal``, ``vnc``, ...) passes.
    """
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    requested = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    requested = [p for p in requested if p]
    if any(p not in _DISPLAY_PLATFORMS for p in requested):
        return None
    wants_x = not requested or "xcb" in requested
    wants_wayland = not requested or any(p.startswith("wayland") for p in requested)
    if wants_wayland and env.get("WAYLAND_DISPLAY"):
        return None
    display = env.get("DISPLAY") if wants_x else None
    problems = []
    packages = missing_xcb_packages(loadable) if wants_x else []
    if not display:
        problems.append("no display (DISPLAY and WAYLAND_DISPLAY are unset)")
    elif wants_x and not packages and not reachable(display):
        problems.append(f"cannot connect to the X display {display!r}")
    if packages:
        problems.append("Qt's xcb plugin lacks the libraries of " + ", ".join(packages))
    if not problems:
        return None
    ways = []
    if packages:
        ways.append("install the libraries (sudo apt-get install " + " ".join(packages) + ")")
    if not display:
        ways.append("run it under a virtual display (xvfb-run -a label-irst gui ...)")
    ways.append(
        "render one screenshot without a screen "
        "(QT_QPA_PLATFORM=offscreen label-irst gui --demo --screenshot out.png)"
    )
    return "cannot open a window: " + " and ".join(problems) + "; " + ", or ".join(ways)


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
