"""Map data: the feature layers of a Store as flat arrays in the map CRS, ready to draw.

:func:`load_map` reads only what drawing needs (geometry, key, condition, road name) through
GDAL's Arrow path, reprojects to the map CRS, sorts features by symbol category (so every
category is one contiguous slice, drawn in one batch) and builds a ``shapely.STRtree``. Each
layer also keeps its vertices as one coordinate array with piece offsets (rings, line parts,
points), so a view is drawn from array slices without touching Python objects per feature.

A :class:`MapData` is read-only once built: a render thread may use it while the UI thread
builds a new one (:meth:`MapData.reloaded`) after an edit.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pac
import pyogrio
import shapely
from pyproj import CRS, Transformer

from citymgr_desktop.core import schema as sc
from citymgr_desktop.core.errors import BadFileError, CrsError, NotFoundError
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store
from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.view import metres_per_unit

POINT, LINE, POLYGON = "point", "line", "polygon"
KINDS = (POLYGON, LINE, POINT)  # drawing order inside a mixed layer
_KIND_OF_TYPE_ID = {0: POINT, 4: POINT, 1: LINE, 2: LINE, 5: LINE, 3: POLYGON, 6: POLYGON}
NO_CATEGORY = -1  # layers without a condition column: one default symbol
LABEL_LAYERS = {"road_segment": "name"}
BLOCK = 32  # features per leaf of the spatial index


@dataclass
class Pieces:
    """The vertices of one geometry kind of a layer: rings, line parts or points.

    ``coords[piece_start[p]:piece_start[p+1]]`` are the vertices of piece ``p``, and
    ``feature_piece[f]:feature_piece[f+1]`` the pieces of feature ``f`` (none for features
    of another kind). For polygons ``outer[p]`` tells exterior rings (counter-clockwise)
    from holes (clockwise), so one winding-rule path fills them all correctly.
    """

    kind: str
    coords: np.ndarray  # (V, 2) float64, map CRS
    piece_start: np.ndarray  # (P + 1,) int64
    feature_piece: np.ndarray  # (N + 1,) int64
    outer: np.ndarray | None = None  # (P,) bool, polygons only

    def vertex_count(self) -> int:
        return len(self.coords)

    def subset(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vertex indices, pieces, starts-of-piece mask) of features ``idx`` (sorted)."""
        p0, p1 = self.feature_piece[idx], self.feature_piece[idx + 1]
        pieces = qa.ranges(p0, p1)
        v0, v1 = self.piece_start[pieces], self.piece_start[pieces + 1]
        verts = qa.ranges(v0, v1)
        starts = np.zeros(len(verts), dtype=bool)
        lengths = v1 - v0
        if len(lengths):
            first = np.cumsum(lengths) - lengths
            starts[first[lengths > 0]] = True
        return verts, pieces, starts


