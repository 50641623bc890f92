"""A base map taken offline: the tiles of a package's extent, zoom levels from the one
that shows the whole area up to a chosen zoom, with the size estimated before anything is
fetched. XYZ tiles go into an MBTiles file (the MBTiles 1.3 layout GDAL, QGIS and QField
read); a WMTS's tiles, in their own tile matrix set and CRS (天地图's CGCS2000 ``c`` sets),
into a GeoPackage tile pyramid (GeoPackage 1.3 tiles: the matrix set's CRS, one zoom level
per tile matrix), which GDAL, QGIS and QField read as well.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.basemaps.layers import MapLayer
from citymgr_desktop.core.basemaps.raster import WEB_MERCATOR, bounds_in
from citymgr_desktop.core.basemaps.tiles import FetchReport, TileFetcher, tile_range
from citymgr_desktop.core.basemaps.wmts import TileMatrix, WmtsSource
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure

BYTES_PER_TILE = 25_000  # a typical 256-pixel PNG/JPEG of a city (for the estimate)
MAX_TILES = 200_000
BATCH = 64
XYZ_METRES_PER_PIXEL_Z0 = 2 * 3.141592653589793 * 6378137.0 / 256  # at the equator


@dataclass(frozen=True)
class TilePlan:
    """The tiles of an extent, per zoom level."""

    ranges: dict[int, tuple[int, int, int, int]]  # zoom -> x0, y0, x1, y1
    lonlat: tuple[float, float, float, float]

    @property
    def count(self) -> int:
        return sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in self.ranges.values())

    @property
    def estimated_bytes(self) -> int:
        return self.count * BYTES_PER_TILE


def plan_tiles(extent: tuple[float, float, float, float], crs_wkt: str, max_zoom: int
               ) -> TilePlan:
    """The tiles covering ``extent`` (in ``crs_wkt``) from the zoom where it fits in a few
    tiles up to ``max_zoom``."""
    _check_zoom(max_zoom)
    merc = bounds_in(extent, crs_wkt, WEB_MERCATOR)
    lonlat = bounds_in(extent, crs_wkt, "EPSG:4326")
    ranges = {}
    for z in range(max_zoom, -1, -1):
        x0, y0, x1, y1 = tile_range(merc, z)
        ranges[z] = (x0, y0, x1, y1)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= 4:
            break
    return TilePlan(dict(sorted(ranges.items())), lonlat)


def _check_zoom(max_zoom: int) -> None:
    if not 0 <= max_zoom <= 22:
        raise ValidationError("--basemap-zoom {zoom}: use 0-22 (18 shows single buildings)",
                              zoom=max_zoom)


def _span(m: TileMatrix) -> tuple[float, float]:
    return m.tile_width * m.matrix_width * m.resolution, m.tile_height * m.matrix_height * \
        m.resolution


def _aligned(m: TileMatrix, first: TileMatrix) -> bool:
    """Whether ``m`` covers the same area from the same corner as ``first`` (a GeoPackage
    tile pyramid has one extent for all its zoom levels)."""
    (w, h), (w0, h0) = _span(m), _span(first)
    tol = 1e-6 * max(w0, h0)
    return (abs(m.left - first.left) <= tol and abs(m.top - first.top) <= tol
            and abs(w - w0) <= tol and abs(h - h0) <= tol)


def plan_wmts_tiles(source: WmtsSource, extent: tuple[float, float, float, float],
                    crs_wkt: str, max_zoom: int) -> TilePlan:
    """The tiles of a WMTS covering ``extent`` (in ``crs_wkt``), per tile matrix index: from
    the matrix where it fits in a few tiles down to the finest whose pixels are not finer
    than XYZ zoom ``max_zoom``'s (so ``--basemap-zoom`` means the same detail for both)."""
    _check_zoom(max_zoom)
    box = bounds_in(extent, crs_wkt, source.crs)
    lonlat = bounds_in(extent, crs_wkt, "EPSG:4326")
    finest = XYZ_METRES_PER_PIXEL_Z0 / (1 << max_zoom) / 1.01
    first = source.matrices[0]
    ranges: dict[int, tuple[int, int, int, int]] = {}
    for i in range(len(source.matrices) - 1, -1, -1):
        m = source.matrices[i]
        if m.resolution * source.metres_per_unit < finest or not _aligned(m, first):
            continue
        found = m.tile_range(box)
        if found is None:
            continue
        ranges[i] = found
        c0, r0, c1, r1 = found
        if (c1 - c0 + 1) * (r1 - r0 + 1) <= 4:
            break
    if not ranges:
        raise ValidationError("the WMTS tile matrix set {set!r} has no tiles over the package "
                              "at --basemap-zoom {zoom} or coarser", set=source.tile_matrix_set,
                              zoom=max_zoom)
    return TilePlan(dict(sorted(ranges.items())), lonlat)


