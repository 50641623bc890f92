"""Finding work orders and gathering what a report needs: list and filter by state, assignee
and overdue; choose assets by expression; load orders with their assets, geometries and the
last maintenance records for the exports (PDF, XLSX, CSV, GeoJSON/GeoPackage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg, history
from citymgr_desktop.core.clock import utcnow
from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
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
                now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Orders newest first, each with ``asset_count`` and ``overdue``; filters combine with
    AND. ``states`` accepts state names; ``cases`` case numbers or uuids; ``text`` matches
    case number, title and description (plain substring, never SQL)."""
    if not store.is_asset_project():  # someone else's GeoPackage has no orders
        return []
    where, params = [], []
    if states:
        names = [wf.parse_state(s).value for s in states]
        where.append(f"o.state IN ({','.join('?' * len(names))})")
        params += names
    if assignee:
        where.append("o.assignee = ?")
        params.append(assignee)
    if cases:
        refs = [str(c).strip() for c in cases]
        marks = ",".join("?" * len(refs))
        where.append(f"(o.case_no IN ({marks}) OR o.work_order_uuid IN ({marks}))")
        params += refs + refs
        found = {r[0] for r in store.conn.execute(
            f"SELECT case_no FROM work_order WHERE case_no IN ({marks}) UNION SELECT "
            f"work_order_uuid FROM work_order WHERE work_order_uuid IN ({marks})", refs + refs)}
        missing = [r for r in refs if r not in found]
        if missing:
            raise NotFoundError("no work order with case number {case_numbers}",
                                case_numbers=', '.join(missing))
    if text:
        where.append("(instr(o.case_no, ?) OR instr(o.title, ?) OR "
                     "instr(coalesce(o.description, ''), ?))")
        params += [text, text, text]
    now = now or utcnow()
    if overdue is not None:
        st = sorted(OVERDUE_STATES)
        cond = (f"(o.state IN ({','.join('?' * len(st))}) AND o.deadline IS NOT NULL AND "
                "julianday(o.deadline) < julianday(?))")
        where.append(cond if overdue else f"NOT {cond}")
        params += [*st, now.strftime("%Y-%m-%dT%H:%M:%S")]
    cols = ", ".join(f'o."{n}"' for n in ORDER_FIELDS)
    sql = (f"SELECT {cols}, (SELECT count(*) FROM work_order_asset a WHERE "
           "a.work_order_uuid = o.work_order_uuid) FROM work_order o"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY o.case_no DESC")
    out = []
    for r in store.conn.execute(sql, params):
        row = dict(zip(ORDER_FIELDS, r[:-1], strict=True))
        row["asset_count"] = int(r[-1])
        row["overdue"] = is_overdue(row, now)
        out.append(row)
    return out


def assignees(store: Store) -> list[str]:
    """The assignees of the file's orders (none in a GeoPackage that is not a project)."""
    if not store.is_asset_project():
        return []
    return [r[0] for r in store.conn.execute(
        "SELECT DISTINCT assignee FROM work_order WHERE assignee IS NOT NULL ORDER BY 1")]


def select_assets(store: Store, layer: str, where: str) -> list[str]:
    """Asset uuids of ``layer`` (not retired) matching the expression ``where``.

    Uses the project's expression language (``core.expression``): parsed, type-checked
    against the layer and evaluated by the project, never passed to ``eval`` or pasted
    into SQL.
    """
    from citymgr_desktop.core.workorders.selection import matching_uuids

    return matching_uuids(store, layer, where)


def case_numbers(store: Store, order_uuids: Iterable[str | None]) -> dict[str, str]:
    """{work_order_uuid: case number} of these orders (None and unknown ones left out)."""
    return dict(gpkg.select_in(
        store.conn, "SELECT work_order_uuid, case_no FROM work_order "
        "WHERE work_order_uuid IN ({marks})", order_uuids))


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
                progress: Progress | None = None) -> list[ReportOrder]:
    """Orders (by case number/uuid, or all matching ``states``) with their assets, geometries
    and last records, in case-number order."""
    from citymgr_desktop.core.workorders.orders import assets_of, events_of

    prog = ensure(progress)
    if refs:
        orders = [get_order(store, r) for r in dict.fromkeys(refs)]
        if states:
            wanted = {wf.parse_state(s).value for s in states}
            orders = [o for o in orders if o["state"] in wanted]
    else:
        orders = list_orders(store, states=states)
    orders.sort(key=lambda o: o["case_no"])
    out: list[ReportOrder] = []
    for i, order in enumerate(orders):
        prog.update(i, len(orders), msg("reading {case_no}", case_no=order['case_no']))
        wid = order["work_order_uuid"]
        links = assets_of(store, wid)
        by_class: dict[str, list[str]] = {}
        for c, u in links:
            by_class.setdefault(c, []).append(u)
        rows: dict[str, dict[str, Any]] = {}
        for c, ids in by_class.items():
            rows.update(store.get_rows(c, ids, [sc.GEOMETRY_COLUMN, *ASSET_FIELDS]))
        recs = history.latest_records(store, [u for _, u in links], records_per_asset)
        assets = []
        for c, u in links:
            vals = dict(rows.get(u, {"asset_uuid": u}))
            geom = vals.pop(sc.GEOMETRY_COLUMN, None)
            assets.append(ReportAsset(c, u, vals, geom, recs.get(u, [])))
        out.append(ReportOrder(dict(order), assets, events_of(store, wid)))
    prog.update(len(orders), len(orders), msg("read"))
    return out
