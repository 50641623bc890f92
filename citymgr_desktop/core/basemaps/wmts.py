"""WMTS base maps from a capabilities URL (no Qt): the ``wmts:`` location syntax, the
GetCapabilities document read with the standard library (layers, styles, formats,
TileMatrixSets and their TileMatrix definitions), tile URLs from a RESTful ResourceURL
template or KVP GetTile, and which tiles of which matrix cover a box.

A location is ``wmts:CAPABILITIES_URL`` whose query may carry the choice: ``layer``,
``tilematrixset``, ``style`` and ``format`` (left out of the capabilities request; the first
of each is taken when not given). 天地图's CGCS2000 geographic sets (EPSG:4490, TileMatrixSet
``c``) work as well as its Web Mercator ones (``w``): TopLeftCorner of a geographic CRS is
read in its EPSG axis order (latitude first).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from citymgr_desktop.core.errors import BadFileError, ValidationError
from citymgr_desktop.core.qgis.wmts_location import PREFIX, is_wmts, join_location, split_location

if TYPE_CHECKING:  # the XML parser loads with a capabilities document, not with a layer list
    import xml.etree.ElementTree as ET

__all__ = ["PREFIX", "WmtsSource", "is_wmts", "join_location", "split_location", "wmts_source"]

KEY_PARAMS = ("tk", "key", "token", "access_token", "apikey")
NS = {"wmts": "http://www.opengis.net/wmts/1.0", "ows": "http://www.opengis.net/ows/1.1"}
PIXEL_M = 0.00028  # the standardized rendering pixel of OGC's scale denominators, metres
PIXEL_96DPI_M = 0.0254 / 96  # the pixel 天地图's geographic sets use in their denominators
DEGREE_M = 2 * math.pi * 6378137.0 / 360  # metres per degree in OGC's scale arithmetic


@dataclass(frozen=True)
class TileMatrix:
    """One zoom level: its identifier, units per pixel, top-left corner (x, y in the CRS's
    traditional GIS order: easting/longitude first), tile size and matrix size."""

    identifier: str
    resolution: float
    left: float
    top: float
    tile_width: int
    tile_height: int
    matrix_width: int
    matrix_height: int

    def tile_range(self, box: tuple[float, float, float, float]
                   ) -> tuple[int, int, int, int] | None:
        """col0, row0, col1, row1 (inclusive) of the tiles meeting ``box``; ``None``: none."""
        w, h = self.tile_width * self.resolution, self.tile_height * self.resolution
        c0, c1 = math.floor((box[0] - self.left) / w), math.floor((box[2] - self.left) / w - 1e-9)
        r0, r1 = math.floor((self.top - box[3]) / h), math.floor((self.top - box[1]) / h - 1e-9)
        c0, r0 = max(c0, 0), max(r0, 0)
        c1, r1 = min(c1, self.matrix_width - 1), min(r1, self.matrix_height - 1)
        return None if c1 < c0 or r1 < r0 else (c0, r0, c1, r1)

    def bounds(self, c0: int, r0: int, c1: int, r1: int) -> tuple[float, float, float, float]:
        w, h = self.tile_width * self.resolution, self.tile_height * self.resolution
        return (self.left + c0 * w, self.top - (r1 + 1) * h, self.left + (c1 + 1) * w,
                self.top - r0 * h)


@dataclass(frozen=True)
class WmtsSource:
    """A chosen layer/set/style/format of a WMTS: the matrices (coarsest first), their CRS
    and a tile URL template with ``{TileMatrix}``, ``{TileRow}``, ``{TileCol}``."""

    layer: str
    tile_matrix_set: str
    style: str
    format: str
    crs: str
    matrices: tuple[TileMatrix, ...]
    template: str

    def matrix_template(self, matrix: TileMatrix) -> str:
        """The tile URLs of one matrix as an XYZ-style template (``{x}`` column, ``{y}``
        row): what the tile fetcher and its cache take."""
        return (self.template.replace("{TileMatrix}", matrix.identifier)
                .replace("{TileCol}", "{x}").replace("{TileRow}", "{y}"))

    def tile_url(self, matrix: TileMatrix, col: int, row: int) -> str:
        return (self.template.replace("{TileMatrix}", matrix.identifier)
                .replace("{TileRow}", str(row)).replace("{TileCol}", str(col)))

    @property
    def metres_per_unit(self) -> float:
        """Metres in one unit of the set's CRS (OGC's scale arithmetic for degrees)."""
        return _geographic(self.crs)[1]

    def matrix_for(self, units_per_pixel: float) -> int:
        """The index of the coarsest matrix at least as fine as ``units_per_pixel``."""
        for i, matrix in enumerate(self.matrices):
            if matrix.resolution <= units_per_pixel * 1.2:
                return i
        return len(self.matrices) - 1


def _crs_name(urn: str) -> str:
    """``EPSG:4490`` for ``urn:ogc:def:crs:EPSG::4490`` / ``EPSG:4490``; CRS84 as OGC's."""
    text = urn.strip()
    if "CRS84" in text.upper():
        return "OGC:CRS84"
    parts = [p for p in text.replace("::", ":").split(":") if p]
    if len(parts) >= 2 and parts[-1].isdigit():
        return f"{parts[-2].upper()}:{parts[-1]}"
    return text