@dataclass
class LayerData:
    """One feature layer; features sorted by category, then packed spatially in blocks.

    Index ``i`` is the same feature in every array. The ``shapely.STRtree`` indexes blocks
    of :data:`BLOCK` neighbouring features (not single features), which keeps a million
    features in little memory; :meth:`query` refines blocks with the per-feature bounds.
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
    feature_bounds: np.ndarray  # (N, 4) minx, miny, maxx, maxy
    block_start: np.ndarray  # (B + 1,) feature offsets of the tree's blocks
    tree: shapely.STRtree  # over block envelopes
    bounds: tuple[float, float, float, float] | None
    label_codes: np.ndarray | None = None  # int32 into label_values, -1 = no label
    label_values: list[str] = field(default_factory=list)
    is_asset: bool = False
    typical_size: float = 0.0  # median feature width/height (map units): level of detail
    _key_order: np.ndarray | None = field(default=None, repr=False)

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
        blocks = self.tree.query(shapely.box(*extent))
        if len(blocks) == 0:
            return np.zeros(0, dtype=np.int64)
        blocks.sort()
        cand = qa.ranges(self.block_start[blocks], self.block_start[blocks + 1])
        fb = self.feature_bounds[cand]
        hit = ((fb[:, 0] <= extent[2]) & (fb[:, 2] >= extent[0])
               & (fb[:, 1] <= extent[3]) & (fb[:, 3] >= extent[1]))
        return cand[hit]

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

    def key(self, index: int) -> str:
        return self.keys[index].decode()

    def extent_of(self, idx: np.ndarray) -> tuple[float, float, float, float] | None:
        """The envelope of features ``idx`` (None when empty)."""
        if len(idx) == 0:
            return None
        fb = self.feature_bounds[idx]
        return (float(fb[:, 0].min()), float(fb[:, 1].min()),
                float(fb[:, 2].max()), float(fb[:, 3].max()))

    def geometries(self, idx: np.ndarray) -> np.ndarray:
        """Shapely geometries (map CRS) of features ``idx``, built from the vertex arrays."""
        idx = np.asarray(idx, dtype=np.int64)
        out = np.full(len(idx), None, dtype=object)
        for pc in self.pieces.values():
            geoms = _rebuild(pc, idx)
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

    def within(self, extent: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted indices of features intersecting the rectangle ``extent``."""
        cand = self.query(extent)
        if len(cand) == 0 or self.covers(extent):
            return cand
        return cand[shapely.intersects(self.geometries(cand), shapely.box(*extent))]


def _rebuild(pc: Pieces, idx: np.ndarray) -> np.ndarray:
    counts = pc.feature_piece[idx + 1] - pc.feature_piece[idx]
    verts, pieces, _starts = pc.subset(idx)
    coords = pc.coords[verts]
    piece_len = pc.piece_start[pieces + 1] - pc.piece_start[pieces]
    piece_off = np.concatenate([[0], np.cumsum(piece_len)]).astype(np.int64)
    feat_off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if pc.kind == POINT:
        return shapely.from_ragged_array(shapely.GeometryType.MULTIPOINT, coords, (feat_off,)) \
            if (counts != 1).any() else shapely.points(coords)
    if pc.kind == LINE:
        g = shapely.from_ragged_array(shapely.GeometryType.MULTILINESTRING, coords,
                                      (piece_off, feat_off))
    else:
        outer = pc.outer[pieces]
        poly_off = np.concatenate([np.flatnonzero(outer), [len(pieces)]]).astype(np.int64)
        owner = np.repeat(np.arange(len(idx)), counts)
        outer_per_feature = np.bincount(owner, weights=outer, minlength=len(idx)).astype(np.int64)
        feat_poly_off = np.concatenate([[0], np.cumsum(outer_per_feature)]).astype(np.int64)
        g = shapely.from_ragged_array(shapely.GeometryType.MULTIPOLYGON, coords,
                                      (piece_off, poly_off, feat_poly_off))
    single = shapely.get_num_geometries(g) == 1
    g[single] = shapely.get_geometry(g[single], 0)
    return g


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
        cache[wkt] = CRS.from_wkt(wkt)
    return cache[wkt]


@dataclass(frozen=True)
class MapData:
    """The drawable layers of one file, in drawing order (bottom first), in the map CRS.

    Holds no pyproj object (they are not thread-safe): ``crs`` is built per thread.
    """

    path: str
    crs_wkt: str | None
    layers: tuple[LayerData, ...]
    crs_geographic: bool = False
    crs_unit_m: float = 1.0  # metres per map unit (projected CRS)

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
        raise NotFoundError(f"the map has no layer {name!r}")

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
        names = set(names) & set(self.names())
        fresh = {n: load_layer(store, n, self.crs, progress) for n in names}
        prog = ensure(progress)
        prog.check()
        return replace(self, layers=tuple(fresh.get(lyr.name, lyr) for lyr in self.layers))


