"""The map inside a print layout, drawn by the project's one renderer (``render/``).

:class:`MapSource` loads the file's layers once (``render.load_map``), draws them into a
frame of any QPainter at the sheet's DPI, draws the overview inset (rendered once into an
image and reused, so an atlas embeds it once), and tells which condition categories each
layer shows inside a frame, so the legend lists exactly those.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence

import numpy as np
import shapely
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from citymgr_desktop.core.errors import CrsError, NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.print_map.furniture import LegendRow
from citymgr_desktop.export.print_map.geometry import Bbox
from citymgr_desktop.export.print_map.text import core_lang, translator
from citymgr_desktop.render import (
    NO_CATEGORY,
    POINT,
    LayerData,
    MapData,
    RenderOptions,
    Symbol,
    draw_map,
    draw_swatch,
    drawable_layers,
    layer_title,
    load_map,
    symbol_for,
)
from citymgr_desktop.render.backdrop import Backdrop, project_backdrop
from citymgr_desktop.render.symbols import category_label, selection_symbol

# layer -> condition values drawn (None = not assessed; [None] also for uncategorised layers)
Shown = dict[str, list[int | None]]
OVERVIEW_DPI = 150.0
OTHERS_VEIL = 160  # alpha of the white over the other 街道's assets on a 街道's sheet


class MapSource:
    """The printable map of one open file (read-only; safe to draw from a worker thread)."""

    def __init__(self, store: Store, layers: Sequence[str] | None = None,
                 lang: str = "zh_CN", progress: Progress | None = None,
                 data: MapData | None = None) -> None:
        """Load ``layers`` (all drawable layers by default) of ``store``; or, with ``data``
        (the map the app has loaded already), use that instead of reading again."""
        self.store = store
        self.lang = lang
        names = drawable_layers(store)
        if layers is not None:
            unknown = [n for n in layers if n not in names]
            if unknown:
                raise NotFoundError("{file_name} has no map layer {unknown}; there are: {names}",
                                    file_name=_name(store), unknown=', '.join(unknown),
                                    names=', '.join(names))
            names = [n for n in names if n in set(layers)]
        self.layers: tuple[str, ...] = tuple(names)
        self.shared = data  # the caller's MapData, None when loaded here
        if data is not None:
            have = set(data.names())
            self.layers = tuple(n for n in names if n in have)
            self.data = dataclasses.replace(data, layers=tuple(
                lyr for lyr in data.layers if lyr.name in set(self.layers)))
        else:
            self.data = load_map(store, names, progress=progress)
        crs = self.data.crs
        if crs is None or not crs.is_projected:
            raise CrsError("{file_name}: printing at a true scale needs a projected map CRS in "
                           "metres, not {crs}",
                           file_name=_name(store), crs=crs.name if crs else 'none')
        self.crs = crs
        # base map and reference layers (render/backdrop.py): the project's kept ones; the
        # command line replaces them for one run (--basemap, --reference)
        self.backdrop: Backdrop | None = project_backdrop(store)
        self._overview: tuple[tuple, QImage] | None = None
        self._lock = threading.Lock()
        # the 街道 of each asset feature, read as sheets first show it (_districts_of)
        self._district_codes: dict[str, np.ndarray] = {}
        self._district_index: dict[str | None, int] = {}  # 街道 name -> its number there

    # -- what a frame shows --------------------------------------------------------------------
    def shown(self, extent: Bbox) -> Shown:
        """The categories each layer draws inside ``extent``: features whose geometry meets
        the box (a feature whose envelope only grazes it does not count)."""
        x0, y0, x1, y1 = extent
        box = shapely.box(*extent)
        out: Shown = {}
        for layer in self.data.layers:
            cand = layer.query(extent)
            if len(cand) == 0:
                continue
            fb = layer.bounds_of(cand)
            inside = (fb[:, 0] >= x0) & (fb[:, 2] <= x1) & (fb[:, 1] >= y0) & (fb[:, 3] <= y1)
            cats = set(np.unique(layer.category[cand[inside]]).tolist())
            # only features on the frame's edge whose category is not known yet need the
            # exact (slower) geometry test
            edge = cand[~inside]
            edge = edge[~np.isin(layer.category[edge], list(cats))]
            if len(edge):
                hit = edge[shapely.intersects(layer.geometries(edge), box)]
                cats |= set(np.unique(layer.category[hit]).tolist())
            if not cats:
                continue
            values: list[int | None] = sorted(int(c) for c in cats if c > 0)
            if cats & {0, NO_CATEGORY}:
                values.append(None)
            out[layer.name] = values
        return out

    # -- drawing -------------------------------------------------------------------------------
    def draw_map(self, painter: QPainter, target: QRectF, extent: Bbox, dpi: float,
                 highlight: dict[str, tuple[str, ...]] | None = None,
                 labels: bool = True, district: str | None = None) -> Shown:
        """Draw the layers for ``extent`` into ``target`` (device units) at ``dpi``; on the
        sheet of one ``district`` (街道) the other 街道's assets are paler (a white veil over
        them, the 街道's own drawn again on top, then the highlight and the road names)."""
        opts = RenderOptions(
            selection={k: list(v) for k, v in (highlight or {}).items()}, antialias=True,
            labels=labels, lod=False, background="#ffffff", dpi=dpi,
            lang=core_lang(self.lang), backdrop=self.backdrop)
        if not district:
            _draw(painter, self.data, extent, target, opts)
            return self.shown(extent)
        _draw(painter, self.data, extent, target,
              dataclasses.replace(opts, selection=None, labels=False))
        painter.fillRect(target, QColor(255, 255, 255, OTHERS_VEIL))
        over = dataclasses.replace(opts, background=None, backdrop=None)
        _draw(painter, self._of_district(district, extent), extent, target,
              dataclasses.replace(over, selection=None, labels=False))
        _draw(painter, self.data, extent, target, dataclasses.replace(over, features=False))
        return self.shown(extent)

    def _of_district(self, district: str, extent: Bbox) -> MapData:
        """The asset layers cut to the features in ``extent`` of one 街道."""
        x0, y0, x1, y1 = extent
        grow = 0.05 * max(x1 - x0, y1 - y0)  # a symbol beyond the edge still shows
        near = (x0 - grow, y0 - grow, x1 + grow, y1 + grow)
        layers = []
        for layer in self.data.layers:
            if not layer.is_asset:
                continue
            idx = layer.query(near)
            codes = self._districts_of(layer, idx)  # numbers the 街道 it reads first
            mine = codes == self._district_index.get(district, -2)
            layers.append(layer.subset(idx[mine]))
        return dataclasses.replace(self.data, layers=tuple(layers))

    def _districts_of(self, layer: LayerData, idx: np.ndarray) -> np.ndarray:
        """The 街道 of features ``idx`` of an asset layer, as their numbers in
        ``_district_index``. Each feature's ``district`` is read once, the first time a
        sheet shows it: an atlas's neighbouring pages share most of their features."""
        with self._lock:
            codes = self._district_codes.get(layer.name)
            if codes is None:
                codes = self._district_codes[layer.name] = np.full(layer.count, -1, np.int32)
            todo = idx[codes[idx] < 0]
            if len(todo):
                uuids = [k.decode() if isinstance(k, bytes) else str(k)
                         for k in layer.keys[todo]]
                rows = self.store.get_rows(layer.name, uuids, fields=["district"])
                number = self._district_index
                codes[todo] = [number.setdefault((rows.get(u) or {}).get("district"),
                                                 len(number)) for u in uuids]
            return codes[idx]

    def _overview_data(self) -> MapData:
        """Lines and areas only: at overview size thousands of point symbols are noise."""
        keep = tuple(lyr for lyr in self.data.layers if set(lyr.kinds) - {POINT})
        return dataclasses.replace(self.data, layers=keep) if keep else self.data

    def draw_overview(self, painter: QPainter, target: QRectF, extent: Bbox, dpi: float) -> None:
        """The whole district small: rendered once per size into an image, then reused."""
        w_in, h_in = target.width() / dpi, target.height() / dpi
        odpi = min(OVERVIEW_DPI, dpi)
        key = (round(w_in * odpi), round(h_in * odpi), tuple(round(v, 3) for v in extent))
        with self._lock:
            if self._overview is None or self._overview[0] != key:
                image = QImage(max(key[0], 1), max(key[1], 1),
                               QImage.Format.Format_ARGB32_Premultiplied)
                image.fill(QColor("white"))
                dpm = round(odpi / 0.0254)
                image.setDotsPerMeterX(dpm)
                image.setDotsPerMeterY(dpm)
                p = QPainter(image)
                try:
                    draw_map(p, self._overview_data(), extent,
                             QRectF(0, 0, image.width(), image.height()),
                             RenderOptions(antialias=True, labels=False, dpi=odpi))
                    p.fillRect(QRectF(0, 0, image.width(), image.height()),
                               QColor(255, 255, 255, 110))  # muted, so the frame stands out
                finally:
                    p.end()
                self._overview = (key, image)
            image = self._overview[1]
        painter.drawImage(target, image)


