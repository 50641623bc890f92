"""Loading map data from a Store: ask it for only what drawing needs
(``Store.read_packed_for_drawing`` / ``read_for_drawing``: no GDAL, pandas or Arrow), read
into arrays and vertex arrays by :mod:`render.rows`, reproject to the map CRS, sort by
category and pack spatially, index the blocks. Builds the types of :mod:`render.data`; runs
no SQL of its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from citymgr_desktop.core.errors import CrsError, NotFoundError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import LayerInfo, Store
from citymgr_desktop.core.store.crs_memo import CrsFacts, facts_of
from citymgr_desktop.render import pieces as pcs
from citymgr_desktop.render import qtarrays as qa
from citymgr_desktop.render.data import (
    BLOCK,
    LABEL_LAYERS,
    NO_CATEGORY,
    LayerData,
    MapData,
    block_index,
    category_blocks,
)
from citymgr_desktop.render.rows import read_rows, release_free_memory, share_one_heap
from citymgr_desktop.render.view import unit_metres

if TYPE_CHECKING:  # pyproj loads only when a layer is reprojected (or for --crs)
    from pyproj import CRS

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
    # counts every table once, for the order of the reading threads; a box reads a part of
    # each layer: no counting of every row of the file for it
    infos = {info.name: info for info in store.layers(counted=bbox is None)}
    names = list(layers) if layers is not None else drawable_layers(store, infos.values())
    for name in names:
        if name not in infos:
            raise NotFoundError("{path} has no layer {name!r}", path=store.path, name=name)
    # the file's own CRS, known without pyproj when all the layers drawn are in it
    own = _own_crs(store, list(infos.values())) if crs is None else None
    map_crs: CRS | None = None
    if own is None or any(infos[name].srs_id != own[0] for name in names):
        map_crs = _user_crs(crs) if crs is not None else map_crs_of(store)
    map_facts = own[1] if own is not None else facts_of(map_crs) if map_crs is not None else None
    map_wkt = map_facts.wkt if map_facts is not None else None
    read_box = _grown(bbox) if bbox is not None else None
    plans = [_plan(store, infos[name], map_crs, read_box, identities, own) for name in names]
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
    share_one_heap()  # what the reading threads free can be given back (rows.py)
    if workers == 1:
        loaded = [work(p) for p in plans]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="citymgr-load") as pool:
            # the biggest layers first, so the two threads finish together
            futures = {p.name: pool.submit(work, p)
                       for p in sorted(plans, key=lambda p: -p.count)}
            loaded = [futures[p.name].result() for p in plans]
    release_free_memory()
    if map_facts is None:
        return MapData(str(store.path), None, tuple(loaded), read_layer=load_layer)
    return MapData(str(store.path), map_wkt, tuple(loaded),
                   crs_geographic=map_facts.geographic,
                   crs_unit_m=unit_metres(map_facts), read_layer=load_layer)


def _user_crs(crs: CRS | str) -> CRS:
    from pyproj import CRS

    return CRS.from_user_input(crs)


def _own_crs(store: Store, infos: list[LayerInfo]) -> tuple[int, CrsFacts] | None:
    """The srs_id and facts of the project's CRS (``store.project_crs()``: that of
    road_segment, else of the first feature layer), None when it has none."""
    feature = [info for info in infos if info.geometry_type]
    if not feature:
        return None
    info = next((i for i in feature if i.name == "road_segment"), feature[0])
    if info.srs_id is None:
        return None
    try:
        return info.srs_id, store.crs_facts(info.srs_id)
    except CrsError:
        return None


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
          box: tuple[float, float, float, float] | None = None, identities: bool = True,
          own: tuple[int, CrsFacts] | None = None) -> _Plan:
    """``own``: the map is in the file's own CRS (srs_id, facts): a layer in it needs
    neither reprojection nor a CRS object."""
    name = info.name
    if not info.geometry_type:
        raise NotFoundError("{path}: {name!r} is a table without geometry",
                            path=store.path, name=name)
    cols = set(store.column_names(name))
    is_asset = name in sc.ASSET_TABLES_BY_NAME
    wanted = tuple(c for c in ("asset_uuid" if identities else None, "condition",
                               LABEL_LAYERS.get(name)) if c and c in cols)
    if own is not None and info.srs_id == own[0]:
        return _Plan(name, info.geometry_type, info.count, wanted,
                     is_asset and "retired_at" in cols, None, own[1].name, is_asset, box,
                     identities)
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
    read = read_rows(store, plan, prog)
    n = read.count
    parts = read.parts
    release_free_memory()
    if plan.layer_wkt is not None and map_wkt is not None:
        from pyproj import CRS

        pcs.reproject(parts, CRS.from_wkt(plan.layer_wkt), CRS.from_wkt(map_wkt))
    bounds = pcs.single_points(parts)  # a layer of points: x, y are the envelopes
    points = bounds is not None
    if points:
        parts = []  # the vertices are in ``bounds``
    else:
        bounds = pcs.parts_bounds(parts)
    ok = np.isfinite(bounds).all(axis=1)  # drops missing, empty and unprojectable features
    if not plan.identities:  # no memory: one value seen n times
        fids = np.broadcast_to(np.zeros(1, np.int64), (n,))
        keys = np.broadcast_to(np.zeros(1, "S1"), (n,))
    else:
        fids = read.fids
        keys = read.keys if read.keys is not None else fids.astype("S20")
    if read.category is not None:
        category = read.category
    else:
        category = np.full(n, NO_CATEGORY, dtype=np.int8)
    label_codes, label_values = read.label_codes, read.label_values
    del read  # each array is held once, by the names above: reordering replaces it
    prog.check()
    order, slices, block_start = _order(category, bounds, ok)
    del ok
    category, bounds = category[order], bounds[order]
    release_free_memory()  # the order's temporaries, before the layer's arrays are made
    if plan.identities:
        keys, fids = keys[order], fids[order]
    else:
        keys, fids = keys[: len(order)], fids[: len(order)]
    if label_codes is not None:
        label_codes = label_codes[order]
    if points:  # one vertex per feature: the reordered envelopes are the vertices (what
        # gather gives), one array for both
        ones = np.arange(len(order) + 1, dtype=np.int64)
        pieces = {pcs.POINT: pcs.Pieces(pcs.POINT, bounds, ones, ones)}
    else:
        pieces = pcs.gather(parts, order)
    del order, parts
    prog.check()
    block_bounds, total = block_index(bounds, block_start)
    release_free_memory()
    return LayerData(name=name, geometry_type=plan.geometry_type,
                     crs_name=plan.layer_crs_name, keys=keys,
                     fids=fids, category=category, category_slices=slices, pieces=pieces,
                     envelopes=bounds, block_start=block_start,
                     block_bounds=block_bounds, bounds=total, label_codes=label_codes,
                     label_values=label_values, is_asset=plan.is_asset,
                     typical_size=_typical_size(bounds))


def _typical_size(bounds: np.ndarray) -> float:
    """The median feature width/height of ``bounds`` ((N, 4); (N, 2) points: 0)."""
    if len(bounds) == 0:
        return 0.0
    sample = bounds[:: max(1, len(bounds) // 20000)]
    return qa.finite_median(np.maximum(sample[:, -2] - sample[:, 0],
                                       sample[:, -1] - sample[:, 1]))


def _order(category: np.ndarray, bounds: np.ndarray, ok: np.ndarray
           ) -> tuple[np.ndarray, dict[int, slice], np.ndarray]:
    """Feature order (category, then sort-tile-recursive packing), category slices, blocks.

    Within a category, features are cut into vertical slices by x and sorted by y inside
    each slice, so runs of :data:`BLOCK` consecutive features are small neighbourhoods.
    ``bounds`` (N, 4), or (N, 2) points (columns -2, -1 are then x, y again).
    """
    keep = None if ok.all() else np.flatnonzero(ok)
    cat = category if keep is None else category[keep]
    order = np.empty(len(cat), np.int64)
    done = 0
    # category by category (ascending, as one lexsort by category, tile and y would give,
    # ties in file order): the temporary arrays of the biggest category, not of the layer
    for c in qa.distinct(cat):
        members = np.flatnonzero(cat == c)
        if keep is not None:
            members = keep[members]
        n = len(members)
        n_slices = max(1, int(np.ceil(np.sqrt(n / BLOCK))))
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort((bounds[members, 0] + bounds[members, -2]) / 2, kind="stable")] = \
            np.arange(n)
        tile = rank * n_slices // n
        del rank
        cy = (bounds[members, 1] + bounds[members, -1]) / 2
        order[done:done + n] = members[np.lexsort((cy, tile))]
        done += n
        del members, tile, cy
    slices, block_start = category_blocks(category[order])
    return order, slices, block_start
