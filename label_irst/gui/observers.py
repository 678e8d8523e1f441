"""Widgets observing the session (:mod:`label_irst.gui.session`), and widgets changing it.

The session is the one place the tool, the overlay style and the review filters live; the
panels, the menu's check marks, the views and the settings file follow its events, so no two
copies are synced by hand.
"""

from __future__ import annotations

from label_irst.errors import LabelIrstError
from label_irst.gui.display import OverlayStyle
from label_irst.gui.session import ReviewFilters


def observe(window, parameters, enhance, review, navigation) -> None:
    """Connect the window's widgets (its Annotation and Enhancement tabs, review panel and
    navigation bar, handed over by the window) to its session, both ways."""
    session = window.session
    detail = window.views.detail_view
    session.events.tool.connect(lambda name: show_tool(window, parameters, detail, name))
    session.events.overlay.connect(lambda style: show_overlay(window, enhance, detail, style))
    session.events.review.connect(lambda filters: show_review(window, review, filters))
    session.events.frame.connect(
        lambda index: navigation.show_index(index) if index is not None else None
    )
    session.events.marks.connect(lambda marks: navigation.timeline.show_marks(marks))
    session.events.snap.connect(lambda radius: show_snap(window, parameters, radius))
    parameters.snap.setValue(session.snap)
    parameters.snap.valueChanged.connect(lambda radius: setattr(session, "snap", radius))
    parameters.toolChanged.connect(lambda name: setattr(session, "tool", name))
    enhance.overlayChanged.connect(
        lambda outline, opacity: session.set_overlay(outline=outline, opacity=opacity)
    )
    review.suspects.toggled.connect(lambda on: session.set_review(suspects_only=on))
    review.order.currentIndexChanged.connect(
        lambda _: session.set_review(order=review.order.currentData())
    )
    review.by_track.toggled.connect(lambda on: session.set_review(by_track=on))
    style = session.overlay
    enhance.show_overlay(style.outline, style.opacity)


def show_tool(window, parameters, detail, name: str) -> None:
    parameters.show_tool(name)
    detail.box.paint_drags = name in ("brush", "erase", "box")
    window.statusBar().showMessage(f"tool: {name}", 2000)


def show_overlay(window, enhance, detail, style: OverlayStyle) -> None:
    """The Enhancement tab, the View menu's check marks, the settings file and the views."""
    enhance.show_overlay(style.outline, style.opacity)
    window.prefs.set_overlay(style.outline, style.opacity)
    actions = getattr(window, "actions", None)
    for name, on in (("outline", style.outline), ("hide", style.hidden)):
        action = actions.get(name) if isinstance(actions, dict) else None
        if action is not None and action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)
    detail.show_grid = style.grid
    if window.annotator is not None and window.annotator.frame is not None:
        window.viewport.refresh_region()


def show_snap(window, parameters, radius: float) -> None:
    box = parameters.snap
    if box.value() != radius:
        box.blockSignals(True)
        box.setValue(radius)
        box.blockSignals(False)
    window.prefs.set_snap(radius)


def show_review(window, panel, filters: ReviewFilters) -> None:
    for widget, value in ((panel.suspects, filters.suspects_only),
                          (panel.by_track, filters.by_track)):  # fmt: skip
        if widget.isChecked() != value:
            widget.blockSignals(True)
            widget.setChecked(value)
            widget.blockSignals(False)
    index = panel.order.findData(filters.order)
    if index != panel.order.currentIndex():
        panel.order.blockSignals(True)
        panel.order.setCurrentIndex(index)
        panel.order.blockSignals(False)
    window.refresh_review()


def wire_parameters(window, panel, enhance, pipeline) -> None:
    """The Annotation tab (``panel``) and the Enhancement tab (``enhance``, feeding the
    window's display ``pipeline``): each change goes to the annotator (re-running the selected
    candidate where it applies), the settings file and the views."""

    def annotating() -> bool:
        return window.annotator is not None and window.annotator.frame is not None

    def brush(size: float) -> None:
        if panel.brush.value() != size:
            panel.brush.blockSignals(True)
            panel.brush.setValue(size)
            panel.brush.blockSignals(False)
        if window.annotator is not None:
            window.annotator.brush_radius = window.session.brush_radius

    def support_radius(rs: float) -> None:
        window.prefs.set_support_radius(rs)
        if annotating() and window.annotator.set_support_radius(rs) is not None:
            window.refresh_masks()

    def mode(guided: bool, scale: float) -> None:
        """Blind (Rs from the panel) or guided (Rs = k * r of the target seeded, Sec. III-C2)."""
        window.prefs.set_mode(guided, scale)
        if window.annotator is not None:
            if window.annotator.set_guided_scale(scale if guided else None) is not None:
                window.refresh_masks()

    def generator(name: str) -> None:
        window.prefs.set_generator(name)
        if window.annotator is not None:
            window.annotator.set_generator(name)
            window.conventions.load()

    def display(settings, linked: bool) -> None:
        try:
            pipeline.set_settings(settings, linked)
        except LabelIrstError as exc:
            window.statusBar().showMessage(str(exc), 5000)
            return
        window.prefs.set_display(settings, linked)
        window.viewport.refresh_frame()

    window.session.brush = panel.brush.value()
    window.session.events.brush.connect(brush)
    panel.brushRadiusChanged.connect(lambda size: setattr(window.session, "brush", size))
    panel.supportRadiusChanged.connect(support_radius)
    panel.modeChanged.connect(mode)
    panel.generatorChanged.connect(generator)
    enhance.changed.connect(display)
