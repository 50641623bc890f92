"""Rasters and tiles reprojected onto the map's pixel grid, as RGBA arrays (no Qt).

A file raster (GeoTIFF, JPEG2000, MBTiles, GeoPackage tiles) is read through rasterio at
about the view's resolution (GDAL picks the overview or zoom level), then warped with
GDAL's reprojection to the view's grid in the project CRS. Tiles of a URL template are put
together into one Web Mercator mosaic first and warped the same way.
"""

from __future__ import annotations

import threading
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


_local = threading.local()


def _crs(wkt: str):  # rasterio.crs.CRS, imported lazily
    """A GDAL CRS per thread and definition (parsing WKT each time costs ~40 ms a call)."""
    from rasterio.crs import CRS

    cache = getattr(_local, "crs", None)
    if cache is None:
        cache = _local.crs = {}
    if wkt not in cache:
        cache[wkt] = CRS.from_user_input(wkt)
    return cache[wkt]


def bounds_in(extent: tuple[float, float, float, float], src_wkt: str, dst_wkt: str,
              points: int = 21) -> tuple[float, float, float, float]:
    """``extent`` (in ``src_wkt``) as a box in ``dst_wkt``, its edges densified (rasterio's
    transform_bounds is ~30 times slower)."""
    from rasterio.warp import transform

    x0, y0, x1, y1 = extent
    t = np.linspace(0.0, 1.0, points)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(points, x1), x0 + (x1 - x0) * t,
                         np.full(points, x0)])
    ys = np.concatenate([np.full(points, y0), y0 + (y1 - y0) * t, np.full(points, y1),
                         y0 + (y1 - y0) * t])
    tx, ty = transform(_crs(src_wkt), _crs(dst_wkt), xs, ys)
    tx, ty = np.asarray(tx), np.asarray(ty)
    ok = np.isfinite(tx) & np.isfinite(ty)
    if not ok.any():
        raise ValueError("outside the CRS's area")
    return float(tx[ok].min()), float(ty[ok].min()), float(tx[ok].max()), float(ty[ok].max())


