"""The map renderer (QtGui only, no widgets): one code path for the canvas, PNG and print.

Typical use (see docs/rendering.md)::

    data = load_map(store)                              # once per file (worker thread)
    draw_map(painter, data, extent, rect, RenderOptions(selection={...}, dpi=300))
    legend_entries(data, extent)                        # the categories that view shows
"""

from citymgr_desktop.render.data import (
    LINE,
    NO_CATEGORY,
    POINT,
    POLYGON,
    LayerData,
    MapData,
)
from citymgr_desktop.render.edits import with_pending
from citymgr_desktop.render.fonts import MISSING_FONT_MESSAGE, ensure_cjk_font
from citymgr_desktop.render.frames import render_frame, render_image
from citymgr_desktop.render.loader import drawable_layers, load_layer, load_map
from citymgr_desktop.render.renderer import RenderOptions, RenderResult, draw_map
from citymgr_desktop.render.symbols import (
    LegendEntry,
    Symbol,
    draw_swatch,
    layer_title,
    legend_entries,
    symbol_for,
)
from citymgr_desktop.render.view import Extent, MapView, fit_extent

__all__ = [
    "LINE", "MISSING_FONT_MESSAGE", "NO_CATEGORY", "POINT", "POLYGON", "Extent", "LayerData",
    "LegendEntry", "MapData", "MapView", "RenderOptions", "RenderResult", "Symbol",
    "draw_map", "draw_swatch", "drawable_layers", "ensure_cjk_font", "fit_extent",
    "layer_title", "legend_entries", "load_layer", "load_map", "render_frame", "render_image", "symbol_for",
    "with_pending",
]
