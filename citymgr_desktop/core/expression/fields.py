"""The fields an expression may name: real column names, their value types, Chinese and English
aliases and coded-value domains.

Built from the asset model (:func:`Fields.for_table`), from any SQLite/GeoPackage table's
declared column types (:func:`Fields.from_sqlite`) or from a DataFrame (:func:`Fields.from_frame`).
An expression can only ever reach a column listed here: the SQL compiler quotes the *resolved*
column name, never text typed by the user.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.expression.lexer import error
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import domains as dm

if TYPE_CHECKING:
    import pandas as pd
from citymgr_desktop.core.model import schema as sc

# Value types of the language.
NUMBER, TEXT, DATE, DATETIME, BOOL, NULL = "number", "text", "date", "datetime", "bool", "null"

_SCHEMA_TYPES = {
    sc.FieldType.INTEGER: NUMBER, sc.FieldType.REAL: NUMBER, sc.FieldType.TEXT: TEXT,
    sc.FieldType.DATE: DATE, sc.FieldType.DATETIME: DATETIME, sc.FieldType.BOOLEAN: BOOL,
}


@dataclass(frozen=True)
class FieldInfo:
    name: str  # the real column name
    type: str  # one of NUMBER, TEXT, DATE, DATETIME, BOOL
    aliases: tuple[str, ...] = ()
    domain: dm.CodedDomain | None = None
    integer: bool = False


class Fields:
    """Field lookup by name (case-insensitive) or alias (Chinese or English label)."""

    def __init__(self, infos: list[FieldInfo], table: str = "") -> None:
        self.table = table
        self.infos = list(infos)
        self._exact = {f.name: f for f in self.infos}
        self._folded: dict[str, FieldInfo | None] = {}
        for f in self.infos:
            self._add(f.name, f)
        for f in self.infos:
            for alias in f.aliases:
                if alias.casefold() not in self._folded:
                    self._add(alias, f)

    def _add(self, key: str, info: FieldInfo) -> None:
        k = key.casefold()
        prev = self._folded.get(k, info)
        self._folded[k] = info if prev is info else None  # None: ambiguous

    def __contains__(self, name: str) -> bool:
        return name in self._exact

    def __getitem__(self, name: str) -> FieldInfo:
        return self._exact[name]

    def names(self) -> list[str]:
        return [f.name for f in self.infos]

    def resolve(self, written: str, pos: int | None = None) -> FieldInfo:
        """The field meant by ``written``; ExpressionError listing the fields if none."""
        if written in self._exact:
            return self._exact[written]
        key = written.casefold()
        if key in self._folded:
            hit = self._folded[key]
            if hit is None:
                raise error(msg("'{written}' could mean several fields; write the field's own "
                                "name", written=written), pos)
            return hit
        shown = ", ".join(self.names()[:40])
        if self.table:
            raise error(msg("unknown field '{written}' in {table}; fields: {fields}",
                            written=written, table=self.table, fields=shown), pos)
        raise error(msg("unknown field '{written}'; fields: {fields}", written=written,
                        fields=shown), pos)

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def for_table(cls, table: sc.Table, *, include_fid: bool = True) -> Fields:
        """The fields of one of our tables, with labels and domains from the model."""
        infos = [FieldInfo("fid", NUMBER, ("FID",), integer=True)] if include_fid else []
        for f in table.fields:
            if f.type is sc.FieldType.BLOB:
                continue
            domain = f.get_domain()
            infos.append(FieldInfo(
                f.name, _SCHEMA_TYPES[f.type], (f.zh, f.en),
                domain if isinstance(domain, dm.CodedDomain) else None,
                f.type is sc.FieldType.INTEGER))
        return cls(infos, table.name)

    @classmethod
    def from_sqlite(cls, conn: sqlite3.Connection, table: str) -> Fields:
        """Our model's fields for our tables, else the declared column types of any table."""
        if table in sc.TABLES_BY_NAME:
            declared = {r[1] for r in conn.execute(
                f"PRAGMA table_info({gpkg.quote_ident(table)})")}
            model = sc.table(table)
            if set(model.field_names()) <= declared:
                return cls.for_table(model)
        infos = []
        geom_cols = {r[0] for r in conn.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,))} \
            if _has_table(conn, "gpkg_geometry_columns") else set()
        for _cid, name, decl, *_ in conn.execute(f"PRAGMA table_info({gpkg.quote_ident(table)})"):
            if name in geom_cols:
                continue
            kind, integer = _declared_type(decl or "")
            if kind is not None:
                infos.append(FieldInfo(name, kind, integer=integer))
        return cls(infos, table)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Fields:
        """Fields inferred from a DataFrame's dtypes (geometry columns left out)."""
        import pandas as pd  # a frame exists, so pandas is loaded already

        infos = []
        for name in frame.columns:
            s = frame[name]
            if str(s.dtype) == "geometry":
                continue
            if pd.api.types.is_bool_dtype(s):
                infos.append(FieldInfo(str(name), BOOL))
            elif pd.api.types.is_numeric_dtype(s):
                infos.append(FieldInfo(str(name), NUMBER,
                                       integer=pd.api.types.is_integer_dtype(s)))
            elif pd.api.types.is_datetime64_any_dtype(s):
                infos.append(FieldInfo(str(name), DATETIME))
            elif s.dtype == object or pd.api.types.is_string_dtype(s):
                infos.append(FieldInfo(str(name), TEXT))
        return cls(infos)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() \
        is not None


def _declared_type(decl: str) -> tuple[str | None, bool]:
    """SQLite affinity rules (section 3.1 of the datatype docs), plus GeoPackage DATE types."""
    d = decl.upper()
    if d.startswith("DATETIME"):
        return DATETIME, False
    if d.startswith("DATE"):
        return DATE, False
    if d.startswith("BOOLEAN"):
        return BOOL, False
    if "INT" in d:
        return NUMBER, True
    if any(k in d for k in ("CHAR", "CLOB", "TEXT")):
        return TEXT, False
    if "BLOB" in d or d == "":
        return None, False
    if any(k in d for k in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return NUMBER, False
    if any(k in d for k in ("POINT", "LINE", "POLYGON", "GEOM", "CURVE", "SURFACE")):
        return None, False
    return NUMBER, False
