"""Web Mercator tiles from an XYZ/TMS URL template: tile arithmetic, an on-disk cache in the
platform's cache folder with a size limit, and a fetcher that either waits (command line,
prints) or only takes what is cached and fetches the rest in background threads (the map
canvas: the vector drawing never waits for the network).
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORIGIN = 20037508.342789244  # half the Web Mercator world, metres
TILE_PX = 256
DEFAULT_CACHE_MB = 500
TIMEOUT_S = 8.0
MOSAICS_KEPT = 4
DECODED_KEPT = 256  # decoded tiles in memory (256 KB each)
USER_AGENT = "citymgr-desktop (tile fetcher)"

Tile = tuple[int, int, int]  # z, x, y (XYZ numbering: y down from the north)


def cache_folder() -> Path:
    """The platform's cache folder for tiles (``CITYMGR_TILE_CACHE`` overrides it)."""
    env = os.environ.get("CITYMGR_TILE_CACHE")
    if env:
        return Path(env)
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "citymgr-desktop" / "cache" / "tiles"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "citymgr-desktop" / "tiles"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "citymgr-desktop" / "tiles"


def cache_limit_bytes() -> int:
    try:
        return int(float(os.environ.get("CITYMGR_TILE_CACHE_MB", DEFAULT_CACHE_MB)) * 1e6)
    except ValueError:
        return DEFAULT_CACHE_MB * 1_000_000


def resolution(z: int) -> float:
    """Metres per pixel of zoom ``z``."""
    return 2 * ORIGIN / TILE_PX / (1 << z)


def zoom_for(metres_per_pixel: float, max_zoom: int = 19) -> int:
    """The zoom whose pixels are at least as fine as ``metres_per_pixel``."""
    z = math.ceil(math.log2(2 * ORIGIN / TILE_PX / max(metres_per_pixel, 1e-6)) - 0.3)
    return int(min(max(z, 0), max_zoom))


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (inclusive) of the tiles covering Web Mercator ``bounds`` at ``z``."""
    n = 1 << z
    size = 2 * ORIGIN / n

    def clamp(v: float) -> int:
        return min(max(math.floor(v), 0), n - 1)

    return (clamp((bounds[0] + ORIGIN) / size), clamp((ORIGIN - bounds[3]) / size),
            clamp((bounds[2] + ORIGIN) / size - 1e-9), clamp((ORIGIN - bounds[1]) / size - 1e-9))


def tile_bounds(x0: int, y0: int, x1: int, y1: int, z: int) -> tuple[float, float, float, float]:
    """Web Mercator bounds of tiles x0..x1, y0..y1 at ``z``."""
    size = 2 * ORIGIN / (1 << z)
    return (-ORIGIN + x0 * size, ORIGIN - (y1 + 1) * size, -ORIGIN + (x1 + 1) * size,
            ORIGIN - y0 * size)


def tile_url(template: str, tile: Tile) -> str:
    z, x, y = tile
    subdomains = "01234567" if "tianditu" in template else "abc"
    return (template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
            .replace("{-y}", str((1 << z) - 1 - y))
            .replace("{s}", subdomains[(x + y) % len(subdomains)]))


@dataclass
class FetchReport:
    """What went wrong fetching tiles of one layer (for a one-line message)."""

    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    pending: int = 0  # not cached yet, being fetched in the background

    def add(self, reason: str) -> None:
        self.failed += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    def reason(self) -> str:
        return ", ".join(f"{r} ×{n}" if n > 1 else r for r, n in
                         sorted(self.reasons.items(), key=lambda kv: -kv[1])[:3])


class TileCache:
    """Tiles on disk, one file per tile under a folder per URL template (the key left out),
    oldest files removed beyond the size limit. Thread-safe: files are written whole."""

    def __init__(self, folder: Path | None = None, limit_bytes: int | None = None) -> None:
        self.folder = folder or cache_folder()
        self.limit = cache_limit_bytes() if limit_bytes is None else limit_bytes
        self._written = 0
        self._lock = threading.Lock()

    def _file(self, template: str, tile: Tile) -> Path:
        digest = hashlib.sha1(_without_key(template).encode()).hexdigest()[:16]
        z, x, y = tile
        return self.folder / digest / str(z) / str(x) / f"{y}.tile"

    def get(self, template: str, tile: Tile) -> bytes | None:
        try:
            return self._file(template, tile).read_bytes()
        except OSError:
            return None

    def put(self, template: str, tile: Tile, content: bytes) -> None:
        path = self._file(template, tile)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{threading.get_ident()}.part")
            tmp.write_bytes(content)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written is no cache, not an error
        with self._lock:
            self._written += len(content)
            if self._written > self.limit // 20:
                self._written = 0
                self.prune()

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*.tile"))

    def prune(self) -> None:
        """Remove the least recently written tiles until the cache is under its limit."""
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.rglob("*.tile")]
        total = sum(f[1] for f in files)
        for _, size, path in sorted(files):
            if total <= self.limit:
                break
            path.unlink(missing_ok=True)
            total -= size


def _without_key(template: str) -> str:
    """The template without key parameters (tk=, key=, token=): one cache for every key."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(template)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in ("tk", "key", "token", "access_token", "apikey")]
    return urlunsplit(parts._replace(query=urlencode(query, safe="{}")))


