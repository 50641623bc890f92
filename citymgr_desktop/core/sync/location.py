"""The 街道 and 单元网格 of assets a crew added in the field and left empty, from their
nearest asset in the master: the rule of an asset added on the map and of an import
(:mod:`citymgr_desktop.core.store.neighbours`). A package of the whole file or of a ``--bbox``
area has no 街道 default, so a bin added there comes back without one. A value the crew set
is never replaced; the report counts what was filled (docs/sync.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, MutableMapping
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.neighbours import LOCATION_FIELDS, values_from_nearest
from citymgr_desktop.core.store.protocol import ProjectStore
from citymgr_desktop.core.sync.merge import Change
from citymgr_desktop.core.sync.values import GEOM, for_store

# one added asset: its layer, its values (filled in place) and its Shapely geometry
Added = tuple[str, MutableMapping[str, Any], Any]


def fill_added_location(store: ProjectStore, added: Iterable[Added]) -> dict[str, int]:
    """Fill the empty ``district``/``bgid`` of the ``added`` assets from the nearest live
    asset of their layer in ``store`` (within ``NEIGHBOUR_RADIUS``); returns how many of
    each field were filled (fields with none left out)."""
    by_layer: dict[str, list[tuple[MutableMapping[str, Any], Any]]] = defaultdict(list)
    for layer, values, geometry in added:
        if layer in sc.ASSET_TABLES_BY_NAME and geometry is not None \
                and any(not values.get(f) for f in LOCATION_FIELDS):
            by_layer[layer].append((values, geometry))
    filled = dict.fromkeys(LOCATION_FIELDS, 0)
    for layer, todo in by_layer.items():
        found = values_from_nearest(store, layer, [g for _v, g in todo], LOCATION_FIELDS)
        for f in LOCATION_FIELDS:
            for (values, _g), near in zip(todo, found[f], strict=True):
                if near is not None and not values.get(f):
                    values[f] = near
                    filled[f] += 1
    return {f: n for f, n in filled.items() if n}



def fill_plan_location(store: ProjectStore, changes: Iterable[Change]) -> dict[str, int]:
    """:func:`fill_added_location` for the new assets of a file sync's plan (raw values:
    the geometry is its GeoPackage blob)."""
    return fill_added_location(store, (
        (c.table, c.values, for_store(GEOM, c.values.get(GEOM))) for c in changes
        if c.action == "insert" and c.table in sc.ASSET_TABLES_BY_NAME
        and any(not c.values.get(f) for f in LOCATION_FIELDS)))


def fill_delta_location(store: ProjectStore, deltas: list[Delta]) -> dict[str, int]:
    """:func:`fill_added_location` for the new assets of a database sync (store values: the
    geometry is a Shapely object); a filled delta is replaced in ``deltas`` by its copy."""
    rows = {i: dict(d.new) for i, d in enumerate(deltas)
            if d.old is None and d.new is not None and d.table in sc.ASSET_TABLES_BY_NAME}
    filled = fill_added_location(store, ((deltas[i].table, row, row.get(GEOM))
                                         for i, row in rows.items()))
    for i, row in rows.items():
        if row != deltas[i].new:
            deltas[i] = Delta(deltas[i].table, deltas[i].uuid, None, row)
    return filled
