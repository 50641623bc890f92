"""Choose the assets of a new work order by expression ("all bins with condition 5 in one
sub-district": ``condition = 5 and district = '粮道街道'``), with the project's expression
language (:mod:`citymgr_desktop.core.expression`): parsed and type-checked by the project,
compiled to parameterised SQL, never ``eval``-ed and never pasted into SQL. Retired assets
are never chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import schema as sc

if TYPE_CHECKING:
    from citymgr_desktop.core.store.geopackage import Store


def matching_uuids(store: Store, layer: str, where: str) -> list[str]:
    """``asset_uuid`` of every live asset of ``layer`` for which ``where`` holds, in fid
    order. Bad expressions raise :class:`ExpressionError` naming the problem."""
    from citymgr_desktop.core.expression import Expression, Fields, filter_fids

    if layer not in sc.ASSET_TABLES_BY_NAME:
        raise ValidationError(f"layer {layer!r} is not an asset layer; allowed: "
                              f"{', '.join(t.name for t in sc.ASSET_TABLES)}")
    if not where or not where.strip():
        raise ValidationError("the expression is empty: say which assets, e.g. condition >= 4")
    expr = Expression.compile(where, Fields.for_table(sc.table(layer)))
    fids = filter_fids(store.conn, layer, expr, extra_where="retired_at IS NULL")
    ids = fids.tolist()
    rows = dict(gpkg.select_in(
        store.conn, f'SELECT fid, asset_uuid FROM "{layer}" WHERE fid IN ({{marks}})', ids))
    return [rows[f] for f in ids if f in rows]
