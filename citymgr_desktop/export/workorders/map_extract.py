"""The map extract of a work-order page: which ground extent, at which round true scale, and
drawing it with the project's one renderer (``citymgr_desktop.render``), the order's assets
highlighted, then numbered as in the asset table, with a scale bar, a north arrow and the
scale written out.

The scale is the smallest round denominator (1:1000, 1:2000, 1:2500, 1:5000, ...) at which
every asset of the order fits the frame with a margin, so a crew can measure on the paper;
1:1000 at the closest, so a single bin is shown with its streets and their names (at 1:500 it
was a green space and a sliver of road). The extract is centred on the assets. No road name
is placed under the scale bar or the north arrow (it was drawn over one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen

from citymgr_desktop.core.model.crs_names import crs_label
from citymgr_desktop.core.workorders.query import ReportOrder
from citymgr_desktop.export.workorders.pdf_text import T

ROUND_SCALES = (1000, 2000, 2500, 5000, 10_000, 15_000, 20_000, 25_000, 50_000, 100_000,
                250_000, 500_000)
MARGIN = 0.12  # share of the frame left free around the assets on each side
CLOSEST_SCALE = ROUND_SCALES[0]  # one bin: with the streets around it, not at 1:1
MAX_NUMBERED = 80


@dataclass(frozen=True)
class Extract:
    """A planned extract: ground extent (map CRS) and scale; None extent = no geometry."""

    extent: tuple[float, float, float, float] | None
    scale: int
    anchors: list[tuple[int, float, float]]  # (number in the table, x, y) in map units


def _anchor(geom: Any) -> tuple[float, float] | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("LineString", "MultiLineString"):
        p = shapely.line_interpolate_point(geom, 0.5, normalized=True)
    elif geom.geom_type in ("Polygon", "MultiPolygon"):
        p = geom.point_on_surface()
    else:
        p = geom.centroid
    return (p.x, p.y)


def choose_scale(bounds: tuple[float, float, float, float], frame_w_mm: float,
                 frame_h_mm: float) -> int:
    """The smallest round scale at which ``bounds`` (metres) fits the frame with margins
    (CLOSEST_SCALE at the closest)."""
    minx, miny, maxx, maxy = bounds
    span_x, span_y = maxx - minx, maxy - miny
    usable = 1.0 - 2 * MARGIN
    need = max(span_x / (frame_w_mm * usable / 1000.0), span_y / (frame_h_mm * usable / 1000.0))
    for s in ROUND_SCALES:
        if s >= need:
            return s
    return int(math.ceil(need / 100_000.0) * 100_000)


def plan_extract(rep: ReportOrder, frame_w_mm: float, frame_h_mm: float) -> Extract:
    geoms = [a.geometry for a in rep.assets if a.geometry is not None]
    anchors = []
    for i, a in enumerate(rep.assets, start=1):
        pt = _anchor(a.geometry)
        if pt is not None:
            anchors.append((i, pt[0], pt[1]))
    if not geoms:
        return Extract(None, 0, [])
    bounds = shapely.total_bounds(shapely.GeometryCollection(geoms))
    bounds = tuple(float(v) for v in bounds)
    scale = choose_scale(bounds, frame_w_mm, frame_h_mm)  # type: ignore[arg-type]
    cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
    half_w = scale * frame_w_mm / 1000.0 / 2
    half_h = scale * frame_h_mm / 1000.0 / 2
    return Extract((cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale, anchors)


def scale_bar_length(scale: int, max_mm: float) -> float:
    """A 1-2-5 ground length (m) whose bar is at most ``max_mm`` long."""
    max_m = scale * max_mm / 1000.0
    best = 1.0
    for e in range(0, 7):
        for m in (1, 2, 5):
            v = m * 10**e
            if v <= max_m:
                best = float(v)
    return best


class MapSource:
    """What the extracts are drawn from: the project's layers through the renderer."""

    def __init__(self, renderer: Any, crs: Any, backdrop: Any = None) -> None:
        self.renderer, self.crs = renderer, crs
        self.backdrop = backdrop  # the project's base map and reference layers, or None

    @classmethod
    def open(cls, store: Any, progress: Any = None) -> MapSource:
        """Load the project's layers once for all the extracts of a batch."""
        from citymgr_desktop.export.workorders import map_render as workorder_render
        from citymgr_desktop.render.backdrop import project_backdrop

        return cls(workorder_render.open_renderer(store, progress), store.project_crs(),
                   project_backdrop(store))


