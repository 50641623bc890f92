"""Base maps and reference layers as data: what a :class:`MapLayer` is, how a location (a
tile URL template or a file) is recognised, and how a project keeps them.

Kinds: ``xyz`` (an XYZ/TMS tile URL template with ``{z}``, ``{x}``, ``{y}`` or ``{-y}``,
optionally ``{s}`` and ``{key}``), ``wmts`` (``wmts:`` and a WMTS capabilities URL, see
``wmts.py``), ``raster`` (any file GDAL reads as a raster: GeoTIFF,
JPEG2000, MBTiles, GeoPackage tiles) and ``vector`` (Shapefile, GeoJSON, DXF, another
GeoPackage...). A file without a CRS is refused unless one is given; tiles of Chinese
commercial maps (GCJ-02 / BD-09) are refused with the reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from citymgr_desktop.core.basemaps.wmts import (
    is_wmts,
    join_location,
    split_location,
    wmts_source,
)
from citymgr_desktop.core.errors import (
    BadFileError,
    CitymgrError,
    CrsError,
    NotFoundError,
    ValidationError,
)
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.map_layers import read_map_layers, write_map_layers

KINDS = ("xyz", "wmts", "raster", "vector")
TILE_KINDS = ("xyz", "wmts")
POSITIONS = ("under", "over")
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".jp2", ".j2k", ".mbtiles", ".png", ".jpg",
                             ".jpeg", ".img", ".vrt", ".ecw", ".sid"})
VECTOR_SUFFIXES = frozenset({".shp", ".geojson", ".json", ".dxf", ".kml", ".gml", ".fgb",
                             ".csv", ".tab", ".mif", ".gpx"})
# hosts whose tiles are in China's obfuscated GCJ-02 (Amap, Tencent) or BD-09 (Baidu)
SHIFTED_HOSTS = {"amap.com": "GCJ-02", "autonavi.com": "GCJ-02", "is.autonavi.com": "GCJ-02",
                 "map.qq.com": "GCJ-02", "gtimg.com": "GCJ-02", "map.gtimg.com": "GCJ-02",
                 "baidu.com": "BD-09", "bdimg.com": "BD-09", "bdstatic.com": "BD-09"}
ATTRIBUTIONS = {"tianditu.gov.cn": "天地图 © 国家地理信息公共服务平台",
                "openstreetmap.org": "© OpenStreetMap contributors"}


@dataclass(frozen=True)
class LayerStyle:
    """How a reference vector layer is drawn: outline, fill (``None``: none), label field."""

    outline: str = "#7a4fbf"
    fill: str | None = None
    width_mm: float = 0.35
    label_field: str | None = None


@dataclass(frozen=True)
class MapLayer:
    """One base map or reference layer. ``location`` is a URL template or a path (relative
    to the project's folder when kept in a project); ``crs`` overrides the file's own."""

    name: str
    kind: str
    location: str
    position: str = "under"
    opacity: float = 1.0
    visible: bool = True
    crs: str | None = None
    attribution: str = ""
    style: LayerStyle = field(default_factory=LayerStyle)
    key: str = ""  # the {key} of a URL template (天地图's tk); never stored in the project

    def url(self) -> str:
        """The URL template with ``{key}`` filled (``xyz`` layers)."""
        return self.location.replace("{key}", self.key or os.environ.get("CITYMGR_TILE_KEY", ""))

    def path(self, project_folder: Path | None = None) -> Path:
        """The file of a raster/vector layer, resolved against the project's folder."""
        p = Path(self.location)
        return p if p.is_absolute() or project_folder is None else project_folder / p


def is_url(location: str) -> bool:
    return location.split(":", 1)[0].lower() in ("http", "https", "wmts")


def shifted_datum(url: str) -> str | None:
    """``GCJ-02``/``BD-09`` when the URL is a Chinese commercial map in a shifted datum."""
    if is_wmts(url):
        url = split_location(url)[0]
    host = (urlsplit(url).hostname or "").lower()
    for suffix, datum in SHIFTED_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return datum
    return None


def default_attribution(location: str) -> str:
    if is_wmts(location):
        location = split_location(location)[0]
    host = (urlsplit(location).hostname or "").lower() if is_url(location) else ""
    for suffix, text in ATTRIBUTIONS.items():
        if host == suffix or host.endswith("." + suffix):
            return text
    return host


def _refuse_shifted_datum(url: str, location: str) -> None:
    """Tiles of GCJ-02/BD-09 services would land hundreds of metres off: refused."""
    datum = shifted_datum(url)
    if datum is not None:
        raise ValidationError("{url}: these tiles are in {datum}, China's shifted datum, "
                              "and would be drawn hundreds of metres off; use 天地图 "
                              "(CGCS2000) or another WGS 84 tile service", url=location,
                              datum=datum)


def classify(location: str) -> str:
    """``xyz``, ``raster`` or ``vector`` for a URL template or a file (refusing what cannot
    be one)."""
    if is_wmts(location):
        url = split_location(location)[0]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError("{url}: a WMTS base map is wmts: and the capabilities URL "
                                  "(http:// or https://)", url=location)
        _refuse_shifted_datum(url, location)
        return "wmts"
    if is_url(location):
        if not all(t in location for t in ("{z}", "{x}")) or not (
                "{y}" in location or "{-y}" in location):
            raise ValidationError("{url}: a tile URL needs {{z}}, {{x}} and {{y}} (or {{-y}} "
                                  "for TMS) in it", url=location)
        _refuse_shifted_datum(location, location)
        return "xyz"
    path = Path(location)
    if not path.exists():
        raise BadFileError("{path}: no such file", path=path)
    suffix = path.suffix.lower()
    if suffix in RASTER_SUFFIXES:
        return "raster"
    if suffix in VECTOR_SUFFIXES or path.is_dir():
        return "vector"
    if suffix == ".gpkg":
        return "raster" if _gpkg_has_tiles(path) else "vector"
    raise BadFileError("{path}: not a raster or vector file this program reads (use a "
                       "GeoTIFF, MBTiles, GeoPackage, Shapefile, GeoJSON or DXF)", path=path)


def _gpkg_has_tiles(path: Path) -> bool:
    import pyogrio

    try:
        return not pyogrio.list_layers(path).size
    except Exception:
        return True


def file_crs(layer: MapLayer, project_folder: Path | None = None) -> str:
    """The CRS of a file layer as WKT (the given ``crs`` wins); refuses a file without one."""
    if layer.crs:
        from rasterio.crs import CRS  # GDAL's: safe in the canvas's render thread

        try:
            return str(CRS.from_user_input(layer.crs).to_wkt())
        except Exception:  # GDAL's errors vary by version
            raise CrsError("{crs}: not a coordinate reference system (e.g. EPSG:4547)",
                           crs=layer.crs) from None
    path = layer.path(project_folder)
    wkt: str | None
    if layer.kind == "raster":
        import rasterio

        try:
            with rasterio.open(path) as src:
                wkt = src.crs.to_wkt() if src.crs else None
        except rasterio.errors.RasterioIOError as exc:
            raise BadFileError("{path}: cannot be read as a raster ({reason})", path=path,
                               reason=str(exc).splitlines()[0]) from None
    else:
        import pyogrio

        try:
            wkt = pyogrio.read_info(path).get("crs")
        except Exception as exc:
            raise BadFileError("{path}: cannot be read as a vector file ({reason})", path=path,
                               reason=str(exc).splitlines()[0]) from None
    if not wkt:
        raise CrsError("{path} has no coordinate reference system; give one (e.g. --crs "
                       "EPSG:4547)", path=path)
    return str(wkt)


def make_layer(location: str, *, name: str | None = None, opacity: float = 1.0,
               position: str | None = None, crs: str | None = None, key: str = "",
               attribution: str | None = None, style: LayerStyle | None = None) -> MapLayer:
    """A checked layer for ``location`` (a tile URL template or a file)."""
    if not 0.0 <= opacity <= 1.0:
        raise ValidationError("opacity {opacity}: must be between 0 and 1", opacity=opacity)
    if position is not None and position not in POSITIONS:
        raise ValidationError("position {position!r}: use under or over", position=position)
    kind = classify(location)
    if name is None:
        name = ((urlsplit(location[len("wmts:"):] if kind == "wmts" else location).hostname
                 or "tiles") if kind in TILE_KINDS else Path(location).stem)
    if kind not in TILE_KINDS:
        location = str(Path(location).resolve())
    layer = MapLayer(name=name, kind=kind, location=location, opacity=opacity,
                     position=position or ("over" if kind == "vector" else "under"), crs=crs,
                     key=key, attribution=attribution if attribution is not None
                     else default_attribution(location), style=style or LayerStyle())
    if kind == "wmts":  # the capabilities are read and the choice checked now, then kept
        source = wmts_source(layer.url())  # whole, with the set's CRS (QGIS needs both)
        choice = {"layer": source.layer, "tilematrixset": source.tile_matrix_set,
                  "style": source.style, "format": source.format}
        layer = replace(layer, location=join_location(split_location(location)[0], choice),
                        crs=source.crs)
    elif kind != "xyz":
        file_crs(layer)
    return layer


# -- kept in the project ---------------------------------------------------------------------
def _relative(location: str, folder: Path) -> str:
    """An absolute path relative to the project's folder (kept paths stay as they are)."""
    if is_url(location) or not Path(location).is_absolute():
        return location
    try:
        return os.path.relpath(Path(location).resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return str(Path(location).resolve())


def project_layers(store: Store) -> list[MapLayer]:
    """The layers kept in the project, bottom first."""
    out = []
    for row in read_map_layers(store):
        style = LayerStyle(**json.loads(row["style"])) if row["style"] else LayerStyle()
        out.append(MapLayer(name=row["name"], kind=row["kind"], location=row["location"],
                            position=row["position"], opacity=float(row["opacity"]),
                            visible=bool(row["visible"]), crs=row["crs"],
                            attribution=row["attribution"] or "", style=style))
    return out


def _row(layer: MapLayer, folder: Path) -> dict[str, Any]:
    crs_wkt = None  # for the embedded QGIS project only (not stored)
    if layer.kind not in TILE_KINDS:
        try:
            crs_wkt = file_crs(layer, folder)
        except CitymgrError:
            crs_wkt = None
    return {"crs_wkt": crs_wkt, "name": layer.name, "kind": layer.kind, "location": _relative(layer.location, folder),
            "position": layer.position, "opacity": layer.opacity, "visible": int(layer.visible),
            "crs": layer.crs, "attribution": layer.attribution,
            "style": json.dumps(asdict(layer.style), ensure_ascii=False)}


def save_project_layers(store: Store, layers: list[MapLayer]) -> None:
    """Keep ``layers`` (bottom first) in the project, paths relative to its folder."""
    folder = Path(store.path).parent
    write_map_layers(store, [_row(layer, folder) for layer in layers])


def add_project_layer(store: Store, layer: MapLayer) -> list[MapLayer]:
    """Add ``layer`` on top of its position's layers; a name already kept is refused."""
    layers = project_layers(store)
    if any(existing.name == layer.name for existing in layers):
        raise ValidationError("{path} already has a map layer {name!r} (give another --name or "
                              "remove it first)", path=store.path, name=layer.name)
    save_project_layers(store, [*layers, replace(layer, key="")])
    return project_layers(store)


def remove_project_layer(store: Store, name: str) -> list[MapLayer]:
    layers = project_layers(store)
    kept = [layer for layer in layers if layer.name != name]
    if len(kept) == len(layers):
        raise NotFoundError("{path} has no map layer {name!r} (see 'citymgr layers list')",
                            path=store.path, name=name)
    save_project_layers(store, kept)
    return kept
