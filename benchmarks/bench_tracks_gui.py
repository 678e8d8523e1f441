"""Frame step of the app with 20 tracks in the sequence (Tracks dock and review queue refreshed).

A 640x512 uint16 sequence of 100 frames, 20 model-candidate tracks of 100 frames each (2,000
targets); each step shows the next frame and then processes the window's events until a round
paints nothing more, as the event loop does after a key press: the deferred refreshes (review
queue, track list, trails) and every paint of both views are in the step. The paints per view
and step are counted (one is what the user sees; more is wasted work). The older measure, with
both views forced to repaint at once before the events are processed, is printed beside it.

Run: OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_tracks_gui.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


class PaintCounter:
    """Counts the paint events of some widgets (an event filter that lets every event through)."""

    def __init__(self, widgets):
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        for w in widgets:
            w.installEventFilter(self._filter)

    def total(self) -> int:
        return self.count


def main() -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from label_irst.core.geometry import CroppedMask
    from label_irst.core.synthetic import synthetic_sequence
    from label_irst.io.images import write_image
    from label_irst.io.project import ProjectStore, Target

    work = Path(tempfile.mkdtemp(prefix="bench_tracks_gui_"))
    os.environ["LABEL_IRST_HOME"] = str(work / "home")
    app = QApplication.instance() or QApplication([])
    from label_irst.gui.main_window import MainWindow

    frames, _, _ = synthetic_sequence(frames=10, shape=(512, 640), count=3, seed=1,
                                      dtype=np.uint16)  # fmt: skip
    count, tracks = 100, 20
    for i in range(count):
        write_image(work / "seq" / f"f_{i:05d}.png", frames[i % 10])
    path = work / "p.lirst"
    crop = np.ones((3, 3), bool)
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(work / "seq", "folder", count)
        for i in range(count):
            targets = [
                Target(sequence_id=sid, frame=i, mask=CroppedMask(crop, (20 + 22 * k, 30 + 2 * i)),
                       seed=(31 + 2 * i, 21 + 22 * k), source="model", rho=1.0, track_id=k + 1,
                       status="candidate")
                for k in range(tracks)
            ]  # fmt: skip
            store.replace_candidates(sid, i, "model", targets, f"f_{i:05d}.png", (512, 640))
    window = MainWindow(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat))
    window.resize(1400, 860)
    window.show()
    window.open_path(path)
    app.processEvents()
    paints = PaintCounter([window.global_view.viewport(), window.detail_view.viewport()])

    def settle() -> None:
        """Process events until a round paints nothing more (at most 6 rounds)."""
        for _ in range(6):
            before = paints.total()
            app.processEvents()
            if paints.total() == before:
                return

    steps, forced = [], []
    for i in range(1, 60):
        t0 = time.perf_counter()
        window.show_frame(i)
        settle()
        steps.append(time.perf_counter() - t0)
    per_view = paints.total() / (2 * len(steps))
    for i in range(60, 99):  # the older measure: both views repainted at once, then the events
        t0 = time.perf_counter()
        window.show_frame(i)
        window.detail_view.viewport().repaint()
        window.global_view.viewport().repaint()
        app.processEvents()
        forced.append(time.perf_counter() - t0)
    rows = window.tracks.panel.table.rowCount()
    med, p95 = statistics.median(steps) * 1e3, float(np.percentile(steps, 95)) * 1e3
    print(f"frame step with {rows} tracks ({tracks * count} targets): median {med:.1f} ms, "
          f"p95 {p95:.1f} ms, {per_view:.2f} paints per view")  # fmt: skip
    med, p95 = statistics.median(forced) * 1e3, float(np.percentile(forced, 95)) * 1e3
    print(f"frame step with both views forced to repaint first: median {med:.1f} ms, "
          f"p95 {p95:.1f} ms")  # fmt: skip
    t0 = time.perf_counter()
    for _ in range(20):
        window.tracks.refresh()
    print(f"track list and trails refresh alone: {(time.perf_counter() - t0) / 20 * 1e3:.1f} ms")
    t0 = time.perf_counter()
    for _ in range(20):
        window._review_key = None  # rebuilt as after an edit (a plain step keeps it)
        window.refresh_review()
    print(f"review queue refresh alone: {(time.perf_counter() - t0) / 20 * 1e3:.1f} ms")
    window.close()


if __name__ == "__main__":
    main()
