"""Many rows into PostGIS at once: ``COPY`` into a temporary staging table, then one
statement from it. ``publish`` upserts a whole file this way; a save inserts many new rows
(an import) this way instead of one ``INSERT`` each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.values import to_db


def copy_to_stage(conn: Any, table: sc.Table, names: list[str],
                  rows: Sequence[Sequence[Any]], stage_name: str) -> str:
    """A temporary table ``stage_name`` with ``names`` of ``table`` (the geometry as WKB,
    ``bytea``) holding ``rows`` (model values), written with ``COPY``; returns its quoted
    name. Dropped at the end of the transaction at the latest."""
    stage = ident(stage_name)
    conn.execute(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT "
                 f"{', '.join(ident(n) for n in names if n != sc.GEOMETRY_COLUMN)} "
                 f"FROM {ident(table.name)} WITH NO DATA")
    if table.is_asset and sc.GEOMETRY_COLUMN in names:
        conn.execute(f"ALTER TABLE {stage} ADD COLUMN {ident(sc.GEOMETRY_COLUMN)} bytea")
    cols = ", ".join(map(ident, names))
    with conn.cursor().copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row([to_db(n, v) for n, v in zip(names, r, strict=True)])
    return stage


def staged_columns(names: list[str], srid: int) -> str:
    """The SELECT list that turns the staged columns into the table's (WKB -> geometry)."""
    return ", ".join(f"ST_GeomFromWKB(s.{ident(n)}, {int(srid)})" if n == sc.GEOMETRY_COLUMN
                     else f"s.{ident(n)}" for n in names)
