"""Pan frames: a quick frame whose view only moved by whole pixels reuses the previous one.

While the user drags the map, consecutive quick frames have the same scale and size and
differ by a translation. Instead of drawing the whole view again, the previous quick frame
is copied shifted by that many pixels and only the strips it does not cover are drawn
(:func:`renderer.draw_region`: the features meeting a strip, clipped to it, in the same
order and with the same symbols and level of detail as in the whole view). Unantialiased
drawing is exact to the pixel, so the result is the same frame as a full redraw; the cost
is proportional to the strip instead of the view. Anything else (zoom, resize, a fraction
of a pixel, antialiasing, labels) returns ``None`` and the caller
(:func:`frames.render_frame`) draws the whole frame.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from citymgr_desktop.render.data import MapData
from citymgr_desktop.render.renderer import (
    RenderOptions,
    RenderResult,
    draw_region,
    new_image,
)
from citymgr_desktop.render.view import Extent, MapView

PIXEL_TOLERANCE = 1e-3  # a shift this close to whole pixels counts as whole


def pan_shift(before: MapView, after: MapView) -> tuple[int, int] | None:
    """The whole-pixel shift (dx, dy) of the map from view ``before`` to ``after``, or None
    when the views differ by more than a translation of whole pixels."""
    upp = after.units_per_pixel
    if before.rect != after.rect or abs(before.units_per_pixel - upp) > 1e-9 * upp:
        return None
    dx = (before.extent[0] - after.extent[0]) / upp
    dy = (after.extent[3] - before.extent[3]) / upp
    rx, ry = round(dx), round(dy)
    if abs(dx - rx) > PIXEL_TOLERANCE or abs(dy - ry) > PIXEL_TOLERANCE:
        return None
    return rx, ry


def render_panned(data: MapData, extent: Extent, size: tuple[int, int],
                  opts: RenderOptions) -> tuple[QImage, RenderResult] | None:
    """The quick frame of ``extent`` made from ``opts.previous``; None when not possible."""
    if opts.previous is None or opts.antialias or opts.labels or not opts.background:
        return None
    before_image, before_extent = opts.previous
    w, h = size
    if before_image.isNull() or (before_image.width(), before_image.height()) != (w, h):
        return None
    t0 = time.perf_counter()
    dpi = opts.dpi or 96.0
    rect = QRectF(0, 0, w, h)
    after = MapView.fit(extent, rect, dpi)
    shift = pan_shift(MapView.fit(before_extent, rect, dpi), after)
    if shift is None or abs(shift[0]) >= w or abs(shift[1]) >= h:
        return None
    dx, dy = shift
    image = new_image(w, h, dpi)
    # the strips: a column where the map moved away from a side edge (full height), then a
    # row at the top or bottom edge (only over the columns the copied image covers)
    kept_x0, kept_x1 = max(dx, 0), min(w + dx, w)
    strips = []
    if dx:
        strips.append(QRectF(0, 0, dx, h) if dx > 0 else QRectF(w + dx, 0, -dx, h))
    if dy:
        strips.append(QRectF(kept_x0, 0, kept_x1 - kept_x0, dy) if dy > 0
                      else QRectF(kept_x0, h + dy, kept_x1 - kept_x0, -dy))
    if opts.backdrop is not None:  # the attribution stays in its corner: drawn again
        box = opts.backdrop.attribution_rect(after)
        if box is not None:
            strips += [box, box.translated(dx, dy)]
    strip_opts = RenderOptions(**{**opts.__dict__, "previous": None})
    painter = QPainter(image)
    try:
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        # source rectangle in the old image's pixels: its device pixel ratio does not matter
        painter.drawImage(QRectF(dx, dy, w, h), before_image, QRectF(0, 0, w, h))
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        result = draw_region(painter, data, extent, rect, strip_opts, regions=strips)
    finally:
        painter.end()
    result.seconds = time.perf_counter() - t0
    return image, result


__all__ = ["pan_shift", "render_panned"]
