"""Speed of the app's Sequence > Pre-annotate with RPR-Net worker (RPR-Net + guided PAMG).

Writes a synthetic 640x512 uint16 sequence, then runs the worker's own code synchronously
(model load, frame reading, encoder cache, decoding, guided PAMG with Rs = 5 r_hat) with 1 and
2 onnxruntime threads and prints frames/s. Saving to the project happens on the GUI thread and
is not included.

    OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui_prelabel.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(frames: int = 20) -> None:
    from PySide6.QtWidgets import QApplication

    from label_irst.core.synthetic import synthetic_sequence
    from label_irst.gui.prelabel import PrelabelWorker, default_model
    from label_irst.io.images import write_image
    from label_irst.io.sequence import open_sequence

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841
    images, truths, _ = synthetic_sequence(
        frames=frames, shape=(512, 640), count=3, seed=7, dtype=np.uint16
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "frames"
        for i, image in enumerate(images):
            write_image(folder / f"f_{i:03d}.png", image)
        names = open_sequence(folder).names
        for threads in (1, 2):
            worker = PrelabelWorker(folder, names, default_model(), threads=threads)
            summary = []
            worker.succeeded.connect(summary.append)
            t0 = time.perf_counter()
            worker.run()
            dt = time.perf_counter() - t0
            s = summary[0]
            print(
                f"threads={threads}: {s['frames']} frames, {s['targets']} candidates "
                f"({sum(map(len, truths))} true targets), {s['frames'] / dt:.2f} frames/s "
                f"on {s['provider']}"
            )


if __name__ == "__main__":
    main()
