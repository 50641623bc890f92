"""The questions ``core/history`` asks a store, answered in PostgreSQL (the GeoPackage
store's answers are in ``store/queries.py``): which layer holds an asset, its records, a
newer graded record, attachments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.values import from_db


class PostgisHistoryQueries:
    """A base of :class:`~citymgr_desktop.core.store.postgis.PostgisStore`."""

    conn: Any

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
