"""Desktop-app speed: click-to-paint, frame step with/without prefetch, 50,000-frame listing,
memory and the reference count of True over 5,200 frame steps.

Run: OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _ms(values):
    return f"median {statistics.median(values) * 1e3:.1f} ms, p95 {np.percentile(values, 95) * 1e3:.1f} ms"


def _rss_mb() -> float:
    """Current resident set size (Linux /proc)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from label_irst.core.synthetic import synthetic_sequence
    from label_irst.io.images import write_image
    from label_irst.io.sequence import open_sequence

    work = Path(tempfile.mkdtemp(prefix="bench_gui_"))
    os.environ["LABEL_IRST_HOME"] = str(work / "home")
    app = QApplication.instance() or QApplication([])
    from label_irst.gui.frames import FrameCache
    from label_irst.gui.main_window import MainWindow

    frames, truths, _ = synthetic_sequence(
        frames=40, shape=(512, 640), count=3, seed=1, dtype=np.uint16
    )
    for i, f in enumerate(frames):
        write_image(work / "seq" / f"f_{i:05d}.png", f)
    window = MainWindow(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 860)
    window.show()
    window.open_path(work / "seq")
    app.processEvents()

    # click-to-paint: the click handler (PAMG on the raw frame + store transaction + overlays)
    # and a synchronous repaint of both views; Shift+click re-seeds the target under the click
    # (a plain click on it would only select it)
    from PySide6.QtCore import Qt

    lat = []
    for k in range(60):
        t = truths[0][k % 3]
        x, y = t.x + (k % 3) - 1, t.y
        t0 = time.perf_counter()
        window.on_click(window.detail_view, x + 0.5, y + 0.5, Qt.KeyboardModifier.ShiftModifier)
        window.detail_view.viewport().repaint()
        window.global_view.viewport().repaint()
        lat.append(time.perf_counter() - t0)
    print(f"click-to-paint 640x512 uint16: {_ms(lat[5:])}")

    # frame step (read + display + views), without and with prefetch
    for prefetch in (False, True):
        window.cache.close()
        window.cache = FrameCache(open_sequence(work / "seq"), prefetch=prefetch)
        window.show_frame(0)
        steps = []
        for i in range(1, 30):
            time.sleep(0.05)  # a user's pace between keys: prefetch has time to work
            t0 = time.perf_counter()
            window.show_frame(i)
            window.detail_view.viewport().repaint()
            window.global_view.viewport().repaint()
            steps.append(time.perf_counter() - t0)
        print(f"frame step, prefetch={'on' if prefetch else 'off'}: {_ms(steps)}")
    window.close()

    # listing a 50,000-frame folder
    big = work / "big"
    big.mkdir()
    tiny = (work / "seq" / "f_00000.png").read_bytes()[:64]
    for i in range(50000):
        (big / f"frame_{i}.png").write_bytes(tiny)
    t0 = time.perf_counter()
    seq = open_sequence(big)
    listing = time.perf_counter() - t0
    print(f"open 50,000-frame folder: {listing * 1e3:.0f} ms ({len(seq)} frames)")

    # memory and the reference count of True while stepping 5,200 frames in one process (the
    # PySide6 6.12 fault lost ~11 references a step and aborted near 5,000); steps go through the
    # navigation signal as a key press does, over 1,000 hard-linked 640x512 frames
    for i in range(40, 1000):
        os.link(work / "seq" / f"f_{i % 40:05d}.png", work / "seq" / f"f_{i:05d}.png")
    window = MainWindow(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat))
    window.show()
    window.open_path(work / "seq")
    steps = 5200
    rows = []
    t0 = time.perf_counter()
    for n in range(steps + 1):
        if n % 1000 == 0:
            window.show_frame(0)
        else:
            window.step(1)
        if n % 1000 == 0 or n == steps:
            app.processEvents()
            rows.append((n, sys.getrefcount(True), _rss_mb()))
            print(f"step {n}: refs to True {rows[-1][1]}, RSS {rows[-1][2]:.0f} MB", flush=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"stepped {steps} frames in {wall:.0f} s: refs to True {rows[0][1]} -> {rows[-1][1]}, "
        f"RSS {rows[0][2]:.0f} -> {rows[-1][2]:.0f} MB, peak {peak:.0f} MB"
    )
    window.close()


if __name__ == "__main__":
    main()
