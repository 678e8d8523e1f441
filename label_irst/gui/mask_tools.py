"""Keys that correct the selected mask without a brush: grow or shrink it by one pixel (or all
the candidates of its track), and grow it again with a smaller or larger Rs for this target only
(the panel's Rs, the project default, stays as it is)."""

from __future__ import annotations

from label_irst.errors import LabelIrstError
from label_irst.gui.editing import ask_discard

#: Rs of one target: each key press multiplies it by this (or divides)
RS_STEP = 0.7


def morph(window, grow: bool, whole_track: bool = False) -> None:
    """Grow or shrink the selected mask by one pixel; with ``whole_track``, every candidate of
    its track, on every frame (one undo step either way)."""
    a = window.annotator
    target = a.selected_target() if a is not None else None
    if target is None:
        window.statusBar().showMessage("select a target first", 3000)
        return
    ids = [target.id]
    if whole_track and target.track_id is not None:
        ids = [t.id for t in a.store.targets(a.frame.sequence_id, status="candidate")
               if t.track_id == target.track_id]  # fmt: skip
    changed = a.morph(ids, grow)
    a.select(target.id)
    verb = "grown" if grow else "shrunk"
    where = f"track {target.track_id}: " if whole_track and target.track_id is not None else ""
    window.statusBar().showMessage(f"{where}{len(changed)} mask(s) {verb} by one pixel", 3000)
    window.refresh_masks()


def support(window, larger: bool) -> None:
    """Grow the selected target again at its seed with its own Rs made smaller or larger."""
    a = window.annotator
    target = a.selected_target() if a is not None else None
    if target is None:
        window.statusBar().showMessage("select a target first", 3000)
        return
    if a.has_manual_edits(target) and not ask_discard(window, target):
        return
    try:
        again = a.regrow_with(target.id, 1 / RS_STEP if larger else RS_STEP)
    except LabelIrstError as exc:
        window.statusBar().showMessage(str(exc), 5000)
        return
    window.statusBar().showMessage(
        f"target #{again.id}: Rs {again.support_radius:.1f} px for this target (area "
        f"{again.mask.area} px; the panel's Rs {a.support_radius:g} is unchanged)",
        4000,
    )
    window.viewport.centre_on(again.centroid)