def source_pixels(grid: ViewGrid, src_transform, src_wkt: str, step: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the view's pixel corners at every ``step`` pixels (and the far edges) fall in a
    source image: (xs, ys) device corners and (cols, rows) source pixel coordinates, each
    (ny, nx). The canvas draws the image piecewise between these points (as GDAL's
    approximate transformer interpolates between exact points)."""
    from rasterio.warp import transform

    xs = np.unique(np.append(np.arange(0, grid.width, step), grid.width)).astype(float)
    ys = np.unique(np.append(np.arange(0, grid.height, step), grid.height)).astype(float)
    x0, y0, x1, y1 = grid.extent
    gx, gy = np.meshgrid(x0 + xs * (x1 - x0) / grid.width, y1 - ys * (y1 - y0) / grid.height)
    sx, sy = transform(_crs(grid.crs_wkt), _crs(src_wkt), gx.ravel(), gy.ravel())
    sx, sy = np.asarray(sx), np.asarray(sy)
    inverse = ~src_transform
    cols = (sx * inverse.a + sy * inverse.b + inverse.c).reshape(gx.shape)
    rows = (sx * inverse.d + sy * inverse.e + inverse.f).reshape(gx.shape)
    dx, dy = np.meshgrid(xs, ys)
    return dx, dy, cols, rows


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
    """The raster file of ``layer`` warped by GDAL onto the view grid (height × width ×
    RGBA, transparent where it has no data)."""
    window = raster_window(layer, grid, project_folder)
    if window is None:
        return _empty(grid)
    return _warp(np.ascontiguousarray(window.rgba.transpose(2, 0, 1)), window.transform,
                 window.crs_wkt, grid)


def raster_window(layer: MapLayer, grid: ViewGrid, project_folder: Path | None = None
                  ) -> Mosaic | None:
    """The part of ``layer``'s raster file under the view, read at about the view's
    resolution (GDAL picks the overview), in its own CRS (``None``: nothing in view)."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window, from_bounds

    path = layer.path(project_folder)
    src_crs = file_crs(layer, project_folder)
    try:
        with rasterio.open(path) as src:
            try:
                b = bounds_in(grid.extent, grid.crs_wkt, src_crs)
            except Exception:  # the view is outside the source CRS's area
                return None
            left, bottom = max(b[0], src.bounds.left), max(b[1], src.bounds.bottom)
            right, top = min(b[2], src.bounds.right), min(b[3], src.bounds.top)
            if right <= left or top <= bottom:
                return None
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
    rgba = np.ascontiguousarray(_as_rgba(bands, mask, colormap).transpose(1, 2, 0))
    return Mosaic(rgba, transform, src_crs)


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


@dataclass(frozen=True)
class Mosaic:
    """Tiles put together: height × width × RGBA, its affine transform and CRS."""

    rgba: np.ndarray
    transform: object  # affine.Affine
    crs_wkt: str


def tiles_rgba(layer: MapLayer, grid: ViewGrid, fetcher: TileFetcher, report: FetchReport, *,
               wait: bool = True, max_zoom: int = 19) -> np.ndarray:
    """The tiles of an ``xyz`` layer warped to the view grid by GDAL (command line, print).
    ``wait=False`` takes only cached tiles (``report.pending`` counts those on their way)."""
    mosaic = tiles_mosaic(layer, grid, fetcher, report, wait=wait, max_zoom=max_zoom)
    if mosaic is None:
        return _empty(grid)
    return _warp(np.ascontiguousarray(mosaic.rgba.transpose(2, 0, 1)), mosaic.transform,
                 mosaic.crs_wkt, grid)


def tiles_mosaic(layer: MapLayer, grid: ViewGrid, fetcher: TileFetcher, report: FetchReport,
                 *, wait: bool = True, max_zoom: int = 19) -> Mosaic | None:
    """The tiles of an ``xyz`` layer covering the view, as one Web Mercator image (``None``
    when none is at hand)."""
    from rasterio.transform import from_bounds

    if layer.kind == "wmts":
        return wmts_mosaic(layer, grid, fetcher, report, wait=wait)
    try:
        b = bounds_in(grid.extent, grid.crs_wkt, WEB_MERCATOR)
    except Exception:  # no Web Mercator for this view
        return None
    metres_per_px = max((b[2] - b[0]) / grid.width, (b[3] - b[1]) / grid.height)
    z = zoom_for(metres_per_px, max_zoom)
    while True:
        x0, y0, x1, y1 = tile_range(b, z)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES or z == 0:
            break
        z -= 1
    for (location, mz, mx0, my0, mx1, my1), complete in reversed(fetcher.mosaics.items()):
        if location == layer.location and mz == z and mx0 <= x0 and my0 <= y0 \
                and mx1 >= x1 and my1 >= y1:
            return complete  # a mosaic made for a frame before covers this one (pan, redraw)
    if not wait:  # the canvas: a tile more on each side, so that a pan can reuse it
        n = (1 << z) - 1
        padded = (max(x0 - 1, 0), max(y0 - 1, 0), min(x1 + 1, n), min(y1 + 1, n))
        if (padded[2] - padded[0] + 1) * (padded[3] - padded[1] + 1) <= MAX_TILES:
            x0, y0, x1, y1 = padded
    tiles = [(z, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
    key = (layer.location, z, x0, y0, x1, y1)
    decoded = {t: fetcher.decoded.get((layer.location, t)) for t in tiles}
    get = fetcher.fetch if wait else fetcher.cached
    contents: dict = get(layer.location, layer.url(),
                         [t for t, d in decoded.items() if d is None], report)
    contents.update({t: d for t, d in decoded.items() if d is not None})
    if not contents:
        return None
    mosaic = _assemble(contents, layer.location, fetcher, report, (x0, y0, x1, y1),
                       (TILE_PX, TILE_PX))
    transform = from_bounds(*tile_bounds(x0, y0, x1, y1, z), mosaic.shape[1], mosaic.shape[0])
    result = Mosaic(mosaic, transform, WEB_MERCATOR)
    if len(contents) == len(tiles) and not report.failed:
        fetcher.remember(key, result)
    return result


def _assemble(contents: dict, location: str, fetcher: TileFetcher, report: FetchReport,
              box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """Tiles (encoded or decoded) put into one height × width × RGBA image (the layout
    QImage and the decoded-tile memory use); an answer that is not an image is reported."""
    x0, y0, x1, y1 = box
    width, height = size
    mosaic = np.zeros(((y1 - y0 + 1) * height, (x1 - x0 + 1) * width, 4), dtype=np.uint8)
    for (z, x, y), content in contents.items():
        try:
            if isinstance(content, np.ndarray):
                tile = content
            else:
                tile = np.ascontiguousarray(decode_tile(content).transpose(1, 2, 0))
                fetcher.keep_decoded((location, (z, x, y)), tile)
        except ValueError:
            report.add("not an image")
            continue
        if tile.shape[:2] != (height, width):
            report.add(f"not a {width}-pixel tile")
            continue
        r, c = (y - y0) * height, (x - x0) * width
        mosaic[r:r + height, c:c + width] = tile
    return mosaic


def wmts_mosaic(layer: MapLayer, grid: ViewGrid, fetcher: TileFetcher, report: FetchReport,
                *, wait: bool = True) -> Mosaic | None:
    """The tiles of a ``wmts`` layer covering the view, from the tile matrix whose pixels are
    about the view's, as one image in the tile matrix set's CRS (``None``: none at hand)."""
    from rasterio.transform import from_bounds

    from citymgr_desktop.core.basemaps.wmts import known_source, read_in_background, wmts_source

    source = known_source(layer.url())
    if source is None and not wait:  # the canvas never waits for the capabilities either
        if fetcher.start_once(("wmts", layer.url()), read_in_background, layer.url()):
            report.pending += 1
        return None
    if source is None:
        source = wmts_source(layer.url())
    try:
        b = bounds_in(grid.extent, grid.crs_wkt, source.crs)
    except Exception:  # the view is outside the set's CRS's area
        return None
    i = source.matrix_for(max((b[2] - b[0]) / grid.width, (b[3] - b[1]) / grid.height))
    while True:
        matrix = source.matrices[i]
        box = matrix.tile_range(b)
        if box is None:
            return None
        if (box[2] - box[0] + 1) * (box[3] - box[1] + 1) <= MAX_TILES or i == 0:
            break
        i -= 1
    x0, y0, x1, y1 = box
    key = (layer.location, i, x0, y0, x1, y1)
    for (location, mi, mx0, my0, mx1, my1), complete in reversed(fetcher.mosaics.items()):
        if (location, mi) == (layer.location, i) and mx0 <= x0 and my0 <= y0 \
                and mx1 >= x1 and my1 >= y1:
            return complete
    tiles = [(i, x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
    url = source.matrix_template(matrix)
    decoded = {t: fetcher.decoded.get((layer.location, t)) for t in tiles}
    get = fetcher.fetch if wait else fetcher.cached
    contents: dict = get(url, url, [t for t, d in decoded.items() if d is None], report)
    contents.update({t: d for t, d in decoded.items() if d is not None})
    if not contents:
        return None
    mosaic = _assemble(contents, layer.location, fetcher, report, box,
                       (matrix.tile_width, matrix.tile_height))
    transform = from_bounds(*matrix.bounds(*box), mosaic.shape[1], mosaic.shape[0])
    result = Mosaic(mosaic, transform, source.crs)
    if len(contents) == len(tiles) and not report.failed:
        fetcher.remember(key, result)
    return result
