"""Starting the app where Qt cannot open a window: one line, exit 2, no abort (issue: SIGABRT)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from label_irst.gui.qtcheck import XCB_LIBRARIES, display_problem, missing_xcb_packages


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh server login: no display, no Qt platform override."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL")}
    env.update(HOME=str(tmp_path), LABEL_IRST_HOME=str(tmp_path / "home"))
    env.update(extra)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "label_irst", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_gui_demo_without_display_says_why_and_exits_2(tmp_path):
    result = _run(_clean_env(tmp_path), "gui", "--demo")
    assert result.returncode == 2, result.stderr  # not 134 (SIGABRT)
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) <= 3, lines
    message = result.stderr
    assert "no display" in message
    assert "xvfb-run -a" in message
    assert "QT_QPA_PLATFORM=offscreen" in message and "--screenshot" in message
    assert not (tmp_path / "core").exists()


def test_unreachable_x_display_is_named_before_qt_starts(tmp_path):
    # either the display cannot be reached, or (on a minimal install) the libraries are missing:
    # both are found before Qt aborts
    result = _run(_clean_env(tmp_path, DISPLAY=":987"), "gui")
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot connect to the X display ':987'" in result.stderr or (
        "apt-get install" in result.stderr
    )


def test_screenshot_renders_offscreen_without_a_display(tmp_path):
    out = tmp_path / "shot.png"
    result = _run(_clean_env(tmp_path), "gui", "--demo", "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 10_000


def test_missing_xcb_libraries_are_named_with_the_apt_line():
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    problem = display_problem(
        env={"DISPLAY": ":0"}, platform="linux", loadable=lambda name: name not in absent
    )
    assert problem is not None
    assert "libxcb-icccm4, libxcb-keysyms1" in problem
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in problem
    assert "xvfb-run" not in problem  # a display is there; only the libraries are missing
    assert "\n" not in problem


def test_no_display_and_missing_libraries_are_both_named():
    problem = display_problem(env={}, platform="linux", loadable=lambda name: "cursor" not in name)
    assert "no display" in problem and "libxcb-cursor0" in problem
    assert "xvfb-run -a" in problem and "QT_QPA_PLATFORM=offscreen" in problem


def test_a_usable_display_or_a_headless_platform_passes():
    def everything(_name):
        return True

    def reachable(_display):
        return True

    linux = dict(platform="linux", loadable=everything, reachable=reachable)
    assert display_problem(env={"DISPLAY": ":0"}, **linux) is None
    assert display_problem(env={"WAYLAND_DISPLAY": "wayland-0"}, **linux) is None
    for platform in ("offscreen", "minimal", "vnc:size=800x600", "eglfs"):
        assert display_problem(env={"QT_QPA_PLATFORM": platform}, **linux) is None
    assert display_problem(env={}, platform="win32") is None
    assert display_problem(env={}, platform="darwin") is None
    # an explicit xcb request with only a Wayland socket still needs DISPLAY
    assert display_problem(env={"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, **linux)
    unreachable = dict(linux, reachable=lambda _d: False)
    assert "cannot connect" in display_problem(env={"DISPLAY": ":5"}, **unreachable)


def test_missing_xcb_packages_reports_only_what_the_loader_cannot_find():
    assert missing_xcb_packages(lambda _name: True) == []
    assert missing_xcb_packages(lambda _name: False) == list(XCB_LIBRARIES.values())