def _geographic(crs: str) -> tuple[bool, float]:
    """(latitude first in TopLeftCorner, metres per CRS unit)."""
    from rasterio.crs import CRS

    if crs == "OGC:CRS84":
        return False, DEGREE_M
    try:
        geographic = CRS.from_user_input(crs).is_geographic
    except Exception:  # GDAL's errors vary by version
        raise ValidationError("WMTS tile matrix set CRS {crs}: not a coordinate reference "
                              "system this program knows", crs=crs) from None
    return (True, DEGREE_M) if geographic else (False, 1.0)


def _text(element: ET.Element | None, path: str, default: str = "") -> str:
    found = element.find(path, NS) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


def parse_capabilities(content: bytes, url: str, choice: dict[str, str],
                       key_query: str = "") -> WmtsSource:
    """The source ``choice`` selects in a GetCapabilities document (refusing a document that
    is not one, or a layer/set/style/format it does not offer, with what it offers)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(content)
    except ET.ParseError:
        raise BadFileError("{url}: not a WMTS capabilities document", url=url) from None
    contents = root.find("wmts:Contents", NS)
    if contents is None or not root.tag.endswith("Capabilities"):
        raise BadFileError("{url}: not a WMTS capabilities document", url=url)
    layers = {_text(e, "ows:Identifier"): e for e in contents.findall("wmts:Layer", NS)}
    name = choice.get("layer") or next(iter(layers), "")
    layer = layers.get(name)
    if layer is None:
        raise ValidationError("{url}: no WMTS layer {name!r} (it has: {known})", url=url,
                              name=name, known=", ".join(layers) or "none")
    links = [_text(e, "wmts:TileMatrixSet") for e in layer.findall("wmts:TileMatrixSetLink", NS)]
    set_name = choice.get("tilematrixset") or next(iter(links), "")
    sets = {_text(e, "ows:Identifier"): e for e in contents.findall("wmts:TileMatrixSet", NS)}
    if set_name not in links or set_name not in sets:
        raise ValidationError("{url}: layer {name!r} has no tile matrix set {set!r} (it has: "
                              "{known})", url=url, name=name, set=set_name,
                              known=", ".join(links) or "none")
    styles = [_text(e, "ows:Identifier") for e in layer.findall("wmts:Style", NS)]
    style = choice.get("style") or next(iter(styles), "default")
    formats = [e.text.strip() for e in layer.findall("wmts:Format", NS) if e.text]
    image_format = choice.get("format") or next(iter(formats), "image/png")
    if (styles and style not in styles) or (formats and image_format not in formats):
        raise ValidationError("{url}: layer {name!r} has no style {style!r} or format "
                              "{format!r}", url=url, name=name, style=style, format=image_format)
    matrix_set = sets[set_name]
    crs = _crs_name(_text(matrix_set, "ows:SupportedCRS"))
    lat_first, metres = _geographic(crs)
    matrices = []
    for e in matrix_set.findall("wmts:TileMatrix", NS):
        try:
            a, b = (float(v) for v in _text(e, "wmts:TopLeftCorner").split())
            matrices.append(TileMatrix(
                _text(e, "ows:Identifier"),
                float(_text(e, "wmts:ScaleDenominator")) * PIXEL_M / metres,
                b if lat_first else a, a if lat_first else b,
                int(_text(e, "wmts:TileWidth")), int(_text(e, "wmts:TileHeight")),
                int(_text(e, "wmts:MatrixWidth")), int(_text(e, "wmts:MatrixHeight"))))
        except ValueError:
            raise BadFileError("{url}: tile matrix set {set!r} has a tile matrix that cannot "
                               "be read", url=url, set=set_name) from None
    if not matrices:
        raise BadFileError("{url}: tile matrix set {set!r} has no tile matrix", url=url,
                           set=set_name)
    matrices.sort(key=lambda m: -m.resolution)
    coarsest = matrices[0]
    if lat_first or metres == DEGREE_M:
        span = coarsest.tile_width * coarsest.matrix_width * coarsest.resolution
        if span > 360 * 1.01:  # 天地图's c sets: denominators for 96 dpi, not 0.28 mm
            matrices = [replace(m, resolution=m.resolution * PIXEL_96DPI_M / PIXEL_M)
                        for m in matrices]
    return WmtsSource(name, set_name, style, image_format, crs, tuple(matrices),
                      _template(root, layer, url, name, style, image_format, set_name, key_query))


def _template(root: ET.Element, layer: ET.Element, url: str, name: str, style: str,
              image_format: str, set_name: str, key_query: str) -> str:
    """The tile URL template: the layer's RESTful ResourceURL for the format, else KVP
    GetTile at the operation's address (or the capabilities URL's own)."""
    for e in layer.findall("wmts:ResourceURL", NS):
        if e.get("resourceType") == "tile" and e.get("format", image_format) == image_format:
            template = (e.get("template", "").replace("{Style}", style)
                        .replace("{style}", style).replace("{TileMatrixSet}", set_name))
            if key_query:
                template += ("&" if "?" in template else "?") + key_query
            return template
    base = url
    for op in root.findall("ows:OperationsMetadata/ows:Operation", NS):
        if op.get("name") == "GetTile":
            href = op.find("ows:DCP/ows:HTTP/ows:Get", NS)
            if href is not None and href.get("{http://www.w3.org/1999/xlink}href"):
                base = href.get("{http://www.w3.org/1999/xlink}href", url)
    parts = urlsplit(base)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in
            ("service", "request", "version")]
    query = urlencode([*kept, ("SERVICE", "WMTS"), ("REQUEST", "GetTile"), ("VERSION", "1.0.0"),
                       ("LAYER", name), ("STYLE", style), ("FORMAT", image_format),
                       ("TILEMATRIXSET", set_name)])
    query += "&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}"
    if key_query and key_query.split("=")[0] not in dict(kept):
        query += "&" + key_query
    return urlunsplit(parts._replace(query=query))


_SOURCES: dict[str, WmtsSource] = {}
_FAILED: dict[str, Exception] = {}  # a capabilities read that failed in the background
_LOCK = threading.Lock()


def known_source(location: str) -> WmtsSource | None:
    """The source of a location read before (``None``: not yet); a background read that
    failed is raised here (the canvas says it under the layer list)."""
    with _LOCK:
        failed = _FAILED.get(location)
        found = _SOURCES.get(location)
    if failed is not None:
        raise failed
    return found


def read_in_background(location: str, done) -> None:
    """Read the capabilities of ``location`` (in a fetcher's thread), then call ``done``."""
    try:
        wmts_source(location)
    except Exception as exc:  # kept for the next frame, which raises it
        with _LOCK:
            _FAILED[location] = exc
    if done is not None:
        done()


def wmts_source(location: str, key: str = "") -> WmtsSource:
    """The source of a ``wmts:`` location, its capabilities fetched once per session."""
    from citymgr_desktop.core.basemaps.tiles import download

    with _LOCK:
        found = _SOURCES.get(location)
    if found is not None:
        return found
    url, choice = split_location(location)
    url = url.replace("{key}", key)
    parts = urlsplit(url)
    key_query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k.lower() in KEY_PARAMS])
    try:
        content = download(url)
    except OSError as exc:
        raise BadFileError("{url}: the WMTS capabilities cannot be read ({reason})", url=url,
                           reason=str(exc) or type(exc).__name__) from None
    source = parse_capabilities(content, url, choice, key_query)
    with _LOCK:
        _SOURCES[location] = source
    return source
