"""Loading map data from a Store: ask it for only what drawing needs
(``Store.read_for_drawing``: plain rows, no GDAL, pandas or Arrow), turn the geometry blobs
into vertex arrays (NumPy, :mod:`render.wkb`; Shapely for unusual geometry), reproject to
the map CRS, sort by category and pack spatially, index the blocks. Builds the types of
:mod:`render.data`; runs no SQL of its own.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS

from citymgr_desktop.core.errors import CrsError, NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import LayerInfo, Store
from citymgr_desktop.core.store.drawing import PackedValues, StoreDrawingReads
from citymgr_desktop.render import pieces as pcs
from citymgr_desktop.render import wkb
from citymgr_desktop.render.data import (
    BLOCK,
    LABEL_LAYERS,
    NO_CATEGORY,
    LayerData,
    MapData,
    block_index,
    category_blocks,
)
from citymgr_desktop.render.qtarrays import ranges
from citymgr_desktop.render.view import metres_per_unit

LOAD_THREADS = min(4, os.cpu_count() or 1)


def drawable_layers(store: Store, infos: Iterable[LayerInfo] | None = None) -> list[str]:
    """Feature layers of the file in drawing order: polygons, lines, points (file order
    within each); ``infos`` = ``store.layers()`` when the caller has it already."""
    order = {"MULTIPOLYGON": 0, "POLYGON": 0, "GEOMETRY": 1, "GEOMETRYCOLLECTION": 1,
             "MULTILINESTRING": 2, "LINESTRING": 2, "MULTIPOINT": 3, "POINT": 3}
    infos = [i for i in (store.layers() if infos is None else infos) if i.geometry_type]
    ranked = sorted(enumerate(infos), key=lambda p: (order.get(
        (p[1].geometry_type or "").upper(), 1), p[0]))
    return [info.name for _, info in ranked]


def map_crs_of(store: Store) -> CRS | None:
    try:
        return store.project_crs()
    except CrsError:
        return None


def load_map(store: Store, layers: Sequence[str] | None = None, crs: CRS | str | None = None,
             progress: Progress | None = None, *,
             bbox: tuple[float, float, float, float] | None = None,
             identities: bool = True) -> MapData:
    """Load the feature layers of ``store`` (all, or ``layers`` in that drawing order).

    ``bbox`` (map CRS) reads only the features that meet that box grown by
    :data:`BOX_MARGIN` (symbols drawn just outside it reach in), through the layers'
    spatial index: what a view of that box draws, for an image of one box. A layer in
    another CRS is read whole.

    ``identities=False`` is for an image and nothing more (``citymgr render``): the
    asset uuids and fids are not read, every feature's key reads ``b""`` and its fid 0
    (arrays of no memory), so nothing can be selected or edited on that map.

    ``crs`` is the map CRS (default: the project's CRS); layers in another CRS are
    reprojected. Layers are read in parallel (GDAL and NumPy release the GIL; the metadata
    comes first, from this thread's connection). Reports progress per layer and honours
    ``progress.cancel()``.
    """
    prog = ensure(progress)
    infos = {info.name: info for info in store.layers()}  # counts every table: once
    names = list(layers) if layers is not None else drawable_layers(store, infos.values())
    map_crs = CRS.from_user_input(crs) if crs is not None else map_crs_of(store)
    map_wkt = map_crs.to_wkt() if map_crs is not None else None
    for name in names:
        if name not in infos:
            raise NotFoundError("{path} has no layer {name!r}", path=store.path, name=name)
    read_box = _grown(bbox) if bbox is not None else None
    plans = [_plan(store, infos[name], map_crs, read_box, identities) for name in names]
    prog.update(0, len(names), ", ".join(names))
    done = [0]
    lock = threading.Lock()

    def work(plan: _Plan) -> LayerData:
        layer = _load(store, plan, map_wkt, prog)
        with lock:
            done[0] += 1
            prog.update(done[0], len(names), plan.name)
        return layer

    workers = max(1, min(LOAD_THREADS, len(plans)))
    if workers == 1:
        loaded = [work(p) for p in plans]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="citymgr-load") as pool:
            # the biggest layers first, so the two threads finish together
            futures = {p.name: pool.submit(work, p)
                       for p in sorted(plans, key=lambda p: -p.count)}
            loaded = [futures[p.name].result() for p in plans]
    release_free_memory()
    if map_crs is None:
        return MapData(str(store.path), None, tuple(loaded), read_layer=load_layer)
    return MapData(str(store.path), map_wkt, tuple(loaded),
                   crs_geographic=bool(map_crs.is_geographic),
                   crs_unit_m=metres_per_unit(map_crs), read_layer=load_layer)


@dataclass(frozen=True)
class _Plan:
    """What reading one layer needs from the store (gathered on the store's thread)."""

    name: str
    geometry_type: str
    count: int
    wanted: tuple[str, ...]
    current_only: bool  # leave out retired assets
    layer_wkt: str | None  # None: same as the map CRS (or unknown): no reprojection
    layer_crs_name: str | None
    is_asset: bool
    box: tuple[float, float, float, float] | None = None  # read only this (layer CRS)
    identities: bool = True  # False: no keys and fids (see load_map)


BOX_MARGIN = 0.05  # a box is read grown by this share of its size on each side


def _grown(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = box
    dx, dy = (maxx - minx) * BOX_MARGIN, (maxy - miny) * BOX_MARGIN
    return (minx - dx, miny - dy, maxx + dx, maxy + dy)


def _plan(store: Store, info: LayerInfo, map_crs: CRS | None,
          box: tuple[float, float, float, float] | None = None, identities: bool = True
          ) -> _Plan:
    name = info.name
    if not info.geometry_type:
        raise NotFoundError("{path}: {name!r} is a table without geometry",
                            path=store.path, name=name)
    cols = set(store.column_names(name))
    is_asset = name in sc.ASSET_TABLES_BY_NAME
    wanted = tuple(c for c in ("asset_uuid" if identities else None, "condition",
                               LABEL_LAYERS.get(name)) if c and c in cols)
    layer_crs = _layer_crs(store, name)
    reproject = map_crs is not None and layer_crs is not None and not layer_crs.equals(map_crs)
    return _Plan(name, info.geometry_type, info.count, wanted,
                 is_asset and "retired_at" in cols,
                 layer_crs.to_wkt() if reproject else None,
                 layer_crs.name if layer_crs else None, is_asset,
                 None if reproject else box, identities)


def _layer_crs(store: Store, name: str) -> CRS | None:
    try:
        return store.crs(name)
    except CrsError:
        return None


def load_layer(store: Store, name: str, map_crs: CRS | None,
               progress: Progress | None = None) -> LayerData:
    """Read and prepare one feature layer (see the module docstring)."""
    plan = _plan(store, store.layer(name), map_crs)
    return _load(store, plan, map_crs.to_wkt() if map_crs is not None else None, progress)


def _load(store: Store, plan: _Plan, map_wkt: str | None,
          progress: Progress | None = None) -> LayerData:
    """The heavy part of loading a layer; safe in a worker thread (of the store only its
    thread-safe ``read_for_drawing``, no shared pyproj objects)."""
    prog = ensure(progress)
    name = plan.name
    read = _read_rows(store, plan, prog)
    fids = read.fids
    n = len(fids)
    pieces = read.pieces
    release_free_memory()
    if plan.layer_wkt is not None and map_wkt is not None:
        pcs.reproject(pieces, CRS.from_wkt(plan.layer_wkt), CRS.from_wkt(map_wkt))
    bounds = pcs.feature_bounds(pieces, n)
    ok = np.isfinite(bounds).all(axis=1)  # drops missing, empty and unprojectable features
    if not plan.identities:  # no memory: one value seen n times
        fids = np.broadcast_to(np.zeros(1, np.int64), (n,))
        keys = np.broadcast_to(np.zeros(1, "S1"), (n,))
    elif read.keys is not None:
        keys = read.keys
    else:
        keys = fids.astype("S20")
    if read.category is not None:
        category = read.category
    else:
        category = np.full(len(fids), NO_CATEGORY, dtype=np.int8)
    label_codes, label_values = read.label_codes, read.label_values
    del read  # each array is held once, by the names above: reordering replaces it
    prog.check()
    order, slices, block_start = _order(category, bounds, ok)
    del ok
    category, bounds = category[order], bounds[order]
    if plan.identities:
        keys, fids = keys[order], fids[order]
    else:
        keys, fids = keys[: len(order)], fids[: len(order)]
    if label_codes is not None:
        label_codes = label_codes[order]
    pieces = {kind: pcs.permute(pc, order) for kind, pc in pieces.items()}
    del order
    prog.check()
    tree, total = block_index(bounds, block_start)
    release_free_memory()
    return LayerData(name=name, geometry_type=plan.geometry_type,
                     crs_name=plan.layer_crs_name, keys=keys,
                     fids=fids, category=category, category_slices=slices, pieces=pieces,
                     feature_bounds=bounds, block_start=block_start,
                     tree=tree, bounds=total, label_codes=label_codes,
                     label_values=label_values, is_asset=plan.is_asset,
                     typical_size=_typical_size(bounds))


@dataclass
class _Rows:
    """One layer's rows as arrays, the geometry as vertex arrays (the blobs are gone)."""

    fids: np.ndarray | None
    keys: np.ndarray | None  # asset_uuid as bytes
    category: np.ndarray | None  # int8: condition 1-5, 0 = not assessed (or not a number)
    label_codes: np.ndarray | None
    label_values: list[str]
    pieces: dict[str, pcs.Pieces]


def _numbers(values: tuple) -> np.ndarray:
    """Numbers as float64; NULL, and text SQLite let into a number column of a damaged
    file, as NaN (drawn as not rated; ``validate`` names those rows)."""
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        return np.array([v if isinstance(v, int | float) else np.nan for v in values],
                        dtype=np.float64)


def _category(condition: np.ndarray) -> np.ndarray:
    """The condition category: 1-5, 0 for not assessed (NULL, not a number); a condition
    out of 0-5 is clamped, a fraction truncated (as ``read_packed_for_drawing``'s codes)."""
    return np.clip(np.nan_to_num(condition, nan=0.0), 0, 5).astype(np.int8)


def _read_rows(store: Store, plan: _Plan, prog: Progress) -> _Rows:
    """Read the layer into arrays: packed runs of rows where the store offers them, else
    chunk by chunk (a chunk's Python rows are dropped as soon as it is converted)."""
    if isinstance(store, StoreDrawingReads):
        return _read_packed(store, plan, prog)
    wanted = plan.wanted
    read = store.read_for_drawing(plan.name, wanted, include_retired=not plan.current_only,
                                  bbox=plan.box, as_bytes=("asset_uuid",))
    at = {c: i for i, c in enumerate(wanted, start=1)}
    label_col = LABEL_LAYERS.get(plan.name)
    fids: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    conds: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    blobs = bytearray()  # grows in place (realloc): never the chunks and their join at once
    lengths: list[np.ndarray] = []
    label_index: dict[str, int] = {}
    for chunk in read.chunks:
        prog.check()
        columns = list(zip(*chunk, strict=True))
        fids.append(np.fromiter(columns[0], np.int64, len(chunk)))
        if "asset_uuid" in at:
            keys.append(np.array([k or b"" for k in columns[at["asset_uuid"]]], dtype="S"))
        if "condition" in at:
            conds.append(_numbers(columns[at["condition"]]))
        if label_col in at:
            codes.append(np.fromiter(
                (-1 if v is None else label_index.setdefault(str(v), len(label_index))
                 for v in columns[at[label_col]]), np.int32, len(chunk)))
        geoms = [g or b"" for g in columns[-1]]
        lengths.append(np.fromiter(map(len, geoms), np.int64, len(geoms)))
        blobs += b"".join(geoms)
        del chunk, columns, geoms
    data = np.frombuffer(blobs, dtype=np.uint8)
    width = max((k.dtype.itemsize for k in keys), default=1)
    fid_array = _joined(fids, np.int64)
    pieces = _read_geometry(data, _joined(lengths, np.int64), read.geometry_format,
                            len(fid_array))
    del data, blobs  # the blobs are vertex arrays now: never two copies
    return _Rows(
        fids=fid_array,
        keys=_joined(keys, np.dtype(f"S{max(width, 1)}")) if "asset_uuid" in at else None,
        category=_category(_joined(conds, np.float64)) if "condition" in at else None,
        label_codes=_joined(codes, np.int32) if label_col in at else None,
        label_values=list(label_index), pieces=pieces)


def _read_packed(store: StoreDrawingReads, plan: _Plan, prog: Progress) -> _Rows:
    """:func:`_read_rows` from the store's packed runs: a few arrays per run of rows,
    no Python object per row."""
    label_col = LABEL_LAYERS.get(plan.name)
    texts = [c for c in plan.wanted if c != "condition"]
    codes = {"condition": (0, 5)} if "condition" in plan.wanted else {}
    runs = store.read_packed_for_drawing(plan.name, as_bytes=texts, codes=codes,
                                         include_retired=not plan.current_only,
                                         bbox=plan.box)
    fids: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    categories: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    no_label: list[np.ndarray] = []
    parts: list[tuple[dict[str, pcs.Pieces], int]] = []
    for run in runs:
        prog.check()
        fids.append(run.fids)
        if "asset_uuid" in run.values:
            keys.append(_fixed_width(run.values["asset_uuid"]))
        if "condition" in run.codes:
            categories.append(run.codes["condition"].astype(np.int8))
        if label_col in run.values:
            labels.append(_fixed_width(run.values[label_col]))
            no_label.append(run.values[label_col].lengths < 0)
        # parsed run by run: the blobs of one run at a time, and its temporary arrays
        lengths = np.maximum(run.geometry.lengths, 0)
        parts.append((_read_geometry(np.frombuffer(run.geometry.data, np.uint8), lengths,
                                     "gpkg", len(lengths)), len(lengths)))
        del run, lengths
    label_codes, label_values = None, []
    if label_col in plan.wanted:
        width = max((a.dtype.itemsize for a in labels), default=1)
        label_codes, label_values = _codes(_joined(labels, np.dtype(f"S{width}")),
                                           _joined(no_label, np.bool_))
    width = max((k.dtype.itemsize for k in keys), default=1)
    return _Rows(
        fids=_joined(fids, np.int64),
        keys=_joined(keys, np.dtype(f"S{width}")) if "asset_uuid" in plan.wanted else None,
        category=_joined(categories, np.int8) if codes else None,
        label_codes=label_codes, label_values=label_values,
        pieces=parts[0][0] if len(parts) == 1 else _concat(parts))


def _concat(parts: list[tuple[dict[str, pcs.Pieces], int]]) -> dict[str, pcs.Pieces]:
    pieces = pcs.concat(parts)
    parts.clear()  # the runs' arrays: gone before the memory is given back
    release_free_memory()
    return pieces


def _fixed_width(values: PackedValues) -> np.ndarray:
    """Packed values as a fixed-width bytes array (NULL as b"")."""
    lengths = values.lengths
    n = len(lengths)
    if n and lengths[0] > 0 and (lengths == lengths[0]).all():
        return np.frombuffer(values.data, dtype=f"S{int(lengths[0])}", count=n)
    sizes = np.maximum(lengths, 0)
    width = max(1, int(sizes.max()) if n else 1)
    out = np.zeros((n, width), np.uint8)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    src = ranges(starts, ends)
    out[np.repeat(np.arange(n), sizes), src - np.repeat(starts, sizes)] = \
        np.frombuffer(values.data, dtype=np.uint8)[src]
    return out.view(f"S{width}").ravel()


def _codes(names: np.ndarray, null: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Label codes: an index into the values in order of first appearance (as the rows'
    read numbers them), -1 where ``null``; and the values."""
    codes = np.full(len(names), -1, np.int32)
    present = np.flatnonzero(~null)
    if len(present) == 0:
        return codes, []
    unique, first, inverse = np.unique(names[present], return_index=True,
                                       return_inverse=True)
    by_appearance = np.argsort(first, kind="stable")
    rank = np.empty(len(unique), np.int32)
    rank[by_appearance] = np.arange(len(unique), dtype=np.int32)
    codes[present] = rank[inverse.ravel()]
    return codes, [bytes(v).decode("utf-8", "replace") for v in unique[by_appearance]]


def _joined(parts: list[np.ndarray], dtype: np.dtype | type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _read_geometry(data: np.ndarray, lengths: np.ndarray, geometry_format: str, n: int
                   ) -> dict[str, pcs.Pieces]:
    """The ``n`` blobs back to back in ``data`` to vertex arrays per kind, in file order:
    NumPy when it can, else Shapely."""
    starts, ends, valid = wkb.blob_spans(data, lengths, geometry_format)
    parsed = wkb.parse_spans(data, starts, ends, valid)
    if parsed is None:
        blobs = np.array([data[s:e].tobytes() if v else None
                          for s, e, v in zip(starts, ends, valid, strict=True)], dtype=object)
        geoms = shapely.from_wkb(blobs, on_invalid="ignore")
        if shapely.has_z(geoms).any():
            geoms = shapely.force_2d(geoms)
        return pcs.from_shapely(geoms)
    out = {}
    for kind, p in parsed[0].items():
        if kind == pcs.POLYGON:
            pcs.orient(p.coords, p.piece_start, p.outer)
        out[kind] = pcs.Pieces(kind, p.coords, p.piece_start, p.feature_piece, p.outer)
    return {k: out[k] for k in pcs.KINDS if k in out}


def release_free_memory() -> None:
    """Give the memory freed by the big transient arrays back to the system (glibc keeps
    what falls below its moving mmap threshold, and each reading thread has its own
    arena: at 1M features ~170 MB stayed with the process after loading, for 130 MB of
    arrays kept). A no-op where there is no glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


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
    slices, block_start = category_blocks(category[order])
    return order, slices, block_start
