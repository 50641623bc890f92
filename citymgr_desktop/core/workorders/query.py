"""Finding work orders and gathering what a report needs: list and filter by state, assignee
and overdue; choose assets by expression; load orders with their assets, geometries and the
last maintenance records for the exports (PDF, XLSX, CSV, GeoJSON/GeoPackage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import history
from citymgr_desktop.core.clock import utcnow
from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.core.model.pending import overlay_rows, pending_of
from citymgr_desktop.core.model.pending import touched as touched_keys
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.orders import OVERDUE_STATES, get_order, is_overdue

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

ORDER_FIELDS = sc.WORK_ORDER.field_names()
ASSET_FIELDS = ("asset_uuid", "obj_code", "name", "district", "bgid", "condition",
                "maintainer_dept", "retired_at")


def list_orders(store: Store, *, states: Iterable[str] | None = None,
                assignee: str | None = None, overdue: bool | None = None,
                cases: Sequence[str] | None = None, text: str | None = None,
                now: dt.datetime | None = None, pending: DeltaSet | None = None
                ) -> list[dict[str, Any]]:
    """Orders newest first, each with ``asset_count`` and ``overdue``; filters combine with
    AND. ``states`` accepts state names; ``cases`` case numbers or uuids; ``text`` matches
    case number, title and description (plain substring, never SQL). Orders that unsaved
    edits (``pending``) touch are judged by their new values."""
    if not store.is_asset_project():  # someone else's GeoPackage has no orders
        return []
    now = now or utcnow()
    names = [wf.parse_state(s).value for s in states] if states else None
    refs = [str(c).strip() for c in cases] if cases else None
    touched = set(touched_keys(pending, "work_order"))
    touched |= {str((d.new or d.old or {}).get("work_order_uuid"))
                for d in pending_of(pending, "work_order_asset")}
    if refs:
        _check_refs(store, refs, pending)
    out = []
    for row in store.work_orders(states=names, assignee=assignee, refs=refs, text=text,
                                 overdue=overdue, overdue_states=sorted(OVERDUE_STATES),
                                 now=now.strftime("%Y-%m-%dT%H:%M:%S")):
        if row["work_order_uuid"] in touched:
            continue  # judged below by its new values
        row["overdue"] = is_overdue(row, now)
        out.append(row)
    if touched:
        from citymgr_desktop.core.workorders.orders import assets_of

        rows = overlay_rows("work_order", store.get_rows("work_order", touched), pending,
                            wanted=touched)
        for row in rows.values():
            row["asset_count"] = len(assets_of(store, row["work_order_uuid"], pending))
            row["overdue"] = is_overdue(row, now)
            if _matches(row, names, assignee, overdue, refs, text):
                out.append(row)
        out.sort(key=lambda o: str(o.get("case_no") or ""), reverse=True)
    return out


def _check_refs(store: Store, refs: list[str], pending: DeltaSet | None) -> None:
    found: set[str] = set()
    for d in pending_of(pending, "work_order"):
        if d.new is not None:
            found |= {d.uuid, str(d.new.get("case_no"))}
    missing = [r for r in store.missing_work_orders(refs) if r not in found]
    if missing:
        raise NotFoundError("no work order with case number {case_numbers}",
                            case_numbers=", ".join(missing))


def _matches(row: dict[str, Any], states: list[str] | None, assignee: str | None,
             overdue: bool | None, refs: list[str] | None, text: str | None) -> bool:
    """The filters of :func:`list_orders` on one order's values (``overdue`` computed)."""
    if states and row.get("state") not in states:
        return False
    if assignee and row.get("assignee") != assignee:
        return False
    if refs and row.get("case_no") not in refs and row.get("work_order_uuid") not in refs:
        return False
    if text and not any(text in str(row.get(k) or "") for k in ("case_no", "title",
                                                               "description")):
        return False
    return overdue is None or bool(row["overdue"]) == overdue


def assignees(store: Store, pending: DeltaSet | None = None) -> list[str]:
    """The assignees of the file's orders and of unsaved ones (none in a GeoPackage that is
    not a project)."""
    if not store.is_asset_project():
        return []
    found = store.order_assignees()
    found |= {str(d.new["assignee"]) for d in pending_of(pending, "work_order")
              if d.new and d.new.get("assignee")}
    return sorted(found)


