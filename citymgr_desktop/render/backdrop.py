"""Base maps and reference layers drawn with the assets: rasters and tiles under them,
reference vectors (usually) over them, each with its opacity, and the attribution in the
map's corner. A layer that fails is left out and said (:attr:`Backdrop.problems`, one line
each): the assets are always drawn.

``wait=False`` (the canvas) draws only tiles in the disk cache and has the others fetched in
the background (the fetcher's ``on_arrival`` asks for a new frame); ``wait=True`` (PNG,
print) fetches them first.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
)

from citymgr_desktop.core.basemaps import (
    FetchReport,
    MapLayer,
    TileFetcher,
    ViewGrid,
    project_layers,
    raster_rgba,
    read_reference,
    tiles_rgba,
)
from citymgr_desktop.core.basemaps.raster import (
    Mosaic,
    raster_window,
    source_pixels,
    tiles_mosaic,
)
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import Message, msg
from citymgr_desktop.core.store import Store
from citymgr_desktop.render.view import MapView

PIECE_PX = 256  # cells of the piecewise drawing of tiles on the canvas
MAX_RASTER_PX = 4096  # a print at 300 dpi warps rasters at most this wide, then scales


def project_backdrop(store: Store, wait: bool = True) -> Backdrop | None:
    """The base map and reference layers kept in ``store``'s project (``None``: none), for a
    print or an export (``wait``: tiles are fetched before drawing)."""
    layers = [layer for layer in project_layers(store) if layer.visible]
    return Backdrop(layers, Path(store.path).parent, wait=wait) if layers else None


class Backdrop:
    """The base map and reference layers of one map (bottom first, their own order)."""

    def __init__(self, layers: Sequence[MapLayer], project_folder: Path | None = None,
                 fetcher: TileFetcher | None = None, wait: bool = True) -> None:
        self.layers = [layer for layer in layers if layer.visible]
        self.project_folder = project_folder
        self._fetcher = fetcher
        self.wait = wait
        self.problems: dict[str, Message] = {}  # layer name -> what failed in the last frame
        self.pending = 0  # tiles on their way (wait=False)
        self._smooth = True
        self._lock = threading.Lock()

    @property
    def fetcher(self) -> TileFetcher:
        with self._lock:
            if self._fetcher is None:
                self._fetcher = TileFetcher()
            return self._fetcher

    def missing(self) -> list[str]:
        return list(self.problems)

    def attribution(self) -> str:
        seen: list[str] = []
        for layer in self.layers:
            if layer.attribution and layer.attribution not in seen:
                seen.append(layer.attribution)
        return " | ".join(seen)

    def draw(self, painter: QPainter, view: MapView, crs_wkt: str | None, position: str,
             smooth: bool = True) -> None:
        """Draw the layers of ``position`` (``under``/``over``) for ``view``; ``smooth``
        resamples tiles bilinearly (still frames), else by nearest pixel (quick frames)."""
        self._smooth = smooth
        if crs_wkt is None:
            return
        if position == "under":
            self.problems = {}
            self.pending = 0
        for layer in self.layers:
            if layer.position != position:
                continue
            try:
                if layer.kind == "vector":
                    _draw_vector(painter, view, layer, read_reference(
                        layer, view.extent, crs_wkt, self.project_folder))
                else:
                    self._draw_raster(painter, view, crs_wkt, layer)
            except CitymgrError as exc:
                self.problems[layer.name] = msg("{layer}: {reason}", layer=layer.name,
                                                reason=exc.message)
            except Exception as exc:
                self.problems[layer.name] = msg("{layer}: {reason}", layer=layer.name,
                                                reason=str(exc).splitlines()[0] if str(exc)
                                                else type(exc).__name__)

    def _draw_raster(self, painter: QPainter, view: MapView, crs_wkt: str,
                     layer: MapLayer) -> None:
        rect = view.rect
        factor = max(rect.width() / MAX_RASTER_PX, rect.height() / MAX_RASTER_PX, 1.0)
        grid = ViewGrid(view.extent, max(1, round(rect.width() / factor)),
                        max(1, round(rect.height() / factor)), crs_wkt)
        if layer.kind in ("xyz", "wmts"):
            report = FetchReport()
            if self.wait:
                rgba = tiles_rgba(layer, grid, self.fetcher, report, wait=True)
            else:
                mosaic = tiles_mosaic(layer, grid, self.fetcher, report, wait=False)
                if mosaic is not None:
                    _draw_piecewise(painter, view, grid, mosaic, layer.opacity,
                                    self._smooth)
            self.pending += report.pending
            if report.failed:
                self.problems[layer.name] = msg(
                    "base map {layer}: {count} tile(s) missing ({reason})", layer=layer.name,
                    count=report.failed, reason=report.reason())
            if not self.wait:
                return
        elif self.wait:
            rgba = raster_rgba(layer, grid, self.project_folder)
        else:  # the canvas: Qt draws the window piecewise, as it does tiles
            window = raster_window(layer, grid, self.project_folder)
            if window is not None:
                _draw_piecewise(painter, view, grid, window, layer.opacity, self._smooth)
            return
        if not rgba[..., 3].any():
            return
        image = QImage(rgba.data, grid.width, grid.height, grid.width * 4,
                       QImage.Format.Format_RGBA8888)
        painter.save()
        painter.setOpacity(layer.opacity)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(rect, image)
        painter.restore()

    def _attribution_font(self, view: MapView) -> QFont:
        font = QFont()
        font.setPixelSize(max(8, round(2.4 * view.pixels_per_mm)))
        return font

    def attribution_rect(self, view: MapView) -> QRectF | None:
        """Where the attribution goes (bottom-right corner of the map), ``None`` without one:
        a pan frame draws this box again instead of shifting it with the map."""
        text = self.attribution()
        if not text:
            return None
        metrics = QFontMetricsF(self._attribution_font(view))
        pad = 0.8 * view.pixels_per_mm
        width = metrics.horizontalAdvance(text) + 2 * pad + 2
        height = metrics.height() + pad
        return QRectF(view.rect.right() - width, view.rect.bottom() - height, width, height)

    def draw_attribution(self, painter: QPainter, view: MapView) -> None:
        """The layers' attribution, small, in the bottom-right corner of the map."""
        text = self.attribution()
        box = self.attribution_rect(view)
        if box is None:
            return
        painter.save()
        painter.setFont(self._attribution_font(view))
        painter.fillRect(box, QColor(255, 255, 255, 190))
        painter.setPen(QColor("#333333"))
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


