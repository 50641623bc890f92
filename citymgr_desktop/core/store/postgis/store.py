"""The PostGIS store: a project held in a PostgreSQL database, behind the same interface as
the GeoPackage :class:`~citymgr_desktop.core.store.geopackage.Store` (see
:class:`~citymgr_desktop.core.store.protocol.ProjectStore`).

One object per connection; ``session()`` is the same re-entrant transaction; reads return
the same shapes (rows by uuid with Shapely geometries, GeoDataFrames indexed by fid);
``save`` keeps every other writer's changes (``postgis/write.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.errors import (
    ConflictError,
    CrsError,
    DatabaseError,
    NotFoundError,
    ReadOnlyError,
    SchemaError,
)
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store.common import LayerInfo
from citymgr_desktop.core.store.drawing import CHUNK_ROWS, DrawingRows
from citymgr_desktop.core.store.postgis.connection import (
    GuardedConnection,
    connect,
    display_name,
    require_postgis,
)
from citymgr_desktop.core.store.postgis.ddl import VERSION_COLUMN, ident
from citymgr_desktop.core.store.postgis.figures import PostgisFigures
from citymgr_desktop.core.store.postgis.queries import PostgisQueries
from citymgr_desktop.core.store.postgis.values import from_db, select_column
from citymgr_desktop.core.store.postgis.write import SaveOutcome, Versions, save_deltas

if TYPE_CHECKING:  # loaded where used: ``core.store`` imports this module for every command
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa
    from pyproj import CRS


class PostgisStore(PostgisQueries, PostgisFigures):
    """An open project database. Use :meth:`open`; close it (or use it as a context
    manager). ``path`` is the database's name as it may be printed (no password)."""

    is_database = True  # no journal beside a file: the database is the shared copy

    def __init__(self, target: str, conn: Any, read_only: bool,
                 password: str | None = None) -> None:
        self.target = target
        self.password = password  # typed by the user: kept in memory only
        self.path = display_name(target)
        self.conn = GuardedConnection(conn, self.path, lambda: self._depth > 0,
                                      lambda: connect(target, autocommit=True,
                                                      password=self.password))
        self.read_only = read_only
        self._depth = 0
        self.absent: dict[str, frozenset[str]] = {}  # the schema is always this version's
        self._meta_cache: dict[str, str] = {}
        self._is_project = False
        self._listener: Any = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, target: str, *, read_only: bool = False,
             password: str | None = None) -> PostgisStore:
        """Connect to ``target`` (a ``postgresql://`` URL or ``service=NAME``);
        ``password`` when libpq has none for the login (the app asked the user)."""
        conn = connect(target, autocommit=True, password=password)
        try:
            require_postgis(conn, target)
        except BaseException:
            conn.close()
            raise
        return cls(target, conn, read_only, password)

    def reader(self) -> PostgisStore:
        """Another, read-only store on the same database with a connection of its own (a
        worker thread's; close it when done)."""
        return PostgisStore.open(self.target, read_only=True, password=self.password)

    def journal_identity(self) -> str:
        """The database and login as the edit session's crash journal is keyed (the same for
        a URL and a ``service=`` naming it; never the password)."""
        info = self.conn.info
        return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self.conn.close()

    def __enter__(self) -> PostgisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """A re-entrant transaction: the outermost level begins and commits or rolls back;
        a connection lost meanwhile is one :class:`DatabaseError` (nothing was written)."""
        import psycopg

        if self.read_only:
            raise ReadOnlyError("{path} is open read-only; save a copy to edit it",
                                path=self.path)
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.revive()  # a save retried after the connection was lost
        self._depth = 1
        try:
            with self.conn.transaction():
                yield self.conn
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReadOnlyError("{target}: the database refused the change; nothing was "
                                "saved ({reason})", target=self.path,
                                reason=exc.diag.message_primary or exc) from None
        except psycopg.OperationalError as exc:
            raise DatabaseError("{target}: the connection was lost; nothing was saved "
                                "({reason})", target=self.path,
                                reason=str(exc).strip().splitlines()[0]) from None
        finally:
            self._depth = 0

    @property
    def in_session(self) -> bool:
        return self._depth > 0

    # -- describing ------------------------------------------------------------------------
    def _tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}

    def is_asset_project(self) -> bool:
        """Whether the database holds our schema; one the user may not read is an error
        that says so (not "not a citymgr project", which would invite a publish)."""
        names = self._tables()
        wanted = ["citymgr_meta", *(t.name for t in sc.ASSET_TABLES)]
        if all(name in names for name in wanted):
            return True
        hidden = self.conn.execute(  # the catalog lists tables whatever the privileges
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public' AND "
            "tablename = ANY(%s)", (wanted,)).fetchone()[0]
        if hidden == len(wanted):
            raise ReadOnlyError("{path}: the database user {user} may not read the citymgr "
                                "tables; the owner gives access with 'citymgr db grant URL "
                                "--role {user} --district 街道'", path=self.path,
                                user=self.conn.info.user)
        return False

    def may_write(self) -> bool:
        """Whether the database user may change assets at all (row-level security may still
        limit which)."""
        return bool(self.conn.execute(
            "SELECT has_table_privilege(current_user, 'public.litter_bin', 'UPDATE')"
        ).fetchone()[0])

    def require_asset_project(self) -> None:
        if self._is_project:
            return
        self._is_project = self.is_asset_project()
        if not self._is_project:
            raise SchemaError("{path} is a PostGIS database, but not a citymgr project (publish "
                              "one into it with 'citymgr publish FILE.gpkg URL')", path=self.path)

    def meta(self, key: str, default: str | None = None) -> str | None:
        if key in self._meta_cache:
            return self._meta_cache[key] or default
        if "citymgr_meta" not in self._tables():
            return default
        row = self.conn.execute("SELECT value FROM citymgr_meta WHERE key = %s",
                                (key,)).fetchone()
        if key in ("srid", "district_code") and row is not None:
            self._meta_cache[key] = row[0]  # fixed when the schema is made: asked every save
        return default if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.session() as conn:
            conn.execute("INSERT INTO citymgr_meta VALUES (%s, %s) ON CONFLICT (key) DO "
                         "UPDATE SET value = EXCLUDED.value", (key, value))

    @property
    def district_code(self) -> str:
        return self.meta("district_code") or "000000"

    @property
    def srid(self) -> int:
        return int(self.meta("srid") or 0)

    def layers(self, include_internal: bool = False) -> list[LayerInfo]:
        """Our tables in model order, with counts, CRS and extents (``ST_Extent``)."""
        present = self._tables()
        crs_name = None
        with contextlib.suppress(CrsError):
            crs_name = self.crs_for_srs(self.srid).name
        out = []
        for t in sc.ALL_TABLES:
            if t.name not in present:
                continue
            name = ident(t.name)
            if t.is_asset:
                count, box = self.conn.execute(
                    f"SELECT count(*), ST_Extent({ident(sc.GEOMETRY_COLUMN)})::text FROM {name}"
                ).fetchone()
                extent = None
                if box:
                    nums = [float(v) for v in box[4:-1].replace(",", " ").split()]
                    extent = (nums[0], nums[1], nums[2], nums[3])
                out.append(LayerInfo(t.name, "features", t.geometry_type, self.srid, crs_name,
                                     int(count), extent, True, t.en))
            else:
                count = self.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                out.append(LayerInfo(t.name, "attributes", None, None, None, int(count), None,
                                     False, t.en))
        return out

    def crs_for_srs(self, srs_id: int) -> CRS:
        row = self.conn.execute("SELECT auth_name, auth_srid, srtext FROM spatial_ref_sys "
                                "WHERE srid = %s", (srs_id,)).fetchone()
        if row is None:
            raise CrsError("{path}: srs_id {srs_id} has no usable CRS definition",
                           path=self.path, srs_id=srs_id)
        auth, code, wkt = row
        from pyproj import CRS

        return CRS.from_authority(auth, code) if auth == "EPSG" else CRS.from_wkt(wkt)

    def crs(self, layer: str) -> CRS:
        if layer not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("{path} has no feature layer {layer!r}", path=self.path,
                                layer=layer)
        return self.crs_for_srs(self.srid)

    def project_crs(self) -> CRS:
        return self.crs_for_srs(self.srid)

    def districts(self) -> list[str]:
        if not self.is_asset_project():
            return []
        parts = " UNION ".join(f"SELECT district FROM {ident(t.name)}" for t in sc.ASSET_TABLES)
        return [r[0] for r in self.conn.execute(
            f"SELECT district FROM ({parts}) d WHERE district IS NOT NULL ORDER BY district")]

    def domains(self) -> dict[str, dict[str, Any]]:
        """The domains as the GeoPackage store reports them (a coded value's description is
        "中文 English"): coded values from the lookup tables (``domain_<name>``), ranges from
        the model (they are CHECK constraints)."""
        present = self._tables()
        out: dict[str, dict[str, Any]] = {}
        for name, domain in dm.ALL_DOMAINS.items():
            if isinstance(domain, dm.CodedDomain):
                if "domain_" + name not in present:
                    continue
                rows = self.conn.execute(
                    f"SELECT value, label_zh, label_en FROM {ident('domain_' + name)}")
                out[name] = {"type": "enum", "values": {str(v): f"{z} {e}" for v, z, e in rows}}
            else:
                out[name] = {"type": "range", "min": domain.minimum, "max": domain.maximum,
                             "min_inclusive": domain.min_inclusive,
                             "max_inclusive": domain.max_inclusive}
        return out

    # -- reading ---------------------------------------------------------------------------
    def read(self, layer: str, *, columns: list[str] | None = None,
             include_retired: bool = True,
             bbox: tuple[float, float, float, float] | None = None
             ) -> gpd.GeoDataFrame | pd.DataFrame:
        """A table (or a bbox window of an asset layer) as a (Geo)DataFrame indexed by fid;
        with ``version`` so an edit can save against what it read."""
        t = sc.table(layer)
        names = list(columns) if columns is not None else t.field_names()
        names = [n for n in names if n != sc.GEOMETRY_COLUMN] + [VERSION_COLUMN]
        cols = ["fid", *names] + ([sc.GEOMETRY_COLUMN] if t.is_asset else [])
        clauses, params = [], []
        if not include_retired and t.is_asset:
            clauses.append("retired_at IS NULL")
        if bbox is not None and t.is_asset:
            clauses.append(f"ST_Intersects({ident(sc.GEOMETRY_COLUMN)}, "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s))")  # as GDAL's filter
            params.extend([*bbox, self.srid])
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                                 f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        import geopandas as gpd
        import pandas as pd
        import shapely

        frame = pd.DataFrame.from_records(
            [[from_db(n, v) for n, v in zip(cols, r, strict=True)] for r in rows],
            columns=cols).set_index("fid")
        if not t.is_asset:
            return frame
        geoms = frame.pop(sc.GEOMETRY_COLUMN)
        return gpd.GeoDataFrame(frame, geometry=list(geoms) if len(geoms) else
                                shapely.from_wkb([]), crs=self.project_crs())

    def column_names(self, table: str) -> list[str]:
        """The columns of ``table`` in table order (none for a table the database lacks)."""
        return [r[0] for r in self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s ORDER BY ordinal_position", (table,))]

    def read_arrow(self, layer: str, columns: Iterable[str], *,
                   include_retired: bool = True,
                   bbox: tuple[float, float, float, float] | None = None) -> pa.Table:
        """The renderer's bulk read, as the GeoPackage store's: ``fid`` (int64), ``columns``
        and ``geometry`` (WKB) of a feature layer as one Arrow table; ``bbox`` (minx, miny,
        maxx, maxy) keeps the features that meet it (through the GiST index)."""
        import pyarrow as pa

        names = list(columns)
        if layer not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("{path} has no feature layer {layer!r}", path=self.path,
                                layer=layer)
        clauses = ["retired_at IS NULL"] if not include_retired else []
        params: list[Any] = []
        if bbox is not None:
            clauses.append(f"ST_Intersects({ident(sc.GEOMETRY_COLUMN)}, "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s))")  # as GDAL's filter
            params = [*map(float, bbox), self.srid]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cols = ["fid", *names, sc.GEOMETRY_COLUMN]
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                               f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        data: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
        arrays = {"fid": pa.array(data[0], pa.int64())}
        for i, name in enumerate(names, start=1):
            arrays[name] = pa.array([from_db(name, v) for v in data[i]])
        arrays["geometry"] = pa.array([None if g is None else bytes(g) for g in data[-1]],
                                      pa.binary())
        return pa.table(arrays)

    def read_for_drawing(self, layer: str, columns: Iterable[str], *,
                         include_retired: bool = True,
                         bbox: tuple[float, float, float, float] | None = None,
                         as_bytes: Iterable[str] = ()) -> DrawingRows:
        """The renderer's bulk read, as the GeoPackage store's (``core/store/drawing.py``):
        rows ``(fid, *columns, WKB)`` in fid order, ``bbox`` through the GiST index."""
        names = list(columns)
        if layer not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("{path} has no layer {name!r}", path=self.path, name=layer)
        clauses = ["retired_at IS NULL"] if not include_retired else []
        params: list[Any] = []
        if bbox is not None:  # bounding boxes meet, as the GeoPackage's rtree read
            clauses.append(f"{ident(sc.GEOMETRY_COLUMN)} && "
                           "ST_MakeEnvelope(%s, %s, %s, %s, %s)")
            params = [*map(float, bbox), self.srid]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        cols = ["fid", *names, sc.GEOMETRY_COLUMN]
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(f"SELECT {', '.join(map(select_column, cols))} FROM "
                               f"{ident(layer)}{where} ORDER BY fid", params).fetchall()
        encode = {i for i, n in enumerate(names, start=1) if n in set(as_bytes)}

        def plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(v.encode() if i in encode and isinstance(v, str) else
                         bytes(v) if isinstance(v, memoryview) else v
                         for i, v in enumerate(row))

        chunks = (list(map(plain, rows[i : i + CHUNK_ROWS]))
                  for i in range(0, len(rows), CHUNK_ROWS))
        return DrawingRows(tuple(names), "wkb", chunks)

    def get_rows(self, table: str, uuids: Iterable[str],
                 fields: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Current values of rows by uuid (geometry under ``"geom"``, and ``version``)."""
        t = sc.table(table)
        names = list(fields) if fields is not None else t.field_names()
        if t.is_asset and fields is None:
            names = [sc.GEOMETRY_COLUMN, *names]
        for extra in (t.key, VERSION_COLUMN):
            if extra not in names:
                names.append(extra)
        keys = list(uuids)
        rows = self.conn.execute(
            f"SELECT {', '.join(map(select_column, names))} FROM {ident(table)} "
            f"WHERE {ident(t.key)} = ANY(%s)", (keys,)).fetchall()
        out = {}
        for row in rows:
            rec = {n: from_db(n, v) for n, v in zip(names, row, strict=True)}
            out[rec[t.key]] = rec
        return out

    def get_row(self, table: str, uuid: str) -> dict[str, Any]:
        rows = self.get_rows(table, [uuid])
        if uuid not in rows:
            raise NotFoundError("{table} has no row {uuid}", table=table, uuid=uuid)
        return rows[uuid]

    # -- others' commits ---------------------------------------------------------------------
    def changed_tables(self, timeout: float = 1.0) -> set[str]:
        """Tables other sessions committed changes to, waiting up to ``timeout`` seconds for
        the first (LISTEN/NOTIFY on a connection of its own, opened on the first call)."""
        from citymgr_desktop.core.store.postgis.ddl import NOTIFY_CHANNEL

        if self._listener is None:
            self._listener = connect(self.target, autocommit=True, password=self.password)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
            return set()
        out: set[str] = set()
        for note in self._listener.notifies(timeout=timeout, stop_after=1):
            out.add(note.payload)
        for note in self._listener.notifies(timeout=0.05):  # the rest of a burst
            out.add(note.payload)
        return out

    # -- writing ---------------------------------------------------------------------------
    def save(self, deltas: Iterable[Delta], versions: Versions, user: str = "") -> SaveOutcome:
        """Apply ``deltas`` read at ``versions`` in one transaction, merging with what other
        users saved meanwhile; what conflicts is reported, never overwritten."""
        self.require_asset_project()
        with self.session() as conn:
            return save_deltas(conn, list(deltas), versions, user, self.srid,
                               self.district_code)

    def apply(self, deltas: Iterable[Delta], user: str = "",
              progress: Progress | None = None) -> dict[str, dict[str, int]]:
        """The GeoPackage store's ``apply``: deltas whose ``old`` values are the base (no
        versions known), merged field by field like :meth:`save`; any conflict undoes the
        whole transaction and is raised as a :class:`ConflictError`."""
        self.require_asset_project()
        with self.session() as conn:
            outcome = save_deltas(conn, list(deltas), {}, user, self.srid, self.district_code)
            if outcome.conflicts:
                raise ConflictError("{count} conflict(s) with changes saved meanwhile, e.g. "
                                    "{first}; nothing was saved", count=len(outcome.conflicts),
                                    first=outcome.conflicts[0].describe())
        return outcome.counts
