"""Rasters and tiles reprojected onto the map's pixel grid, as RGBA arrays (no Qt).

A file raster (GeoTIFF, JPEG2000, MBTiles, GeoPackage tiles) is read through rasterio at
about the view's resolution (GDAL picks the overview or zoom level), then warped with
GDAL's reprojection to the view's grid in the project CRS. Tiles of a URL template are put
together into one Web Mercator mosaic first and warped the same way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from citymgr_desktop.core.basemaps.layers import MapLayer, file_crs
from citymgr_desktop.core.basemaps.tiles import (
    TILE_PX,
    FetchReport,
    TileFetcher,
    tile_bounds,
    tile_range,
    zoom_for,
)
from citymgr_desktop.core.errors import BadFileError

MAX_TILES = 144  # tiles in one view at most (the zoom goes down beyond that)
WEB_MERCATOR = "EPSG:3857"


@dataclass(frozen=True)
class ViewGrid:
    """The pixels of a map view: ``extent`` (map CRS) over ``width`` × ``height``."""

    extent: tuple[float, float, float, float]
    width: int
    height: int
    crs_wkt: str

    def transform(self):
        from rasterio.transform import from_bounds

        return from_bounds(*self.extent, self.width, self.height)


def _empty(grid: ViewGrid) -> np.ndarray:
    return np.zeros((grid.height, grid.width, 4), dtype=np.uint8)


def _warp(rgba: np.ndarray, src_transform, src_crs: str, grid: ViewGrid) -> np.ndarray:
    """Warp a band-first RGBA array onto the view grid (bilinear; alpha marks coverage)."""
    from rasterio.warp import Resampling, reproject

    out = np.zeros((4, grid.height, grid.width), dtype=np.uint8)
    reproject(rgba, out, src_transform=src_transform, src_crs=src_crs,
              dst_transform=grid.transform(), dst_crs=grid.crs_wkt,
              resampling=Resampling.bilinear, src_nodata=None, dst_nodata=None)
    return np.ascontiguousarray(out.transpose(1, 2, 0))


def _as_rgba(bands: np.ndarray, mask: np.ndarray, colormap: dict | None) -> np.ndarray:
    """Band-first RGBA from 1 (grey or palette), 2 (grey+alpha), 3 or 4 bands."""
    count = bands.shape[0]
    if bands.dtype != np.uint8:
        lo, hi = np.nanpercentile(bands[:, mask > 0], [2, 98]) if mask.any() else (0, 1)
        bands = np.clip((bands.astype("float64") - lo) / max(hi - lo, 1e-9) * 255, 0, 255
                        ).astype(np.uint8)
    if count == 1 and colormap:
        lut = np.zeros((256, 4), dtype=np.uint8)
        for value, colour in colormap.items():
            if 0 <= value < 256:
                lut[value] = colour
        rgba = lut[bands[0]].transpose(2, 0, 1).copy()
        rgba[3] = np.minimum(rgba[3], mask)
        return rgba
    if count in (1, 2):
        alpha = mask if count == 1 else np.minimum(mask, bands[1])
        return np.stack([bands[0], bands[0], bands[0], alpha])
    alpha = mask if count == 3 else np.minimum(mask, bands[3])
    return np.stack([bands[0], bands[1], bands[2], alpha])


def raster_rgba(layer: MapLayer, grid: ViewGrid, project_folder: Path | None = None
                ) -> np.ndarray:
    """The raster file of ``layer`` on the view grid (height × width × RGBA, transparent
    where it has no data)."""
    import rasterio
    from affine import Affine
    from rasterio.warp import transform_bounds
    from rasterio.windows import Window, from_bounds

    path = layer.path(project_folder)
    src_crs = file_crs(layer, project_folder)
    try:
        with rasterio.open(path) as src:
            try:
                b = transform_bounds(grid.crs_wkt, src_crs, *grid.extent, densify_pts=21)
            except Exception:
                return _empty(grid)
            left, bottom = max(b[0], src.bounds.left), max(b[1], src.bounds.bottom)
            right, top = min(b[2], src.bounds.right), min(b[3], src.bounds.top)
            if right <= left or top <= bottom:
                return _empty(grid)
            window = from_bounds(left, bottom, right, top, src.transform)
            window = window.round_offsets().round_lengths()
            window = window.intersection(Window(0, 0, src.width, src.height))
            # read at most about twice the view's pixels (GDAL uses overviews below that)
            factor = max(window.width / (2 * grid.width), window.height / (2 * grid.height), 1.0)
            shape = (max(1, int(window.height / factor)), max(1, int(window.width / factor)))
            bands = src.read(window=window, out_shape=(src.count, *shape))
            mask = src.dataset_mask(window=window, out_shape=shape)
            colormap = None
            if src.count == 1:
                try:
                    colormap = src.colormap(1)
                except ValueError:
                    colormap = None
            transform = src.window_transform(window) @ Affine.scale(
                window.width / shape[1], window.height / shape[0])
    except rasterio.errors.RasterioIOError as exc:
        raise BadFileError("{path}: cannot be read as a raster ({reason})", path=path,
                           reason=str(exc).splitlines()[0]) from None
    return _warp(_as_rgba(bands, mask, colormap), transform, src_crs, grid)


def decode_tile(content: bytes) -> np.ndarray:
    """A tile image (PNG, JPEG, WebP...) as band-first RGBA; raises ValueError if it is not
    an image (an XML or HTML error answer)."""
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
    from rasterio.io import MemoryFile

    try:
        # a tile has no place of its own: GDAL's warning about it says nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with MemoryFile(content) as memory, memory.open() as src:
                bands = src.read()
                colormap = None
                if src.count == 1:
                    try:
                        colormap = src.colormap(1)
                    except ValueError:
                        colormap = None
    except RasterioIOError:
        raise ValueError("not an image") from None
    mask = np.full(bands.shape[1:], 255, dtype=np.uint8)
    return _as_rgba(bands, mask, colormap)


def tiles_rgba(layer: MapLayer, grid: ViewGrid, fetcher: TileFetcher, report: FetchReport, *,
               wait: bool = True, max_zoom: int = 19) -> np.ndarray:
    """The tiles of an ``xyz`` layer on the view grid. ``wait=False`` takes only cached tiles
    (``report.pending`` counts those on their way)."""
    from rasterio.transform import from_bounds
    from rasterio.warp import transform_bounds

    try:
        b = transform_bounds(grid.crs_wkt, WEB_MERCATOR, *grid.extent, densify_pts=21)
    except Exception:
        return _empty(grid)
    metres_per_px = max((b[2] - b[0]) / grid.width, (b[3] - b[1]) / grid.height)
    z = zoom_for(metres_per_px, max_zoom)
    while True:
        x0, y0, x1, y1 = tile_range(b, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES or z == 0:
            break
        z -= 1
    tiles = [(z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
    get = fetcher.fetch if wait else fetcher.cached
    contents = get(layer.location, layer.url(), tiles, report)
    mosaic = np.zeros((4, (y1 - y0 + 1) * TILE_PX, (x1 - x0 + 1) * TILE_PX), dtype=np.uint8)
    for (_, x, y), content in contents.items():
        try:
            tile = decode_tile(content)
        except ValueError:
            report.add("not an image")
            continue
        if tile.shape[1:] != (TILE_PX, TILE_PX):
            report.add("not a 256-pixel tile")
            continue
        r, c = (y - y0) * TILE_PX, (x - x0) * TILE_PX
        mosaic[:, r:r + TILE_PX, c:c + TILE_PX] = tile
    if not contents:
        return _empty(grid)
    transform = from_bounds(*tile_bounds(x0, y0, x1, y1, z), mosaic.shape[2], mosaic.shape[1])
    return _warp(mosaic, transform, WEB_MERCATOR, grid)
