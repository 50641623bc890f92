"""Test material for base maps: a real HTTP tile server in a thread (generated PNG tiles,
404s, 500s, an XML "bad key" answer), rasters written with GDAL (rasterio) and the
quadrant colours they all share, so a pixel's expected colour follows from its position."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


class TileServer:
    """``http://127.0.0.1:PORT/<kind>/{z}/{x}/{y}.png`` with kind ``quad`` (tiles),
    ``missing`` (404), ``broken`` (500) or ``badkey`` (200 with an XML error, like 天地图)."""

    def __init__(self, centre: tuple[float, float]) -> None:
        self.centre = centre
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = self.path.split("?")[0].strip("/").split("/")
                kind = parts[0]
                server.requests[kind] += 1
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
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
