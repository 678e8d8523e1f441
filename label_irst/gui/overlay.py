"""Mask overlays of the two views: outline or filled, opacity, hidden, colour-map palette, and
the footprint under the cursor (the brush's pixels, the click's snap disc)."""

from __future__ import annotations

import numpy as np

from label_irst.gui.display import overlay_rgba, palette


def paint_masks(window, views, colormap: str, visible, size) -> None:
    """Overlays of both ``views`` in the window's :class:`OverlayStyle` and the ``colormap``'s
    palette."""
    a, style = window.annotator, window.session.overlay
    w, h = size
    colours = palette(colormap)
    views.global_view.set_region_colour(colours["region"])
    shown = [] if style.hidden else visible
    views.global_view.set_overlay(
        overlay_rgba(shown, (0, 0, w, h), a.selected, colormap=colormap,
                     opacity=style.opacity, ring=style.outline)
    )  # fmt: skip
    detail = views.detail_view
    if style.outline:
        detail.set_overlay(np.zeros((1, 1, 4), np.uint8))
        detail.set_outlines(
            [(t.mask, colours[t.status], 3.0 if t.id == a.selected else 2.0) for t in shown]
        )
    else:
        detail.set_outlines([])
        detail.set_overlay(
            overlay_rgba(shown, window.viewport.region(), a.selected, outline=True,
                         colormap=colormap, opacity=style.opacity)
        )  # fmt: skip


def show_footprint(window, detail, col: int, row: int) -> None:
    """Under the cursor in the ``detail`` view: the brush's pixels, or the click's snap disc."""
    a = window.annotator
    if a is None or a.frame is None:
        return
    from label_irst.gui.brush import stroke_pixels

    tool = window.session.tool
    if tool in ("box", "polygon"):
        return  # the box or the polygon drawn so far stays outlined
    radius = a.brush_radius if tool != "seed" else window.session.snap
    if tool == "seed" and radius < 1:
        detail.set_footprint(None)
        return
    footprint = stroke_pixels([(col, row)], radius, a.frame.raw.shape)
    detail.set_footprint(footprint)