def _draw(painter: QPainter, data: MapData, extent: Bbox, target: QRectF,
          options: RenderOptions) -> None:
    if draw_map(painter, data, extent, target, options).cancelled:
        # only a caller's is_cancelled does this; none is given
        raise RuntimeError("map drawing was cancelled")


# -- legend -------------------------------------------------------------------------------------
def _layer_order(names: Sequence[str]) -> list[str]:
    """Asset layers in the model's order (roads, bridges, green spaces, bins), then others."""
    ours = [t.name for t in sc.ASSET_TABLES if t.name in names]
    return ours + [n for n in names if n not in ours]


def legend_rows(source: MapSource, shown: Shown, highlight: dict[str, tuple[str, ...]],
                lang: str, dpi: float) -> list[LegendRow]:
    """Legend lines for exactly what ``shown`` says was drawn: a heading per layer and one
    line per condition category (condition order, 'not assessed' last), each with the
    renderer's own symbol; a line for the highlighted work-order assets if any."""
    tr = translator(lang)
    key = core_lang(lang)
    rows: list[LegendRow] = []
    for name in _layer_order(list(shown)):
        layer = source.data.layer(name)
        kind = layer.kinds[-1] if layer.kinds else POINT
        if not layer.categorized:
            rows.append(LegendRow(layer_title(name, key), _swatch(
                symbol_for(name, NO_CATEGORY, kind), dpi)))
            continue
        rows.append(LegendRow(layer_title(name, key)))
        for value in shown[name]:
            cat = 0 if value is None else value
            rows.append(LegendRow(category_label(cat, key),
                                  _swatch(symbol_for(name, cat, kind), dpi)))
    marked = [n for n in _layer_order(list(highlight)) if highlight[n] and n in source.layers]
    if marked:
        layer = source.data.layer(marked[0])
        kind = layer.kinds[-1] if layer.kinds else POINT
        rows.append(LegendRow(tr("Work order assets"), _swatch(
            selection_symbol(symbol_for(marked[0], 1, kind)), dpi)))
    return rows


def _swatch(symbol: Symbol, dpi: float) -> Callable[[QPainter, QRectF], None]:
    return lambda painter, rect: draw_swatch(painter, rect, symbol, dpi)


def _name(store) -> str:
    """The project's name in messages: a file's name, a database's printable address."""
    return str(store.path) if store.is_database else store.path.name
