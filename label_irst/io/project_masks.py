"""Masks out of the project store: a frame's union mask, and 0/255 mask files per frame of the
targets of one status (the app's and the CLI's mask export). Re-exported by
:mod:`label_irst.io.project`."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from label_irst.errors import LabelIrstError


def frame_mask(targets: list, shape: tuple[int, int]) -> np.ndarray:
    """The union of the targets' masks as one full-frame bool array."""
    full = np.zeros(shape, bool)
    for t in targets:
        t.mask.paint(full)
    return full


def export_masks(
    store,
    sequence_id: int,
    names: list[str],
    shapes,
    out_dir: str | os.PathLike,
    job=None,
    status: str = "confirmed",
    all_frames: bool = True,
) -> int:
    """Write one 0/255 PNG mask per frame (``<stem>.png``) of the targets with ``status``.

    ``shapes(index) -> (h, w)`` gives a frame's size (the app passes the sequence's frame
    shapes). Frames without targets get an empty mask when ``all_frames``. Each file is written
    atomically; the job's cancel flag stops between frames. Returns the number of files written.
    """
    from label_irst.io.images import write_mask

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_frame: dict[int, list] = {}
    for t in store.targets(sequence_id, status=status):
        by_frame.setdefault(t.frame, []).append(t)
    indices = list(range(len(names))) if all_frames else sorted(by_frame)
    written = 0
    for k, idx in enumerate(indices):
        if job is not None and job.cancelled:
            break
        try:
            shape = shapes(idx)
        except LabelIrstError as exc:
            if job is not None:
                job.warning(f"frame {names[idx]} skipped: {exc}")
            continue
        write_mask(out / (Path(names[idx]).stem + ".png"), frame_mask(by_frame.get(idx, []), shape))
        written += 1
        if job is not None:
            job.step(k + 1, len(indices))
    return written
