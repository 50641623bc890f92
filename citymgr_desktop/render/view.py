"""The view transform: which map extent fills which device rectangle, at what DPI and scale.

A :class:`MapView` maps map coordinates (x east, y north, map CRS units) to the painter's
logical coordinates (x right, y down) with the same scale on both axes; the extent is grown
to the rectangle's aspect ratio, centred, so nothing is distorted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF

from citymgr_desktop.core.store.crs_memo import CrsFacts, unit_factor

if TYPE_CHECKING:  # pyproj loads with the first CRS object: a map in its own CRS needs none
    from pyproj import CRS

Extent = tuple[float, float, float, float]  # minx, miny, maxx, maxy
INCH_M = 0.0254


def fit_extent(extent: Extent, width: float, height: float) -> Extent:
    """Grow ``extent`` (centred) to the aspect ratio ``width``:``height``."""
    minx, miny, maxx, maxy = extent
    w, h = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    upp = max(w / max(width, 1e-9), h / max(height, 1e-9))
    hw, hh = upp * width / 2, upp * height / 2
    return (cx - hw, cy - hh, cx + hw, cy + hh)


def metres_per_unit(crs: CRS | None, latitude: float = 0.0) -> float:
    """Ground metres in one map unit (degrees are measured along the parallel at ``latitude``)."""
    if crs is None:
        return 1.0
    return _metres(bool(crs.is_geographic), latitude, lambda: unit_factor(crs))


def unit_metres(crs: CrsFacts, latitude: float = 0.0) -> float:
    """:func:`metres_per_unit` of a CRS known by its facts (``Store.crs_facts``)."""
    return _metres(crs.geographic, latitude, lambda: crs.unit_factor)


def _metres(geographic: bool, latitude: float, factor: Callable[[], float]) -> float:
    if geographic:
        return 111_320.0 * max(math.cos(math.radians(latitude)), 0.01)
    return factor()


@dataclass(frozen=True)
class MapView:
    """``extent`` (exactly the aspect of ``rect``) drawn into ``rect`` at ``dpi``."""

    extent: Extent
    rect: QRectF
    dpi: float = 96.0

    @classmethod
    def fit(cls, extent: Extent, rect: QRectF, dpi: float = 96.0) -> MapView:
        """The view showing at least ``extent`` in ``rect`` (grown to its aspect)."""
        return cls(fit_extent(extent, rect.width(), rect.height()), QRectF(rect), dpi)

    @property
    def units_per_pixel(self) -> float:
        """Map units per logical unit of the painter."""
        return (self.extent[2] - self.extent[0]) / max(self.rect.width(), 1e-9)

    @property
    def pixels_per_mm(self) -> float:
        return self.dpi / 25.4

    def scale_denominator(self, crs: CRS | float | None = None) -> float:
        """N of the scale 1:N (ground metres per metre on the device); ``crs`` is the map
        CRS or, already worked out, the metres per map unit."""
        lat = (self.extent[1] + self.extent[3]) / 2
        unit = crs if isinstance(crs, float | int) else metres_per_unit(crs, lat)
        return self.units_per_pixel * unit * self.dpi / INCH_M

    def to_device(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates to painter coordinates (vectorised)."""
        k = 1.0 / self.units_per_pixel
        return ((x - self.extent[0]) * k + self.rect.left(),
                (self.extent[3] - y) * k + self.rect.top())

    def point_to_device(self, x: float, y: float) -> QPointF:
        k = 1.0 / self.units_per_pixel
        return QPointF((x - self.extent[0]) * k + self.rect.left(),
                       (self.extent[3] - y) * k + self.rect.top())

    def to_map(self, px: float, py: float) -> tuple[float, float]:
        """Painter coordinates to map coordinates."""
        upp = self.units_per_pixel
        return (self.extent[0] + (px - self.rect.left()) * upp,
                self.extent[3] - (py - self.rect.top()) * upp)

    def zoomed(self, factor: float, px: float | None = None, py: float | None = None) -> MapView:
        """Zoom in by ``factor`` (>1 zooms in) keeping the map point under (px, py) fixed."""
        if px is None or py is None:
            px, py = self.rect.center().x(), self.rect.center().y()
        mx, my = self.to_map(px, py)
        minx, miny, maxx, maxy = self.extent
        return MapView((mx - (mx - minx) / factor, my - (my - miny) / factor,
                        mx + (maxx - mx) / factor, my + (maxy - my) / factor), self.rect, self.dpi)

    def panned(self, dx_px: float, dy_px: float) -> MapView:
        """Move the map by a drag of (dx, dy) painter units."""
        upp = self.units_per_pixel
        minx, miny, maxx, maxy = self.extent
        dx, dy = -dx_px * upp, dy_px * upp
        return MapView((minx + dx, miny + dy, maxx + dx, maxy + dy), self.rect, self.dpi)
