"""The arithmetic of a print layout, without Qt: where each element sits on the sheet (in
millimetres), which ground extent a frame shows at a true scale, nice scales, scale-bar
lengths, grid intervals and the grid-north/true-north angle.

Everything here is pure and fast, so the dialog's preview, the CLI and the tests share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyproj import CRS, Proj

from citymgr_desktop.core.errors import CrsError, ValidationError
from citymgr_desktop.export.pages import paper_size_mm

MIN_SCALE = 500
MAX_SCALE = 50_000
# Scale denominators a fitted map is rounded up to (1:500 ... 1:50,000).
_NICE_MANTISSAS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5)
NICE_SCALES: tuple[int, ...] = tuple(sorted({
    int(m * 10**e) for e in range(2, 5) for m in _NICE_MANTISSAS
    if MIN_SCALE <= m * 10**e <= MAX_SCALE} | {MAX_SCALE}))

Bbox = tuple[float, float, float, float]
FIT_PADDING = 0.04  # around a fitted area, of its width and height, on each side


@dataclass(frozen=True)
class Rect:
    """A rectangle on the sheet in millimetres, origin top-left, y down."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def inset(self, d: float) -> Rect:
        return Rect(self.x + d, self.y + d, max(self.w - 2 * d, 0), max(self.h - 2 * d, 0))


@dataclass(frozen=True)
class Elements:
    """Which page elements are drawn."""

    title: bool = True
    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    grid: bool = True
    overview: bool = True
    footer: bool = True

    def panel_items(self) -> list[str]:
        return [n for n in ("north_arrow", "scale_bar", "legend", "overview") if getattr(self, n)]


@dataclass(frozen=True)
class PageGeometry:
    """Where everything goes on one sheet."""

    page: Rect
    map: Rect  # the map frame: ground extent = map size x scale
    text_scale: float  # font size multiplier: 1 on A4, larger on big sheets
    title: Rect | None = None
    footer: Rect | None = None
    panel: Rect | None = None
    boxes: dict[str, Rect] = field(default_factory=dict)  # panel item -> its box
    grid_band: float = 0.0  # mm between the frame and the outer neatline for grid labels


def text_scale_for(page_w: float, page_h: float) -> float:
    """Fonts grow with the sheet, more slowly than the sheet (A4 1.0, A3 1.19, A0 2.0)."""
    return round(math.sqrt(min(page_w, page_h) / 210.0), 3)


def page_geometry(paper: str, orientation: str, margins_mm: float = 10.0,
                  elements: Elements | None = None) -> PageGeometry:
    """Lay out the sheet: title on top, footer at the bottom, the map frame with its grid-label
    band, and a panel (right on landscape, below on portrait) with north arrow, scale bar,
    legend and overview."""
    el = elements or Elements()
    pw, ph = paper_size_mm(paper, orientation)
    if not 0 <= margins_mm <= min(pw, ph) / 4:
        raise ValidationError("margins must be between 0 and {max_margin:g} mm on {paper}, got "
                              "{margins_mm:g}",
                              max_margin=min(pw, ph) / 4, paper=paper, margins_mm=margins_mm)
    ts = text_scale_for(pw, ph)
    content = Rect(0, 0, pw, ph).inset(margins_mm)
    gap = 3.0 * ts
    top, bottom = content.y, content.bottom
    title = footer = None
    if el.title:
        title = Rect(content.x, top, content.w, 15.0 * ts)
        top = title.bottom + gap
    if el.footer:
        footer = Rect(content.x, bottom - 5.0 * ts, content.w, 5.0 * ts)
        bottom = footer.y - gap
    body = Rect(content.x, top, content.w, bottom - top)
    band = 5.0 * ts if el.grid else 0.0
    items = el.panel_items()
    panel = None
    boxes: dict[str, Rect] = {}
    landscape = pw > ph
    if items and landscape:
        pwid = min(max(0.23 * body.w, 58.0 * ts), 0.4 * body.w)
        panel = Rect(body.right - pwid, body.y, pwid, body.h)
        frame_outer = Rect(body.x, body.y, body.w - pwid - gap, body.h)
        boxes = _stack_vertical(panel, items, gap, ts)
    elif items:
        phei = min(max(0.22 * body.h, 55.0 * ts), 0.4 * body.h)
        panel = Rect(body.x, body.bottom - phei, body.w, phei)
        frame_outer = Rect(body.x, body.y, body.w, body.h - phei - gap)
        boxes = _row_horizontal(panel, items, gap, ts)
    else:
        frame_outer = body
    frame = frame_outer.inset(band) if band else frame_outer
    if frame.w < 20 or frame.h < 20:
        raise ValidationError("no room for the map on {paper} with {margins_mm:g} mm margins",
                              paper=paper, margins_mm=margins_mm)
    return PageGeometry(Rect(0, 0, pw, ph), frame, ts, title, footer, panel, boxes, band)