def draw_extract(sheet: Any, maps: MapSource, rep: ReportOrder, ex: Extract, x: float,
                 y: float, w: float, h: float, lang: str) -> float | None:
    """Draw the planned extract into the frame at (x, y, w, h) mm of ``sheet``; returns the
    scale denominator the renderer drew at (None without geometry)."""
    from citymgr_desktop.export.workorders import map_render as workorder_render

    t = T(lang)
    p = sheet.painter
    frame = sheet.rect(x, y, w, h)
    if ex.extent is None:
        sheet.box(x, y, w, h, fill=QColor("#f4f4f4"))
        sheet.text(x, y, w, h, t("Map not available: %1").replace("%1", t("no geometry")), 10,
                   align=Qt.AlignmentFlag.AlignCenter, valign=Qt.AlignmentFlag.AlignVCenter)
        return None
    arrow_at, bar_at = (x + w - 9, y + 3), (x + 3, y + h - 8)
    blocking = [sheet.rect(*_north_arrow_box(*arrow_at)),
                sheet.rect(*_scale_bar_box(ex.scale, *bar_at))]
    p.save()
    p.setClipRect(frame)
    drawn = workorder_render.draw(maps.renderer, p, frame, ex.extent, sheet.dpi,
                                  _highlight(rep), lang, backdrop=maps.backdrop,
                                  label_blocking=blocking)
    _numbers(sheet, ex, frame)
    p.restore()
    sheet.box(x, y, w, h, width=0.4, color=QColor("#000000"))
    _north_arrow(sheet, *arrow_at)
    _scale_bar(sheet, ex.scale, *bar_at)
    crs = crs_label(maps.crs, lang, with_code=False)
    caption = (f"{t('Map extract')} · {t('Scale')} 1:{ex.scale:,} · {crs} · "
               f"{t('assets of this order highlighted and numbered as in the table')}")
    sheet.text(x, y + h + 0.8, w, 5, caption, 7.5, color="#333333", wrap=False)
    return drawn


def _highlight(rep: ReportOrder) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in rep.assets:
        out.setdefault(a.asset_class, []).append(a.asset_uuid)
    return out


def _to_frame(ex: Extract, frame: QRectF, mx: float, my: float) -> QPointF:
    assert ex.extent is not None
    minx, miny, maxx, maxy = ex.extent
    return QPointF(frame.left() + (mx - minx) / (maxx - minx) * frame.width(),
                   frame.bottom() - (my - miny) / (maxy - miny) * frame.height())


# Directions tried for a number's bubble, first the classic upper right.
_OFFSETS = ((1, -1), (-1, -1), (1, 1), (-1, 1), (1.4, 0), (-1.4, 0), (0, -1.4), (0, 1.4))


def place_labels(points: list[tuple[float, float]], r: float, reach: float = 1.6,
                 rings: int = 3) -> list[tuple[float, float]]:
    """Bubble centres for numbered points: for each point, the first of 8 directions (at
    growing distances) whose bubble overlaps neither a placed bubble nor the points;
    the least crowded spot when none is free. Greedy, in table order."""
    placed: list[tuple[float, float]] = []
    gap = (2 * r) ** 2
    for cx, cy in points:
        best, best_hits = None, None
        for ring in range(1, rings + 1):
            d = r * reach * (1 + 0.9 * (ring - 1))
            for dx, dy in _OFFSETS:
                x, y = cx + dx * d, cy + dy * d
                hits = sum((x - bx) ** 2 + (y - by) ** 2 < gap for bx, by in placed)
                hits += sum((x - px) ** 2 + (y - py) ** 2 < r * r for px, py in points)
                if best_hits is None or hits < best_hits:
                    best, best_hits = (x, y), hits
                if hits == 0:
                    break
            if best_hits == 0:
                break
        assert best is not None
        placed.append(best)
    return placed