_TILES_DDL = """
CREATE TABLE gpkg_tile_matrix_set (
  table_name TEXT NOT NULL PRIMARY KEY, srs_id INTEGER NOT NULL,
  min_x DOUBLE NOT NULL, min_y DOUBLE NOT NULL, max_x DOUBLE NOT NULL, max_y DOUBLE NOT NULL,
  CONSTRAINT fk_gtms_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gtms_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_tile_matrix (
  table_name TEXT NOT NULL, zoom_level INTEGER NOT NULL, matrix_width INTEGER NOT NULL,
  matrix_height INTEGER NOT NULL, tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL,
  pixel_x_size DOUBLE NOT NULL, pixel_y_size DOUBLE NOT NULL,
  CONSTRAINT pk_ttm PRIMARY KEY (table_name, zoom_level),
  CONSTRAINT fk_tmm_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name));
CREATE TABLE basemap (
  id INTEGER PRIMARY KEY AUTOINCREMENT, zoom_level INTEGER NOT NULL,
  tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL,
  UNIQUE (zoom_level, tile_column, tile_row));
"""


def write_gpkg_tiles(layer: MapLayer, source: WmtsSource, plan: TilePlan, out: Path,
                     fetcher: TileFetcher, progress: Progress | None = None) -> FetchReport:
    """Fetch every tile of ``plan`` (cache first) into the GeoPackage tile pyramid ``out``
    (table ``basemap``, in the matrix set's CRS); the report counts the tiles that could not
    be had (the file holds the others)."""
    return _write_tiles(plan, out, _GpkgTiles(layer, source, plan, fetcher), progress)


def write_mbtiles(layer: MapLayer, plan: TilePlan, out: Path, fetcher: TileFetcher,
                  progress: Progress | None = None) -> FetchReport:
    """Fetch every tile of ``plan`` (cache first) into the MBTiles ``out``; the report
    counts the tiles that could not be had (the file holds the others)."""
    return _write_tiles(plan, out, _MbTiles(layer, plan, fetcher), progress)


class _TileWriter(Protocol):
    """One tile file's layout: its tiles in fetching order, its tables, a batch fetched
    and inserted, what is written once all tiles are in."""

    def tiles(self) -> list[tuple[int, int, int]]: ...

    def begin(self, conn: sqlite3.Connection) -> None: ...

    def add(self, conn: sqlite3.Connection, batch: list[tuple[int, int, int]],
            report: FetchReport) -> None: ...

    def end(self, conn: sqlite3.Connection) -> None: ...


def _write_tiles(plan: TilePlan, out: Path, writer: _TileWriter,
                 progress: Progress | None) -> FetchReport:
    """The one loop of both tile files: refuse too many tiles, then fetch and insert the
    tiles in batches (with progress) into a file that replaces ``out`` when complete."""
    prog = ensure(progress)
    if plan.count > MAX_TILES:
        raise ValidationError("the base map would need {count:,} tiles (over {limit:,}); "
                              "choose a lower --basemap-zoom", count=plan.count,
                              limit=MAX_TILES)
    report = FetchReport()
    tiles = writer.tiles()
    with atomic_path(out) as tmp:
        conn = sqlite3.connect(tmp)
        try:
            writer.begin(conn)
            for start in range(0, len(tiles), BATCH):
                prog.update(start, len(tiles), msg("base map tiles"))
                writer.add(conn, tiles[start:start + BATCH], report)
            writer.end(conn)
            conn.commit()
        finally:
            conn.close()
    prog.update(len(tiles), len(tiles), msg("base map tiles"))
    return report


