"""A field package brought back to a project database, read as the field's changes: its
metadata and its record in the database (a package of another database or district is
refused), the base it was checked out at as a scratch file, and the changes since that base as
deltas with the row versions they were checked out at, after the file sync's checks (schema
drift, damaged row identities). ``database.py`` merges them into the database."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import BadFileError, ValidationError
from citymgr_desktop.core.messages import Text, msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.postgis import PostgisStore
from citymgr_desktop.core.store.postgis import field_sync as fs
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.checks import restore_condition_before
from citymgr_desktop.core.sync.database_checkout import META_DATABASE, SYNCED_TABLES
from citymgr_desktop.core.sync.diff import TableDiff, all_columns, fetch_by_rowid, fetch_rows
from citymgr_desktop.core.sync.files import attached, package_meta
from citymgr_desktop.core.sync.identity import check_identities
from citymgr_desktop.core.sync.schema import check_drift, signature
from citymgr_desktop.core.sync.values import for_store

LOCAL_COLUMNS = {"fid", VERSION_COLUMN, "db_user", "pci_grade"}  # never carried between rows


@dataclass
class FieldChanges:
    """The field's changes as deltas, with the versions they were checked out at."""

    deltas: list[Delta] = field(default_factory=list)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    retired: set[tuple[str, str]] = field(default_factory=set)
    notes: list[Text] = field(default_factory=list)


def read_package_meta(pkg_path: Path) -> dict[str, str]:
    """The package's metadata; a file that is not a field package is a BadFileError."""
    conn = sqlite3.connect(":memory:")
    try:
        with attached(conn, pkg_path, "f", read_only=True):
            meta = package_meta(conn)
    finally:
        conn.close()
    if reg.META_PACKAGE not in meta:
        raise BadFileError("{path}: not a citymgr field package (no package id); field "
                           "packages are made with 'citymgr field-package'", path=pkg_path)
    return meta


def checked_package(db: PostgisStore, conn: Any, meta: dict[str, str],
                    pkg_path: Path) -> fs.DatabasePackage:
    """The package's record in ``db``; a package of another database or district is refused."""
    if meta.get("district_code") and meta["district_code"] != db.district_code:
        raise ValidationError("{path} is a package of district {code}, but {target} holds "
                              "district {ours}; nothing was merged", path=pkg_path.name,
                              code=meta["district_code"], target=db.path, ours=db.district_code)
    pkg = fs.get_package(conn, meta[reg.META_PACKAGE], lock=True)
    if pkg is None or meta.get(META_DATABASE) not in (None, fs.database_uuid(conn)):
        raise ValidationError("{path} was not checked out from {target} (it came from "
                              "{master}); nothing was merged", path=pkg_path.name,
                              target=db.path, master=meta.get(reg.META_MASTER) or "?")
    return pkg


@contextmanager
def scratch_file(data: bytes) -> Iterator[Path]:
    """``data`` (a base GeoPackage) as a temporary file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="citymgr-base-") as tmp:
        path = Path(tmp) / "base.gpkg"
        path.write_bytes(data)
        yield path


def package_bytes(pkg_path: Path) -> bytes:
    """The package as SQLite sees it (QGIS leaves edits in a ``-wal`` file beside it)."""
    with tempfile.TemporaryDirectory(prefix="citymgr-base-") as tmp:
        copy = Path(tmp) / "next.gpkg"
        src = sqlite3.connect(gpkg.read_only_uri(pkg_path), uri=True)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the package's mode
        finally:
            dst.close()
            src.close()
        return copy.read_bytes()


def field_changes(db: PostgisStore, base: Path, pkg_path: Path,
                  diffs: dict[str, TableDiff], pkg: fs.DatabasePackage) -> FieldChanges:
    """The field's changes as deltas, after the file sync's checks of the package: no
    schema drift since check-out, no damaged row identities (``identity.py``; the
    database stands in for the master's assets)."""
    out = FieldChanges()
    conn = sqlite3.connect(":memory:")
    try:
        with attached(conn, base, "b", read_only=True), \
                attached(conn, pkg_path, "f", read_only=True):
            check_drift(signature(conn, "b"), signature(conn, "f"),
                        msg("the package's tables differ from what was checked out"))
            _master_assets(db, conn, diffs)
            check_identities(conn, diffs, str(pkg_path))
            for t in SYNCED_TABLES:
                d = diffs[t.name]
                _table_changes(conn, t, d, pkg.versions.get(t.name, {}), out)
            out.notes += restore_condition_before(conn, [  # the file sync's rule
                (d.uuid, d.new) for d in out.deltas
                if d.table == "maintenance_record" and d.old is None and isinstance(d.new, dict)])
    finally:
        conn.close()
    return out


def _master_assets(db: PostgisStore, conn: sqlite3.Connection,
                   diffs: dict[str, TableDiff]) -> None:
    """The database's assets holding the uuids of the package's new assets, as tables of
    the scratch connection's ``main`` (where the identity check looks for the master)."""
    new = [n.uuid for t in sc.ASSET_TABLES for n in diffs[t.name].inserted if n.uuid]
    for t in sc.ASSET_TABLES:
        conn.execute(f'CREATE TABLE main."{t.name}" (asset_uuid TEXT, obj_code TEXT)')
        if new:
            conn.executemany(f'INSERT INTO main."{t.name}" (asset_uuid) VALUES (?)',
                             [(u,) for u in db.get_rows(t.name, new, ["asset_uuid"])])


def _table_changes(conn: sqlite3.Connection, t: sc.Table, d: TableDiff,
                   versions: dict[str, int], out: FieldChanges) -> None:
    cols = [c for c in all_columns(t) if c not in LOCAL_COLUMNS]
    olds = fetch_rows(conn, "b", t, [*d.updated, *d.deleted], cols)
    news = fetch_rows(conn, "f", t, d.updated, cols)
    for uuid, changed in d.updated.items():
        out.deltas.append(Delta(t.name, uuid, {c: for_store(c, olds[uuid][c]) for c in changed},
                                {c: for_store(c, news[uuid][c]) for c in changed}))
        if uuid in versions:
            out.versions[(t.name, uuid)] = versions[uuid]
    for uuid in d.deleted:
        old = {c: for_store(c, olds[uuid][c]) for c in cols}
        if uuid in versions:
            out.versions[(t.name, uuid)] = versions[uuid]
        out.deltas.append(Delta(t.name, uuid, old, None))
    rows = fetch_by_rowid(conn, "f", t, [n.rowid for n in d.inserted], cols)
    for n in d.inserted:
        if n.uuid is None:
            raise ValidationError("{table}: a new row (field fid {fid}) has no uuid; nothing "
                                  "was merged", table=t.name, fid=n.rowid)
        row = {c: for_store(c, v) for c, v in rows[n.rowid].items() if c not in LOCAL_COLUMNS}
        out.deltas.append(Delta(t.name, n.uuid, None,
                                {c: v for c, v in row.items() if v is not None}))
