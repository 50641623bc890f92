"""Check-in of a field package: the whole sync, from opening the package to the journal.

``sync_package`` checks the package (a field package of this master, no schema drift),
attaches it and its base to the master's connection and, in one transaction that began
before the first read, runs the phases of :class:`~citymgr_desktop.core.sync.phases.SyncJob`:
compare the field's changes by content (``diff``), merge them with the master's (``merge``,
``checks``), copy (the backup, written beside the comparison by a background thread),
apply them with a journal (``apply``, ``journal``), copy (the base of the next sync) and
check the file's integrity. ``undo_sync`` restores the master as it was before a run.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from citymgr_desktop.core.errors import (
    BadFileError,
    NotFoundError,
    ReadOnlyError,
    SchemaError,
    ValidationError,
)
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.store import integrity
from citymgr_desktop.core.store.files import check_file, is_writable
from citymgr_desktop.core.store.geopackage import Store
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.base import base_for, materialize
from citymgr_desktop.core.sync.files import (
    attached,
    check_geopackage,
    package_meta,
    read_snapshot,
)
from citymgr_desktop.core.sync.phases import SyncJob
from citymgr_desktop.core.sync.report import SyncReport
from citymgr_desktop.core.sync.schema import (
    add_later_columns,
    check_drift,
    ensure_tables,
    lacks_later_columns,
    rewritten,
    signature,
)
from citymgr_desktop.core.sync.undo import undo_sync
from citymgr_desktop.core.sync.values import register_functions

__all__ = ["check_package_ahead", "open_for_sync", "sync_package", "undo_sync"]


def check_package_ahead(package: str | os.PathLike[str]) -> None:
    """Start the package's whole-file check (``quick_check``) in a thread now: the sync dialog
    calls it when a package is chosen, so the check runs while the user reads the form, and
    :func:`sync_package` finds this version of the package known whole (or, if it is damaged
    or changed meanwhile, checks it itself and refuses it, exactly as without this)."""
    with contextlib.suppress(OSError, ValueError):
        integrity.check_in_background(Path(package))


def open_for_sync(master: str | os.PathLike[str], package: str | os.PathLike[str], *,
                  read_only: bool = False) -> Store:
    """The master opened for a sync of ``package``: the package's whole-file check starts in
    a thread while the master's runs (``Store.open``), so the two files are read side by side
    on two cores (:func:`check_package_ahead`). Nothing else changes: a damaged master or
    package stops the sync before anything is written, as before."""
    check_package_ahead(package)
    return Store.open(master, read_only=read_only)


def sync_package(store: Store, package: str | os.PathLike[str], *, prefer: str | None = None,
                 dry_run: bool = False, user: str = "", backup: bool = True,
                 full_check: bool = False, progress: Progress | None = None) -> SyncReport:
    """Merge a field package into the master (see the module docstring).

    ``full_check``: PRAGMA integrity_check of the whole file (by default only the tables
    written: ``apply.integrity_check``).
    """
    prog = ensure(progress)
    started = time.perf_counter()
    if prefer not in (None, "master", "field"):
        raise ValidationError("--prefer must be master or field, not {prefer!r}", prefer=prefer)
    store.require_asset_project()
    if store.read_only and not dry_run:
        raise ReadOnlyError("{path} is open read-only; a sync writes to it (use --dry-run to "
                            "only see what would change)", path=store.path)
    pkg_path = Path(package).resolve()
    check_file(pkg_path, field_copy=True)
    if pkg_path == store.path.resolve():
        raise ValidationError("the package is the master file itself")
    conn = store.conn
    register_functions(conn)
    if not _has_registry(conn):
        raise NotFoundError("{path} has sent out no field packages", path=store.path)
    with attached(conn, pkg_path, "f", read_only=dry_run or not is_writable(pkg_path)):
        check_geopackage(conn, "f", pkg_path)
        meta = package_meta(conn)
        if reg.META_PACKAGE not in meta:
            raise BadFileError("{path}: not a citymgr field package (no package id); field "
                               "packages are made with 'citymgr field-package'", path=pkg_path)
        pkg = reg.get_package(conn, meta[reg.META_PACKAGE], meta.get(reg.META_MASTER))
        if lacks_later_columns(conn, "f"):
            _bring_package_up_to_date(conn, pkg_path, dry_run)
        field_sig = signature(conn, "f")
        check_drift(pkg.schema_columns, field_sig,
                    msg("the package's tables differ from what was checked out"))
        check_drift(pkg.schema_columns, signature(conn, "main"),
                    msg("the master's tables changed since the package was checked out"))
        chain = base_for(store.path, conn, pkg, meta.get(reg.META_BASE))
        _bring_base_up_to_date(chain.start)
        base_path = chain.start
        if chain.deltas:
            base_path = materialize(chain, _scratch_folder(store.path, pkg.package_uuid))
        try:
            with attached(conn, base_path, "b", read_only=True):
                job = SyncJob(store, pkg, pkg_path, chain.parent, prefer, user, prog)
                job.base_path = base_path
                job.full_check = full_check
                job.note_rewrites(rewritten(pkg.schema_columns, field_sig),
                                  rewritten(pkg.schema_columns, signature(conn, "b")))
                job.timings["prepare"] = time.perf_counter() - started
                if dry_run:
                    with read_snapshot(conn):
                        return job.run(dry_run=True, backup=False)
                with store.session():  # a refused package commits nothing, not even tables
                    ensure_tables(conn)
                    report = job.run(dry_run=False, backup=backup)
                    committing = time.perf_counter()
                job.timings["commit"] = time.perf_counter() - committing
                job.after_commit()
                return report
        finally:
            if chain.deltas:
                reg.discard(base_path)


def _bring_package_up_to_date(conn: sqlite3.Connection, pkg_path: Path, dry_run: bool) -> None:
    """A package checked out before a later schema version gets its columns (empty: the
    field cannot have filled them), so the three copies compare column for column."""
    if dry_run or not is_writable(pkg_path):
        raise SchemaError("{path} was checked out before this version of the schema; its "
                          "sync adds the new columns to it, so it must be writable (and a "
                          "dry run cannot do that)", path=str(pkg_path))
    add_later_columns(conn, "f")


def _bring_base_up_to_date(base: Path) -> None:
    """The frozen base copy of such a package gets the same columns (a base is ours)."""
    conn = sqlite3.connect(str(base))
    try:
        if lacks_later_columns(conn, "main"):
            conn.execute("BEGIN")
            add_later_columns(conn, "main")
            conn.execute("COMMIT")
    finally:
        conn.close()


def _scratch_folder(master: Path, package_uuid: str) -> Path:
    """Where the rebuilt base goes: beside the base copies, or the system's temp folder."""
    folder = reg.package_dir(master, package_uuid)
    return folder if is_writable(folder) else Path(tempfile.gettempdir())


def _has_registry(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_package'"
                        ).fetchone() is not None
