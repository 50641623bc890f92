"""The loader's reading of one layer into arrays (:func:`read_rows`): the store's packed
runs of rows (``Store.read_packed_for_drawing``, a GeoPackage) or its chunks of rows
(``read_for_drawing``, PostGIS), the geometry blobs parsed into vertex arrays as they come
(:mod:`render.wkb`; Shapely for unusual geometry). Also :func:`release_free_memory`, which
the loader calls after each layer's temporary arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely

from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.drawing import PackedValues, StoreDrawingReads
from citymgr_desktop.render import pieces as pcs
from citymgr_desktop.render import wkb
from citymgr_desktop.render.data import LABEL_LAYERS
from citymgr_desktop.render.qtarrays import ranges


class RowsWanted(Protocol):
    """What to read of a layer (the loader's plan)."""

    @property
    def name(self) -> str: ...
    @property
    def wanted(self) -> tuple[str, ...]: ...  # columns: asset_uuid, condition, label
    @property
    def current_only(self) -> bool: ...  # leave out retired assets
    @property
    def box(self) -> tuple[float, float, float, float] | None: ...


@dataclass
class LayerRows:
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


def read_rows(store: Store, plan: RowsWanted, prog: Progress) -> LayerRows:
    """Read the layer into arrays: packed runs of rows where the store offers them, else
    chunk by chunk (a chunk's Python rows are dropped as soon as it is converted)."""
    if isinstance(store, StoreDrawingReads) and store.packs_for_drawing():
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
    return LayerRows(
        fids=fid_array,
        keys=_joined(keys, np.dtype(f"S{max(width, 1)}")) if "asset_uuid" in at else None,
        category=_category(_joined(conds, np.float64)) if "condition" in at else None,
        label_codes=_joined(codes, np.int32) if label_col in at else None,
        label_values=list(label_index), pieces=pieces)


def _read_packed(store: StoreDrawingReads, plan: RowsWanted, prog: Progress) -> LayerRows:
    """:func:`read_rows` from the store's packed runs: a few arrays per run of rows,
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
    return LayerRows(
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
