"""The loader's reading of one layer into arrays (:func:`read_rows`): the store's packed
runs of rows (``Store.read_packed_for_drawing``, a GeoPackage) or its chunks of rows
(``read_for_drawing``, PostGIS), the geometry blobs parsed into vertex arrays as they come
(:mod:`render.wkb`; Shapely for unusual geometry), run by run (never concatenated: the
loader reorders them into the layer's arrays). Also :func:`release_free_memory`, which
the loader calls after each layer's temporary arrays.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

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
    @property
    def identities(self) -> bool: ...  # False: the fids are not kept (an image: no keys)


@dataclass
class LayerRows:
    """One layer's rows as arrays, the geometry as vertex arrays (the blobs are gone)."""

    count: int
    fids: np.ndarray | None  # None when the plan wants no identities
    keys: np.ndarray | None  # asset_uuid as bytes
    category: np.ndarray | None  # int8: condition 1-5, 0 = not assessed (or not a number)
    label_codes: np.ndarray | None
    label_values: list[str]
    parts: pcs.Parts  # the vertex arrays run by run, never concatenated (the loader
    # reorders them straight into the layer's arrays: pieces.gather)


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
        count=len(fid_array), fids=fid_array,
        keys=_joined(keys, np.dtype(f"S{max(width, 1)}")) if "asset_uuid" in at else None,
        category=_category(_joined(conds, np.float64)) if "condition" in at else None,
        label_codes=_joined(codes, np.int32) if label_col in at else None,
        label_values=list(label_index), parts=[(pieces, len(fid_array))])


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
    labels = _LabelCodes()
    parts: pcs.Parts = []
    count = 0
    for run in runs:
        prog.check()
        count += len(run.fids)
        if plan.identities:
            fids.append(run.fids)
        if "asset_uuid" in run.values:
            keys.append(_fixed_width(run.values["asset_uuid"]))
        if "condition" in run.codes:
            categories.append(run.codes["condition"].astype(np.int8))
        if label_col in run.values:
            labels.add(run.values[label_col])
        # parsed run by run: the blobs of one run at a time, and its temporary arrays
        lengths = np.maximum(run.geometry.lengths, 0)
        parts.append((_read_geometry(np.frombuffer(run.geometry.data, np.uint8), lengths,
                                     "gpkg", len(lengths)), len(lengths)))
        del run, lengths
        release_free_memory()  # the run's blobs and temporaries, before SQLite's next run
    label_codes, label_values = labels.result() if label_col in plan.wanted else (None, [])
    width = max((k.dtype.itemsize for k in keys), default=1)
    return LayerRows(
        count=count, fids=_joined(fids, np.int64) if plan.identities else None,
        keys=_joined(keys, np.dtype(f"S{width}")) if "asset_uuid" in plan.wanted else None,
        category=_joined(categories, np.int8) if codes else None,
        label_codes=label_codes, label_values=label_values, parts=parts)


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


class _LabelCodes:
    """Label codes run by run: an index into the values in order of first appearance over
    all runs (as the rows' read numbers them), -1 for NULL; the runs' names are never
    joined (the 1M district's road names as fixed-width bytes: ~8 MB a copy)."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.runs: list[np.ndarray] = []

    def add(self, values: PackedValues) -> None:
        names = _fixed_width(values)
        codes = np.full(len(names), -1, np.int32)
        present = np.flatnonzero(values.lengths >= 0)
        if len(present):
            unique, first, inverse = np.unique(names[present], return_index=True,
                                               return_inverse=True)
            code_of = np.empty(len(unique), np.int32)
            for u in np.argsort(first, kind="stable").tolist():  # new names in run order
                code_of[u] = self.index.setdefault(bytes(unique[u]), len(self.index))
            codes[present] = code_of[inverse.ravel()]
        self.runs.append(codes)

    def result(self) -> tuple[np.ndarray, list[str]]:
        return (_joined(self.runs, np.int32),
                [v.decode("utf-8", "replace") for v in self.index])


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
    what falls below its moving mmap threshold: at 1M features ~170 MB stayed with the
    process after loading, for 130 MB of arrays kept). A no-op where there is no glibc."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def share_one_heap() -> None:
    """Let threads started from now on allocate from the main heap (glibc's
    ``M_ARENA_MAX`` = 1), for the loader's reading threads: ``malloc_trim`` gives back
    the free memory inside every heap but not the free top of a thread's own heap, which
    glibc keeps below a trim threshold that grows to 64 MB; at 1M features that was
    ~25-50 MB held after loading (the first frame is drawn on top of it). The threads
    allocate little and big (NumPy arrays), so sharing one heap costs no measurable
    time. Where glibc already made its arena limit (or there is no glibc), nothing
    changes."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)


_M_ARENA_MAX = -8  # glibc's malloc.h


@functools.cache
def _libc() -> Any:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 - both there, or neither is used
        return libc
    except (OSError, AttributeError):
        return None
