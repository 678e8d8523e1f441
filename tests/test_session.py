"""The annotation session without Qt: observable state, events only on change."""

import subprocess
import sys

import pytest

from label_irst.gui.display import OverlayStyle
from label_irst.gui.session import ReviewFilters, Session


def test_session_module_imports_no_qt():
    code = ("import sys, label_irst.gui.session, label_irst.gui.track_edits; "
            "print(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_events_fire_once_per_change():
    s = Session(OverlayStyle(outline=True, opacity=0.5))
    seen = {name: [] for name in ("frame", "selection", "tool", "overlay", "review", "merge")}
    for name, values in seen.items():
        getattr(s.events, name).connect(values.append)
    s.frame = 3
    s.frame = 3
    s.selection = 7
    s.selection = 7
    s.tool = "brush"
    s.set_overlay(hidden=True)
    s.set_overlay(hidden=True)
    s.set_review(by_track=True)
    s.merge_choice = [4, 2, 4]
    assert seen["frame"] == [3] and seen["selection"] == [7] and seen["tool"] == ["brush"]
    assert seen["overlay"] == [OverlayStyle(outline=True, opacity=0.5, hidden=True)]
    assert seen["review"] == [ReviewFilters(by_track=True)]
    assert seen["merge"] == [(2, 4)] and s.merge_choice == (2, 4)


def test_overlay_is_changed_only_through_the_session():
    s = Session()
    style = s.overlay
    style.hidden = True  # a copy: the session keeps its own
    assert not s.overlay.hidden


def test_selection_marks_targets_seen_and_reset_forgets():
    s = Session()
    s.selection = 5
    s.selection = None
    s.selection = 9
    assert s.seen == {5, 9}
    s.merge_choice = (1, 2)
    s.frame = 4
    s.reset()
    assert s.seen == set() and s.selection is None and s.merge_choice == () and s.frame is None


def test_unknown_values_are_refused():
    s = Session()
    with pytest.raises(ValueError):
        s.tool = "lasso"
    with pytest.raises(ValueError):
        s.set_review(order="random")


def test_frame_marks_and_the_next_frame_with_candidates():
    from label_irst.gui.frame_marks import frame_marks
    from label_irst.gui.review import QueueRow

    rows = [QueueRow(1, 2, "candidate", "pamg", 1.0, None, 4),
            QueueRow(2, 2, "confirmed", "pamg", 1.0, None, 4),
            QueueRow(3, 4, "confirmed", "pamg", 1.0, None, 4),
            QueueRow(4, 5, "rejected", "pamg", 1.0, None, 4),
            QueueRow(5, 7, "candidate", "pamg", 1.0, None, 4)]  # fmt: skip
    s = Session()
    marked = []
    s.events.marks.connect(marked.append)
    s.marks = frame_marks(rows, 9)
    assert s.marks == ("empty", "empty", "candidates", "empty", "confirmed", "empty", "empty",
                       "candidates", "empty")  # fmt: skip
    assert len(marked) == 1
    assert s.next_frame_with(1) is None  # no frame yet
    s.frame = 0
    assert s.next_frame_with(1) == 2 and s.next_frame_with(-1) is None
    s.frame = 4
    assert s.next_frame_with(1) == 7 and s.next_frame_with(-1) == 2
    assert s.next_frame_with(1, "confirmed") is None


def test_snap_radius_is_observable_and_never_negative():
    s = Session(snap=3)
    radii = []
    s.events.snap.connect(radii.append)
    s.snap = 0
    s.snap = 0.0
    assert radii == [0.0] and s.snap == 0
    with pytest.raises(ValueError):
        s.snap = -1
    s.set_overlay(grid=False)
    assert not s.overlay.grid


def test_brush_size_is_kept_within_its_range():
    from label_irst.gui.session import BRUSH_SIZES

    s = Session()
    sizes = []
    s.events.brush.connect(sizes.append)
    s.brush += 2
    assert s.brush == 3 and s.brush_radius == 1.5
    s.brush = -5
    s.brush = 1000
    assert sizes == [3.0, BRUSH_SIZES[0], BRUSH_SIZES[1]]