class _GpkgTiles:
    """A WMTS's tiles as a GeoPackage tile pyramid (table ``basemap``): tiles as
    (matrix index, column, row)."""

    def __init__(self, layer: MapLayer, source: WmtsSource, plan: TilePlan,
                 fetcher: TileFetcher) -> None:
        self.layer, self.source, self.plan, self.fetcher = layer, source, plan, fetcher

    def tiles(self) -> list[tuple[int, int, int]]:
        return [(i, c, r) for i, (c0, r0, c1, r1) in self.plan.ranges.items()
                for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def begin(self, conn: sqlite3.Connection) -> None:
        from pyproj import CRS

        from citymgr_desktop.core.gpkg.connection import exec_script
        from citymgr_desktop.core.gpkg.tables import add_srs, init_geopackage

        source, plan = self.source, self.plan
        first = source.matrices[0]
        w, h = _span(first)
        deepest = source.matrices[max(plan.ranges)]
        c0, r0, c1, r1 = plan.ranges[max(plan.ranges)]
        covered = deepest.bounds(c0, r0, c1, r1)
        init_geopackage(conn)
        conn.execute("DROP TABLE citymgr_meta")  # GDAL would list it as a vector layer
        srs_id = add_srs(conn, CRS.from_user_input(source.crs))
        exec_script(conn, _TILES_DDL)
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                     "description, min_x, min_y, max_x, max_y, srs_id) VALUES "
                     "('basemap', 'tiles', ?, ?, ?, ?, ?, ?, ?)",
                     (self.layer.name, self.layer.attribution, *covered, srs_id))
        conn.execute("INSERT INTO gpkg_tile_matrix_set VALUES ('basemap', ?, ?, ?, ?, ?)",
                     (srs_id, first.left, first.top - h, first.left + w, first.top))
        conn.executemany("INSERT INTO gpkg_tile_matrix VALUES ('basemap',?,?,?,?,?,?,?)", [
            (i, m.matrix_width, m.matrix_height, m.tile_width, m.tile_height,
             m.resolution, m.resolution)
            for i, m in ((i, source.matrices[i]) for i in plan.ranges)])

    def add(self, conn: sqlite3.Connection, batch: list[tuple[int, int, int]],
            report: FetchReport) -> None:
        by_level: dict[int, list[tuple[int, int, int]]] = {}
        for tile in batch:
            by_level.setdefault(tile[0], []).append(tile)
        for i, level_tiles in by_level.items():
            url = self.source.matrix_template(self.source.matrices[i])
            got = self.fetcher.fetch(url, url, level_tiles, report)
            conn.executemany("INSERT INTO basemap (zoom_level, tile_column, tile_row, "
                             "tile_data) VALUES (?,?,?,?)",
                             [(z, c, r, content) for (z, c, r), content in got.items()])

    def end(self, conn: sqlite3.Connection) -> None:
        pass


class _MbTiles:
    """XYZ tiles as an MBTiles file (rows counted from the south, the format from the
    tiles): tiles as (zoom, x, y)."""

    def __init__(self, layer: MapLayer, plan: TilePlan, fetcher: TileFetcher) -> None:
        self.layer, self.plan, self.fetcher = layer, plan, fetcher
        self.format = "png"

    def tiles(self) -> list[tuple[int, int, int]]:
        return [(z, x, y) for z, (x0, y0, x1, y1) in self.plan.ranges.items()
                for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]

    def begin(self, conn: sqlite3.Connection) -> None:
        conn.executescript(
            "CREATE TABLE metadata (name TEXT, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
            "tile_row INTEGER, tile_data BLOB);"
            "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")

    def add(self, conn: sqlite3.Connection, batch: list[tuple[int, int, int]],
            report: FetchReport) -> None:
        got = self.fetcher.fetch(self.layer.location, self.layer.url(), batch, report)
        for (z, x, y), content in got.items():
            if content[:3] == b"\xff\xd8\xff":
                self.format = "jpg"
            conn.execute("INSERT INTO tiles VALUES (?,?,?,?)",
                         (z, x, (1 << z) - 1 - y, content))

    def end(self, conn: sqlite3.Connection) -> None:
        layer, plan = self.layer, self.plan
        w, s, e, n = plan.lonlat
        meta = {"name": layer.name, "format": self.format, "type": "baselayer",
                "version": "1.0", "description": layer.location.split("?")[0],
                "attribution": layer.attribution, "bounds": f"{w},{s},{e},{n}",
                "center": f"{(w + e) / 2},{(s + n) / 2},{max(plan.ranges)}",
                "minzoom": str(min(plan.ranges)), "maxzoom": str(max(plan.ranges))}
        conn.executemany("INSERT INTO metadata VALUES (?,?)", meta.items())


def export_reference_vectors(layers: list[MapLayer], project_folder: Path,
                             extent: tuple[float, float, float, float], crs_wkt: str,
                             out: Path) -> dict[str, int]:
    """The features of the reference vector ``layers`` meeting ``extent`` (project CRS),
    in the project CRS, one layer each in the GeoPackage ``out``; returns name -> count."""
    import pyogrio

    from citymgr_desktop.core.basemaps.layers import file_crs

    counts: dict[str, int] = {}
    with atomic_path(out) as tmp:
        for layer in layers:
            src_crs = file_crs(layer, project_folder)
            bbox = bounds_in(extent, crs_wkt, src_crs)
            frame = pyogrio.read_dataframe(layer.path(project_folder), bbox=bbox)
            frame = frame.set_crs(src_crs, allow_override=True).to_crs(crs_wkt)
            pyogrio.write_dataframe(frame, tmp, layer=layer.name, driver="GPKG",
                                    append=bool(counts))
            counts[layer.name] = len(frame)
    return counts
