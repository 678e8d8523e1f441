"""The project store's mask-free readers (review queue rows, track list stats) on a large sequence.

500 frames x 20 model-candidate tracks = 10,000 targets (5x6 masks, a detection score each).
Times ``ProjectStore.target_rows`` and ``ProjectStore.track_stats``: right after a write (one
status change, as a review key makes; the answer must be read again) and with the project
unchanged (a plain frame step). Medians of 15 calls each.

Run: .venv/bin/python benchmarks/bench_store_rows.py
"""

from __future__ import annotations

import inspect
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from label_irst.core.geometry import CroppedMask
    from label_irst.io.project import ProjectStore, Target

    scored = "score" in inspect.signature(Target).parameters  # older stores have no score
    work = Path(tempfile.mkdtemp(prefix="bench_store_rows_"))
    rng = np.random.default_rng(0)
    with ProjectStore.open(work / "p.lirst", create=True) as store:
        sid = store.add_sequence(work, "folder", 500)
        for f in range(500):
            targets = []
            for k in range(20):
                crop = rng.random((5, 6)) < 0.6
                extra = {"score": float(rng.random())} if scored else {}
                t = Target(sequence_id=sid, frame=f, mask=CroppedMask(crop, (k * 10, f % 100)),
                           seed=(f % 100, k * 10), source="model", status="candidate",
                           track_id=k + 1, rho=1.0, **extra)  # fmt: skip
                targets.append(t)
            store.replace_candidates(sid, f, "model", targets, f"f{f}", (400, 400))
        one = store.targets(sid, frame=3)[0].id

        def median_ms(read, write: bool) -> float:
            times = []
            for _ in range(15):
                if write:
                    store.set_status([one], "candidate")
                t0 = time.perf_counter()
                read(sid)
                times.append(time.perf_counter() - t0)
            return 1000 * statistics.median(times)

        rows = len(store.target_rows(sid))
        for name in ("target_rows", "track_stats"):
            read = getattr(store, name)
            after, same = median_ms(read, True), median_ms(read, False)
            print(f"{name}: {rows} targets, after a write {after:.1f} ms, unchanged {same:.2f} ms")


if __name__ == "__main__":
    main()