_PIECES: dict[tuple, list[tuple[QRectF, QTransform]]] = {}  # the last views' cells
_IMAGES: dict[int, tuple[np.ndarray, QImage]] = {}  # the last mosaics, ready for Qt


def _pieces(view: MapView, grid: ViewGrid, mosaic: Mosaic) -> list[tuple[QRectF, QTransform]]:
    """The cells of the view and the affine transform of each (source pixels -> device),
    remembered for the last few views (a still frame after a quick one, redraws)."""
    key = (grid.extent, grid.width, grid.height, view.rect.getRect(), id(mosaic.rgba),
           tuple(mosaic.transform)[:6])
    found = _PIECES.get(key)
    if found is not None:
        return found
    dx, dy, cols, rows = source_pixels(grid, mosaic.transform, mosaic.crs_wkt, PIECE_PX)
    sx = view.rect.width() / grid.width
    sy = view.rect.height() / grid.height
    left, top = view.rect.left(), view.rect.top()
    out = []
    for i in range(dx.shape[0] - 1):
        for j in range(dx.shape[1] - 1):
            cell = QRectF(left + dx[i, j] * sx, top + dy[i, j] * sy,
                          (dx[i, j + 1] - dx[i, j]) * sx, (dy[i + 1, j] - dy[i, j]) * sy)
            piece = _affine((cols[i, j], rows[i, j]), (cols[i, j + 1], rows[i, j + 1]),
                            (cols[i + 1, j], rows[i + 1, j]), cell)
            if piece is not None:
                out.append((cell, piece))
    if len(_PIECES) >= 4:
        _PIECES.pop(next(iter(_PIECES)))
    _PIECES[key] = out
    return out


