"""Choose the assets of a new work order by expression ("all bins with condition 5 in one
sub-district": ``condition = 5 and district = '粮道街道'``), with the project's expression
language (:mod:`citymgr_desktop.core.expression`): parsed and type-checked by the project,
compiled to parameterised SQL, never ``eval``-ed and never pasted into SQL. Retired assets
are never chosen. The selecting is the store's
(:func:`~citymgr_desktop.core.store.selection.select_assets`), as for every other feature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.store import asset_table, select_assets

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store


def matching_uuids(store: Store, layer: str, where: str) -> list[str]:
    """``asset_uuid`` of every live asset of ``layer`` for which ``where`` holds, in fid
    order. Bad expressions raise :class:`ExpressionError` naming the problem."""
    asset_table(layer)
    if not where or not where.strip():
        raise ValidationError("the expression is empty: say which assets, e.g. condition >= 4")
    return select_assets(store, layer, where).uuids
