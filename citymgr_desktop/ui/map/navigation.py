"""Where the map canvas looks: its view and scale, zooms (to a box, to features, by a factor,
to a scale, to everything) and pans, and the zoom history (previous / next). A mixin of
:class:`~citymgr_desktop.ui.map.canvas.MapCanvas`, kept apart as the input tools are
(:mod:`citymgr_desktop.ui.map.tools`); the canvas provides ``data``, ``layers``,
``extent()`` and ``set_extent()``, which draws.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from citymgr_desktop.render import MapView
from citymgr_desktop.render.view import INCH_M, Extent

MIN_EXTENT = 5.0  # map units; smaller boxes are grown to this (points, tiny features)
# zoom to features (the selection, a located asset, a table row, an import, an order's
# assets): the features' box with this share of its size free on each side, but never
# closer than 1:CLOSEST_FEATURE_SCALE: one bin came out at 1:91 and 1:38, a dot on white
FEATURE_MARGIN = 0.15
CLOSEST_FEATURE_SCALE = 1000.0
HISTORY = 50  # views kept for "zoom previous"


class MapNavigationMixin:
    """The canvas's view, zooms and zoom history."""

    def zoom_to_bbox(self, minx: float, miny: float, maxx: float, maxy: float) -> None:
        """Show at least this box (grown to the window's aspect, and to MIN_EXTENT)."""
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        w, h = max(maxx - minx, MIN_EXTENT), max(maxy - miny, MIN_EXTENT)
        self._push_history()
        self.set_extent((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))

    def zoom_to_features(self, minx: float, miny: float, maxx: float, maxy: float) -> None:
        """Show features whose bounding box (map CRS) this is: the box with FEATURE_MARGIN
        around it, at 1:CLOSEST_FEATURE_SCALE or farther out, so a point or a short
        segment is shown with its street. (QGIS pads the box by 5 % and shows a lone point
        at the current scale, or zoomed in until its nearest neighbour shows apart; from the
        whole district that is 1:30,000, where the bin is one dot of thousands.)"""
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        unit = self.data.metres_per_unit(cy) if self.data is not None else 1.0
        pixel = INCH_M / max(self.logicalDpiX(), 1) / unit  # map units a pixel spans at 1:1
        half_w = max((maxx - minx) * (0.5 + FEATURE_MARGIN),
                     CLOSEST_FEATURE_SCALE * max(self.width(), 1) * pixel / 2)
        half_h = max((maxy - miny) * (0.5 + FEATURE_MARGIN),
                     CLOSEST_FEATURE_SCALE * max(self.height(), 1) * pixel / 2)
        self.zoom_to_bbox(cx - half_w, cy - half_h, cx + half_w, cy + half_h)

    def full_extent(self) -> Extent:
        if self.data is None:
            return (0.0, 0.0, 1.0, 1.0)
        minx, miny, maxx, maxy = self.data.extent(self.layers)
        pad = max(maxx - minx, maxy - miny) * 0.02
        return (minx - pad, miny - pad, maxx + pad, maxy + pad)

    def zoom_full(self) -> None:
        self._push_history()
        self.set_extent(self.full_extent())

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom in by ``factor`` (> 1 in, < 1 out) keeping the point under ``at`` fixed."""
        view = self.view()
        px = at.x() if at is not None else None
        py = at.y() if at is not None else None
        self.set_extent(view.zoomed(factor, px, py).extent)

    def pan_by(self, dx: float, dy: float) -> None:
        """Move the map by (dx, dy) widget pixels."""
        self.set_extent(self.view().panned(dx, dy).extent)

    def zoom_to_scale(self, denominator: float) -> None:
        if denominator > 0:
            self.zoom_by(self.scale() / denominator)

    def zoom_previous(self) -> None:
        if self._history:
            self._future.append(self.extent())
            self.set_extent(self._history.pop())

    def zoom_next(self) -> None:
        if self._future:
            self._history.append(self.extent())
            self.set_extent(self._future.pop())

    def view(self) -> MapView:
        return MapView(self.extent(), QRectF(0, 0, max(self.width(), 1), max(self.height(), 1)),
                       self.logicalDpiX())

    def scale(self) -> float:
        if self.data is None:
            return self.view().scale_denominator(None)
        ext = self.extent()
        return self.view().scale_denominator(self.data.metres_per_unit((ext[1] + ext[3]) / 2))

    def to_map(self, pos: QPointF) -> tuple[float, float]:
        return self.view().to_map(pos.x(), pos.y())

    def _push_history(self) -> None:
        if self._extent is not None and (not self._history or self._history[-1] != self._extent):
            self._history.append(self._extent)
            del self._history[:-HISTORY]
            self._future.clear()
