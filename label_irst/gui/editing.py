"""What a click in a view does, and how the undo history writes targets back.

* A plain click on a target selects it and never changes it.
* A plain click elsewhere snaps to the strongest local extremum within the snap radius
  (:func:`label_irst.core.snap.snap_to_extremum`) and seeds a new candidate there; a snapped
  seed that lands on an existing target selects that target instead of duplicating it.
* Shift+click on a target re-seeds it from the (snapped) click; the keyboard's re-seed grows it
  again from its own seed. Both ask before discarding brush edits.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from label_irst.core.snap import snap_to_extremum
from label_irst.errors import LabelIrstError


def click(window, view, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    a = window.annotator
    if a is None or a.frame is None:
        return
    h, w = a.frame.raw.shape
    col, row = int(x // 1), int(y // 1)
    if not (0 <= col < w and 0 <= row < h):
        return
    detail = view is window.views.detail_view
    if detail and window.session.tool == "polygon":
        window.shapes.click(x, y)
        return
    if detail and window.session.tool == "box":
        return  # a box is dragged, a click draws nothing
    if detail and window.session.tool != "seed":
        drag(window, x, y, "start")
        drag(window, x, y, "finish")
        return
    hit = a.target_at(col, row)
    snapped = snap_to_extremum(a.frame.raw, x, y, window.session.snap)
    if modifiers & Qt.KeyboardModifier.ShiftModifier and hit is not None:
        reseed(window, hit.id, snapped)
        return
    if hit is None:
        hit = a.target_at(*snapped)
    if hit is not None:
        a.select(hit.id)
        window.viewport.centre_on(hit.centroid)
        return
    try:
        target = a.seed(*snapped)
    except LabelIrstError as exc:
        window.statusBar().showMessage(str(exc), 5000)
        return
    if snapped != (col, row):
        window.statusBar().showMessage(
            f"click ({col}, {row}) snapped to the peak at ({snapped[0]}, {snapped[1]})", 3000
        )
    window.viewport.centre_on(target.centroid)


def drag(window, x: float, y: float, phase: str) -> None:
    """A drag in the detail view (``phase``: start, move, finish): the brush or the eraser
    paints, the box tool draws its box."""
    a = window.annotator
    tool = window.session.tool
    if a is None or a.frame is None or tool in ("seed", "polygon"):
        return
    if tool == "box":
        window.shapes.drag(x, y, phase)
        return
    px, py = x - 0.5, y - 0.5  # disc centred on the pixel centre under the cursor
    if phase == "start":
        a.begin_stroke(px, py, erase=tool == "erase")
    elif phase == "move":
        a.extend_stroke(px, py)
    else:
        a.extend_stroke(px, py)
        a.end_stroke()
    window.refresh_masks()


def reseed(window, target_id: int, at: tuple[int, int] | None = None) -> bool:
    """Grow target ``target_id`` again (from ``at``, else its seed); asks first when it has
    brush edits. Returns whether it was re-seeded."""
    a = window.annotator
    target = a.targets.get(target_id) if a is not None else None
    if target is None:
        return False
    if a.has_manual_edits(target) and not ask_discard(window, target):
        window.statusBar().showMessage(f"target #{target.id} kept as it is", 3000)
        return False
    try:
        again = a.reseed(target.id, *(at or target.seed))
    except LabelIrstError as exc:
        window.statusBar().showMessage(str(exc), 5000)
        return False
    window.viewport.centre_on(again.centroid)
    return True


def ask_discard(window, target) -> bool:
    answer = QMessageBox.question(
        window,
        "Re-seed target",
        f"Target #{target.id} has brush edits. Re-seeding replaces its mask with a new PAMG "
        "mask (Ctrl+Z brings the edits back). Re-seed it?",
    )
    return answer == QMessageBox.StandardButton.Yes


def apply_history(window, states) -> None:
    """Write targets back to states of the undo history and show the last one touched."""
    a = window.annotator
    if a is None:
        return
    frame_shown = a.frame.index if a.frame is not None else None
    for target_id, frame, state in states:
        a.write_state(target_id, frame, state)
    here = [s for s in states if s[1] == frame_shown]  # an edit of many frames stays here
    target_id, frame, state = here[-1] if here else states[-1]
    if frame != frame_shown:
        window.show_frame(frame, carry=False)
    a.select(target_id if state is not None else None)
    target = a.selected_target()
    if target is not None:
        window.viewport.centre_on(target.centroid)
    else:
        window.refresh_masks()
