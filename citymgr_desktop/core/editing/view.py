"""Reading through an editing session: the file's rows with the pending edits applied.

New assets that are not saved yet have no fid; they get stable negative temporary fids
(-1, -2, …) for the session, as in QGIS's edit buffer, so tables and the map can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.expression import Expression
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta, DeltaSet
from citymgr_desktop.core.store import asset_table, select_assets
from citymgr_desktop.core.store.neighbours import (
    LOCATION_FIELDS,
    MANAGEMENT_FIELDS,
    NEIGHBOUR_RADIUS,
    nearest_within,
)

if TYPE_CHECKING:  # pandas loads when a frame is asked for, not for every command
    import pandas as pd

    from citymgr_desktop.core.store import Store


class SessionView:
    """The file as the session sees it. :class:`~citymgr_desktop.core.editing.session.EditSession`
    adds the edits; this part only reads."""

    lang = "en"  # language of validation messages ("zh" for Chinese labels)

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending = DeltaSet()
        self._temp_fids: dict[tuple[str, str], int] = {}
        self._next_temp = -1

    def _after_change(self, deltas: DeltaSet | None) -> None:
        if deltas is None:  # saved or discarded: temporary fids are gone
            self._temp_fids.clear()
            return
        for d in deltas:
            if d.kind == "insert" and d.key not in self._temp_fids:
                self._temp_fids[d.key] = self._next_temp
                self._next_temp -= 1

    # -- pending ---------------------------------------------------------------------------------
    def pending_for(self, layer: str) -> list[Delta]:
        return self.pending.for_table(layer)

    def inserted(self, layer: str) -> list[tuple[int, dict[str, Any]]]:
        """(temporary fid, row) of each new, unsaved asset of ``layer``, oldest first."""
        out = []
        for d in self.pending_for(layer):
            if d.kind == "insert" and d.new is not None:
                row = {**d.new, asset_table(layer).key: d.uuid}
                out.append((self._temp_fids.get(d.key, 0), row))
        return sorted(out, key=lambda item: -item[0])

    def is_new(self, layer: str, uuid: str) -> bool:
        """True for an asset added in this session and not saved yet."""
        d = self.pending.get(layer, uuid)
        return d is not None and d.kind == "insert"

    def temp_fid(self, layer: str, uuid: str) -> int | None:
        return self._temp_fids.get((layer, uuid))

    # -- rows ------------------------------------------------------------------------------------
    def rows(self, layer: str, uuids: Iterable[str],
             fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Current values (file + pending) by uuid; deleted and unknown uuids are left out.

        ``layer`` is an asset layer or another table of the model with a uuid key
        (``maintenance_record``, ``work_order``, ``work_order_event``, ``attachment``).
        """
        t = keyed_table(layer)
        ulist = list(dict.fromkeys(uuids))
        names = None if fields is None else list(dict.fromkeys([*fields, t.key]))
        if names is not None:  # geometry first, as get_rows expects it decoded under "geom"
            names.sort(key=lambda n: n != sc.GEOMETRY_COLUMN)
        file_uuids = [u for u in ulist if not self.is_new(layer, u)]
        out = self.store.get_rows(layer, file_uuids, fields=names) if file_uuids else {}
        for u in ulist:
            d = self.pending.get(layer, u)
            if d is None:
                continue
            if d.kind == "delete":
                out.pop(u, None)
            elif d.kind == "insert":
                assert d.new is not None
                full: dict[str, Any] = {n: None for n in t.field_names()}
                full.update(d.new)
                full[t.key] = u
                out[u] = full if names is None else {n: full.get(n) for n in names}
            elif u in out:
                assert d.new is not None
                out[u].update({k: v for k, v in d.new.items()
                               if names is None or k in names})
        return {u: out[u] for u in ulist if u in out}

    def row(self, layer: str, uuid: str, fields: Iterable[str] | None = None) -> dict[str, Any]:
        got = self.rows(layer, [uuid], fields)
        if uuid not in got:
            raise NotFoundError("{layer} has no asset {uuid}", layer=layer, uuid=uuid)
        return got[uuid]

    def frame(self, layer: str, uuids: Iterable[str], fields: Iterable[str]) -> pd.DataFrame:
        """Current values of ``fields`` as a DataFrame indexed by uuid (with a fid column)."""
        import pandas as pd

        ulist = list(uuids)
        names = [f for f in dict.fromkeys(fields) if f != "fid"]
        rows = self.rows(layer, ulist, names)
        fids = self.fids(layer, ulist)
        frame = pd.DataFrame.from_records(
            [{**{n: rows[u].get(n) for n in names}, "fid": fids.get(u)} for u in ulist
             if u in rows], index=[u for u in ulist if u in rows], columns=[*names, "fid"])
        return frame

    def fids(self, layer: str, uuids: Iterable[str]) -> dict[str, int]:
        """fid of each uuid (temporary negative fids for unsaved new assets)."""
        asset_table(layer)
        out: dict[str, int] = {}
        file_uuids = []
        for u in uuids:
            temp = self._temp_fids.get((layer, u))
            if temp is not None:
                out[u] = temp
            else:
                file_uuids.append(u)
        out.update(self.store.fids_of(layer, file_uuids))
        return out

    def uuids_for_fids(self, layer: str, fids: Iterable[int]) -> dict[int, str]:
        """asset_uuid of each fid (file fids and temporary ones)."""
        asset_table(layer)
        temp = {v: k[1] for k, v in self._temp_fids.items() if k[0] == layer}
        out: dict[int, str] = {}
        file_fids = []
        for f in fids:
            if f in temp:
                out[f] = temp[f]
            elif f > 0:
                file_fids.append(int(f))
        out.update(self.store.uuids_of_fids(layer, file_fids))
        return out

    def referenced(self, layer: str, uuids: Iterable[str]) -> set[str]:
        """Assets with maintenance history or work orders (they are retired, never deleted),
        unsaved records and orders included."""
        ulist = set(uuids)
        out = referenced_assets(self.store, [u for u in ulist if not self.is_new(layer, u)])
        for table in ("maintenance_record", "work_order_asset"):
            for d in self.pending.for_table(table):
                if d.new is not None and d.new.get("asset_uuid") in ulist:
                    out.add(d.new["asset_uuid"])
        return out

    # -- selecting -------------------------------------------------------------------------------
    def select(self, layer: str, expression: str | Expression | None, *,
               include_retired: bool = False) -> list[str]:
        """uuids of the assets of ``layer`` matching ``expression`` (file + pending edits),
        in fid order with new assets last. The file part is filtered inside SQLite."""
        selection = select_assets(self.store, layer, expression, pending=self.pending_for(layer),
                                  include_retired=include_retired)
        new = sorted(selection.new, key=lambda u: -self._temp_fids.get((layer, u), 0))
        return [*(selection.saved_uuids or []), *new]


