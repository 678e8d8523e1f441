"""Carrying confirmed targets to the next frame, only where the frames form a sequence (a video,
a folder of zero-padded consecutive frame numbers, or a folder the user marked as one:
Sequence › Frames form a sequence, kept in the project).
The candidates themselves come from :func:`label_irst.gui.tracking.carried_candidates`, which
keeps only the ones consistent with their source."""

from __future__ import annotations

import re
from pathlib import PurePath

from label_irst.gui.tracking import carried_candidates

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def numbered(names: list[str]) -> bool:
    """Frames of a video written to a folder: one stem with a zero-padded frame number, the
    numbers consecutive (``f_0007.png``, ``00012.tif``). Folders of unrelated images numbered
    without padding (sirst-v1's ``Misc_1.png`` ... ``Misc_427.png``) do not count."""
    if len(names) < 2:
        return False
    parts = [_NUMBERED.match(PurePath(n).stem) for n in names]
    if not all(parts):
        return False
    prefixes = {p.group(1) for p in parts}
    widths = {len(p.group(2)) for p in parts}
    numbers = sorted(int(p.group(2)) for p in parts)
    padded = any(p.group(2).startswith("0") and len(p.group(2)) > 1 for p in parts)
    consecutive = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return len(prefixes) == 1 and len(widths) == 1 and padded and consecutive


def carries(window) -> bool:
    """Whether the frames form a sequence (a video, or a folder the user marked as one):
    only then are confirmed targets carried to the next frame."""
    if window.workspace is None:
        return False
    value = window.workspace.store.meta(f"sequence:{window.workspace.sequence_id}")
    if value is not None:
        return value == "1"
    sequence = window.workspace.sequence
    return sequence.kind == "video" or (sequence.kind == "folder" and numbered(sequence.names))


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