def _draw_piecewise(painter: QPainter, view: MapView, grid: ViewGrid, mosaic: Mosaic,
                    opacity: float, smooth: bool) -> None:
    """Draw a mosaic (tiles, or a raster's window) into the view in cells of PIECE_PX
    pixels, each with the affine transform three of its corners give (exact there; GDAL's
    approximate transformer interpolates between exact points the same way). Qt does the
    resampling: a frame of cached tiles costs milliseconds. Cells outside the painter's clip
    (a pan frame's strips) are skipped."""
    image = _IMAGES.get(id(mosaic.rgba))
    if image is None or image[0] is not mosaic.rgba:
        h, w = mosaic.rgba.shape[:2]
        # converted once: Qt would convert a non-premultiplied image on every drawImage
        converted = QImage(mosaic.rgba.data, w, h, w * 4, QImage.Format.Format_RGBA8888
                           ).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        if len(_IMAGES) >= 4:
            _IMAGES.pop(next(iter(_IMAGES)))
        image = _IMAGES[id(mosaic.rgba)] = (mosaic.rgba, converted)
    image = image[1]
    clip = painter.clipRegion() if painter.hasClipping() else None
    painter.save()
    painter.setOpacity(opacity)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
    base = painter.transform()
    for cell, piece in _pieces(view, grid, mosaic):
        if clip is not None and not clip.intersects(cell.toAlignedRect()):
            continue
        painter.setTransform(base)
        painter.setClipRect(cell, Qt.ClipOperation.IntersectClip)
        painter.setTransform(piece * base)
        painter.drawImage(QPointF(0, 0), image)
        if clip is not None:
            painter.setTransform(base)
            painter.setClipRegion(clip)
        else:
            painter.setClipping(False)
    painter.restore()


def _affine(p0: tuple, p1: tuple, p2: tuple, cell: QRectF) -> QTransform | None:
    """The affine transform taking source points p0, p1, p2 to the cell's top-left,
    top-right and bottom-left corners (an affine image transform is Qt's fast path; a
    projective one is several times slower)."""
    ux, uy = p1[0] - p0[0], p1[1] - p0[1]  # source vector of the cell's top edge
    vx, vy = p2[0] - p0[0], p2[1] - p0[1]  # ... of its left edge
    det = ux * vy - uy * vx
    if abs(det) < 1e-12:
        return None
    # source -> unit cell (s, t), then unit cell -> device (scale and move)
    a, b = vy / det, -vx / det  # s = a*(x - x0) + b*(y - y0)
    c, d = -uy / det, ux / det  # t = c*(x - x0) + d*(y - y0)
    w, h = cell.width(), cell.height()
    m11, m21 = a * w, b * w
    m12, m22 = c * h, d * h
    dx = cell.left() - (m11 * p0[0] + m21 * p0[1])
    dy = cell.top() - (m12 * p0[0] + m22 * p0[1])
    return QTransform(m11, m12, m21, m22, dx, dy)


def _path_of(view: MapView, geometry: shapely.Geometry) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for part in shapely.get_parts(geometry):
        rings = ([part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part])
        for ring in rings:
            coords = np.asarray(shapely.get_coordinates(ring))
            if len(coords) < 2:
                continue
            xs, ys = view.to_device(coords[:, 0], coords[:, 1])
            path.moveTo(float(xs[0]), float(ys[0]))
            for x, y in zip(xs[1:].tolist(), ys[1:].tolist(), strict=True):
                path.lineTo(x, y)
            if part.geom_type == "Polygon":
                path.closeSubpath()
    return path


def _draw_vector(painter: QPainter, view: MapView, layer: MapLayer, features) -> None:
    style = layer.style
    painter.save()
    painter.setOpacity(layer.opacity)
    pen = QPen(QColor(style.outline), max(1.0, style.width_mm * view.pixels_per_mm))
    painter.setPen(pen)
    painter.setBrush(QBrush(QColor(style.fill)) if style.fill else Qt.BrushStyle.NoBrush)
    dot = 1.2 * view.pixels_per_mm
    for geometry in features.geometries:
        if geometry is None or geometry.is_empty:
            continue
        if geometry.geom_type in ("Point", "MultiPoint"):
            for point in shapely.get_parts(geometry):
                centre = view.point_to_device(point.x, point.y)
                painter.drawEllipse(centre, dot, dot)
            continue
        painter.drawPath(_path_of(view, geometry))
    if features.labels:
        font = QFont()
        font.setPixelSize(max(8, round(2.8 * view.pixels_per_mm)))
        painter.setFont(font)
        painter.setPen(QColor(style.outline))
        for geometry, label in zip(features.geometries, features.labels, strict=True):
            if label and geometry is not None and not geometry.is_empty:
                where = shapely.point_on_surface(geometry)
                p = view.point_to_device(where.x, where.y)
                painter.drawText(QPointF(p.x(), p.y()), label)
    painter.restore()
