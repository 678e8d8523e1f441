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


def carries(workspace) -> bool:
    """Whether the workspace's frames form a sequence (a video, a numbered frame folder, or a
    folder the user marked as one): only then are confirmed targets carried to the next frame."""
    if workspace is None:
        return False
    value = workspace.store.meta(f"sequence:{workspace.sequence_id}")
    if value is not None:
        return value == "1"
    sequence = workspace.sequence
    return sequence.kind == "video" or (sequence.kind == "folder" and numbered(sequence.names))


def set_carries(workspace, on: bool) -> str:
    """Mark the workspace's frames as a sequence (or not), kept in the project; returns what
    that means, for the status bar."""
    if workspace is None:
        return ""
    workspace.store.set_meta(f"sequence:{workspace.sequence_id}", "1" if on else "0")
    if on:
        return "frames form a sequence: confirmed targets are carried to the next frame"
    return "unrelated frames: nothing is carried to the next frame"


def carry_targets(store, sequence_id: int, a, index: int) -> None:
    """Add the previous frame's confirmed targets to frame ``index`` (loaded in the annotator
    ``a``) as candidates, those consistent with their source; the first one is selected."""
    previous = store.targets(sequence_id, frame=index - 1)
    earlier = store.targets(sequence_id, frame=index - 2) if index >= 2 else []
    current = list(a.targets.values())
    kept = carried_candidates(previous, earlier, current, a.frame.raw,
                              lambda seed, src: a.generate(*seed, a.support_for(src)))  # fmt: skip
    first = None
    for result, track in kept:
        t = a.add_generated(result, track)
        first = first or t.id
    a.select(first)