def _stack_vertical(panel: Rect, items: list[str], gap: float, ts: float) -> dict[str, Rect]:
    """Landscape panel: north arrow and scale bar side by side on top, overview at the bottom
    (square-ish), the legend takes what is left."""
    boxes: dict[str, Rect] = {}
    y, bottom = panel.y, panel.bottom
    head_h = 24.0 * ts
    if "north_arrow" in items or "scale_bar" in items:
        arrow_w = head_h * 0.7 if "north_arrow" in items else 0.0
        if "north_arrow" in items:
            boxes["north_arrow"] = Rect(panel.x, y, arrow_w, head_h)
        if "scale_bar" in items:
            sx = panel.x + (arrow_w + gap if arrow_w else 0)
            boxes["scale_bar"] = Rect(sx, y, panel.right - sx, head_h)
        y += head_h + gap
    if "overview" in items:
        oh = min(panel.w * 0.9, (bottom - y) * 0.45)
        boxes["overview"] = Rect(panel.x, bottom - oh, panel.w, oh)
        bottom -= oh + gap
    if "legend" in items:
        boxes["legend"] = Rect(panel.x, y, panel.w, max(bottom - y, 0))
    return boxes


def _row_horizontal(panel: Rect, items: list[str], gap: float, ts: float) -> dict[str, Rect]:
    """Portrait panel: legend on the left (widest), north arrow + scale bar, overview right."""
    boxes: dict[str, Rect] = {}
    x, right = panel.x, panel.right
    if "overview" in items:
        ow = min(panel.h * 1.1, panel.w * 0.33)
        boxes["overview"] = Rect(right - ow, panel.y, ow, panel.h)
        right -= ow + gap
    if "north_arrow" in items or "scale_bar" in items:
        cw = min(max(0.3 * panel.w, 50.0 * ts), right - x)
        cx = right - cw
        arrow_h = panel.h * 0.5 if "scale_bar" in items else panel.h
        if "north_arrow" in items:
            boxes["north_arrow"] = Rect(cx, panel.y, cw, arrow_h)
        if "scale_bar" in items:
            sy = panel.y + (arrow_h if "north_arrow" in items else 0)
            boxes["scale_bar"] = Rect(cx, sy, cw, panel.bottom - sy)
        right = cx - gap
    if "legend" in items:
        boxes["legend"] = Rect(x, panel.y, max(right - x, 0), panel.h)
    return boxes


# -- scale and extent ------------------------------------------------------------------------
def check_scale(scale: float) -> int:
    """A scale denominator within 1:500 ... 1:50,000, as an int."""
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValidationError(
            "scale must be between 1:{min_scale:,} and 1:{max_scale:,}, got 1:{scale:,.0f}",
            min_scale=MIN_SCALE, max_scale=MAX_SCALE, scale=scale)
    return round(scale)


def extent_for_scale(center: tuple[float, float], scale: float, frame: Rect) -> Bbox:
    """The ground extent (map units = metres) a frame shows around ``center`` at 1:scale."""
    half_w = frame.w / 1000.0 * scale / 2
    half_h = frame.h / 1000.0 * scale / 2
    cx, cy = center
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def place_extent(area: Bbox, scale: float, frame: Rect, within: Bbox | None = None,
                 padding: float = FIT_PADDING) -> Bbox:
    """The ground extent a frame shows at 1:``scale`` around ``area``: centred on the area;
    but where the frame is wider (or taller) than the area with its padding, it slides
    within that slack to show as little as possible beyond ``within`` (the district's
    extent, padded the same), so an area at the district's edge does not leave a third of
    the frame empty. The area stays wholly in the frame; an axis without slack stays
    centred (a chosen scale that cuts the area)."""
    centred = extent_for_scale(bbox_center(area), scale, frame)
    if within is None:
        return centred
    lo, hi = [centred[0], centred[1]], [centred[2], centred[3]]
    for axis in (0, 1):
        size = hi[axis] - lo[axis]
        a0, a1 = area[axis], area[axis + 2]
        pad = (a1 - a0) * padding
        if a1 - a0 + 2 * pad > size:  # no room for the padding: keep the area itself in
            pad = 0.0
        if a1 - a0 > size:  # no slack at all: stay centred
            continue
        w0, w1 = within[axis] - pad, within[axis + 2] + pad
        # the frame's start: inside the district where it fits, else centred on the district
        start = min(max(lo[axis], w0), w1 - size) if w1 - w0 >= size else \
            (w0 + w1 - size) / 2
        start = min(max(start, a1 + pad - size), a0 - pad)  # the padded area stays inside
        lo[axis], hi[axis] = start, start + size
    return (lo[0], lo[1], hi[0], hi[1])