def download(url: str, timeout: float = TIMEOUT_S) -> bytes:
    """The body of a 200 answer; raises OSError with a short reason otherwise."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        raise OSError(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(str(exc.reason)) from None
    except TimeoutError:
        raise OSError("timed out") from None


class TileFetcher:
    """Gets tiles from the cache or the server. ``fetch`` waits (with a thread pool);
    ``cached`` returns at once and fetches the missing tiles in the background, calling
    ``on_arrival`` when some came (the canvas then draws again)."""

    def __init__(self, cache: TileCache | None = None, threads: int = 6,
                 timeout: float = TIMEOUT_S) -> None:
        self.cache = cache or TileCache()
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tiles")
        self._pending: set[tuple[str, Tile]] = set()
        self._failed: dict[tuple[str, Tile], str] = {}  # known failures of this session
        self._started: set[tuple] = set()  # background jobs started once (start_once)
        self._lock = threading.Lock()
        self.on_arrival: Callable[[], None] | None = None
        # the last complete mosaics (key -> raster.Mosaic): a pan or redraw over the same
        # tiles neither reads nor decodes them again
        self.mosaics: OrderedDict[tuple, Any] = OrderedDict()
        self.decoded: OrderedDict[tuple, Any] = OrderedDict()  # (template, tile) -> RGBA

    def keep_decoded(self, key: tuple, tile: Any) -> None:
        """Keep a decoded tile in memory (the last DECODED_KEPT)."""
        with self._lock:
            self.decoded[key] = tile
            while len(self.decoded) > DECODED_KEPT:
                self.decoded.popitem(last=False)

    def remember(self, key: tuple, mosaic: Any) -> None:
        with self._lock:
            self.mosaics[key] = mosaic
            self.mosaics.move_to_end(key)
            while len(self.mosaics) > MOSAICS_KEPT:
                self.mosaics.popitem(last=False)

    def start_once(self, key: tuple, job: Callable[[str, Any], None], location: str) -> bool:
        """Run ``job(location, on_arrival)`` in the background once per ``key`` (a WMTS's
        capabilities for the canvas); ``False`` when it has run or is running."""
        with self._lock:
            if key in self._started:
                return False
            self._started.add(key)
        self._pool.submit(job, location, self.on_arrival)
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _get(self, template: str, url: str, tile: Tile) -> bytes:
        content = download(url, self.timeout)
        self.cache.put(template, tile, content)
        return content

    def fetch(self, template: str, url: str, tiles: Iterable[Tile],
              report: FetchReport) -> dict[Tile, bytes]:
        """Every tile (cache first), waiting for the server; failures go to ``report``."""
        out: dict[Tile, bytes] = {}
        missing = []
        for tile in tiles:
            content = self.cache.get(template, tile)
            if content is not None:
                out[tile] = content
            else:
                missing.append(tile)
        if missing:  # one tile first: a server that is down is not asked for every tile
            try:
                out[missing[0]] = self._get(template, tile_url(url, missing[0]), missing[0])
            except OSError as exc:
                reason = str(exc) or type(exc).__name__
                report.add(reason)
                if not reason.startswith("HTTP "):
                    for _ in missing[1:]:
                        report.add(reason)
                    return out
        futures = {tile: self._pool.submit(self._get, template, tile_url(url, tile), tile)
                   for tile in missing[1:]}
        for tile, future in futures.items():
            try:
                out[tile] = future.result()
            except OSError as exc:
                report.add(str(exc) or type(exc).__name__)
        return out

    def cached(self, template: str, url: str, tiles: Iterable[Tile],
               report: FetchReport) -> dict[Tile, bytes]:
        """The tiles in the cache now; the others are fetched in the background."""
        out: dict[Tile, bytes] = {}
        for tile in tiles:
            content = self.cache.get(template, tile)
            if content is not None:
                out[tile] = content
                continue
            key = (template, tile)
            with self._lock:
                if key in self._failed:
                    report.add(self._failed[key])
                    continue
                report.pending += 1
                if key in self._pending:
                    continue
                self._pending.add(key)
            self._pool.submit(self._background, template, url, tile)
        return out

    def _background(self, template: str, url: str, tile: Tile) -> None:
        key = (template, tile)
        try:
            self._get(template, tile_url(url, tile), tile)
        except OSError as exc:
            with self._lock:
                self._failed[key] = str(exc) or type(exc).__name__
        finally:
            with self._lock:
                self._pending.discard(key)
                idle = not self._pending
        if idle and self.on_arrival is not None:
            self.on_arrival()
