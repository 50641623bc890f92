"""Test material for base maps: a real HTTP tile server in a thread (generated PNG tiles,
404s, 500s, an XML "bad key" answer), rasters written with GDAL (rasterio) and the
quadrant colours they all share, so a pixel's expected colour follows from its position."""

from __future__ import annotations

import io
import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np

ORIGIN = 20037508.342789244
# quadrants around a centre: north-west, north-east, south-west, south-east
COLOURS = {"nw": (220, 30, 30), "ne": (30, 200, 30), "sw": (30, 30, 220), "se": (230, 210, 20)}


def quadrant(x: float, y: float, cx: float, cy: float) -> str:
    return ("n" if y >= cy else "s") + ("w" if x < cx else "e")


def quadrant_image(xs: np.ndarray, ys: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """Band-first RGB of the quadrant colours at pixel centres ``xs`` (cols) × ``ys`` (rows)."""
    gx, gy = np.meshgrid(xs, ys)
    out = np.zeros((3, *gx.shape), dtype=np.uint8)
    for name, colour in COLOURS.items():
        north, west = name[0] == "n", name[1] == "w"
        sel = ((gy >= cy) == north) & ((gx < cx) == west)
        for band in range(3):
            out[band][sel] = colour[band]
    return out


def tile_png(z: int, x: int, y: int, cx: float, cy: float) -> bytes:
    """A 256-pixel PNG tile of the quadrant picture around Web Mercator (cx, cy)."""
    from PIL import Image

    size = 2 * ORIGIN / (1 << z)
    px = size / 256
    xs = -ORIGIN + x * size + (np.arange(256) + 0.5) * px
    ys = ORIGIN - y * size - (np.arange(256) + 0.5) * px
    rgb = quadrant_image(xs, ys, cx, cy).transpose(1, 2, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Web Mercator metres as longitude, latitude (degrees)."""
    r = 6378137.0
    return math.degrees(x / r), math.degrees(2 * math.atan(math.exp(y / r)) - math.pi / 2)


def geographic_tile_png(level: int, col: int, row: int, cx: float, cy: float) -> bytes:
    """A 256-pixel PNG tile of 天地图's CGCS2000 ``c`` set (level 1: 2 × 1 tiles of 180°) of
    the quadrant picture around Web Mercator (cx, cy) (its quadrants' borders are a meridian
    and a parallel, the same in both CRSs)."""
    from PIL import Image

    size = 180.0 / (1 << (level - 1))
    px = size / 256
    xs = -180 + col * size + (np.arange(256) + 0.5) * px
    ys = 90 - row * size - (np.arange(256) + 0.5) * px
    rgb = quadrant_image(xs, ys, *lonlat(cx, cy)).transpose(1, 2, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def wmts_capabilities(base: str) -> bytes:
    """A WMTS GetCapabilities document like 天地图's: layer ``quad`` (RESTful ResourceURL)
    and ``quadkvp`` (KVP GetTile only), each in set ``w`` (EPSG:3857, GoogleMapsCompatible
    denominators) and ``c`` (EPSG:4490, latitude first, 天地图's 96-dpi denominators)."""
    def matrices(first: float, corner: str, width: int, levels: range) -> str:
        return "".join(
            f"<TileMatrix><ows:Identifier>{z}</ows:Identifier><ScaleDenominator>"
            f"{first / (1 << (z - levels[0]))!r}</ScaleDenominator><TopLeftCorner>{corner}"
            f"</TopLeftCorner><TileWidth>256</TileWidth><TileHeight>256</TileHeight>"
            f"<MatrixWidth>{width << (z - levels[0])}</MatrixWidth><MatrixHeight>"
            f"{1 << (z - levels[0])}</MatrixHeight></TileMatrix>" for z in levels)

    def layer(name: str, resource: str) -> str:
        return (f"<Layer><ows:Title>{name}</ows:Title><ows:Identifier>{name}</ows:Identifier>"
                "<Style isDefault='true'><ows:Identifier>default</ows:Identifier></Style>"
                "<Format>image/png</Format><TileMatrixSetLink><TileMatrixSet>w</TileMatrixSet>"
                "</TileMatrixSetLink><TileMatrixSetLink><TileMatrixSet>c</TileMatrixSet>"
                f"</TileMatrixSetLink>{resource}</Layer>")

    rest = (f"<ResourceURL format='image/png' resourceType='tile' template='{base}/wmts/rest/"
            "{TileMatrixSet}/{Style}/{TileMatrix}/{TileRow}/{TileCol}.png'/>")
    return (
        "<?xml version='1.0' encoding='UTF-8'?><Capabilities version='1.0.0' "
        "xmlns='http://www.opengis.net/wmts/1.0' xmlns:ows='http://www.opengis.net/ows/1.1' "
        "xmlns:xlink='http://www.w3.org/1999/xlink'><ows:OperationsMetadata>"
        "<ows:Operation name='GetTile'><ows:DCP><ows:HTTP>"
        f"<ows:Get xlink:href='{base}/wmts/kvp?'/></ows:HTTP></ows:DCP></ows:Operation>"
        f"</ows:OperationsMetadata><Contents>{layer('quad', rest)}{layer('quadkvp', '')}"
        "<TileMatrixSet><ows:Identifier>w</ows:Identifier><ows:SupportedCRS>"
        "urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>"
        f"{matrices(559082264.0287178, '-20037508.3427892 20037508.3427892', 1, range(0, 19))}"
        "</TileMatrixSet><TileMatrixSet><ows:Identifier>c</ows:Identifier><ows:SupportedCRS>"
        "urn:ogc:def:crs:EPSG::4490</ows:SupportedCRS>"
        f"{matrices(2.958293554545656e8, '90.0 -180.0', 2, range(1, 19))}"
        "</TileMatrixSet></Contents></Capabilities>").encode()


class TileServer:
    """``http://127.0.0.1:PORT/<kind>/{z}/{x}/{y}.png`` with kind ``quad`` (tiles),
    ``missing`` (404), ``broken`` (500) or ``badkey`` (200 with an XML error, like 天地图);
    a WMTS: ``/wmts/capabilities`` (``/wmts/notcaps``: an HTML page, ``/wmts/slowcaps``: the capabilities once
    :attr:`release_slow` is set), tiles at
    ``/wmts/rest/{set}/{style}/{matrix}/{row}/{col}.png`` and ``/wmts/kvp?...``."""

    def __init__(self, centre: tuple[float, float]) -> None:
        self.centre = centre
        self.requests: Counter[str] = Counter()
        self.wmts_tiles: Counter[str] = Counter()  # tiles served per tile matrix set
        self.release_slow = threading.Event()  # /wmts/slowcaps answers once this is set
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                kind = parts[0]
                server.requests[kind] += 1
                if kind == "wmts":
                    self._wmts(parts)
                    return
                if kind == "missing" or len(parts) != 4:
                    self.send_error(404)
                    return
                if kind == "broken":
                    self.send_error(500)
                    return
                if kind == "badkey":
                    body = b"<?xml version='1.0'?><ows:ExceptionReport>invalid key</ows:ExceptionReport>"
                    content_type = "text/xml"
                else:
                    z, x, y = int(parts[1]), int(parts[2]), int(parts[3].split(".")[0])
                    body = tile_png(z, x, y, *server.centre)
                    content_type = "image/png"
                self._answer(body, content_type)

            def _answer(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _wmts(self, parts: list[str]) -> None:
                server.requests["wmts " + (parts[1] if len(parts) > 1 else "")] += 1
                if parts[1:] == ["capabilities"]:
                    base = f"http://127.0.0.1:{server.httpd.server_address[1]}"
                    self._answer(wmts_capabilities(base), "text/xml")
                    return
                if parts[1:] == ["slowcaps"]:  # a server that takes its time
                    server.release_slow.wait(20)
                    base = f"http://127.0.0.1:{server.httpd.server_address[1]}"
                    self._answer(wmts_capabilities(base), "text/xml")
                    return
                if parts[1:] == ["notcaps"]:
                    self._answer(b"<html><body>Service unavailable</body></html>", "text/html")
                    return
                if parts[1] == "kvp":
                    query = {k.upper(): v for k, v in parse_qsl(self.path.split("?", 1)[1])}
                    tms, z = query["TILEMATRIXSET"], int(query["TILEMATRIX"])
                    row, col = int(query["TILEROW"]), int(query["TILECOL"])
                elif parts[1] == "rest" and len(parts) == 7:
                    tms, z, row = parts[2], int(parts[4]), int(parts[5])
                    col = int(parts[6].split(".")[0])
                else:
                    self.send_error(404)
                    return
                server.wmts_tiles[tms] += 1
                self._answer(tile_png(z, col, row, *server.centre) if tms == "w" else
                             geographic_tile_png(z, col, row, *server.centre), "image/png")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, kind: str = "quad") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{kind}/{{z}}/{{x}}/{{y}}.png"


@contextmanager
def tile_server(centre: tuple[float, float]) -> Iterator[TileServer]:
    server = TileServer(centre)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def write_quadrant_geotiff(path: Path, crs: str | None, bounds: tuple[float, float, float, float],
                           centre: tuple[float, float], size: int = 400) -> Path:
    """A GeoTIFF (written by GDAL through rasterio) of the quadrant picture."""
    import rasterio
    from rasterio.transform import from_bounds

    x0, y0, x1, y1 = bounds
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y1 - (np.arange(size) + 0.5) * (y1 - y0) / size
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs=crs, transform=from_bounds(*bounds, size, size)) as dst:
        dst.write(quadrant_image(xs, ys, *centre))
    return path


def write_mbtiles(geotiff: Path, path: Path) -> Path:
    """An MBTiles made by GDAL's MBTiles driver from ``geotiff`` (reprojected to 3857)."""
    import rasterio.shutil

    rasterio.shutil.copy(geotiff, path, driver="MBTiles", TILE_FORMAT="PNG", RESAMPLING="NEAREST")
    return path


if __name__ == "__main__":  # a server in its own process (benchmarks): prints its port
    import sys

    server = TileServer((float(sys.argv[1]), float(sys.argv[2])))
    print(server.httpd.server_address[1], flush=True)
    server.httpd.serve_forever()