def fit_scale(bbox: Bbox, frame: Rect, padding: float = FIT_PADDING) -> int:
    """The smallest nice scale at which ``bbox`` (plus ``padding`` on each side) fits the
    frame; ValidationError when even 1:50,000 is too small a scale."""
    bw = max(bbox[2] - bbox[0], 0.0) * (1 + 2 * padding)
    bh = max(bbox[3] - bbox[1], 0.0) * (1 + 2 * padding)
    need = max(bw / (frame.w / 1000.0), bh / (frame.h / 1000.0))
    for s in NICE_SCALES:
        if s >= need - 1e-6:
            return s
    raise ValidationError(
        "the extent needs 1:{need:,}, smaller than 1:{max_scale:,}; choose a larger paper, a "
        "smaller area or an atlas", need=math.ceil(need), max_scale=MAX_SCALE)


def share_shown(area: Bbox, extent: Bbox) -> float:
    """The share (0-1) of ``area`` that a frame of ground ``extent`` shows: below 1 a sheet
    at a chosen scale cuts the area it was asked for."""
    w, h = area[2] - area[0], area[3] - area[1]
    ix = max(0.0, min(area[2], extent[2]) - max(area[0], extent[0]))
    iy = max(0.0, min(area[3], extent[3]) - max(area[1], extent[1]))
    if w <= 0 or h <= 0:  # a point or a line: along its one dimension
        if w <= 0 and h <= 0:
            inside = extent[0] <= area[0] <= extent[2] and extent[1] <= area[1] <= extent[3]
            return 1.0 if inside else 0.0
        return iy / h if w <= 0 else ix / w
    return (ix * iy) / (w * h)


def bbox_center(bbox: Bbox) -> tuple[float, float]:
    return ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)


def _nice_125(value: float) -> float:
    """The largest 1, 2 or 5 x 10^n not above ``value``."""
    if value <= 0:
        raise ValueError("value must be positive")
    e = math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * 10**e <= value * (1 + 1e-9):
            return float(m * 10**e)
    return float(10**e)


# -- scale bar --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScaleBar:
    total_m: float
    segments: int
    length_mm: float
    unit: str  # "m" or "km"

    @property
    def segment_m(self) -> float:
        return self.total_m / self.segments

    def label(self, metres: float) -> str:
        value = metres / 1000.0 if self.unit == "km" else metres
        return f"{value:g}"


def scale_bar(scale: float, max_length_mm: float) -> ScaleBar:
    """A bar of a round ground length (1, 2 or 5 x 10^n metres) as long as fits."""
    total = _nice_125(max_length_mm / 1000.0 * scale)
    mant = round(total / 10 ** math.floor(math.log10(total)))
    segments = {1: 5, 2: 4, 5: 5}[mant]
    return ScaleBar(total, segments, total / scale * 1000.0, "km" if total >= 1000 else "m")


# -- grid -----------------------------------------------------------------------------------
def grid_interval(scale: float, target_mm: float = 40.0) -> float:
    """Grid spacing in metres: the 1-2-5 value nearest ``target_mm`` on paper."""
    raw = target_mm / 1000.0 * scale
    e = math.floor(math.log10(raw))
    candidates = [m * 10.0**k for k in (e - 1, e, e + 1) for m in (1, 2, 5)]
    return min(candidates, key=lambda c: abs(math.log(c / raw)))


def grid_lines(extent: Bbox, interval: float) -> tuple[list[float], list[float]]:
    """Eastings and northings of the grid lines strictly inside ``extent``."""
    def ticks(lo: float, hi: float) -> list[float]:
        first = math.floor(lo / interval) + 1
        out = []
        k = first
        while k * interval < hi - 1e-9:
            out.append(k * interval)
            k += 1
        return out

    return ticks(extent[0], extent[2]), ticks(extent[1], extent[3])


def format_coordinate(value: float, interval: float) -> str:
    """A grid label: whole metres, or decimals when the interval is below a metre."""
    decimals = 0 if interval >= 1 else max(0, -math.floor(math.log10(interval)))
    return f"{value:.{decimals}f}"


# -- north -----------------------------------------------------------------------------------
def true_north_angle(crs: CRS, x: float, y: float) -> float:
    """Degrees to rotate a north arrow clockwise from grid north to point at true north
    (minus the meridian convergence at the point); 0 when it cannot be computed."""
    if not crs.is_projected:
        raise CrsError("{crs} is not projected; a true-scale map needs metres", crs=crs.name)
    try:
        lon, lat = _to_geographic(crs, x, y)
        factors = Proj(crs).get_factors(lon, lat)
        conv = float(factors.meridian_convergence)
    except Exception:  # pyproj raises several kinds outside a CRS's area
        return 0.0
    return 0.0 if math.isnan(conv) else -conv


def _to_geographic(crs: CRS, x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    tr = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    lon, lat = tr.transform(x, y)
    return float(lon), float(lat)
