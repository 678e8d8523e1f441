"""The main window: it lays out the views and panels and routes events to the annotator.

Layout (Sec. III-D1, Fig. 3): Global View (left) with the region rectangle, Detail View
(right), navigation under them, parameter and enhancement panels docked at the bottom, the
review queue docked on the right, x / y / raw value in the status bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from label_irst.errors import LabelIrstError
from label_irst.gui import carry, editing, observers, overlay
from label_irst.gui.actions import build_actions, open_or_warn
from label_irst.gui.annotator import FrameAnnotator
from label_irst.gui.carry import carry_targets
from label_irst.gui.convention import ConventionController
from label_irst.gui.display import DisplayPipeline, OverlayStyle
from label_irst.gui.edit_commands import EditCommands
from label_irst.gui.frame_marks import frame_marks
from label_irst.gui.frames import FrameCache
from label_irst.gui.history import History
from label_irst.gui.keys import KeyGuard
from label_irst.gui.learn import LearnController
from label_irst.gui.loop import LoopController
from label_irst.gui.navigation import NavigationBar
from label_irst.gui.panels import EnhancePanel, ParametersPanel, ReviewPanel, add_dock
from label_irst.gui.review import (
    counters,
    queue_rows,
    review_queue,
    show_source_boxes,
    track_mean_scores,
)
from label_irst.gui.reviewed import ReviewedFrames
from label_irst.gui.session import Session
from label_irst.gui.settings import AppSettings, recent_label
from label_irst.gui.shape_tools import ShapeTools
from label_irst.gui.start_page import StartPage
from label_irst.gui.status_line import target_line
from label_irst.gui.track_dock import TrackDock
from label_irst.gui.viewport import Viewport
from label_irst.gui.views import DetailView, GlobalView, Views
from label_irst.gui.workspace import Workspace, app_made, open_workspace


def window_title(workspace: Workspace) -> str:
    """What the title bar names: the project (``demo``, ``runway-2``), or the frames' folder
    for a project the app made for a folder in its data folder (its file name is a hash)."""
    return workspace.sequence.source.name if app_made(workspace) else workspace.store.path.stem


class MainWindow(QMainWindow):
    """The window. The modules around it (menus, controllers, docks) use this interface and
    never reach into its widgets (``tests/test_gui_window_interface.py`` holds them to it):

    * ``views``: the two image views (:class:`Views`), for the modules that paint them or add
      items to them;
    * ``generator_name``, ``choose_generator(name)``, ``support_radius``: the Annotation tab's
      generator and Rs;
    * ``session`` (the Qt-free state), ``annotator``, ``workspace``, ``history``, ``prefs``,
      ``viewport`` and the controllers, the status bar, and the commands below (frames,
      review, export, conversion, pre-annotation).

    The widgets (``parameters``, ``enhance``, ``review``, ``navigation``, the status labels)
    are handed at construction to the modules that wire them (:mod:`label_irst.gui.observers`,
    :class:`Viewport`, :func:`build_actions`)."""

    def __init__(self, settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("Label-IRST")
        self.prefs = AppSettings(settings)
        self.display = DisplayPipeline(self.prefs.display(), self.prefs.linked())
        self.workspace: Workspace | None = None
        self.cache: FrameCache | None = None
        self.annotator: FrameAnnotator | None = None
        self.session = Session(OverlayStyle(*self.prefs.overlay()), snap=self.prefs.snap())
        self.history = History(lambda states: editing.apply_history(self, states), self)
        self._build()
        self.viewport = Viewport(self, self.views, self.display, self.pixel_label,
                                 self.region_label)  # fmt: skip
        self.edits = EditCommands(self)
        self.shapes = ShapeTools(self, self.detail_view)
        self.actions = build_actions(self, self.navigation)
        observers.observe(self, self.parameters, self.enhance, self.review, self.navigation)
        observers.wire_parameters(self, self.parameters, self.enhance, self.display)
        self.conventions = ConventionController(self)
        self.learning = LearnController(self)
        self.reviewed = ReviewedFrames(self)
        self.loop = LoopController(self)
        self.key_guard = KeyGuard(self)
        page = self.start_page
        page.openFolder.connect(self.actions["open_folder"].trigger)
        page.openFile.connect(self.actions["open_file"].trigger)
        page.openProject.connect(self.actions["open_project"].trigger)
        page.openDemo.connect(self.open_demo)
        page.openRecent.connect(lambda path: open_or_warn(self, path))
        page.show_recent([(p, recent_label(p)) for p in self.prefs.recent()])
        self.pages.setCurrentWidget(page)
        self.prefs.restore_window(self)
        self._review_timer = QTimer(self, singleShot=True, interval=0)
        self._review_timer.timeout.connect(self.refresh_review)
        self._review_key = None  # what the review queue shows was built from (refresh_review)
        self.tracks = TrackDock(self, self.views)
        self._review_timer.timeout.connect(self.tracks.refresh)
        show_source_boxes(self, self.views)  # the source box beside a box conversion's mask
        self.menuBar().addAction(self.help_menu.menuAction())  # Help stays the last menu

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.global_view, self.detail_view = GlobalView(), DetailView()
        self.views = Views(self.global_view, self.detail_view)
        self.detail_view.box.paint_drags = False
        splitter = QSplitter()
        splitter.addWidget(self.global_view)
        splitter.addWidget(self.detail_view)
        splitter.setSizes([560, 560])
        self.navigation = NavigationBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.navigation)
        self.views_page = central
        self.start_page = StartPage()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(central)
        self.setCentralWidget(self.pages)

        self.parameters = ParametersPanel(
            self.prefs.generator(), self.prefs.support_radius(), *self.prefs.mode()
        )
        self.enhance = EnhancePanel(self.display.settings, self.display.linked)
        tabs = QTabWidget()
        tabs.addTab(self.parameters, "Annotation")
        tabs.addTab(self.enhance, "Enhancement")
        tabs.setMaximumHeight(140)
        add_dock(self, tabs, "Parameters", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.review = ReviewPanel()
        add_dock(self, self.review, "Review queue", Qt.DockWidgetArea.RightDockWidgetArea)

        self.pixel_label, self.target_label = QLabel("x –  y –"), QLabel("")
        self.target_label.setToolTip(
            "r: equivalent radius sqrt(area / π); ρ (Eq. 20): how clearly the mask's edge "
            "stands out from its surroundings (low ρ: a doubtful mask); score: the model's "
            "detection score (pre-annotated targets only)"
        )
        self.region_label = QLabel("")
        self.statusBar().addWidget(self.pixel_label)
        self.statusBar().addWidget(self.region_label)
        self.statusBar().addPermanentWidget(self.target_label)

        for view in self.views:
            view.box.sigPixelClicked.connect(  # select, else seed (gui/editing.py)
                lambda x, y, v=view: editing.click(self, v, x, y, v.box.modifiers)
            )
        self.detail_view.box.sigPixelDragged.connect(
            lambda x, y, phase: editing.drag(self, x, y, phase)
        )
        self.navigation.frameRequested.connect(self.show_frame)
        self.review.accept.connect(lambda: self.review_step(True))
        self.review.reject.connect(lambda: self.review_step(False))
        self.review.targetChosen.connect(self.go_to_target)

    # -- the Annotation tab's generator and Rs (for the controllers) -------------------------
    @property
    def generator_name(self) -> str:
        """The mask generator chosen in the Annotation tab."""
        return self.parameters.generator.currentData()

    def choose_generator(self, name: str) -> bool:
        """Choose ``name`` in the Annotation tab (the annotator, the settings and the project's
        convention follow the tab's signal); False where it was chosen already or is unknown."""
        combo = self.parameters.generator
        index = combo.findData(name)
        if index < 0 or combo.currentIndex() == index:
            return False
        combo.setCurrentIndex(index)
        return True

    @property
    def support_radius(self) -> float:
        """The Annotation tab's Rs (the project default, px)."""
        return self.parameters.rs.value()

    # -- opening ---------------------------------------------------------------------------
    def open_demo(self) -> None:
        """The demo project: the bundled real clip, pre-annotated (its frames form a sequence:
        targets are carried)."""
        from label_irst.gui.workspace import write_demo

        self.open_path(write_demo())
        self.set_carries(True)

    def open_path(self, path, project=None) -> None:
        """Open a project, folder, video or image (a LabelIrstError goes to the caller)."""
        workspace = open_workspace(path, project)
        self.close_workspace()
        self.workspace = workspace
        self.cache = FrameCache(workspace.sequence)
        self.session.reset()
        self.annotator = FrameAnnotator(
            workspace.store,
            self.generator_name,
            self.support_radius,
            self.session,
        )
        self.annotator.brush_radius = self.session.brush_radius
        self.annotator.on_edit = self.history.record
        self.history.clear()
        guided, scale = self.parameters.guided()
        self.annotator.guided_scale = scale if guided else None
        self.annotator.on_saved = lambda t: (
            self.conventions.note_edit(t),
            self.learning.note_saved(t),
        )
        self.learning.load()
        self.conventions.load()
        self.navigation.set_sequence(workspace.sequence.names)
        self.prefs.add_recent(str(workspace.store.path))
        self.setWindowTitle(f"Label-IRST — {window_title(workspace)}")
        self.pages.setCurrentWidget(self.views_page)
        self.show_frame(0)

    def close_workspace(self) -> None:
        if self.cache is not None:
            self.cache.close()
        if self.workspace is not None:
            self.workspace.store.close()
        self.workspace = self.cache = self.annotator = None
        self._review_key = None
        self.history.clear()

    # -- sequences: carrying confirmed targets to the next frame (gui/carry.py) -------------
    def carries(self) -> bool:
        return carry.carries(self.workspace)

    def set_carries(self, on: bool) -> None:
        if message := carry.set_carries(self.workspace, on):
            self.statusBar().showMessage(message, 5000)

    def show_frame(self, index: int, carry: bool = True) -> None:
        if self.workspace is None:
            return
        previous = self.annotator.frame.index if self.annotator.frame else None
        try:
            raw = self.cache.get(index)
        except LabelIrstError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return
        seq = self.workspace.sequence
        self.annotator.load(self.workspace.sequence_id, index, seq.name(index), raw)
        if carry and previous is not None and index == previous + 1 and self.carries():
            carry_targets(self.workspace.store, self.workspace.sequence_id, self.annotator, index)
        self.session.frame = index
        self.viewport.follow(previous is None, previous is not None and not self.carries())
        self.viewport.refresh_frame()
        # the deferred refresh (review queue, track list, trails) runs now, before the views
        # paint: a step paints the new frame once, with its own trails, instead of painting it
        # with the last frame's trails and again once the timer has fired
        self._review_timer.stop()
        self._review_timer.timeout.emit()

    # -- painting --------------------------------------------------------------------------
    def refresh_masks(self) -> None:
        """Repaint the overlays and seed markers (after every edit)."""
        a = self.annotator
        visible = a.visible()
        h, w = a.frame.raw.shape
        overlay.paint_masks(self, self.views, self.display.settings.colormap, visible, (w, h))
        seeds = [] if self.session.overlay.hidden else [t.seed for t in visible]
        for view in self.views:
            view.set_seeds(seeds)
        self.target_label.setText(target_line(a.selected_target(), len(visible)))
        self._review_timer.start()

    def refresh_review(self) -> None:
        """Rebuild the review queue, unless neither the project's rows nor the queue's options
        changed since it was built (a plain frame step)."""
        if self.workspace is None:
            return
        store = self.workspace.store
        key = (id(store), self.workspace.sequence_id, store.version(), self.session.review)
        if key == self._review_key:
            return
        everything = queue_rows(self.workspace.store, self.workspace.sequence_id)
        reviewed, remaining = counters(everything)
        frames = self.reviewed.frames()
        self.session.marks = frame_marks(everything, len(self.workspace.sequence), frames)
        filters = self.session.review
        self.review.show_queue(
            review_queue(everything, filters.suspects_only, filters.order), reviewed, remaining,
            track_mean_scores(everything) if filters.by_track else None,
            frames=(len(frames), len(self.workspace.sequence)),
        )  # fmt: skip
        self._review_key = key

    # -- events ----------------------------------------------------------------------------
    def seed_at(self, col: int, row: int) -> None:
        """Seed a new candidate at pixel (col, row) exactly (no snapping) and centre on it."""
        try:
            target = self.annotator.seed(col, row)
        except LabelIrstError as exc:
            self.statusBar().showMessage(str(exc), 5000)
            return
        self.viewport.centre_on(target.centroid)

    def focus_views(self) -> None:
        """Escape: the keys act on the annotation again (the detail view takes the focus)."""
        self.detail_view.setFocus()

    def start_folder(self) -> str:
        """Where file pickers open (opening, export, conversion): the project's folder, or the
        folder holding the frames where the app made the project for them in its data folder
        (:func:`app_made`); the home folder while nothing is open."""
        if self.workspace is None:
            return str(Path.home())
        if app_made(self.workspace):
            return str(Path(self.workspace.sequence.source).resolve().parent)
        return str(self.workspace.store.path.resolve().parent)

    # -- commands (menu actions and keys) -------------------------------------------------
    def step(self, delta: int) -> None:
        self.navigation.step(delta)

    def go_to_target(self, frame: int, target_id: int) -> None:
        if self.annotator.frame is None or self.annotator.frame.index != frame:
            self.show_frame(frame)
        self.annotator.select(target_id)
        target = self.annotator.selected_target()
        if target is not None:
            self.viewport.centre_on(target.centroid)

    def review_step(self, accept: bool) -> None:
        """Accept or reject the selected candidate (or the queue's head), then show the next."""
        if self.workspace is None:
            return

        def rows():
            return queue_rows(self.workspace.store, self.workspace.sequence_id)

        selected = self.annotator.selected_target()
        if selected is None or selected.status != "candidate":
            queue = review_queue(rows(), order=self.session.review.order)
            if not queue:
                self.statusBar().showMessage("review queue is empty", 3000)
                return
            self.go_to_target(queue[0].frame, queue[0].id)
        (self.annotator.confirm if accept else self.annotator.reject)()
        self.refresh_masks()
        queue = review_queue(rows(), order=self.session.review.order)
        if queue:
            self.go_to_target(queue[0].frame, queue[0].id)

    def export_masks(self, out_dir: Path, wait: bool = False):
        """Export per-frame masks through a worker with a progress dialog; returns the worker."""
        from label_irst.gui.workers import ExportWorker, run_with_progress

        if self.workspace is None:
            return None
        seq = self.workspace.sequence
        shape = self.annotator.frame.raw.shape
        shapes = seq.shape if seq.kind == "folder" else (lambda i: shape)
        worker = ExportWorker(
            self.workspace.store.path, self.workspace.sequence_id, seq.names, shapes, out_dir
        )
        worker.failed.connect(lambda msg: QMessageBox.warning(self, "Export failed", msg))
        worker.succeeded.connect(
            lambda n: self.statusBar().showMessage(f"exported {n} masks to {out_dir}", 8000)
        )
        self._export_dialog = run_with_progress(self, worker, "Exporting masks")
        self._export_worker = worker
        if wait:
            worker.wait()
        return worker

    def convert_boxes(self, boxes: Path, fmt: str = "auto", wait: bool = False):
        """Boxes -> candidate masks of this sequence through a worker (gui/convert.py)."""
        from label_irst.gui import convert

        worker = convert.start(self, boxes, fmt)
        if worker is not None and wait:
            worker.wait()
        return worker

    def prelabel_sequence(self, model: Path | None = None, wait: bool = False, **options):
        """RPR-Net + guided PAMG candidates for this sequence through a worker (gui/prelabel.py);
        ``model`` defaults to the project's own detector."""
        from label_irst.gui import prelabel

        worker = prelabel.start(self, model or prelabel.project_model(self), **options)
        if worker is not None and wait:
            worker.wait()
        return worker

    def closeEvent(self, event) -> None:
        self.conventions.wait()
        self.learning.stop()
        self.loop.stop()
        self.prefs.save_window(self)
        self.close_workspace()
        super().closeEvent(event)
