"""The GeoPackage store: one object per open file.

Opening refuses anything that is not a readable GeoPackage with a one-line reason; reads go
through GDAL's vectorised path (pyogrio + Arrow); writes are row-level SQL in one re-entrant
transaction (``session()``) whose cost follows the number of changed rows, never the size of
the layer (see :mod:`citymgr_desktop.core.store.write`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import disk_full_error, is_disk_full
from citymgr_desktop.core.errors import (
    BadFileError,
    CitymgrError,
    NotFoundError,
    ReadOnlyError,
)
from citymgr_desktop.core.gpkg.geometry import decode
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store import integrity
from citymgr_desktop.core.store.bulk_insert import rtree_filled_at_end
from citymgr_desktop.core.store.describe import StoreDescription
from citymgr_desktop.core.store.drawing import StoreDrawingReads
from citymgr_desktop.core.store.figures import StoreFigures
from citymgr_desktop.core.store.files import (
    check_file,
    damaged_error,
    file_path,
    is_file_error,
    is_writable,
    open_connection,
    sqlite_error,
)
from citymgr_desktop.core.store.order_queries import StoreOrderQueries
from citymgr_desktop.core.store.queries import StoreQueries
from citymgr_desktop.core.store.upgrade import (
    Absent,
    absent_columns,
    bring_up_to_date,
    stale_domains,
)
from citymgr_desktop.core.store.write import apply_deltas, insert_new_rows

if TYPE_CHECKING:  # pandas and GeoPandas load when a frame is read: not for every command
    import geopandas as gpd
    import pandas as pd
    from pyproj import CRS  # and pyproj with the first CRS

class Store(StoreDescription, StoreQueries, StoreOrderQueries, StoreDrawingReads,
            StoreFigures):
    """An open GeoPackage. Use :meth:`open`; close it (or use it as a context manager).

    Views, exporters and the command line read through its methods (more of them in
    :class:`~citymgr_desktop.core.store.queries.StoreQueries` and
    :class:`~citymgr_desktop.core.store.order_queries.StoreOrderQueries`) and never use ``conn``.
    """

    is_database = False  # a file: the edit session keeps its journal beside it
    login: str | None = None  # no database login

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool) -> None:
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self._depth = 0
        # Held by a worker thread while it uses ``conn`` (``ui/worker.run_task`` takes it for
        # the store a task names, ``uses=``): the UI thread asks ``acquire(blocking=False)``
        # before a question of its own that may wait (the file watch's poll) and skips it.
        self.in_use = threading.RLock()
        self._srs_cache: dict[int, CRS] = {}
        self.absent: Absent = {}  # model columns an older file lacks (read as empty)
        self.stale: frozenset[str] = frozenset()  # coded domains lacking the model's codes
        self._whole = False  # quick_check passed at open: our commits keep it whole
        self._up_to_date = False  # schema columns and the QGIS project, on the first write

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, read_only: bool = False,
             check: bool = True) -> Store:
        """Open ``path``; a file we may not write is opened read-only (see ``read_only``).

        Opening never writes (but for the one-time migration of an older schema version
        opened for writing, ``store/upgrade.py``). ``check``: refuse a damaged file (SQLite's
        quick_check, once per version: :mod:`~citymgr_desktop.core.store.integrity`).
        """
        p = file_path(path)  # a database name refused before it becomes a Path
        check_file(p)
        writable = is_writable(p)
        ro = read_only or not writable
        conn = open_connection(p, ro, writable)
        whole = False
        if check and integrity.should_check(p, ro):
            problems = integrity.quick_check(conn, p)
            if problems:
                conn.close()
                raise damaged_error(p, integrity.describe(problems))
            whole = True
        store = cls(p, conn, ro)
        store._whole = whole
        if store.is_asset_project():
            store.absent, store.stale = absent_columns(conn), stale_domains(conn)
            if (store.absent or store.stale) and not ro:  # an empty write: its start adds them
                with contextlib.suppress(BadFileError, ReadOnlyError), store.session():
                    pass  # locked: they are read as empty meanwhile
        return store

    def _bring_up_to_date(self) -> None:
        """On the first write through this store, inside its transaction (a write that fails
        rolls it back too): ``upgrade.bring_up_to_date`` (schema columns, QGIS project,
        statistics indexes)."""
        if not self._up_to_date and self.is_asset_project():
            bring_up_to_date(self.conn, self.absent, self.stale)
            self.absent, self.stale = {}, frozenset()
        self._up_to_date = True

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- other threads ---------------------------------------------------------------------
    def reader(self) -> Store:
        """Another, read-only store on the same file, with a connection of its own: for a
        worker thread reading while this store's thread goes on (close it when done)."""
        return Store.open(self.path, read_only=True)

    def interrupt(self) -> None:
        """Stop the query running on this store's connection, from any thread: it raises
        :class:`~citymgr_desktop.core.errors.CancelledError` (see ``select_assets``)."""
        self.conn.interrupt()

    # -- transactions ----------------------------------------------------------------------
    @property
    def writing(self) -> bool:
        """Whether a transaction of this store is open (on any thread)."""
        return self._depth > 0

    @contextlib.contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """A re-entrant transaction: the outermost level begins and commits or rolls back.

        The first one of this store first points a renamed copy's QGIS project at this file
        (``_bring_up_to_date``). A full disk, a lock or a damaged page met inside it rolls
        everything back and is raised as one of ours (SQLite may have rolled back already).
        """
        if self.read_only:
            raise ReadOnlyError("{path} is open read-only; save a copy to edit it", path=self.path)
        absent, stale, fresh = self.absent, self.stale, not self._up_to_date
        if self._depth == 0:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise sqlite_error(self.path, exc, writing=True) from None
        self._depth += 1
        try:
            if self._depth == 1:
                self._bring_up_to_date()
            yield self.conn
        except BaseException as exc:
            self._depth -= 1
            if self._depth == 0:
                self._roll_back()
                if fresh:  # the upgrade went with the rest: the next write does it again
                    self.absent, self.stale, self._up_to_date = absent, stale, False
                if is_file_error(exc):
                    raise sqlite_error(self.path, exc, writing=True) from None  # type: ignore[arg-type]
                if not isinstance(exc, CitymgrError) and is_disk_full(exc, self.path):
                    raise disk_full_error(self.path, kept=False) from None
            raise
        if self._depth > 1:
            self._depth -= 1
            return
        try:  # ``writing`` until the commit has ended
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._roll_back()
            raise sqlite_error(self.path, exc, writing=True) from None
        finally:
            self._depth -= 1
        if self._whole:
            integrity.remember_whole(self.path)

    def _roll_back(self) -> None:
        """Roll back what is pending; SQLite may already have (a full disk, an I/O error).
        A rollback that fails leaves a hot journal the next open rolls back."""
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    @property
    def in_session(self) -> bool:
        return self._depth > 0

    # -- the project's own facts ---------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        try:
            row = self.conn.execute("SELECT value FROM citymgr_meta WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return default
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as conn:
            conn.execute("INSERT OR REPLACE INTO citymgr_meta VALUES (?,?)", (key, value))

    @property
    def district_code(self) -> str:
        return self.meta("district_code") or "000000"

    # -- reading ---------------------------------------------------------------------------
    def read(self, layer: str, *, bbox: tuple[float, float, float, float] | None = None,
             columns: list[str] | None = None, where: str | None = None,
             include_retired: bool = True,
             fids: Sequence[int] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a layer (or a bbox window of it) into a (Geo)DataFrame indexed by fid.

        ``where`` is passed to GDAL: only for SQL the code itself builds, never user text.
        ``fids``: only these rows (a chosen few of a large layer, read by fid; the other
        filters do not apply).
        """
        import pyogrio  # with GeoPandas and pandas: 1 s, only for commands that read frames

        clauses = [where] if where else []
        if not include_retired and layer in sc.ASSET_TABLES_BY_NAME:
            clauses.append("retired_at IS NULL")
        chosen: dict[str, Any] = {}
        if fids is not None:  # GDAL reads these rows by fid, nothing else
            import numpy as np

            chosen = {"fids": np.asarray(fids, dtype=np.int64)} if len(fids) else {
                "where": "0 = 1"}
        else:
            chosen = {"bbox": bbox, "where": " AND ".join(f"({c})" for c in clauses) or None}
        try:
            return pyogrio.read_dataframe(
                self.path, layer=layer, columns=columns, use_arrow=True, fid_as_index=True,
                **chosen)
        except pyogrio.errors.DataLayerError as exc:
            raise NotFoundError("{path}: cannot read layer {layer!r} ({reason})",
                                path=self.path, layer=layer, reason=exc) from None
        except pyogrio.errors.DataSourceError as exc:
            raise BadFileError("{path}: cannot be read by GDAL ({reason})",
                               path=self.path, reason=exc) from None

    def select_list(self, table: str, names: Iterable[str]) -> str:
        """The SQL select list of ``names`` of one of our tables: quoted columns, and
        ``NULL AS name`` for a column a file of an older schema version lacks."""
        absent = self.absent.get(table, frozenset())
        return ", ".join(f"NULL AS {gpkg.quote_ident(n)}" if n in absent else gpkg.quote_ident(n)
                         for n in names)

    def get_rows(self, table: str, uuids: Iterable[str],
                 fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Current values of rows by uuid (geometry decoded under ``"geom"``)."""
        t = sc.table(table)
        names = list(fields) if fields is not None else t.field_names()
        if t.is_asset and fields is None:
            names = [sc.GEOMETRY_COLUMN, *names]
        if t.key not in names:
            names.append(t.key)
        cols = self.select_list(table, names)
        key = gpkg.quote_ident(t.key)
        out: dict[str, dict[str, Any]] = {}
        for row in gpkg.select_in(
                self.conn, f"SELECT {cols} FROM {gpkg.quote_ident(table)} WHERE {key} IN ({{marks}})",
                uuids):
            rec = dict(zip(names, row, strict=True))
            if sc.GEOMETRY_COLUMN in rec:
                rec[sc.GEOMETRY_COLUMN] = decode(rec[sc.GEOMETRY_COLUMN])
            out[rec[t.key]] = rec
        return out

    # -- writing ---------------------------------------------------------------------------
    def apply(self, deltas: Iterable[Delta], user: str = "",
              progress: Progress | None = None) -> dict[str, dict[str, int]]:
        """Apply deltas in one transaction; returns counts per table and kind."""
        self.require_asset_project()
        with self.session():
            return apply_deltas(self.conn, self.district_code, list(deltas), user, progress)

    def add_rows(self, table: str, columns: Mapping[str, Sequence[Any]], uuids: Sequence[str],
                 user: str = "") -> None:
        """New rows of ``table`` as columns (None: no value), checked and written as
        :meth:`apply` writes their insert deltas, without a delta each (an import's batch)."""
        self.require_asset_project()
        with self.session():
            insert_new_rows(self.conn, self.district_code, sc.table(table), columns, uuids, user)

    def rtree_filled_at_end(self, table: str) -> contextlib.AbstractContextManager[None]:
        """Inserts into ``table`` inside the block (and the session) leave its spatial index
        to one packed fill at the block's end (an import's batches; see bulk_insert)."""
        return rtree_filled_at_end(self.conn, table)

    def backup_to(self, target: str | os.PathLike[str]) -> Path:
        """A consistent copy of the whole file (SQLite online backup)."""
        dst = sqlite3.connect(str(target))
        try:
            self.conn.backup(dst)
        finally:
            dst.close()
        return Path(target)