def keyed_table(name: str) -> sc.Table:
    """An asset layer (the one check of :func:`asset_table`) or another table of the model
    whose rows have a uuid key."""
    if name in sc.ASSET_TABLES_BY_NAME:
        return asset_table(name)
    t = sc.TABLES_BY_NAME.get(name)
    if t is None or not t.key:
        return asset_table(name)  # the one error message for a wrong layer name
    return t


def referenced_assets(store: Store, uuids: Iterable[str]) -> set[str]:
    """Which of ``uuids`` a maintenance record or a work order points at."""
    return store.referenced_assets(uuids)


def nearest_asset(view: SessionView, layer: str, x: float, y: float,
                  tolerance: float) -> str | None:
    """The asset of ``layer`` nearest to (x, y) within ``tolerance`` (layer CRS), pending
    edits included (moved and new assets where they are now, deleted ones not at all)."""
    import shapely

    asset_table(layer)
    saved, _, _ = view.store.assets_near(
        layer, (x - tolerance, y - tolerance, x + tolerance, y + tolerance), [])
    candidates = [*saved, *(d.uuid for d in view.pending_for(layer) if d.kind != "delete")]
    rows = view.rows(layer, candidates, [sc.GEOMETRY_COLUMN, "retired_at"])
    live = [(uuid, row[sc.GEOMETRY_COLUMN]) for uuid, row in rows.items()
            if row.get(sc.GEOMETRY_COLUMN) is not None and row.get("retired_at") is None]
    index = int(nearest_within([g for _, g in live], [shapely.Point(x, y)], tolerance)[0])
    return live[index][0] if index >= 0 else None


def neighbour_values(view: SessionView, layer: str, x: float, y: float,
                     fields: tuple[str, ...] = (*LOCATION_FIELDS, *MANAGEMENT_FIELDS),
                     radius: float = NEIGHBOUR_RADIUS) -> dict[str, Any]:
    """Location and management values of the nearest asset of ``layer`` within ``radius``:
    sensible defaults for a new asset placed next to it (the rule an import's new assets
    follow too: :mod:`citymgr_desktop.core.store.neighbours`)."""
    uuid = nearest_asset(view, layer, x, y, radius)
    if uuid is None:
        return {}
    row = view.row(layer, uuid, list(fields))
    return {f: row.get(f) for f in fields if row.get(f) not in (None, "")}
