"""The questions ``core/history`` and ``core/workorders`` ask a store, answered in
PostgreSQL (the GeoPackage store's answers are in ``store/queries.py`` and
``store/order_queries.py``): which layer holds
an asset, its records, a newer graded record, attachments; work orders by filter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.expression import Fields
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.common import StoreCommon, like_contains
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.values import from_db, select_column


class PostgisQueries(StoreCommon):
    """A base of :class:`~citymgr_desktop.core.store.postgis.PostgisStore`."""

    conn: Any
    if TYPE_CHECKING:  # the store's property (the project's srid from citymgr_meta)
        @property
        def srid(self) -> int: ...

    # -- the edit session's and the attribute table's questions (the GeoPackage's in
    # ``store/queries.py``) ------------------------------------------------------------------
    def fields(self, layer: str) -> Fields:
        """The fields of one of our tables for the expression language (the model's)."""
        return Fields.for_table(sc.table(layer))

    def row_count(self, layer: str) -> int:
        """The number of rows in ``layer`` (retired assets included)."""
        return int(self.conn.execute(f"SELECT count(*) FROM {ident(layer)}").fetchone()[0])

    def rows_by_fid(self, layer: str, fids: Iterable[int],
                    columns: Sequence[str]) -> dict[int, tuple[Any, ...]]:
        """Values of ``columns`` (in that order) of the rows with these fids, by fid."""
        names = list(columns)
        cols = ", ".join(select_column(c) for c in ["fid", *names])
        return {int(row[0]): tuple(from_db(n, v) for n, v in zip(names, row[1:], strict=True))
                for row in self.conn.execute(f"SELECT {cols} FROM {ident(layer)} WHERE fid = "
                                             "ANY(%s)", ([int(f) for f in fids],))}

    def find_assets(self, layer: str, text: str, limit: int) -> list[tuple[str, str, str, str]]:
        """(uuid, code, name, source id) of the assets in service of ``layer`` whose object
        code is ``text`` or (digits) starts with it, whose name contains it, or whose source
        id is or starts with it; exact codes and source ids first (the GeoPackage store's
        question, in PostgreSQL; ILIKE as SQLite's LIKE ignores the case of a source id)."""
        prefix = like_contains(text)[1:] if text.isdigit() else None
        return [tuple(r) for r in self.conn.execute(
            f"SELECT asset_uuid, obj_code, name, source_id FROM {ident(layer)} "
            "WHERE retired_at IS NULL AND (obj_code = %s OR obj_code LIKE %s ESCAPE '\\' "
            "OR name LIKE %s ESCAPE '\\' OR source_id ILIKE %s ESCAPE '\\') "
            "ORDER BY (obj_code = %s OR source_id = %s) IS TRUE DESC, obj_code LIMIT %s",
            (text, prefix, like_contains(text), like_contains(text)[1:], text, text, limit))]

    def unchangeable(self, layer: str, uuids: Iterable[str]) -> list[str]:
        """Those of the saved rows ``uuids`` of ``layer`` (an asset layer or
        ``work_order``) this login may not change, in their order: a login granted 街道 by
        ``db grant`` is asked the database's own rule in one query (``postgis/rules.py``: an
        asset of its 街道; an order when every asset of it is, one without assets by its
        own 街道), so what passes here passes the save; a login without grants by its UPDATE
        right (a read-only store: all of them)."""
        wanted = list(uuids)
        if not wanted or getattr(self, "read_only", False):
            return wanted
        if not self._granted():
            may = self.conn.execute("SELECT has_table_privilege(current_user, %s, 'UPDATE')",
                                    (layer,)).fetchone()[0]
            return [] if may else wanted
        from citymgr_desktop.core.store.postgis.rules import write_rule

        if self.conn.execute("SELECT to_regprocedure('citymgr_order_writable(text, text)')"
                             ).fetchone()[0]:
            rule = write_rule(layer)
        else:  # granted by the first citymgr with grants (its rule: the row's own 街道)
            rule = (f"EXISTS (SELECT 1 FROM citymgr_role_district g WHERE g.role = "
                    f"current_user AND NOT g.read_only AND g.district = {ident(layer)}.district)")
        key = ident(sc.table(layer).key)
        refused = {r[0] for r in self.conn.execute(
            f"SELECT {key} FROM {ident(layer)} WHERE {key} = ANY(%s) AND NOT "
            f"COALESCE({rule}, false)", (wanted,))}
        return [u for u in wanted if u in refused]

    def _granted(self) -> bool:
        """Whether ``db grant`` gave this login 街道 (a row in ``citymgr_role_district``)."""
        if not self.conn.execute("SELECT to_regclass('citymgr_role_district')").fetchone()[0]:
            return False
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM citymgr_role_district WHERE "
                                 "role = current_user)").fetchone()[0]

    def interrupt(self) -> None:
        """Cancel the query running on this store's connection, from any thread."""
        self.conn.cancel()

    def fids_of(self, layer: str, uuids: Iterable[str]) -> dict[str, int]:
        """The fid of each of these rows, by uuid (unknown ones left out)."""
        key = ident(sc.table(layer).key)
        return {u: int(f) for f, u in self.conn.execute(
            f"SELECT fid, {key} FROM {ident(layer)} WHERE {key} = ANY(%s)", (list(uuids),))}

    def uuids_of_fids(self, layer: str, fids: Iterable[int]) -> dict[int, str]:
        """The uuid of each of these rows, by fid (unknown ones left out)."""
        key = ident(sc.table(layer).key)
        return {int(f): u for f, u in self.conn.execute(
            f"SELECT fid, {key} FROM {ident(layer)} WHERE fid = ANY(%s)",
            ([int(f) for f in fids],))}

    def link_rows(self, table: str, keys: Iterable[str]) -> dict[tuple[str, str], dict[str, Any]]:
        """The rows of a link table that exist, by (table, link fields joined with "/")."""
        t = sc.table(table)
        names = t.field_names()
        where = " AND ".join(f"{ident(f)} = %s" for f in t.link)
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for key in dict.fromkeys(keys):
            row = self.conn.execute(f"SELECT {', '.join(map(ident, names))} FROM "
                                    f"{ident(table)} WHERE {where} LIMIT 1",
                                    key.split("/")).fetchone()
            if row is not None:
                out[(table, key)] = {n: from_db(n, v) for n, v in zip(names, row, strict=True)}
        return out

    def referenced_assets(self, uuids: Iterable[str]) -> set[str]:
        """Which of ``uuids`` a maintenance record or a work order points at."""
        keys = list(uuids)
        return {r[0] for table in ("maintenance_record", "work_order_asset")
                for r in self.conn.execute(f"SELECT DISTINCT asset_uuid FROM {ident(table)} "
                                           "WHERE asset_uuid = ANY(%s)", (keys,))}

    @property
    def project_uuid(self) -> str | None:
        row = self.conn.execute("SELECT value FROM citymgr_meta WHERE key = "
                                "'project_uuid'").fetchone()
        return row[0] if row else None

    def write_state(self) -> object:
        """Never equal to an earlier one: other users write all the time, so a save always
        merges with the rows as they are now (field by field, then by version)."""
        return object()

    def asset_layer_of(self, asset_uuid: str) -> str | None:
        """The asset layer that holds ``asset_uuid`` (None when none does)."""
        parts = " UNION ALL ".join(
            f"SELECT '{t.name}' FROM {ident(t.name)} WHERE asset_uuid = %(u)s"
            for t in sc.ASSET_TABLES)
        row = self.conn.execute(parts + " LIMIT 1", {"u": asset_uuid}).fetchone()
        return None if row is None else str(row[0])

    def records_of(self, asset_uuid: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The asset's maintenance records, newest first (by date, then by creation)."""
        names = sc.MAINTENANCE_RECORD.field_names()
        sql = (f"SELECT {', '.join(map(ident, names))} FROM maintenance_record "
               "WHERE asset_uuid = %s ORDER BY record_date DESC, created_at DESC, fid DESC")
        params: list[Any] = [asset_uuid]
        if limit is not None:
            sql += " LIMIT %s"
            params.append(int(limit))
        return [{n: from_db(n, v) for n, v in zip(names, r, strict=True)}
                for r in self.conn.execute(sql, params)]

    def has_newer_grading(self, asset_uuid: str, record_date: str,
                          exclude: Sequence[str] = ()) -> bool:
        """True when the asset has a record with a condition after dated after
        ``record_date`` (records in ``exclude`` not counted)."""
        return self.conn.execute(
            "SELECT 1 FROM maintenance_record WHERE asset_uuid = %s AND record_date > %s "
            "AND condition_after IS NOT NULL AND NOT (record_uuid = ANY(%s)) LIMIT 1",
            (asset_uuid, str(record_date)[:10], list(exclude))).fetchone() is not None

    def attachments_of(self, owner_uuid: str, with_content: bool = False
                       ) -> list[dict[str, Any]]:
        """Attachments of an asset, record or order, oldest first (content when asked)."""
        names = [n for n in sc.ATTACHMENT.field_names() if with_content or n != "content"]
        return [{n: from_db(n, v) for n, v in zip(names, r, strict=True)}
                for r in self.conn.execute(
                    f"SELECT {', '.join(map(ident, names))} FROM attachment WHERE "
                    "owner_uuid = %s ORDER BY created_at, fid", (owner_uuid,))]

    def photos_of_asset(self, asset_uuid: str, limit: int | None = None
                        ) -> list[dict[str, Any]]:
        """The images that show an asset (its own and its records'), newest first, without
        their content."""
        names = [n for n in sc.ATTACHMENT.field_names() if n != "content"]
        return [{n: from_db(n, v) for n, v in zip(names, r, strict=True)}
                for r in self.conn.execute(
                    f"SELECT {', '.join(map(ident, names))} FROM attachment WHERE asset_uuid = "
                    "%s AND mime_type LIKE 'image/%%' ORDER BY coalesce(taken_at, created_at) "
                    "DESC, fid DESC" + (f" LIMIT {int(limit)}" if limit else ""), (asset_uuid,))]

    # -- extents of assets (print maps, atlases; the GeoPackage's in ``store/queries.py``) --
    def asset_extent(self, layers: Sequence[str]) -> tuple[tuple[float, ...], int] | None:
        """The bounding box and number of the live assets of ``layers`` (None: none)."""
        return self._asset_bounds("'all'", layers).get("all")

    def asset_extents_by(self, field: str, layers: Sequence[str], *,
                         district: str | None = None) -> dict[str, tuple[tuple[float, ...], int]]:
        """{value of ``field``: (bbox, number of assets)} over the live assets of ``layers``,
        sorted by value; ``district`` keeps one sub-district."""
        from citymgr_desktop.core.errors import ValidationError

        if not all(field in t.field_names() for t in sc.ASSET_TABLES):
            raise ValidationError("{field!r} is not a field of every asset layer", field=field)
        return self._asset_bounds(ident(field), layers,
                                  "district = %s" if district is not None else "",
                                  [district] if district is not None else [])

    def asset_boxes(self, layer: str, uuids: Iterable[str]
                    ) -> dict[str, tuple[str | None, tuple[float, ...]]]:
        """{asset_uuid: (district, bbox)} of these assets of ``layer`` (retired ones too);
        unknown uuids and empty geometries are left out."""
        geom = ident(sc.GEOMETRY_COLUMN)
        return {u: (d, (x0, y0, x1, y1)) for u, d, x0, y0, x1, y1 in self.conn.execute(
            f"SELECT asset_uuid, district, ST_XMin({geom}), ST_YMin({geom}), ST_XMax({geom}), "
            f"ST_YMax({geom}) FROM {ident(layer)} WHERE asset_uuid = ANY(%s) AND {geom} IS "
            f"NOT NULL AND NOT ST_IsEmpty({geom})", (list(uuids),))}

    def assets_near(self, layer: str, bbox: tuple[float, float, float, float],
                    fields: Sequence[str], *, fid_at_most: int | None = None
                    ) -> tuple[list[str], Any, list[tuple[Any, ...]]]:
        """The live assets of ``layer`` whose bounding box meets ``bbox`` (the GiST index):
        uuids, geometries (a Shapely array), values of ``fields`` (as the GeoPackage's)."""
        import shapely

        geom = ident(sc.GEOMETRY_COLUMN)
        params: list[Any] = [*map(float, bbox), self.srid]
        if fid_at_most is not None:
            params.append(fid_at_most)
        rows = self.conn.execute(
            f"SELECT asset_uuid, {select_column(sc.GEOMETRY_COLUMN)}"
            f"{''.join(', ' + ident(f) for f in fields)} FROM {ident(layer)} WHERE retired_at "
            "IS NULL AND "
            f"{geom} && ST_MakeEnvelope(%s, %s, %s, %s, %s)"
            + (" AND fid <= %s" if fid_at_most is not None else ""), params).fetchall()
        wkbs = [None if r[1] is None else bytes(r[1]) for r in rows]
        return ([r[0] for r in rows], shapely.from_wkb(wkbs),
                [tuple(from_db(f, v) for f, v in zip(fields, r[2:], strict=True)) for r in rows])

    def last_fid(self, layer: str) -> int:
        """The highest fid of ``layer`` (0 when it is empty)."""
        return int(self.conn.execute(
            f"SELECT coalesce(max(fid), 0) FROM {ident(layer)}").fetchone()[0])

    def _asset_bounds(self, key_sql: str, layers: Sequence[str], where: str = "",
                      params: Sequence[object] = ()) -> dict[str, tuple[tuple[float, ...], int]]:
        geom = ident(sc.GEOMETRY_COLUMN)
        parts = [f"SELECT {key_sql} AS k, {geom} AS g FROM {ident(name)} WHERE retired_at IS "
                 f"NULL AND {geom} IS NOT NULL AND NOT ST_IsEmpty({geom})"
                 + (f" AND {where}" if where else "") for name in layers]
        if not parts:
            return {}
        sql = (f"SELECT k, ST_XMin(ST_Extent(g)), ST_YMin(ST_Extent(g)), ST_XMax(ST_Extent(g)), "
               f"ST_YMax(ST_Extent(g)), count(*) FROM ({' UNION ALL '.join(parts)}) u WHERE k "
               "IS NOT NULL GROUP BY k ORDER BY k")
        return {str(k): ((float(x0), float(y0), float(x1), float(y1)), int(n))
                for k, x0, y0, x1, y1, n in self.conn.execute(sql, list(params) * len(parts))}

    # -- work orders (the GeoPackage's in ``store/order_queries.py``) ----------------------
    def asset_layers_of(self, uuids: Iterable[str]) -> dict[str, str]:
        """The asset layer holding each of ``uuids`` (unknown ones left out)."""
        ulist = list(uuids)
        return {u: t.name for t in sc.ASSET_TABLES for (u,) in self.conn.execute(
            f"SELECT asset_uuid FROM {ident(t.name)} WHERE asset_uuid = ANY(%s)", (ulist,))}

    def _rows(self, table: str, names: list[str], where: str, params: Sequence[Any]
              ) -> list[dict[str, Any]]:
        return [{n: from_db(n, v) for n, v in zip(names, r, strict=True)}
                for r in self.conn.execute(f"SELECT {', '.join(map(select_column, names))} "
                                           f"FROM {ident(table)} WHERE {where}", params)]

    def order_assignees(self) -> set[str]:
        """Every assignee a work order names."""
        return {r[0] for r in self.conn.execute(
            "SELECT DISTINCT assignee FROM work_order WHERE assignee IS NOT NULL")}

    def case_numbers_of(self, order_uuids: Iterable[str]) -> dict[str, str]:
        """{work_order_uuid: case number} of these orders (unknown ones left out)."""
        return dict(self.conn.execute("SELECT work_order_uuid, case_no FROM work_order WHERE "
                                      "work_order_uuid = ANY(%s)", (list(order_uuids),)))

    def order_rows(self, ref: str) -> dict[str, dict[str, Any]]:
        """The work orders whose case number or uuid is ``ref``, by uuid."""
        rows = self._rows("work_order", sc.WORK_ORDER.field_names(),
                          "case_no = %s OR work_order_uuid = %s", (ref, ref))
        return {r["work_order_uuid"]: r for r in rows}

    def order_events(self, work_order_uuid: str) -> list[dict[str, Any]]:
        """An order's moves, oldest first."""
        return self._rows("work_order_event", sc.WORK_ORDER_EVENT.field_names(),
                          "work_order_uuid = %s ORDER BY at, fid", (work_order_uuid,))

    def order_assets(self, work_order_uuid: str) -> list[tuple[str, str]]:
        """(asset class, asset uuid) of an order's assets, in the order they were linked."""
        return [(c, u) for c, u in self.conn.execute(
            "SELECT asset_class, asset_uuid FROM work_order_asset WHERE work_order_uuid = %s "
            "ORDER BY fid", (work_order_uuid,))]

    def order_record_count(self, work_order_uuid: str) -> int:
        """How many maintenance records name this order."""
        return int(self.conn.execute("SELECT count(*) FROM maintenance_record WHERE "
                                     "work_order_uuid = %s", (work_order_uuid,)).fetchone()[0])

    def missing_work_orders(self, refs: Sequence[str]) -> list[str]:
        """Those of ``refs`` (case numbers or uuids) that name no work order."""
        found = {r[0] for r in self.conn.execute(
            "SELECT case_no FROM work_order WHERE case_no = ANY(%(r)s) UNION SELECT "
            "work_order_uuid FROM work_order WHERE work_order_uuid = ANY(%(r)s)",
            {"r": list(refs)})}
        return [r for r in refs if r not in found]

    def work_orders(self, *, states: Sequence[str] | None, assignee: str | None,
                    refs: Sequence[str] | None, text: str | None, overdue: bool | None,
                    overdue_states: Sequence[str], now: str) -> list[dict[str, Any]]:
        """As the GeoPackage store's ``work_orders`` (same filters, same rows)."""
        where: list[str] = []
        params: dict[str, Any] = {}
        if states:
            where.append("o.state = ANY(%(states)s)")
            params["states"] = list(states)
        if assignee:
            where.append("o.assignee = %(assignee)s")
            params["assignee"] = assignee
        if refs:
            where.append("(o.case_no = ANY(%(refs)s) OR o.work_order_uuid = ANY(%(refs)s))")
            params["refs"] = list(refs)
        if text:
            where.append("(strpos(o.case_no, %(text)s) > 0 OR strpos(o.title, %(text)s) > 0 "
                         "OR strpos(coalesce(o.description, ''), %(text)s) > 0)")
            params["text"] = text
        if overdue is not None:
            # stamps are ISO text in UTC: their order is the order of time
            cond = ("(o.state = ANY(%(overdue_states)s) AND o.deadline IS NOT NULL AND "
                    "substr(o.deadline, 1, 19) < %(now)s)")
            where.append(cond if overdue else f"NOT {cond}")
            params.update(overdue_states=list(overdue_states), now=now)
        names = sc.WORK_ORDER.field_names()
        cols = ", ".join(f"o.{ident(n)}" for n in names)
        sql = (f"SELECT {cols}, (SELECT count(*) FROM work_order_asset a WHERE "
               "a.work_order_uuid = o.work_order_uuid) FROM work_order o"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY o.case_no DESC")
        out = []
        for r in self.conn.execute(sql, params):
            row = {n: from_db(n, v) for n, v in zip(names, r[:-1], strict=True)}
            row["asset_count"] = int(r[-1])
            out.append(row)
        return out

    def last_case_number(self, prefix: str) -> str | None:
        """The highest 12-digit case number of a day; inside a save the order table is
        locked first, so two concurrent creations never take the same number."""
        if self.conn.info.transaction_status != 0:  # in a transaction: hold the lock
            self.conn.execute("LOCK TABLE work_order IN SHARE ROW EXCLUSIVE MODE")
        row = self.conn.execute("SELECT max(case_no) FROM work_order WHERE case_no LIKE %s "
                                "AND length(case_no) = 12", (prefix + "%",)).fetchone()
        return row[0] if row and row[0] else None

    def time_limit_rows(self) -> list[tuple[Any, ...]]:
        """As the GeoPackage store's: the rows for any class first."""
        return [tuple(r) for r in self.conn.execute(
            "SELECT asset_class, priority, limit_value, limit_unit FROM work_order_time_limit "
            "ORDER BY asset_class IS NOT NULL, asset_class, priority")]