def proposed_units(store: Store, pending: DeltaSet | None = None) -> dict[str, str]:
    """{asset class: the disposal unit (处置单位) of its newest order naming one}, unsaved
    orders counted: what a new order of that class is proposed (the unit that handles the
    class, the user's own last choice for it once they made one)."""
    if not store.is_asset_project():
        return {}
    newest = dict(store.newest_units())
    for d in pending_of(pending, "work_order"):
        row = d.new or {}
        cls, case, unit = row.get("asset_class"), str(row.get("case_no") or ""), \
            str(row.get("assignee") or "").strip()
        if cls and unit and case >= newest.get(cls, ("", ""))[0]:
            newest[cls] = (case, unit)
    return {cls: unit for cls, (_, unit) in newest.items()}


def select_assets(store: Store, layer: str, where: str) -> list[str]:
    """Asset uuids of ``layer`` (not retired) matching the expression ``where``.

    Uses the project's expression language (``core.expression``): parsed, type-checked
    against the layer and evaluated by the project, never passed to ``eval`` or pasted
    into SQL.
    """
    from citymgr_desktop.core.workorders.selection import matching_uuids

    return matching_uuids(store, layer, where)


def case_numbers(store: Store, order_uuids: Iterable[str | None],
                 pending: DeltaSet | None = None) -> dict[str, str]:
    """{work_order_uuid: case number} of these orders (None and unknown ones left out)."""
    wanted = [u for u in dict.fromkeys(order_uuids) if u]
    out = store.case_numbers_of(wanted)
    for d in pending_of(pending, "work_order"):
        if d.uuid in wanted and d.new and d.new.get("case_no"):
            out[d.uuid] = d.new["case_no"]
    return out


@dataclass
class ReportAsset:
    asset_class: str
    asset_uuid: str
    values: dict[str, Any]
    geometry: Any  # shapely geometry in the project CRS (None if missing)
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportOrder:
    order: dict[str, Any]
    assets: list[ReportAsset]
    events: list[dict[str, Any]]

    @property
    def case_no(self) -> str:
        return str(self.order["case_no"])


def load_report(store: Store, refs: Sequence[str] | None = None, *,
                states: Iterable[str] | None = None, records_per_asset: int = 3,
                progress: Progress | None = None, pending: DeltaSet | None = None
                ) -> list[ReportOrder]:
    """Orders (by case number/uuid, or all matching ``states``) with their assets, geometries
    and last records, in case-number order (unsaved edits of ``pending`` as if saved)."""
    from citymgr_desktop.core.workorders.orders import assets_of, events_of

    prog = ensure(progress)
    if refs:
        orders = [get_order(store, r, pending) for r in dict.fromkeys(refs)]
        if states:
            wanted = {wf.parse_state(s).value for s in states}
            orders = [o for o in orders if o["state"] in wanted]
    else:
        orders = list_orders(store, states=states, pending=pending)
    orders.sort(key=lambda o: o["case_no"])
    out: list[ReportOrder] = []
    for i, order in enumerate(orders):
        prog.update(i, len(orders), msg("reading {case_no}", case_no=order['case_no']))
        wid = order["work_order_uuid"]
        links = assets_of(store, wid, pending)
        by_class: dict[str, list[str]] = {}
        for c, u in links:
            by_class.setdefault(c, []).append(u)
        rows: dict[str, dict[str, Any]] = {}
        for c, ids in by_class.items():
            rows.update(overlay_rows(c, store.get_rows(c, ids, [sc.GEOMETRY_COLUMN,
                                                                *ASSET_FIELDS]),
                                     pending, wanted=ids))
        recs = history.latest_records(store, [u for _, u in links], records_per_asset,
                                      pending)
        assets = []
        for c, u in links:
            vals = dict(rows.get(u, {"asset_uuid": u}))
            geom = vals.pop(sc.GEOMETRY_COLUMN, None)
            assets.append(ReportAsset(c, u, vals, geom, recs.get(u, [])))
        out.append(ReportOrder(dict(order), assets, events_of(store, wid, pending)))
    prog.update(len(orders), len(orders), msg("read"))
    return out
