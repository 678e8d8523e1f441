"""The annotation session, without Qt: what the annotator is looking at and working with.

The window's state lives here, as napari keeps its viewer's state in Qt-free models: the current
frame, the selected target, the tool, the overlay style, the review queue's filters, the tracks
chosen for a merge and the targets already looked at. Controllers change the session; widgets
observe its events (:class:`Event`: ``connect(callback)``, called with the new value after every
change, never for a value set again). The session is tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from label_irst.gui.display import OverlayStyle
from label_irst.gui.frame_marks import next_with

TOOLS = ("seed", "brush", "erase", "box", "polygon")
#: the brush's size in pixels across, smallest and largest
BRUSH_SIZES = (1.0, 41.0)
ORDERS = ("rho", "frame")


class Event:
    """A list of callbacks called with one value."""

    def __init__(self):
        self._callbacks: list = []

    def connect(self, callback) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback) -> None:
        self._callbacks.remove(callback)

    def emit(self, value) -> None:
        for callback in list(self._callbacks):
            callback(value)


@dataclass(frozen=True)
class ReviewFilters:
    """The review queue's options: only box suspects, order ("rho": least reliable first, or
    "frame"), one row per track."""

    suspects_only: bool = False
    order: str = "rho"
    by_track: bool = False


class Events:
    def __init__(self):
        self.frame = Event()
        self.selection = Event()
        self.tool = Event()
        self.overlay = Event()
        self.review = Event()
        self.merge = Event()
        self.marks = Event()
        self.snap = Event()
        self.brush = Event()


class Session:
    """Observable annotation state; every setter emits its event only when the value changes."""

    def __init__(self, overlay: OverlayStyle | None = None, tool: str = "seed", snap: float = 3.0):
        self.events = Events()
        self._frame: int | None = None
        self._selection: int | None = None
        self._tool = tool
        self._overlay = replace(overlay) if overlay is not None else OverlayStyle()
        self._review = ReviewFilters()
        self._merge: tuple[int, ...] = ()
        self._marks: tuple[str, ...] = ()
        self._snap = float(snap)
        self._brush = BRUSH_SIZES[0]
        #: targets shown selected since the sequence was opened (T stops on unseen gap fills)
        self.seen: set[int] = set()

    def reset(self) -> None:
        """A new sequence: nothing selected, seen or chosen, no frame yet."""
        self.seen.clear()
        self.selection = None
        self.merge_choice = ()
        self.marks = ()
        self._frame = None

    # -- frame and selection ---------------------------------------------------------------
    @property
    def frame(self) -> int | None:
        return self._frame

    @frame.setter
    def frame(self, index: int | None) -> None:
        if index != self._frame:
            self._frame = index
            self.events.frame.emit(index)

    @property
    def selection(self) -> int | None:
        return self._selection

    @selection.setter
    def selection(self, target_id: int | None) -> None:
        if target_id is not None:
            self.seen.add(int(target_id))
        if target_id != self._selection:
            self._selection = target_id
            self.events.selection.emit(target_id)

    @property
    def marks(self) -> tuple[str, ...]:
        """Each frame's mark (:mod:`label_irst.gui.frame_marks`): the timeline shows them."""
        return self._marks

    @marks.setter
    def marks(self, marks) -> None:
        marks = tuple(marks)
        if marks != self._marks:
            self._marks = marks
            self.events.marks.emit(marks)

    def next_frame_with(self, step: int, mark: str = "candidates") -> int | None:
        """The nearest frame after (``step`` 1) or before (-1) the current one with ``mark``."""
        if self._frame is None:
            return None
        return next_with(list(self._marks), self._frame, step, mark)

    # -- tool and overlay ------------------------------------------------------------------
    @property
    def tool(self) -> str:
        return self._tool

    @tool.setter
    def tool(self, name: str) -> None:
        if name not in TOOLS:
            raise ValueError(f"unknown tool {name!r}; choose {TOOLS}")
        if name != self._tool:
            self._tool = name
            self.events.tool.emit(name)

    @property
    def snap(self) -> float:
        """Click snap radius (px): a click seeds at the strongest peak within it (0: off)."""
        return self._snap

    @snap.setter
    def snap(self, radius: float) -> None:
        radius = float(radius)
        if radius < 0:
            raise ValueError(f"snap radius {radius} < 0")
        if radius != self._snap:
            self._snap = radius
            self.events.snap.emit(radius)

    @property
    def brush(self) -> float:
        """The brush and eraser size in pixels across (1: the pixel under the cursor); kept
        within ``BRUSH_SIZES``."""
        return self._brush

    @brush.setter
    def brush(self, size: float) -> None:
        size = float(min(max(size, BRUSH_SIZES[0]), BRUSH_SIZES[1]))
        if size != self._brush:
            self._brush = size
            self.events.brush.emit(size)

    @property
    def brush_radius(self) -> float:
        """The brush disc's radius: half its size."""
        return self._brush / 2.0

    @property
    def overlay(self) -> OverlayStyle:
        """A copy: change it with :meth:`set_overlay`."""
        return replace(self._overlay)

    def set_overlay(self, **changes) -> None:
        new = replace(self._overlay, **changes)
        if new != self._overlay:
            self._overlay = new
            self.events.overlay.emit(replace(new))

    # -- review ----------------------------------------------------------------------------
    @property
    def review(self) -> ReviewFilters:
        return self._review

    def set_review(self, **changes) -> None:
        new = replace(self._review, **changes)
        if new.order not in ORDERS:
            raise ValueError(f"unknown order {new.order!r}; choose {ORDERS}")
        if new != self._review:
            self._review = new
            self.events.review.emit(new)

    @property
    def merge_choice(self) -> tuple[int, ...]:
        """The tracks the annotator chose in the track list for the next merge (M)."""
        return self._merge

    @merge_choice.setter
    def merge_choice(self, tracks) -> None:
        tracks = tuple(sorted({int(t) for t in tracks}))
        if tracks != self._merge:
            self._merge = tracks
            self.events.merge.emit(tracks)
