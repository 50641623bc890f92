"""The store's questions about work orders, answered in SQL on a GeoPackage: orders by case
number or filter, their moves, assets and records, case numbers and time limits (what
``core/workorders`` asks; the PostGIS store answers the same in
``store/postgis/queries.py``). A base of :class:`~citymgr_desktop.core.store.geopackage.Store`,
beside :class:`~citymgr_desktop.core.store.queries.StoreQueries`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.common import StoreCommon


class StoreOrderQueries(StoreCommon):
    """Work-order questions on the store's connection (see the module docstring)."""

    conn: sqlite3.Connection

    def asset_layers_of(self, uuids: Iterable[str]) -> dict[str, str]:
        """The asset layer holding each of ``uuids`` (unknown ones left out)."""
        ulist = list(uuids)
        out: dict[str, str] = {}
        for t in sc.ASSET_TABLES:
            for (u,) in gpkg.select_in(self.conn, f"SELECT asset_uuid FROM "
                                       f"{gpkg.quote_ident(t.name)} WHERE asset_uuid IN "
                                       "({marks})", ulist):
                out[u] = t.name
        return out

    def order_assignees(self) -> set[str]:
        """Every assignee a work order names."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT assignee FROM work_order WHERE assignee IS NOT NULL")}

    def case_numbers_of(self, order_uuids: Iterable[str]) -> dict[str, str]:
        """{work_order_uuid: case number} of these orders (unknown ones left out)."""
        return dict(gpkg.select_in(self.conn, "SELECT work_order_uuid, case_no FROM "
                                   "work_order WHERE work_order_uuid IN ({marks})",
                                   list(order_uuids)))

    def order_rows(self, ref: str) -> dict[str, dict[str, Any]]:
        """The work orders whose case number or uuid is ``ref``, by uuid."""
        names = sc.WORK_ORDER.field_names()
        cols = ", ".join(gpkg.quote_ident(n) for n in names)
        return {r[0]: dict(zip(names, r[1:], strict=True)) for r in self.conn.execute(
            f"SELECT work_order_uuid, {cols} FROM work_order WHERE case_no=? OR "
            "work_order_uuid=?", (ref, ref))}

    def order_events(self, work_order_uuid: str) -> list[dict[str, Any]]:
        """An order's moves, oldest first."""
        names = sc.WORK_ORDER_EVENT.field_names()
        cols = ", ".join(gpkg.quote_ident(n) for n in names)
        return [dict(zip(names, r, strict=True)) for r in self.conn.execute(
            f"SELECT {cols} FROM work_order_event WHERE work_order_uuid=? ORDER BY at, rowid",
            (work_order_uuid,))]

    def order_assets(self, work_order_uuid: str) -> list[tuple[str, str]]:
        """(asset class, asset uuid) of an order's assets, in the order they were linked."""
        return [(c, u) for c, u in self.conn.execute(
            "SELECT asset_class, asset_uuid FROM work_order_asset WHERE work_order_uuid=? "
            "ORDER BY rowid", (work_order_uuid,))]

    def order_record_count(self, work_order_uuid: str) -> int:
        """How many maintenance records name this order."""
        return int(self.conn.execute("SELECT count(*) FROM maintenance_record WHERE "
                                     "work_order_uuid=?", (work_order_uuid,)).fetchone()[0])

    def last_case_number(self, prefix: str) -> str | None:
        """The highest 12-digit case number starting with ``prefix`` (a day, YYYYMMDD)."""
        row = self.conn.execute("SELECT max(case_no) FROM work_order WHERE case_no LIKE ? AND "
                                "length(case_no) = 12", (prefix + "%",)).fetchone()
        return row[0] if row and row[0] else None

    def time_limit_rows(self) -> list[tuple[Any, ...]]:
        """(asset_class, priority, limit_value, limit_unit) of the work-order time limits,
        the rows for any class first, then by class and priority."""
        return self.conn.execute(
            "SELECT asset_class, priority, limit_value, limit_unit FROM work_order_time_limit "
            "ORDER BY asset_class IS NOT NULL, asset_class, priority").fetchall()

    def missing_work_orders(self, refs: Sequence[str]) -> list[str]:
        """Those of ``refs`` (case numbers or uuids) that name no work order."""
        marks = ",".join("?" * len(refs))
        found = {r[0] for r in self.conn.execute(
            f"SELECT case_no FROM work_order WHERE case_no IN ({marks}) UNION SELECT "
            f"work_order_uuid FROM work_order WHERE work_order_uuid IN ({marks})",
            [*refs, *refs])}
        return [r for r in refs if r not in found]

    def work_orders(self, *, states: Sequence[str] | None, assignee: str | None,
                    refs: Sequence[str] | None, text: str | None, overdue: bool | None,
                    overdue_states: Sequence[str], now: str) -> list[dict[str, Any]]:
        """Orders newest first with ``asset_count``, filtered (AND) by state names, assignee,
        case numbers or uuids, a plain substring of case number/title/description, and being
        past the deadline (``now``: UTC ``YYYY-MM-DDTHH:MM:SS``) in ``overdue_states``."""
        where: list[str] = []
        params: list[Any] = []
        if states:
            where.append(f"o.state IN ({','.join('?' * len(states))})")
            params += states
        if assignee:
            where.append("o.assignee = ?")
            params.append(assignee)
        if refs:
            marks = ",".join("?" * len(refs))
            where.append(f"(o.case_no IN ({marks}) OR o.work_order_uuid IN ({marks}))")
            params += [*refs, *refs]
        if text:
            where.append("(instr(o.case_no, ?) OR instr(o.title, ?) OR "
                         "instr(coalesce(o.description, ''), ?))")
            params += [text, text, text]
        if overdue is not None:
            st = list(overdue_states)
            cond = (f"(o.state IN ({','.join('?' * len(st))}) AND o.deadline IS NOT NULL AND "
                    "julianday(o.deadline) < julianday(?))")
            where.append(cond if overdue else f"NOT {cond}")
            params += [*st, now]
        names = sc.WORK_ORDER.field_names()
        cols = ", ".join(f'o."{n}"' for n in names)
        sql = (f"SELECT {cols}, (SELECT count(*) FROM work_order_asset a WHERE "
               "a.work_order_uuid = o.work_order_uuid) FROM work_order o"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY o.case_no DESC")
        out = []
        for r in self.conn.execute(sql, params):
            row = dict(zip(names, r[:-1], strict=True))
            row["asset_count"] = int(r[-1])
            out.append(row)
        return out
