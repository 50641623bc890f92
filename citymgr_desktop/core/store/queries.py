"""The store's read questions for views, exporters and the command line: columns and rows of a
table by key, fids and uuids, maintenance history, and the extents of assets for print maps
(the work orders' questions are in :mod:`~citymgr_desktop.core.store.order_queries`). They are
methods of :class:`~citymgr_desktop.core.store.geopackage.Store` (this class is one of its
bases), so a caller outside the core asks the store and never holds its connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from citymgr_desktop.core.expression import Fields


from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import (
    BadFileError,
    CancelledError,
    CitymgrError,
    NotFoundError,
    ValidationError,
)
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.common import StoreCommon, like_contains

Bbox = tuple[float, float, float, float]  # minx, miny, maxx, maxy


def query_error(layer: str, exc: sqlite3.OperationalError) -> CitymgrError:
    """A failed read as a user sees it; CancelledError when another thread stopped it."""
    if "interrupt" in str(exc):
        return CancelledError("{layer}: the query was stopped", layer=layer)
    return BadFileError("{layer}: {reason}", layer=layer, reason=exc)


class StoreQueries(StoreCommon):
    """Read questions answered in SQL on the store's connection (see the module docstring)."""

    path: Path
    conn: sqlite3.Connection

    # -- tables, rows and keys (attribute table, identify) -------------------------------------
    def fields(self, layer: str) -> Fields:
        """The fields of ``layer`` for the expression language: our model's for our tables,
        else the declared column types."""
        from citymgr_desktop.core.expression import Fields  # the language: when asked for

        return Fields.from_sqlite(self.conn, layer)

    def attribute_columns(self, layer: str) -> list[str]:
        """The columns of ``layer`` in table order, without its geometry column (all of them:
        :meth:`Store.column_names`)."""
        geom = {r[0] for r in self.conn.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?", (layer,))}
        return [n for n in self.column_names(layer) if n not in geom]

    def row_count(self, layer: str) -> int:
        """The number of rows in ``layer`` (retired assets included)."""
        try:
            return int(self.conn.execute(
                f"SELECT count(*) FROM {gpkg.quote_ident(layer)}").fetchone()[0])
        except sqlite3.OperationalError as exc:
            raise query_error(layer, exc) from None

    def row_by_key(self, layer: str, key: int | str) -> dict[str, Any] | None:
        """The non-geometry columns of the row of ``layer`` whose integer primary key (the
        fid of a feature table) is ``key``; None when there is no such row or key."""
        cols = list(self.conn.execute(f"PRAGMA table_info({gpkg.quote_ident(layer)})"))
        pk = next((c[1] for c in cols if c[5]), "fid")
        names = self.attribute_columns(layer)
        quoted = ", ".join(gpkg.quote_ident(n) for n in names)
        try:
            row = self.conn.execute(
                f"SELECT {quoted} FROM {gpkg.quote_ident(layer)} "
                f"WHERE {gpkg.quote_ident(pk)}=?", (int(key),)).fetchone()
        except (sqlite3.DatabaseError, ValueError):
            return None
        return None if row is None else dict(zip(names, row, strict=True))

    def rows_by_fid(self, layer: str, fids: Iterable[int],
                    columns: Sequence[str]) -> dict[int, tuple[Any, ...]]:
        """Values of ``columns`` (in that order) of the rows with these fids, by fid."""
        names = list(columns)
        cols = ", ".join(gpkg.quote_ident(c) for c in ["fid", *names])
        return {row[0]: tuple(row[1:]) for row in gpkg.select_in(
            self.conn, f"SELECT {cols} FROM {gpkg.quote_ident(layer)} WHERE fid IN ({{marks}})",
            (int(f) for f in fids))}

    def fids_of(self, layer: str, uuids: Iterable[str]) -> dict[str, int]:
        """The fid of each of these rows of one of our tables, by uuid (unknown ones left
        out)."""
        key = gpkg.quote_ident(sc.table(layer).key)
        return {u: f for f, u in gpkg.select_in(
            self.conn, f"SELECT fid, {key} FROM {gpkg.quote_ident(layer)} "
            f"WHERE {key} IN ({{marks}})", uuids)}

    def unchangeable(self, layer: str, uuids: Iterable[str]) -> list[str]:
        """Those of ``uuids`` that may not be changed here: in a file, none unless it is
        open read-only (a database answers by its row-level security)."""
        return list(uuids) if getattr(self, "read_only", False) else []

    def referenced_assets(self, uuids: Iterable[str]) -> set[str]:
        """Which of ``uuids`` a maintenance record or a work order points at."""
        ulist = list(uuids)
        out: set[str] = set()
        for table in ("maintenance_record", "work_order_asset"):
            out |= {r[0] for r in gpkg.select_in(
                self.conn, f"SELECT DISTINCT asset_uuid FROM {table} WHERE asset_uuid IN "
                "({marks})", ulist)}
        return out

    def write_state(self) -> tuple[int, int]:
        """Changes to the file so far: by other connections (``data_version``) and by this
        one (``total_changes``). Equal states mean nobody wrote in between."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return int(version), self.conn.total_changes

    def uuids_of_fids(self, layer: str, fids: Iterable[int]) -> dict[int, str]:
        """The uuid of each of these rows of one of our tables, by fid (unknown ones left
        out)."""
        key = gpkg.quote_ident(sc.table(layer).key)
        return dict(gpkg.select_in(
            self.conn, f"SELECT fid, {key} FROM {gpkg.quote_ident(layer)} "
            "WHERE fid IN ({marks})", (int(f) for f in fids)))

    # -- maintenance history (core/history asks; the PostGIS store answers the same) ----------
    def asset_layer_of(self, asset_uuid: str) -> str | None:
        """The asset layer that holds ``asset_uuid`` (None when none does). A uuid that a
        damaged file gives to assets of two classes names neither: refused, not guessed."""
        found = [t.name for t in sc.ASSET_TABLES if self.conn.execute(
            f"SELECT 1 FROM {gpkg.quote_ident(t.name)} WHERE asset_uuid=?",
            (asset_uuid,)).fetchone()]
        if len(found) > 1:
            raise ValidationError("asset uuid {uuid} names assets of {classes}; the file is "
                                  "damaged (run 'citymgr validate')", uuid=asset_uuid,
                                  classes=", ".join(found))
        return found[0] if found else None

    def find_assets(self, layer: str, text: str, limit: int) -> list[tuple[str, str, str, str]]:
        """(uuid, code, name, source id) of the assets in service of ``layer`` whose object
        code is ``text`` or (digits) starts with it, whose name contains it, or whose source
        id (the id an imported file gave it) is or starts with it; exact codes and source
        ids first."""
        prefix = like_contains(text)[1:]
        return [tuple(r) for r in self.conn.execute(
            f"SELECT asset_uuid, obj_code, name, source_id FROM {gpkg.quote_ident(layer)} "
            "WHERE retired_at IS NULL AND (obj_code = ? OR (? AND obj_code LIKE ? || '%') "
            "OR name LIKE ? ESCAPE '\\' OR source_id LIKE ? ESCAPE '\\') "
            "ORDER BY COALESCE(obj_code = ? OR source_id = ?, 0) DESC, obj_code LIMIT ?",
            (text, text.isdigit(), text, like_contains(text), prefix, text, text, limit))]

    def records_of(self, asset_uuid: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The asset's maintenance records, newest first (by date, then by creation)."""
        names = sc.MAINTENANCE_RECORD.field_names()
        cols = self.select_list("maintenance_record", names)  # type: ignore[attr-defined]
        sql = (f"SELECT {cols} FROM maintenance_record WHERE asset_uuid=? "
               "ORDER BY record_date DESC, created_at DESC, rowid DESC")
        params: list[Any] = [asset_uuid]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [dict(zip(names, r, strict=True)) for r in self.conn.execute(sql, params)]

    def has_newer_grading(self, asset_uuid: str, record_date: str,
                          exclude: Sequence[str] = ()) -> bool:
        """True when the asset has a record with a condition after dated after
        ``record_date`` (records in ``exclude`` not counted)."""
        sql = ("SELECT 1 FROM maintenance_record WHERE asset_uuid = ? AND record_date > ? "
               "AND condition_after IS NOT NULL")
        if exclude:
            sql += f" AND record_uuid NOT IN ({','.join('?' * len(exclude))})"
        return self.conn.execute(sql + " LIMIT 1", [asset_uuid, str(record_date)[:10],
                                                    *exclude]).fetchone() is not None

    def attachments_of(self, owner_uuid: str, with_content: bool = False
                       ) -> list[dict[str, Any]]:
        """Attachments of an asset, record or order, oldest first (content when asked)."""
        names = [n for n in sc.ATTACHMENT.field_names() if with_content or n != "content"]
        cols = self.select_list("attachment", names)  # type: ignore[attr-defined]
        return [dict(zip(names, r, strict=True)) for r in self.conn.execute(
            f"SELECT {cols} FROM attachment WHERE owner_uuid = ? ORDER BY created_at, rowid",
            (owner_uuid,))]

    def photos_of_asset(self, asset_uuid: str, limit: int | None = None
                        ) -> list[dict[str, Any]]:
        """The images that show an asset (its own and its records'), newest first, without
        their content."""
        names = [n for n in sc.ATTACHMENT.field_names() if n != "content"]
        cols = self.select_list("attachment", names)  # type: ignore[attr-defined]
        return [dict(zip(names, r, strict=True)) for r in self.conn.execute(
            f"SELECT {cols} FROM attachment WHERE asset_uuid = ? AND mime_type LIKE 'image/%' "
            "ORDER BY coalesce(taken_at, created_at) DESC, rowid DESC"
            + (f" LIMIT {int(limit)}" if limit else ""), (asset_uuid,))]

    # -- link tables and the project (the edit session asks) ----------------------------------
    def link_rows(self, table: str, keys: Iterable[str]) -> dict[tuple[str, str], dict[str, Any]]:
        """The rows of a link table (no uuid key, e.g. ``work_order_asset``) that exist, by
        (table, link key): the key is the link fields joined with "/"."""
        t = sc.table(table)
        names = t.field_names()
        cols = ", ".join(gpkg.quote_ident(n) for n in names)
        where = " AND ".join(f"{gpkg.quote_ident(f)} = ?" for f in t.link)
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for key in dict.fromkeys(keys):
            parts = key.split("/")
            row = self.conn.execute(f"SELECT {cols} FROM {gpkg.quote_ident(table)} WHERE "
                                    f"{where} LIMIT 1", parts).fetchone()
            if row is not None:
                out[(table, key)] = dict(zip(names, row, strict=True))
        return out

    @property
    def project_uuid(self) -> str | None:
        """The project's identity across copies of the file (``citymgr_meta``), None for a
        file made before it was recorded (its first save records one)."""
        try:
            row = self.conn.execute("SELECT value FROM citymgr_meta WHERE key = "
                                    "'project_uuid'").fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    # -- extents of assets (print maps, atlases) -------------------------------------------------
    def asset_extent(self, layers: Sequence[str]) -> tuple[Bbox, int] | None:
        """The bounding box and number of the live assets of ``layers`` (asset layers of the
        file); None when there are none. From the rtree indexes: no geometry is read."""
        return self._asset_bounds("'all'", layers).get("all")

    def asset_extents_by(self, field: str, layers: Sequence[str], *,
                         district: str | None = None) -> dict[str, tuple[Bbox, int]]:
        """{value of ``field`` (e.g. ``district``, ``bgid``): (bbox, number of assets)} over
        the live assets of ``layers``, sorted by value; ``district`` keeps one sub-district."""
        if not all(field in t.field_names() for t in sc.ASSET_TABLES):
            raise ValidationError("{field!r} is not a field of every asset layer", field=field)
        return self._asset_bounds(f"a.{gpkg.quote_ident(field)}", layers,
                                  "a.district = ?" if district is not None else "",
                                  [district] if district is not None else [])

    def asset_boxes(self, layer: str, uuids: Iterable[str]) -> dict[str, tuple[str | None, Bbox]]:
        """{asset_uuid: (district, bbox)} of these assets of ``layer`` (retired ones too),
        from the rtree index; unknown uuids and empty geometries are left out."""
        t, r = gpkg.quote_ident(layer), gpkg.quote_ident(gpkg.rtree_name(layer))
        return {u: (d, (x0, y0, x1, y1)) for u, d, x0, y0, x1, y1 in gpkg.select_in(
            self.conn, f"SELECT a.asset_uuid, a.district, r.minx, r.miny, r.maxx, r.maxy "
            f"FROM {t} a JOIN {r} r ON r.id = a.fid WHERE a.asset_uuid IN ({{marks}})", uuids)}

    def assets_near(self, layer: str, bbox: Bbox, fields: Sequence[str], *,
                    fid_at_most: int | None = None) -> tuple[list[str], Any, list[tuple[Any, ...]]]:
        """The live assets of ``layer`` whose bounding box meets ``bbox`` (the rtree): their
        uuids, geometries (a Shapely array) and values of ``fields``; ``fid_at_most`` keeps
        the rows that existed before an import's first insert."""
        t, r = gpkg.quote_ident(layer), gpkg.quote_ident(gpkg.rtree_name(layer))
        cols = "".join(f", {gpkg.quote_ident(f)}" for f in fields)
        params: list[Any] = [bbox[2], bbox[0], bbox[3], bbox[1]]
        if fid_at_most is not None:
            params.append(fid_at_most)
        # fid IN (rtree ids), not a join: SQLite then reads the table in fid order (2x faster)
        rows = self.conn.execute(
            f"SELECT asset_uuid, {gpkg.quote_ident(sc.GEOMETRY_COLUMN)}{cols} FROM {t} "
            f"WHERE fid IN (SELECT id FROM {r} WHERE minx <= ? AND maxx >= ? AND miny <= ? "
            "AND maxy >= ?) AND retired_at IS NULL"
            + (" AND fid <= ?" if fid_at_most is not None else ""), params).fetchall()
        from citymgr_desktop.core.gpkg.geometry import decode_many

        return ([row[0] for row in rows], decode_many([row[1] for row in rows]),
                [tuple(row[2:]) for row in rows])

    def last_fid(self, layer: str) -> int:
        """The highest fid of ``layer`` (0 when it is empty)."""
        return int(self.conn.execute(
            f"SELECT coalesce(max(fid), 0) FROM {gpkg.quote_ident(layer)}").fetchone()[0])

    def _asset_bounds(self, key_sql: str, layers: Sequence[str], where: str = "",
                      params: Sequence[object] = ()) -> dict[str, tuple[Bbox, int]]:
        """{value of ``key_sql`` (SQL written here, over asset ``a``): (bbox, count)}."""
        parts = []
        for name in layers:
            t, r = gpkg.quote_ident(name), gpkg.quote_ident(gpkg.rtree_name(name))
            parts.append(f"SELECT {key_sql} AS k, r.minx, r.miny, r.maxx, r.maxy FROM {t} a "
                         f"JOIN {r} r ON r.id = a.fid WHERE a.retired_at IS NULL"
                         + (f" AND {where}" if where else ""))
        if not parts:
            return {}
        sql = (f"SELECT k, min(minx), min(miny), max(maxx), max(maxy), count(*) FROM "
               f"({' UNION ALL '.join(parts)}) WHERE k IS NOT NULL GROUP BY k ORDER BY k")
        out = {}
        for k, x0, y0, x1, y1, n in self.conn.execute(sql, list(params) * len(parts)):
            out[str(k)] = ((float(x0), float(y0), float(x1), float(y1)), int(n))
        return out

    # -- map reading (what the renderer's loader asks) ------------------------------------
    def column_names(self, table: str) -> list[str]:
        """The columns of ``table`` in table order (none for a table the file lacks)."""
        return [r[1] for r in self.conn.execute(
            f"PRAGMA table_info({gpkg.quote_ident(table)})")]

    def read_arrow(self, layer: str, columns: Iterable[str], *,
                   include_retired: bool = True, bbox: Bbox | None = None) -> pa.Table:
        """The fids, ``columns`` and geometries of a feature layer as one Arrow table with
        the columns ``fid`` (int64), ``columns`` and ``geometry`` (WKB).

        The bulk read for drawing, through GDAL's Arrow path; ``include_retired=False``
        leaves out retired assets (asset layers only, as :meth:`read`); ``bbox`` (minx, miny,
        maxx, maxy in the layer's CRS) reads only the features that meet it (GDAL's
        spatial filter, through the layer's rtree). It reads through a
        GDAL connection of its own, never ``self.conn``: a loader may call it from several
        worker threads at once.
        """
        import pyogrio  # it imports GeoPandas and pandas: 1 s, only for commands that read

        where = None
        if not include_retired and layer in sc.ASSET_TABLES_BY_NAME:
            where = "retired_at IS NULL"
        try:
            meta, table = pyogrio.read_arrow(self.path, layer=layer, columns=list(columns),
                                             where=where, return_fids=True, bbox=bbox)
        except pyogrio.errors.DataLayerError as exc:
            raise NotFoundError("{path}: cannot read layer {layer!r} ({reason})",
                                path=self.path, layer=layer, reason=exc) from None
        except pyogrio.errors.DataSourceError as exc:
            raise BadFileError("{path}: cannot be read by GDAL ({reason})",
                               path=self.path, reason=exc) from None
        names = {meta.get("fid_column") or "fid": "fid",
                 meta.get("geometry_name") or "wkb_geometry": "geometry"}
        return table.rename_columns([names.get(n, n) for n in table.column_names])