def drawable_layers(store: Store) -> list[str]:
    """Feature layers of the file in drawing order: polygons, lines, points (ours first)."""
    order = {"MULTIPOLYGON": 0, "POLYGON": 0, "GEOMETRY": 1, "GEOMETRYCOLLECTION": 1,
             "MULTILINESTRING": 2, "LINESTRING": 2, "MULTIPOINT": 3, "POINT": 3}
    infos = [i for i in store.layers() if i.geometry_type]
    ranked = sorted(enumerate(infos), key=lambda p: (order.get(
        (p[1].geometry_type or "").upper(), 1), p[0]))
    return [info.name for _, info in ranked]


def map_crs_of(store: Store) -> CRS | None:
    try:
        return store.project_crs()
    except CrsError:
        return None


def load_map(store: Store, layers: Sequence[str] | None = None, crs: CRS | str | None = None,
             progress: Progress | None = None) -> MapData:
    """Load the feature layers of ``store`` (all, or ``layers`` in that drawing order).

    ``crs`` is the map CRS (default: the project's CRS); layers in another CRS are
    reprojected. Reports progress per layer and honours ``progress.cancel()``.
    """
    prog = ensure(progress)
    names = list(layers) if layers is not None else drawable_layers(store)
    map_crs = CRS.from_user_input(crs) if crs is not None else map_crs_of(store)
    loaded = []
    for i, name in enumerate(names):
        prog.update(i, len(names), name)
        loaded.append(load_layer(store, name, map_crs, prog))
    prog.update(len(names), len(names), "")
    if map_crs is None:
        return MapData(str(store.path), None, tuple(loaded))
    return MapData(str(store.path), map_crs.to_wkt(), tuple(loaded),
                   crs_geographic=bool(map_crs.is_geographic),
                   crs_unit_m=metres_per_unit(map_crs))


def _layer_crs(store: Store, name: str) -> CRS | None:
    try:
        return store.crs(name)
    except CrsError:
        return None


def _columns(store: Store, name: str) -> set[str]:
    return {r[1] for r in store.conn.execute(f'PRAGMA table_info("{name}")')}


def load_layer(store: Store, name: str, map_crs: CRS | None,
               progress: Progress | None = None) -> LayerData:
    """Read and prepare one feature layer (see the module docstring)."""
    prog = ensure(progress)
    info = store.layer(name)
    if not info.geometry_type:
        raise NotFoundError(f"{store.path}: {name!r} is a table without geometry")
    cols = _columns(store, name)
    is_asset = name in sc.ASSET_TABLES_BY_NAME
    wanted = [c for c in ("asset_uuid", "condition", LABEL_LAYERS.get(name)) if c and c in cols]
    where = "retired_at IS NULL" if is_asset and "retired_at" in cols else None
    try:
        meta, table = pyogrio.read_arrow(store.path, layer=name, columns=wanted, where=where,
                                         return_fids=True)
    except pyogrio.errors.DataLayerError as exc:
        raise NotFoundError(f"{store.path}: cannot read layer {name!r} ({exc})") from None
    except pyogrio.errors.DataSourceError as exc:
        raise BadFileError(f"{store.path}: cannot be read by GDAL ({exc})") from None
    prog.check()
    geoms = shapely.from_wkb(table.column(meta.get("geometry_name") or "wkb_geometry")
                             .combine_chunks())
    geoms = shapely.force_2d(geoms) if shapely.has_z(geoms).any() else geoms
    fids = np.asarray(table.column(meta.get("fid_column") or "fid").combine_chunks(),
                      dtype=np.int64)
    layer_crs = _layer_crs(store, name)
    if map_crs is not None and layer_crs is not None and not layer_crs.equals(map_crs):
        geoms = _reproject(geoms, layer_crs, map_crs)
    bounds = shapely.bounds(geoms)
    ok = np.isfinite(bounds).all(axis=1)  # drops missing and empty geometries too
    keys = (_fixed_bytes(table.column("asset_uuid")) if "asset_uuid" in wanted
            else fids.astype("S20"))
    if "condition" in wanted:
        cond = table.column("condition").combine_chunks().cast(pa.int64()).fill_null(0)
        category = np.clip(np.asarray(cond), 0, 5).astype(np.int8)
    else:
        category = np.full(len(fids), NO_CATEGORY, dtype=np.int8)
    label_codes, label_values = None, []
    label_col = LABEL_LAYERS.get(name)
    if label_col in wanted:
        enc = table.column(label_col).combine_chunks().dictionary_encode()
        label_values = [str(v) for v in enc.dictionary.to_pylist()]
        label_codes = np.asarray(enc.indices.fill_null(-1), dtype=np.int32)
    del table
    prog.check()
    order, slices, block_start = _order(category, bounds, ok)
    geoms, keys, fids, category, bounds = (geoms[order], keys[order], fids[order],
                                           category[order], bounds[order])
    if label_codes is not None:
        label_codes = label_codes[order]
    pieces = _pieces(geoms)
    del geoms
    prog.check()
    boxes = shapely.box(np.minimum.reduceat(bounds[:, 0], block_start[:-1]),
                        np.minimum.reduceat(bounds[:, 1], block_start[:-1]),
                        np.maximum.reduceat(bounds[:, 2], block_start[:-1]),
                        np.maximum.reduceat(bounds[:, 3], block_start[:-1])) \
        if len(bounds) else np.empty(0, dtype=object)
    total = None
    if len(bounds):
        total = (float(bounds[:, 0].min()), float(bounds[:, 1].min()),
                 float(bounds[:, 2].max()), float(bounds[:, 3].max()))
    return LayerData(name=name, geometry_type=info.geometry_type,
                     crs_name=layer_crs.name if layer_crs else None, keys=keys,
                     fids=fids, category=category, category_slices=slices, pieces=pieces,
                     feature_bounds=bounds, block_start=block_start,
                     tree=shapely.STRtree(boxes), bounds=total, label_codes=label_codes,
                     label_values=label_values, is_asset=is_asset,
                     typical_size=_typical_size(bounds))


