"""Symbols: how each layer and condition category is drawn, from ``core.model.symbology``.

The same colours, sizes and marker shapes as the QGIS styles written into the GeoPackage
(``core.qgis.symbols``), so the app, its PNG/PDF output and QGIS show the same map. Layers
outside the asset model get one default symbol per geometry kind. Also here: the legend
entries of what a view actually shows, and a swatch painter for legends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.render.data import LINE, NO_CATEGORY, POINT, POLYGON, MapData

DEFAULT_SIZES_MM = {POINT: 2.0, LINE: 0.5, POLYGON: 0.3}
CATEGORY_ORDER = (NO_CATEGORY, 0, 1, 2, 3, 4, 5)  # drawn in this order: the worst on top


@dataclass(frozen=True)
class Symbol:
    """One drawable symbol; sizes in millimetres on the output."""

    kind: str
    colour: str
    size_mm: float
    marker: str = "circle"
    fill_alpha: int = 255
    outline: str = "#333333"
    outline_mm: float = 0.2

    def pen_px(self, pixels_per_mm: float) -> float:
        return max(self.size_mm * pixels_per_mm, 1.0)


def symbol_for(layer: str, category: int, kind: str) -> Symbol:
    """The symbol of ``layer`` for a condition category (0 = not assessed)."""
    cls = sy.CLASS_SYMBOLS.get(layer)
    colour = (sy.CONDITION_COLOURS.get(category or None, sy.CONDITION_COLOURS[None])
              if category != NO_CATEGORY else sy.DEFAULT_COLOUR)
    if cls is not None and cls.kind == kind:
        outline_mm = 0.2 if kind == POINT else cls.size_mm
        return Symbol(kind, colour, cls.size_mm, cls.marker, cls.fill_alpha, cls.outline,
                      outline_mm)
    if kind == POLYGON:
        return Symbol(kind, colour, DEFAULT_SIZES_MM[kind], fill_alpha=110,
                      outline=QColor(colour).darker(150).name(), outline_mm=0.3)
    return Symbol(kind, colour, DEFAULT_SIZES_MM[kind])


def selection_symbol(base: Symbol) -> Symbol:
    """The highlight drawn over a selected feature."""
    if base.kind == POINT:
        return Symbol(POINT, sy.SELECTION_COLOUR, base.size_mm + 1.0, base.marker,
                      outline="#003c46", outline_mm=0.35)
    if base.kind == LINE:
        return Symbol(LINE, sy.SELECTION_COLOUR, base.size_mm + 0.8)
    return Symbol(POLYGON, sy.SELECTION_COLOUR, 0.8, fill_alpha=90,
                  outline=sy.SELECTION_COLOUR, outline_mm=0.8)


def line_pen(symbol: Symbol, ppmm: float) -> QPen:
    pen = QPen(QColor(symbol.colour), symbol.pen_px(ppmm))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def polygon_pen_brush(symbol: Symbol, ppmm: float) -> tuple[QPen, QBrush]:
    fill = QColor(symbol.colour)
    fill.setAlpha(symbol.fill_alpha)
    pen = QPen(QColor(symbol.outline), max(symbol.outline_mm * ppmm, 1.0))
    pen.setJoinStyle(Qt.PenJoinStyle.BevelJoin)
    return pen, QBrush(fill)


def marker_path(symbol: Symbol, size_px: float) -> QPainterPath:
    """The outline of one marker centred on (0, 0)."""
    path = QPainterPath()
    r = size_px / 2
    if symbol.marker == "square":
        path.addRect(QRectF(-r, -r, size_px, size_px))
    elif symbol.marker == "diamond":
        path.moveTo(0, -r)
        path.lineTo(r, 0)
        path.lineTo(0, r)
        path.lineTo(-r, 0)
        path.closeSubpath()
    else:
        path.addEllipse(QPointF(0, 0), r, r)
    return path


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a layer's category that the view shows (``count`` features)."""

    layer: str
    layer_title: str
    kind: str
    category: int  # 0 = not assessed, 1-5 condition, NO_CATEGORY = single symbol
    label: str
    colour: str
    count: int
    symbol: Symbol


def layer_title(name: str, lang: str = "en") -> str:
    table = sc.ASSET_TABLES_BY_NAME.get(name)
    return table.label(lang) if table is not None else name


def category_label(category: int, lang: str = "en") -> str:
    if category == NO_CATEGORY:
        return ""
    for value, label, _colour in sy.condition_categories(lang):
        if (value or 0) == category:
            return label
    return str(category)


def legend_entries(data: MapData, extent: tuple[float, float, float, float] | None = None,
                   layers: list[str] | None = None, lang: str = "en") -> list[LegendEntry]:
    """The categories actually present in ``extent`` (all data when None), per layer in
    drawing order, with feature counts; categories without features are left out."""
    out: list[LegendEntry] = []
    wanted = set(layers) if layers is not None else None
    for layer in data.layers:
        if wanted is not None and layer.name not in wanted:
            continue
        idx = layer.query(extent) if extent is not None else np.arange(layer.count)
        if len(idx) == 0:
            continue
        counts = np.bincount(layer.category[idx].astype(np.int64) + 1, minlength=7)
        kind = layer.kinds[-1] if layer.kinds else POINT
        title = layer_title(layer.name, lang)
        for cat in (1, 2, 3, 4, 5, 0, NO_CATEGORY):
            n = int(counts[cat + 1])
            if n:
                sym = symbol_for(layer.name, cat, kind)
                out.append(LegendEntry(layer.name, title, kind, cat, category_label(cat, lang),
                                       sym.colour, n, sym))
    return out


def draw_swatch(painter: QPainter, rect: QRectF, symbol: Symbol, dpi: float = 96.0) -> None:
    """Draw ``symbol`` as a legend swatch filling ``rect`` (antialiased)."""
    ppmm = dpi / 25.4
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    c = rect.center()
    if symbol.kind == LINE:
        painter.setPen(line_pen(symbol, ppmm))
        painter.drawLine(QPointF(rect.left() + rect.width() * 0.1, c.y()),
                         QPointF(rect.right() - rect.width() * 0.1, c.y()))
    elif symbol.kind == POLYGON:
        pen, brush = polygon_pen_brush(symbol, ppmm)
        painter.setPen(pen)
        painter.setBrush(brush)
        painter.drawRect(rect.adjusted(rect.width() * 0.1, rect.height() * 0.15,
                                       -rect.width() * 0.1, -rect.height() * 0.15))
    else:
        size = min(symbol.size_mm * ppmm * 1.2, rect.height() * 0.9)
        path = marker_path(symbol, size).translated(c)
        painter.setPen(QPen(QColor(symbol.outline), max(symbol.outline_mm * ppmm, 0.8)))
        painter.setBrush(QColor(symbol.colour))
        painter.drawPath(path)
    painter.restore()
