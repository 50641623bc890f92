"""Selecting assets by expression: "the assets of layer L where EXPR, plus my unsaved edits".

One function answers it for every feature that chooses assets by an expression: the editing
session (``citymgr edit --where``, the field calculator), new work orders (``citymgr
workorders create --where``) and the attribute table's filter. The file part is filtered
inside SQLite (the expression compiled to parameterised SQL, never user text); rows that
unsaved edits touch are judged again by their new values with the pandas back end of the same
expression: edited rows by their new values, new assets included, deleted ones left out.

The pending edits come in as deltas (:class:`~citymgr_desktop.core.model.delta.Delta`), so
the store needs nothing from the editing session that holds them. A selection from the file
alone needs neither pandas nor NumPy (``citymgr edit`` of one row starts without them); NumPy
loads when its fids are asked for as an array (:attr:`AssetSelection.fids`).
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.expression import Expression, Fields, filter_rows
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.queries import query_error

if TYPE_CHECKING:
    import numpy as np

    from citymgr_desktop.core.store.geopackage import Store


def asset_table(layer: str) -> sc.Table:
    """The asset table called ``layer``: the one check that a layer holds assets.

    Anything else (a work-order table, a foreign layer, a typo) is a NotFoundError naming
    the asset layers, worded the same for the command line, the dialogs and the core (exit
    10, like every unknown layer).
    """
    t = sc.ASSET_TABLES_BY_NAME.get(layer)
    if t is None:
        raise NotFoundError("{layer!r} is not an asset layer; asset layers: {layers}",
                            layer=layer, layers=', '.join(x.name for x in sc.ASSET_TABLES))
    return t


@dataclass(frozen=True)
class AssetSelection:
    """The assets that matched: saved ones in the asked order, then the new unsaved ones."""

    saved: array[int]  # fids (int64) of the saved assets in the asked order
    saved_uuids: list[str] | None  # their asset_uuid, same order (None: not asked for)
    new: list[str]  # asset_uuid of matching new assets, in the order of the pending edits

    @cached_property
    def fids(self) -> np.ndarray:
        """``saved`` as a NumPy int64 array (a view of the same memory, not a copy)."""
        import numpy as np

        return np.frombuffer(self.saved, dtype=np.int64)

    @property
    def uuids(self) -> list[str]:
        """asset_uuid of every match: saved assets first, then new ones."""
        if self.saved_uuids is None:
            raise ValueError("select_assets(..., with_uuids=False) fetched fids only")
        return [*self.saved_uuids, *self.new]

    def __len__(self) -> int:
        return len(self.saved) + len(self.new)


def select_assets(store: Store, layer: str, expression: str | Expression | None, *,
                  pending: Iterable[Delta] | None = None, include_retired: bool = False,
                  among: Collection[str] | None = None, order_by: str = "fid",
                  descending: bool = False, with_uuids: bool = True) -> AssetSelection:
    """The assets of ``layer`` for which ``expression`` holds (all for None).

    ``pending``: unsaved edits (deltas of any table; those of ``layer`` count). A row they
    change is judged by its new values, new assets are included, deleted ones left out.
    ``include_retired``: also retired assets (hidden by default, as on the map).
    ``among``: only these asset_uuids (the table's "selected only").
    Saved assets come in ``order_by`` order (a field of the layer, by the file's values;
    ties by fid), new ones after them. A text expression is compiled against the layer's
    fields; ExpressionError says what is wrong with it. Interrupted from another thread
    (:meth:`Store.interrupt`), it raises CancelledError.
    """
    t = asset_table(layer)
    expr = expression if isinstance(expression, Expression) or expression is None else \
        Expression.compile(expression, Fields.for_table(t))
    mine = [d for d in (pending or ()) if d.table == layer]
    wanted = None if among is None else set(among)
    try:
        touched = store.fids_of(layer, [d.uuid for d in mine if d.kind != "insert"])
        judged = _judge_pending(store, t, expr, mine, touched, include_retired)
    except sqlite3.OperationalError as exc:
        raise query_error(layer, exc) from None
    keys: list[str] | None
    if store.is_database:  # filtered in Python on the rows read: no SQL from user text
        fids, read_keys = _select_read(store, t, expr, set(touched.values()), wanted,
                                       include_retired, order_by, descending)
        keys = read_keys if with_uuids else None
    else:
        fids, keys = _select_sql(store, t, expr, touched, wanted, include_retired, order_by,
                                 descending, with_uuids)
    drop = [fid for u, fid in touched.items() if u not in judged]
    if drop:
        import numpy as np  # pending edits on a selection that may hold a million rows

        keep = ~np.isin(np.frombuffer(fids, dtype=np.int64), np.array(drop, dtype=np.int64))
        fids = array("q", np.frombuffer(fids, dtype=np.int64)[keep].tobytes())
        keys = None if keys is None else [k for k, ok in zip(keys, keep, strict=True) if ok]
    new = [d.uuid for d in mine if d.kind == "insert" and d.uuid in judged
           and (wanted is None or d.uuid in wanted)]
    return AssetSelection(fids, keys, new)


def _select_read(store: Any, t: sc.Table, expr: Expression | None, touched: set[int],
                 wanted: set[str] | None, include_retired: bool, order_by: str,
                 descending: bool) -> tuple[array[int], list[str]]:
    """A database's part of :func:`select_assets`: the columns needed read, then filtered
    and ordered here (rows with pending edits kept: they are judged anew)."""
    import numpy as np  # with the frame read
    names = set(expr.used_fields if expr else ()) | {t.key, "retired_at"}
    if order_by != "fid":
        names.add(order_by)
    frame = store.read(t.name, columns=sorted(n for n in names if n in t.field_names()))
    if not len(frame):
        return array("q"), []
    frame = frame.assign(fid=frame.index.to_numpy())
    keep = np.ones(len(frame), dtype=bool)
    if expr is not None:
        keep &= expr.mask(frame)
    if not include_retired:
        keep &= frame["retired_at"].isna().to_numpy()
    keep |= frame.index.isin(list(touched))
    if wanted is not None:
        keep &= frame[t.key].isin(list(wanted)).to_numpy()
    frame = frame[keep]
    if order_by != "fid":
        frame = frame.sort_values([order_by, "fid"], ascending=[not descending, True],
                                  kind="stable", na_position="first")
    elif descending:
        frame = frame.iloc[::-1]
    return array("q", frame.index.to_numpy(dtype=np.int64).tobytes()), list(frame[t.key])


def _select_sql(store: Store, t: sc.Table, expr: Expression | None, touched: dict[str, int],
                wanted: set[str] | None, include_retired: bool, order_by: str,
                descending: bool, with_uuids: bool) -> tuple[array[int], list[str] | None]:
    """A GeoPackage's part of :func:`select_assets`: one SQLite query."""
    layer = t.name
    try:
        clauses: list[str] = []
        params: list[Any] = []
        if expr is not None:
            sql, params = expr.to_sql()
            clauses.append(f"({sql})")
        if not include_retired:
            clauses.append("retired_at IS NULL")
        where = " AND ".join(clauses)
        if touched:  # rows with pending edits come back in their place, then are judged anew
            where = f"({where or '1'}) OR fid IN (SELECT value FROM json_each(?))"
            params = [*params, json.dumps(sorted(touched.values()))]
        if wanted is not None:
            key = gpkg.quote_ident(t.key)
            where = f"({where or '1'}) AND {key} IN (SELECT value FROM json_each(?))"
            params = [*params, json.dumps(sorted(wanted))]
        return filter_rows(store.conn, layer, None, key=t.key if with_uuids else None,
                           extra_where=where, extra_params=params, order_by=order_by,
                           descending=descending)
    except sqlite3.OperationalError as exc:
        raise query_error(layer, exc) from None


def _judge_pending(store: Store, t: sc.Table, expr: Expression | None, pending: list[Delta],
                   fids: dict[str, int], include_retired: bool) -> set[str]:
    """asset_uuid of the rows with pending edits that match by their new values (``fids``:
    the file's fid of each edited saved row)."""
    live = [d for d in pending if d.kind != "delete"]
    if not live:
        return set()
    names = sorted(((expr.used_fields if expr else set()) | {"retired_at"}) - {"fid"})
    updated = [d.uuid for d in live if d.kind == "update"]
    file_rows = store.get_rows(t.name, updated, fields=[*names, t.key]) if updated else {}
    records: list[dict[str, Any]] = []
    index: list[str] = []
    for d in live:
        base = {n: None for n in names} if d.kind == "insert" else file_rows.get(d.uuid)
        if base is None:  # edited in the session, gone from the file since
            continue
        row = {n: base.get(n) for n in names}
        row.update({k: v for k, v in (d.new or {}).items() if k in row})
        row["fid"] = fids.get(d.uuid)  # a new asset has no fid yet
        records.append(row)
        index.append(d.uuid)
    if not records:
        return set()
    import numpy as np  # only when unsaved edits are judged again
    import pandas as pd

    frame = pd.DataFrame.from_records(records, index=index, columns=[*names, "fid"])
    keep = np.ones(len(frame), dtype=bool)
    if expr is not None:
        keep &= expr.mask(frame)
    if not include_retired:
        keep &= frame["retired_at"].isna().to_numpy()
    return set(frame.index[keep])
