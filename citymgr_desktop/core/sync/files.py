"""Package files as sync sees them: attaching them to the master's connection (read-only when
they may not be written), checking they are still GeoPackages, reading their manifest, and
the sync id that makes the same package brought in twice a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError
from citymgr_desktop.core.store import integrity
from citymgr_desktop.core.store.files import damaged_error
from citymgr_desktop.core.sync.diff import CACHE_KIB, TableDiff
from citymgr_desktop.core.sync.values import dumps


def attach(conn: sqlite3.Connection, path: Path, schema: str, read_only: bool) -> None:
    """ATTACH ``path`` as ``schema`` (read-only through a URI when asked)."""
    if read_only:
        conn.execute("ATTACH DATABASE ? AS " + gpkg.quote_ident(schema),
                     (gpkg.read_only_uri(path.resolve()),))
        files = {r[1]: r[2] for r in conn.execute("PRAGMA database_list")}
        if Path(files.get(schema) or "").name == path.name:
            return
        conn.execute("DETACH DATABASE " + gpkg.quote_ident(schema))  # URIs not understood
    conn.execute("ATTACH DATABASE ? AS " + gpkg.quote_ident(schema), (str(path),))


@contextlib.contextmanager
def attached(conn: sqlite3.Connection, path: Path, schema: str,
             read_only: bool) -> Iterator[None]:
    try:
        attach(conn, path, schema, read_only)
    except sqlite3.DatabaseError as exc:
        raise BadFileError("{path}: cannot be opened ({reason})", path=path, reason=exc) from None
    # the sync reads only the changed rows of an attached copy: a small page cache will do
    conn.execute(f"PRAGMA {gpkg.quote_ident(schema)}.cache_size = -{CACHE_KIB}")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("DETACH DATABASE " + gpkg.quote_ident(schema))


@contextlib.contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction (consistent reads, no lock that blocks other readers)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")


def check_geopackage(conn: sqlite3.Connection, schema: str, path: Path) -> None:
    """Refuse an attached file that is damaged (SQLite's quick_check, once per version of
    the file) or lost the tables every GeoPackage has (a tool that dropped
    ``gpkg_contents`` leaves a file GDAL and QGIS no longer read as layers)."""
    damage = integrity.quick_check(conn, path, schema=schema)
    if damage:
        raise damaged_error(path, integrity.describe(damage))
    names = {r[0] for r in conn.execute(
        f"SELECT name FROM {gpkg.quote_ident(schema)}.sqlite_master WHERE type = 'table'")}
    missing = [t for t in ("gpkg_spatial_ref_sys", "gpkg_contents", "gpkg_geometry_columns")
               if t not in names]
    if missing:
        raise BadFileError("{path}: not a valid GeoPackage any more ({tables} missing); nothing "
                           "was merged", path=path, tables=", ".join(missing))


def package_meta(conn: sqlite3.Connection, schema: str = "f") -> dict[str, str]:
    try:
        return dict(conn.execute(f"SELECT key, value FROM {schema}.citymgr_meta").fetchall())
    except sqlite3.DatabaseError:
        return {}


class SyncId:
    """The sync id: the package id and a hash of the field's changes against their base, so
    the same package content brought in twice has the same id.

    It is made from the package's rows the merge reads anyway (:meth:`add`, one piece of a
    table's diff at a time, in any order): the hash takes them table by table (by name), the
    updates by uuid, the deletes, the new rows by rowid, so the id does not depend on the
    order the merge streams them in and is the one earlier versions computed by reading the
    changed values a second time.
    """

    def __init__(self, package_uuid: str, parent: str | None) -> None:
        self.package_uuid, self.parent = package_uuid, parent
        self._pieces: dict[str, list[tuple[tuple[int, Any], bytes]]] = {}

    def add(self, name: str, diff: TableDiff, field: Mapping[str, Mapping[str, Any]],
            field_new: Mapping[int, Mapping[str, Any]]) -> None:
        """A piece of table ``name``'s diff with the field's rows read for it: by uuid for
        the updates (at least the columns each changed), by rowid (every column and
        ``"fid"``) for the new rows."""
        pieces = self._pieces.setdefault(name, [])
        for u, cols in diff.updated.items():
            row = field[u]
            pieces.append(((0, u), json.dumps(
                ["U", name, u, [[c, dumps(row[c])] for c in cols]]).encode()))
        for u in diff.deleted:
            pieces.append(((1, u), json.dumps(["D", name, u]).encode()))
        for n in diff.inserted:
            values = field_new[n.rowid]
            pieces.append(((2, n.rowid), json.dumps(
                ["I", name, n.uuid, n.rowid,
                 [[c, dumps(v)] for c, v in sorted(values.items())]]).encode()))

    def hexdigest(self) -> str:
        h = hashlib.sha256(f"{self.package_uuid}|{self.parent or 'check-out'}".encode())
        for name in sorted(self._pieces):
            for _key, piece in sorted(self._pieces[name], key=lambda p: p[0]):
                h.update(piece)
        return f"{self.package_uuid[:8]}-{h.hexdigest()[:12]}"
