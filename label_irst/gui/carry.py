"""Carrying confirmed targets to the next frame, only where the frames form a sequence (a video,
or a folder the user marked as one: Sequence › Frames form a sequence, kept in the project).
The candidates themselves come from :func:`label_irst.gui.tracking.carried_candidates`, which
keeps only the ones consistent with their source."""

from __future__ import annotations

from label_irst.gui.tracking import carried_candidates


def carries(window) -> bool:
    """Whether the frames form a sequence (a video, or a folder the user marked as one):
    only then are confirmed targets carried to the next frame."""
    if window.workspace is None:
        return False
    value = window.workspace.store.meta(f"sequence:{window.workspace.sequence_id}")
    return window.workspace.sequence.kind == "video" if value is None else value == "1"


def set_carries(window, on: bool) -> None:
    if window.workspace is not None:
        window.workspace.store.set_meta(
            f"sequence:{window.workspace.sequence_id}", "1" if on else "0"
        )
        window.statusBar().showMessage(
            "frames form a sequence: confirmed targets are carried to the next frame"
            if on
            else "unrelated frames: nothing is carried to the next frame",
            5000,
        )


def carry_targets(window, index: int) -> None:
    store, seq_id, a = window.workspace.store, window.workspace.sequence_id, window.annotator
    previous = store.targets(seq_id, frame=index - 1)
    earlier = store.targets(seq_id, frame=index - 2) if index >= 2 else []
    current = list(a.targets.values())
    kept = carried_candidates(previous, earlier, current, a.frame.raw,
                              lambda seed, src: a.generate(*seed, a.support_for(src)))  # fmt: skip
    first = None
    for result, track in kept:
        t = a.add_generated(result, track)
        first = first or t.id
    a.select(first)
