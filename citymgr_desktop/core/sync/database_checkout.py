"""Check-out from a project database: the same field package as from a file (forms, relation,
photos in ``DCIM/``, the embedded project and the ``.qgz``), with its base kept in the
database.

The rows go out through an offline copy (``snapshot``) and the file check-out
(:func:`~citymgr_desktop.core.sync.checkout.create_package`), so the package is built by the
one code that builds packages. The database then records the package, the base it merges
against at check-in (``citymgr_package_base``) and the ``version`` every row had when it
went out: the versions are read *before* the rows are copied, so a row another user saves
meanwhile is merged by value at check-in, never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.clock import now_iso
from citymgr_desktop.core.errors import BadFileError, ReadOnlyError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.store.postgis import PostgisStore, snapshot
from citymgr_desktop.core.store.postgis import field_sync as fs
from citymgr_desktop.core.store.postgis.connection import without_password
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.checkout import PackageResult, create_package

META_DATABASE = "package_database"  # a package's citymgr_meta: the database it came from
SYNCED_TABLES: tuple[sc.Table, ...] = (*sc.ASSET_TABLES, sc.MAINTENANCE_RECORD)


def create_package_of(store: Any, out: str | os.PathLike[str], **options: Any
                      ) -> PackageResult:
    """A field package of either store (the app's check-out): :func:`create_package` for a
    file, :func:`create_database_package` for a database; the same options."""
    if store.is_database:
        return create_database_package(store, out, **options)
    return create_package(store, out, **options)


def create_database_package(db: PostgisStore, out: str | os.PathLike[str], *,
                            district: str | None = None,
                            bbox: tuple[float, float, float, float] | None = None,
                            layers: list[str] | None = None, surveyor: str = "",
                            user: str = "", history_years: int | None = 3,
                            overwrite: bool = False,
                            progress: Progress | None = None) -> PackageResult:
    """Write a field package of the database ``db`` to ``out`` (see the module docstring);
    the options are :func:`create_package`'s."""
    prog = ensure(progress)
    db.require_asset_project()
    if db.read_only:
        raise ReadOnlyError("{path} is open read-only; checking out records the package in it",
                            path=db.path)
    if district and district not in db.districts():
        raise ValidationError("--district {district!r} is not in the file; sub-districts: "
                              "{districts}",
                              district=district, districts=', '.join(db.districts()) or 'none')
    target = Path(out)
    if target.exists() and not overwrite:
        raise BadFileError("{target} already exists; choose another name or use --overwrite",
                           target=target)
    with db.session() as conn:  # the tables first: a district role cannot make them
        database = fs.ensure_sync_tables(conn)
        versions = fs.versions_of(conn, SYNCED_TABLES)
    with tempfile.TemporaryDirectory(prefix="citymgr-checkout-") as tmp:
        offline = Path(tmp) / "database.gpkg"
        snapshot(db.target, offline, district=district, password=db.password)
        prog.update(1, 4, db.path)
        with Store.open(offline) as store:
            result = create_package(store, target, district=district, bbox=bbox,
                                    layers=layers, surveyor=surveyor, user=user,
                                    history_years=history_years, overwrite=overwrite,
                                    progress=progress)
        try:
            frozen = Path(result.base)
            _name_the_database(target, frozen, db, database)
            base = frozen.read_bytes()
            kept = _versions_in(frozen, versions)
            package = fs.DatabasePackage(result.package_uuid, target.name, surveyor or None,
                                         result.area, db.district_code, kept)
            with db.session() as conn:
                fs.register_package(conn, package, now_iso(), user or None, base)
        except BaseException:
            for path in (target, target.with_suffix(".qgz")):
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
    result.base = f"{without_password(db.target)} (citymgr_package_base)"
    return result


def _name_the_database(package: Path, base: Path, db: PostgisStore, database: str) -> None:
    """The package's manifest names the database it came from (never a password)."""
    for path in (package, base):
        conn = sqlite3.connect(path)
        try:
            with conn:
                conn.executemany("INSERT OR REPLACE INTO citymgr_meta (key, value) VALUES (?, ?)",
                                 [(reg.META_MASTER, without_password(db.target)),
                                  (META_DATABASE, database)])
        finally:
            conn.close()


def _versions_in(base: Path, versions: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The versions of the rows that went out (the base's rows)."""
    conn = sqlite3.connect(gpkg.read_only_uri(base), uri=True)
    try:
        out = {}
        for t in SYNCED_TABLES:
            mine = versions.get(t.name, {})
            out[t.name] = {u: mine[u] for (u,) in conn.execute(
                f'SELECT "{t.key}" FROM "{t.name}"') if u in mine}
        return out
    finally:
        conn.close()