def _typical_size(bounds: np.ndarray) -> float:
    if len(bounds) == 0:
        return 0.0
    sample = bounds[:: max(1, len(bounds) // 20000)]
    return float(np.median(np.maximum(sample[:, 2] - sample[:, 0], sample[:, 3] - sample[:, 1])))


def _order(category: np.ndarray, bounds: np.ndarray, ok: np.ndarray
           ) -> tuple[np.ndarray, dict[int, slice], np.ndarray]:
    """Feature order (category, then sort-tile-recursive packing), category slices, blocks.

    Within a category, features are cut into vertical slices by x and sorted by y inside
    each slice, so runs of :data:`BLOCK` consecutive features are small neighbourhoods.
    """
    keep = np.flatnonzero(ok)
    cx = (bounds[keep, 0] + bounds[keep, 2]) / 2
    cy = (bounds[keep, 1] + bounds[keep, 3]) / 2
    cat = category[keep]
    tile = np.zeros(len(keep), dtype=np.int64)
    for c in np.unique(cat):
        members = np.flatnonzero(cat == c)
        n = len(members)
        n_slices = max(1, int(np.ceil(np.sqrt(n / BLOCK))))
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(cx[members], kind="stable")] = np.arange(n)
        tile[members] = rank * n_slices // n
    order = keep[np.lexsort((cy, tile, cat))]
    sorted_cat = category[order]
    slices: dict[int, slice] = {}
    block_edges = [np.zeros(1, dtype=np.int64)]
    for c in np.unique(sorted_cat):
        lo = int(np.searchsorted(sorted_cat, c, side="left"))
        hi = int(np.searchsorted(sorted_cat, c, side="right"))
        slices[int(c)] = slice(lo, hi)
        block_edges.append(np.arange(lo + BLOCK, hi, BLOCK, dtype=np.int64))
        block_edges.append(np.array([hi], dtype=np.int64))
    block_start = np.unique(np.concatenate(block_edges))
    return order, slices, block_start


def _fixed_bytes(column: pa.ChunkedArray) -> np.ndarray:
    """A string column as a NumPy bytes array, without a Python object per value."""
    arr = column.combine_chunks().cast(pa.binary()).fill_null(b"")
    lengths = np.asarray(pac.binary_length(arr))
    width = int(lengths.max()) if len(lengths) else 1
    if len(lengths) and width > 0 and (lengths == width).all():
        fixed = arr.cast(pa.binary(width))
        data = np.frombuffer(fixed.buffers()[1], dtype=f"S{width}")
        return data[fixed.offset : fixed.offset + len(fixed)].copy()
    return np.array(arr.to_pylist(), dtype=f"S{max(width, 1)}")


def _reproject(geoms: np.ndarray, src: CRS, dst: CRS) -> np.ndarray:
    tf = Transformer.from_crs(src, dst, always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tf.transform(xy[:, 0], xy[:, 1], errcheck=False)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def _pieces(geoms: np.ndarray) -> dict[str, Pieces]:
    """Split features into per-kind vertex arrays (collections are split into their parts)."""
    n = len(geoms)
    type_ids = shapely.get_type_id(geoms)
    feature_of = np.arange(n, dtype=np.int64)
    if (type_ids == 7).any():  # geometry collections: draw each part with its own kind
        parts, owner = shapely.get_parts(geoms, return_index=True)
        geoms, feature_of, type_ids = parts, owner.astype(np.int64), shapely.get_type_id(parts)
    out: dict[str, Pieces] = {}
    for kind in KINDS:
        mask = np.isin(type_ids, [t for t, k in _KIND_OF_TYPE_ID.items() if k == kind])
        if not mask.any():
            continue
        sub_feature = feature_of[mask]
        _gtype, coords, offsets = shapely.to_ragged_array(geoms[mask])
        coords = np.ascontiguousarray(coords, dtype=np.float64)
        outer = None
        if kind == POINT:
            piece_start = np.arange(len(coords) + 1, dtype=np.int64)
            per_geom = offsets[0] if offsets else np.arange(len(coords) + 1)
        elif kind == LINE:
            piece_start = np.asarray(offsets[0], dtype=np.int64)
            per_geom = offsets[1] if len(offsets) > 1 else np.arange(len(piece_start))
        else:
            piece_start = np.asarray(offsets[0], dtype=np.int64)
            poly_rings = np.asarray(offsets[1], dtype=np.int64)
            per_geom = (poly_rings[offsets[2]] if len(offsets) > 2 else poly_rings)
            outer = np.zeros(len(piece_start) - 1, dtype=bool)
            outer[poly_rings[:-1][np.diff(poly_rings) > 0]] = True
            _orient(coords, piece_start, outer)
        per_geom = np.asarray(per_geom, dtype=np.int64)
        counts = np.zeros(n, dtype=np.int64)
        np.add.at(counts, sub_feature, np.diff(per_geom))
        feature_piece = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=feature_piece[1:])
        out[kind] = Pieces(kind, coords, piece_start, feature_piece, outer)
    return out


def _orient(coords: np.ndarray, piece_start: np.ndarray, outer: np.ndarray) -> None:
    """Make exterior rings counter-clockwise and holes clockwise, in place."""
    if len(coords) < 2:
        return
    x = coords[:, 0] - coords[0, 0]
    y = coords[:, 1] - coords[0, 1]
    cross = np.zeros(len(coords))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[piece_start[1:] - 1] = 0.0  # no term across the end of a ring
    lengths = np.diff(piece_start)
    nonempty = lengths > 0
    area2 = np.zeros(len(lengths))
    area2[nonempty] = np.add.reduceat(cross, piece_start[:-1][nonempty])
    flip = nonempty & ((area2 < 0) == outer) & (area2 != 0)
    if flip.any():
        s, e = piece_start[:-1][flip], piece_start[1:][flip]
        idx = qa.ranges(s, e)
        owner_start = np.repeat(s, e - s)
        owner_end = np.repeat(e, e - s)
        coords[idx] = coords[owner_start + owner_end - 1 - idx]