def _numbers(sheet: Any, ex: Extract, frame: QRectF) -> None:
    if len(ex.anchors) > MAX_NUMBERED:
        return
    p = sheet.painter
    r = sheet.px(1.9)
    p.setFont(sheet.font(6.5, True))
    centres = [_to_frame(ex, frame, mx, my) for _, mx, my in ex.anchors]
    bubbles = place_labels([(c.x(), c.y()) for c in centres], r)
    for (n, _, _), c, (bx, by) in zip(ex.anchors, centres, bubbles, strict=True):
        label = QPointF(bx, by)
        p.setPen(QPen(QColor("#1d1d1d"), sheet.px(0.2)))
        p.drawLine(c, label)
        p.setBrush(QBrush(QColor("#ffffff")))
        p.setPen(QPen(QColor("#d62728"), sheet.px(0.35)))
        p.drawEllipse(label, r, r)
        p.setPen(QColor("#000000"))
        p.drawText(QRectF(label.x() - r, label.y() - r, 2 * r, 2 * r),
                   int(Qt.AlignmentFlag.AlignCenter), str(n))


def _north_arrow_box(x: float, y: float) -> tuple[float, float, float, float]:
    """The millimetres (x, y, w, h) the north arrow at (x, y) and its "N" take."""
    return (x - 1, y, 8, 12.5)


def _north_arrow(sheet: Any, x: float, y: float) -> None:
    p = sheet.painter
    path = QPainterPath()
    path.moveTo(sheet.px(x + 3), sheet.px(y))
    path.lineTo(sheet.px(x + 5.5), sheet.px(y + 8))
    path.lineTo(sheet.px(x + 3), sheet.px(y + 6.5))
    path.lineTo(sheet.px(x + 0.5), sheet.px(y + 8))
    path.closeSubpath()
    p.setPen(QPen(QColor("#000000"), sheet.px(0.25)))
    p.setBrush(QBrush(QColor("#000000")))
    p.drawPath(path)
    sheet.text(x - 1, y + 8.2, 8, 4, "N", 7, bold=True, align=Qt.AlignmentFlag.AlignHCenter)


def _scale_bar_box(scale: int, x: float, y: float) -> tuple[float, float, float, float]:
    """The millimetres (x, y, w, h) the scale bar at (x, y) takes: its white box."""
    bar_mm = scale_bar_length(scale, 35.0) * 1000.0 / scale
    return (x - 1, y - 3.6, bar_mm + 20, 7.4)


def _scale_bar(sheet: Any, scale: int, x: float, y: float) -> None:
    length_m = scale_bar_length(scale, 35.0)
    bar_mm = length_m * 1000.0 / scale
    sheet.box(*_scale_bar_box(scale, x, y), fill=QColor(255, 255, 255, 215), width=0)
    for k in range(4):
        fill = QColor("#000000") if k % 2 == 0 else QColor("#ffffff")
        sheet.box(x + k * bar_mm / 4, y, bar_mm / 4, 1.2, fill=fill, width=0.15,
                  color=QColor("#000000"))
    unit = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    sheet.text(x, y - 3.4, 6, 3.2, "0", 6, wrap=False)
    sheet.text(x + bar_mm - 10, y - 3.4, 20, 3.2, unit, 6, wrap=False,
               align=Qt.AlignmentFlag.AlignHCenter)
    sheet.text(x + bar_mm + 2, y - 0.8, 16, 3.2, f"1:{scale:,}", 6, wrap=False)
