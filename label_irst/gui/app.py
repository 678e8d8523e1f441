"""Starting the app: the QApplication, the main window, ``--demo`` and ``--screenshot``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from label_irst.errors import LabelIrstError


def _warm_up() -> None:
    """Compile the numba kernels once before the first click (a background thread)."""
    import numpy as np

    from label_irst.core.generators import available

    image = np.zeros((32, 32), np.uint8)
    image[15:18, 15:18] = 200
    for spec in available():
        try:
            spec.fn(image, (16, 16), 8.0)
        except LabelIrstError:
            pass


def _check_display(screenshot: bool) -> None:
    """Raise a one-line LabelIrstError instead of letting Qt abort where it cannot show a window.

    ``--screenshot`` needs no screen: without a usable display it renders offscreen.
    """
    from label_irst.gui.qtcheck import display_problem

    problem = display_problem()
    if problem and screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif problem:
        raise LabelIrstError(problem)


def run(path: str | None = None, demo: bool = False, screenshot: str | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from label_irst.gui.main_window import MainWindow
    from label_irst.gui.qtcheck import binding_fault

    if QApplication.instance() is None:
        _check_display(bool(screenshot))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    fault = binding_fault()
    if fault:
        print(f"label-irst: warning: {fault}", file=sys.stderr)
    app.setApplicationName("Label-IRST")
    app.setOrganizationName("label-irst")
    window = MainWindow()
    window.resize(1400, 860)
    if demo:
        window.open_demo()
    elif path:
        window.open_path(path)  # a LabelIrstError here becomes the CLI's one-line error
    window.show()
    # a status message posted while the window was hidden (opening a project) would be drawn
    # over the status bar's own labels once they appear: post it again on the shown window
    if message := window.statusBar().currentMessage():
        window.statusBar().clearMessage()
        window.statusBar().showMessage(message, 5000)
    if screenshot:
        out = Path(screenshot)

        def grab():
            app.processEvents()
            if not window.grab().save(str(out)):
                print(f"label-irst: error: cannot write {out}", file=sys.stderr)
                app.exit(2)
                return
            print(f"wrote {out}")
            app.exit(0)

        QTimer.singleShot(300, grab)
        code = app.exec()
        window.close()
        return code
    import threading

    threading.Thread(target=_warm_up, daemon=True).start()
    code = app.exec()
    return code
