"""A base map taken offline: the tiles of a package's extent, zoom levels from the one
that shows the whole area up to a chosen zoom, written into an MBTiles file (the MBTiles
1.3 layout GDAL, QGIS and QField read), with the size estimated before anything is fetched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.basemaps.layers import MapLayer
from citymgr_desktop.core.basemaps.raster import WEB_MERCATOR, bounds_in
from citymgr_desktop.core.basemaps.tiles import FetchReport, TileFetcher, tile_range
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure

BYTES_PER_TILE = 25_000  # a typical 256-pixel PNG/JPEG of a city (for the estimate)
MAX_TILES = 200_000
BATCH = 64


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
    if not 0 <= max_zoom <= 22:
        raise ValidationError("--basemap-zoom {zoom}: use 0-22 (18 shows single buildings)",
                              zoom=max_zoom)
    merc = bounds_in(extent, crs_wkt, WEB_MERCATOR)
    lonlat = bounds_in(extent, crs_wkt, "EPSG:4326")
    ranges = {}
    for z in range(max_zoom, -1, -1):
        x0, y0, x1, y1 = tile_range(merc, z)
        ranges[z] = (x0, y0, x1, y1)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= 4:
            break
    return TilePlan(dict(sorted(ranges.items())), lonlat)


def write_mbtiles(layer: MapLayer, plan: TilePlan, out: Path, fetcher: TileFetcher,
                  progress: Progress | None = None) -> FetchReport:
    """Fetch every tile of ``plan`` (cache first) into the MBTiles ``out``; the report
    counts the tiles that could not be had (the file holds the others)."""
    prog = ensure(progress)
    if plan.count > MAX_TILES:
        raise ValidationError("the base map would need {count:,} tiles (over {limit:,}); "
                              "choose a lower --basemap-zoom", count=plan.count,
                              limit=MAX_TILES)
    report = FetchReport()
    tiles = [(z, x, y) for z, (x0, y0, x1, y1) in plan.ranges.items()
             for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    fmt = "png"
    with atomic_path(out) as tmp:
        conn = sqlite3.connect(tmp)
        try:
            conn.executescript(
                "CREATE TABLE metadata (name TEXT, value TEXT);"
                "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                "tile_row INTEGER, tile_data BLOB);"
                "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
            for start in range(0, len(tiles), BATCH):
                prog.update(start, len(tiles), msg("base map tiles"))
                batch = tiles[start:start + BATCH]
                got = fetcher.fetch(layer.location, layer.url(), batch, report)
                for (z, x, y), content in got.items():
                    if content[:3] == b"\xff\xd8\xff":
                        fmt = "jpg"
                    conn.execute("INSERT INTO tiles VALUES (?,?,?,?)",
                                 (z, x, (1 << z) - 1 - y, content))
            w, s, e, n = plan.lonlat
            meta = {"name": layer.name, "format": fmt, "type": "baselayer", "version": "1.0",
                    "description": layer.location.split("?")[0],
                    "attribution": layer.attribution, "bounds": f"{w},{s},{e},{n}",
                    "center": f"{(w + e) / 2},{(s + n) / 2},{max(plan.ranges)}",
                    "minzoom": str(min(plan.ranges)), "maxzoom": str(max(plan.ranges))}
            conn.executemany("INSERT INTO metadata VALUES (?,?)", meta.items())
            conn.commit()
        finally:
            conn.close()
    prog.update(len(tiles), len(tiles), msg("base map tiles"))
    return report


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
