"""Map data: the feature layers of a file as flat arrays in the map CRS, ready to draw.

A :class:`LayerData` keeps what drawing needs (keys, condition category, road names) and
its vertices as one coordinate array with piece offsets (:mod:`render.pieces`), features
sorted by category (every category one contiguous slice, drawn in one batch) and packed in
blocks, each block's box kept for culling. The loader
(:func:`~citymgr_desktop.render.loader.load_map`) builds them from a Store; this module
knows nothing of reading.

A :class:`MapData` is read-only once built: a render thread may use it while the UI thread
builds a new one (:meth:`MapData.reloaded`, with the layer reader the loader gave it) after
an edit.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import shapely

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.pieces import KINDS, LINE, POINT, POLYGON, Pieces, permute, rebuild

if TYPE_CHECKING:  # pyproj loads with the first CRS object (render/loader.py)
    from pyproj import CRS

NO_CATEGORY = -1  # layers without a condition column: one default symbol
LABEL_LAYERS = {"road_segment": "name"}
BLOCK = 32  # features per leaf of the spatial index


@dataclass
class LayerData:
    """One feature layer; features sorted by category, then packed spatially in blocks.

    Index ``i`` is the same feature in every array. Culling tests the boxes of blocks of
    :data:`BLOCK` neighbouring features (not of single features; a million features are
    31k boxes, one NumPy comparison each, 1 MB where a ``shapely.STRtree`` over them took
    ~23 MB), and :meth:`query` refines the blocks met with the per-feature envelopes.
    A layer of single points keeps no envelopes of its own: a point's vertex is its
    envelope, so ``envelopes`` *is* the vertex array (``bounds_of`` widens it).
    Shapely geometries are built on demand (:meth:`geometries`) for the few features a
    click or a selection rectangle touches.
    """

    name: str
    geometry_type: str
    crs_name: str | None  # the layer's own CRS (before reprojection to the map CRS)
    keys: np.ndarray  # asset_uuid (or fid for foreign layers) as bytes
    fids: np.ndarray  # int64
    category: np.ndarray  # int8: condition 1-5, 0 = not assessed, NO_CATEGORY = none
    category_slices: dict[int, slice]  # category -> contiguous range of features
    pieces: dict[str, Pieces]  # kind -> vertices
    # (N, 4) minx, miny, maxx, maxy; (N, 2) x, y for a layer of single points (the point
    # vertices themselves: not stored twice); read them through bounds_of / hits
    envelopes: np.ndarray
    block_start: np.ndarray  # (B + 1,) feature offsets of the blocks
    block_bounds: np.ndarray  # (4, B) minx, miny, maxx, maxy of each block
    bounds: tuple[float, float, float, float] | None
    label_codes: np.ndarray | None = None  # int32 into label_values, -1 = no label
    label_values: list[str] = field(default_factory=list)
    is_asset: bool = False
    typical_size: float = 0.0  # median feature width/height (map units): level of detail
    _key_order: np.ndarray | None = field(default=None, repr=False)
    _fid_order: np.ndarray | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return len(self.keys)

    @property
    def kinds(self) -> list[str]:
        return [k for k in KINDS if k in self.pieces]

    @property
    def categorized(self) -> bool:
        return NO_CATEGORY not in self.category_slices

    def covers(self, extent: tuple[float, float, float, float]) -> bool:
        """True when ``extent`` contains the whole layer."""
        b = self.bounds
        return b is None or (extent[0] <= b[0] and extent[1] <= b[1] and extent[2] >= b[2]
                             and extent[3] >= b[3])

    def query(self, extent: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of features whose envelope meets ``extent``."""
        if self.count == 0:
            return np.zeros(0, dtype=np.int64)
        if self.covers(extent):
            return np.arange(self.count, dtype=np.int64)
        bb = self.block_bounds
        blocks = np.flatnonzero((bb[0] <= extent[2]) & (bb[2] >= extent[0])
                                & (bb[1] <= extent[3]) & (bb[3] >= extent[1]))
        if len(blocks) == 0:
            return np.zeros(0, dtype=np.int64)
        cand = qa.ranges(self.block_start[blocks], self.block_start[blocks + 1])
        return cand[self.hits(cand, extent)]

    def bounds_of(self, idx: np.ndarray) -> np.ndarray:
        """(len(idx), 4) envelopes (minx, miny, maxx, maxy) of features ``idx``."""
        env = np.take(self.envelopes, idx, axis=0)  # rows: ~6x faster than envelopes[idx]
        return env if env.shape[1] == 4 else np.concatenate([env, env], axis=1)

    def hits(self, idx: np.ndarray, extent: tuple[float, float, float, float]) -> np.ndarray:
        """A mask over ``idx``: the features whose envelope meets ``extent``."""
        env = np.take(self.envelopes, idx, axis=0)  # columns -2, -1: maxx, maxy (x, y of points)
        return ((env[:, 0] <= extent[2]) & (env[:, -2] >= extent[0])
                & (env[:, 1] <= extent[3]) & (env[:, -1] >= extent[1]))

    def indices_of(self, keys: Iterable[str]) -> np.ndarray:
        """Sorted indices of the features with these keys (unknown keys are ignored)."""
        wanted = np.array([k.encode() if isinstance(k, str) else k for k in keys],
                          dtype=self.keys.dtype)
        if len(wanted) == 0 or self.count == 0:
            return np.zeros(0, dtype=np.int64)
        if self._key_order is None:
            self._key_order = np.argsort(self.keys, kind="stable")
        sorted_keys = self.keys[self._key_order]
        pos = np.clip(np.searchsorted(sorted_keys, wanted), 0, self.count - 1)
        hit = sorted_keys[pos] == wanted
        return np.unique(self._key_order[pos[hit]])

    def keys_of_fids(self, fids: np.ndarray) -> dict[int, str]:
        """The key of each fid the map holds ({fid: key}; fids it does not hold are left
        out): the attribute table maps 15,000 selected rows to assets without a query."""
        fids = np.asarray(fids, dtype=np.int64)
        if len(fids) == 0 or self.count == 0:
            return {}
        if self._fid_order is None:
            self._fid_order = np.argsort(self.fids, kind="stable")
        sorted_fids = self.fids[self._fid_order]
        pos = np.clip(np.searchsorted(sorted_fids, fids), 0, self.count - 1)
        hit = sorted_fids[pos] == fids
        idx = self._fid_order[pos[hit]]
        return dict(zip(fids[hit].tolist(), (k.decode() for k in self.keys[idx]),
                        strict=True))

    def fids_of_keys(self, keys: list[str]) -> dict[str, int]:
        """The fid of each key the map holds ({key: fid})."""
        idx = self.indices_of(keys)
        return dict(zip((k.decode() for k in self.keys[idx]), self.fids[idx].tolist(),
                        strict=True))

    def key(self, index: int) -> str:
        return self.keys[index].decode()

    def extent_of(self, idx: np.ndarray) -> tuple[float, float, float, float] | None:
        """The envelope of features ``idx`` (None when empty)."""
        if len(idx) == 0:
            return None
        return _extent_of(self.envelopes[idx])

    def geometries(self, idx: np.ndarray) -> np.ndarray:
        """Shapely geometries (map CRS) of features ``idx``, built from the vertex arrays."""
        idx = np.asarray(idx, dtype=np.int64)
        out = np.full(len(idx), None, dtype=object)
        for pc in self.pieces.values():
            geoms = rebuild(pc, idx)
            take = ~shapely.is_empty(geoms)
            both = take & (out != None)  # noqa: E711 - elementwise on an object array
            for i in np.flatnonzero(both):  # mixed layers only: a feature of several kinds
                out[i] = shapely.GeometryCollection([*shapely.get_parts(out[i]), geoms[i]])
            fill = take & ~both
            out[fill] = geoms[fill]
        return out

    def hit(self, x: float, y: float, tolerance: float) -> np.ndarray:
        """Indices of features within ``tolerance`` of (x, y), nearest (then topmost) first."""
        cand = self.query((x - tolerance, y - tolerance, x + tolerance, y + tolerance))
        if len(cand) == 0:
            return cand
        dist = shapely.distance(self.geometries(cand), shapely.Point(x, y))
        ok = dist <= tolerance
        cand, dist = cand[ok], dist[ok]
        return cand[np.lexsort((-cand, dist))]

    def subset(self, idx: np.ndarray) -> LayerData:
        """A layer of the features ``idx`` (sorted indices) only, in the same order: some
        features drawn again over the others (a print sheet's 街道 over its neighbours)."""
        idx = np.asarray(idx, dtype=np.int64)
        category = self.category[idx]
        slices, block_start = category_blocks(category)
        envelopes = self.envelopes[idx]
        block_bounds, bounds = block_index(envelopes, block_start)
        return replace(self, keys=self.keys[idx], fids=self.fids[idx], category=category,
                       category_slices=slices,
                       pieces={k: permute(pc, idx) for k, pc in self.pieces.items()},
                       envelopes=envelopes, block_start=block_start,
                       block_bounds=block_bounds, bounds=bounds,
                       label_codes=None if self.label_codes is None else self.label_codes[idx],
                       _key_order=None, _fid_order=None)

    def within(self, extent: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of features intersecting the rectangle ``extent``."""
        cand = self.query(extent)
        if len(cand) == 0 or self.covers(extent):
            return cand
        return cand[shapely.intersects(self.geometries(cand), shapely.box(*extent))]


def category_blocks(category: np.ndarray) -> tuple[dict[int, slice], np.ndarray]:
    """For features sorted by category: each category's slice, and where each run of at
    most :data:`BLOCK` features (a leaf of the spatial index, never across categories)
    starts, ending with the feature count."""
    slices: dict[int, slice] = {}
    edges = [np.zeros(1, dtype=np.int64)]
    for c in qa.distinct(category):
        lo = int(np.searchsorted(category, c, side="left"))
        hi = int(np.searchsorted(category, c, side="right"))
        slices[int(c)] = slice(lo, hi)
        edges.append(np.arange(lo + BLOCK, hi, BLOCK, dtype=np.int64))
        edges.append(np.array([hi], dtype=np.int64))
    return slices, qa.distinct(np.concatenate(edges))


def block_index(envelopes: np.ndarray, block_start: np.ndarray
                ) -> tuple[np.ndarray, tuple[float, float, float, float] | None]:
    """The blocks' boxes ((4, B): minx, miny, maxx, maxy rows), and the extent of all
    ``envelopes`` ((N, 4), or (N, 2) points: see :class:`LayerData`)."""
    if not len(envelopes):
        return np.zeros((4, 0)), None
    starts = block_start[:-1]
    boxes = np.empty((4, len(starts)))
    for row, (col, reduce) in enumerate(((0, np.minimum), (1, np.minimum),
                                         (-2, np.maximum), (-1, np.maximum))):
        boxes[row] = reduce.reduceat(envelopes[:, col], starts)
    return boxes, _extent_of(envelopes)


def _extent_of(envelopes: np.ndarray) -> tuple[float, float, float, float]:
    """The union of envelopes ((N, 4), or (N, 2) points), N > 0."""
    return (float(envelopes[:, 0].min()), float(envelopes[:, 1].min()),
            float(envelopes[:, -2].max()), float(envelopes[:, -1].max()))


_local = threading.local()


def _thread_crs(wkt: str | None) -> CRS | None:
    """A CRS object for this thread: pyproj objects must not cross threads (one made in a
    loader thread crashed in the render thread), so each thread builds its own from WKT."""
    if wkt is None:
        return None
    cache = getattr(_local, "crs", None)
    if cache is None:
        cache = _local.crs = {}
    if wkt not in cache:
        from pyproj import CRS  # with the first CRS object asked for

        cache[wkt] = CRS.from_wkt(wkt)
    return cache[wkt]


class LayerReader(Protocol):
    """Reads one layer of ``store`` again, in the map CRS (the loader's ``load_layer``)."""

    def __call__(self, store: Store, name: str, map_crs: CRS | None,
                 progress: Progress | None = None) -> LayerData: ...


@dataclass(frozen=True)
class MapData:
    """The drawable layers of one file, in drawing order (bottom first), in the map CRS.

    Holds no pyproj object (they are not thread-safe): ``crs`` is built per thread.
    ``read_layer`` is how the layers were read (the loader passes its own), so that
    :meth:`reloaded` can read some again without this module depending on the loader.
    """

    path: str
    crs_wkt: str | None
    layers: tuple[LayerData, ...]
    crs_geographic: bool = False
    crs_unit_m: float = 1.0  # metres per map unit (projected CRS)
    read_layer: LayerReader | None = field(default=None, repr=False, compare=False)

    @property
    def crs(self) -> CRS | None:
        return _thread_crs(self.crs_wkt)

    def metres_per_unit(self, latitude: float = 0.0) -> float:
        """Ground metres per map unit (degrees: along the parallel at ``latitude``)."""
        if self.crs_geographic:
            return 111_320.0 * max(math.cos(math.radians(latitude)), 0.01)
        return self.crs_unit_m

    def layer(self, name: str) -> LayerData:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise NotFoundError("the map has no layer {name!r}", name=name)

    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def extent(self, names: Iterable[str] | None = None) -> tuple[float, float, float, float]:
        """The union of the layers' extents (a unit square around 0,0 when all are empty)."""
        wanted = set(names) if names is not None else None
        boxes = [lyr.bounds for lyr in self.layers
                 if lyr.bounds and (wanted is None or lyr.name in wanted)]
        if not boxes:
            return (-1.0, -1.0, 1.0, 1.0)
        arr = np.array(boxes)
        return (float(arr[:, 0].min()), float(arr[:, 1].min()),
                float(arr[:, 2].max()), float(arr[:, 3].max()))

    def reloaded(self, store: Store, names: Iterable[str],
                 progress: Progress | None = None) -> MapData:
        """A new MapData with ``names`` read again from ``store`` (others are shared)."""
        if self.read_layer is None:
            raise ValueError("this MapData was not loaded from a store (no read_layer)")
        names = set(names) & set(self.names())
        fresh = {n: self.read_layer(store, n, self.crs, progress) for n in names}
        prog = ensure(progress)
        prog.check()
        return replace(self, layers=tuple(fresh.get(lyr.name, lyr) for lyr in self.layers))


__all__ = ["BLOCK", "KINDS", "LABEL_LAYERS", "LINE", "NO_CATEGORY", "POINT", "POLYGON",
           "LayerData", "LayerReader", "MapData", "Pieces"]
