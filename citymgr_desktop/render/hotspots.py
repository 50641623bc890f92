"""Hot-spot theme: the cells of a :class:`~citymgr_desktop.core.stats.HotspotGrid` (open
cases, or assets in condition 4-5, per square cell) drawn over the map as a graduated
colour ramp, with the count written in cells big enough to hold it. The same function draws
on the canvas (an overlay over the map frame), into PNG (``citymgr render --theme``) and into
the monthly report's PDF.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

from citymgr_desktop.core.stats.hotspots import HotspotGrid
from citymgr_desktop.render.data import MapData
from citymgr_desktop.render.renderer import RenderOptions, draw_map
from citymgr_desktop.render.view import Extent, MapView

RAMP = ("#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")
CELL_ALPHA = 190  # of 255: the streets stay readable under the cells
LABEL_MIN_PX = 22.0  # cells smaller than this carry no number


def class_breaks(grid: HotspotGrid, classes: int = len(RAMP)) -> list[int]:
    """Upper bounds of up to ``classes`` classes of counts, equal steps from 1 to the
    fullest cell, rounded to whole numbers (a grid of ones has one class)."""
    top = grid.maximum
    if top <= 0:
        return []
    n = min(classes, top)
    return sorted({max(1, math.ceil(top * (k + 1) / n)) for k in range(n)})


def cell_colour(count: int, breaks: Sequence[int]) -> QColor:
    """The ramp colour of ``count`` (the ramp is stretched over the classes there are)."""
    for k, upper in enumerate(breaks):
        if count <= upper:
            index = round(k * (len(RAMP) - 1) / max(len(breaks) - 1, 1))
            colour = QColor(RAMP[index])
            colour.setAlpha(CELL_ALPHA)
            return colour
    colour = QColor(RAMP[-1])
    colour.setAlpha(CELL_ALPHA)
    return colour


def legend(grid: HotspotGrid) -> list[tuple[str, QColor]]:
    """(label, colour) per class: "1", "2–3", "4–6" …"""
    out, low = [], 1
    breaks = class_breaks(grid)
    for upper in breaks:
        out.append((str(upper) if upper == low else f"{low}–{upper}", cell_colour(upper, breaks)))
        low = upper + 1
    return out


def draw_hotspots(painter: QPainter, grid: HotspotGrid, view: MapView, *,
                  labels: bool = True) -> int:
    """Draw the grid's cells that meet the view; returns how many were drawn."""
    if not grid.cells:
        return 0
    breaks = class_breaks(grid)
    minx, miny, maxx, maxy = view.extent
    px = grid.size / view.units_per_pixel
    painter.save()
    try:
        painter.setClipRect(view.rect)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        outline = QPen(QColor(255, 255, 255, 200))
        outline.setWidthF(max(px * 0.04, 0.5))
        font = QFont(painter.font())
        font.setPixelSize(max(int(px * 0.38), 6))
        font.setBold(True)
        painter.setFont(font)
        drawn = 0
        for (i, j), count in grid.cells.items():
            x0, y0, x1, y1 = grid.bounds(i, j)
            if x1 < minx or x0 > maxx or y1 < miny or y0 > maxy:
                continue
            a = view.point_to_device(x0, y1)
            b = view.point_to_device(x1, y0)
            rect = QRectF(a, b)
            painter.setPen(outline)
            painter.setBrush(cell_colour(count, breaks))
            painter.drawRect(rect)
            if labels and px >= LABEL_MIN_PX:
                dark = count > breaks[len(breaks) // 2] if len(breaks) > 1 else False
                painter.setPen(QColor("#ffffff" if dark else "#4a2500"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
            drawn += 1
        return drawn
    finally:
        painter.restore()


BASE_LAYERS = ("green_space", "road_segment")  # the streets and parks give the bearings


def draw_hotspot_map(painter: QPainter, data: MapData, grid: HotspotGrid, extent: Extent,
                     rect: QRectF, *, dpi: float | None = None, lang: str = "en",
                     base_opacity: float = 0.45) -> MapView:
    """The map of ``extent`` in ``rect`` (streets and green spaces, faded) with the hot-spot
    cells on top; returns the view used (for scale bars or clicks)."""
    painter.save()
    try:
        painter.setOpacity(base_opacity)
        layers = [n for n in BASE_LAYERS if n in data.names()] or None
        result = draw_map(painter, data, extent, rect, RenderOptions(
            dpi=dpi, lang=lang, labels=False, antialias=True, layers=layers))
        painter.setOpacity(1.0)
        draw_hotspots(painter, grid, result.view)
    finally:
        painter.restore()
    return result.view


def paint_hotspots_on(image: QImage, grid: HotspotGrid, extent: Extent,
                      dpi: float = 96.0) -> int:
    """Draw the cells onto an image that shows ``extent`` (e.g. from ``render_image``)."""
    painter = QPainter(image)
    try:
        view = MapView.fit(extent, QRectF(0, 0, image.width(), image.height()), dpi)
        return draw_hotspots(painter, grid, view)
    finally:
        painter.end()


__all__ = ["RAMP", "class_breaks", "draw_hotspot_map", "draw_hotspots", "legend",
           "paint_hotspots_on"]
