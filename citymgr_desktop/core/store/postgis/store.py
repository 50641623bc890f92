"""The PostGIS store: a project held in a PostgreSQL database, behind the same interface as
the GeoPackage :class:`~citymgr_desktop.core.store.geopackage.Store` (see
:class:`~citymgr_desktop.core.store.protocol.ProjectStore`).

One object per connection; ``session()`` is the same re-entrant transaction; reads return
the same shapes (rows by uuid with Shapely geometries, GeoDataFrames indexed by fid);
``save`` keeps every other writer's changes (``postgis/write.py``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
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
from citymgr_desktop.core.store.postgis.connection import (
    GuardedConnection,
    ServerSaid,
    connect,
    display_name,
    require_postgis,
)
from citymgr_desktop.core.store.postgis.ddl import ident
from citymgr_desktop.core.store.postgis.figures import PostgisFigures
from citymgr_desktop.core.store.postgis.queries import PostgisQueries
from citymgr_desktop.core.store.postgis.reads import PostgisReads
from citymgr_desktop.core.store.postgis.write import SaveOutcome, Versions, save_deltas

if TYPE_CHECKING:  # loaded where used: ``core.store`` imports this module for every command
    from pyproj import CRS


class PostgisStore(PostgisReads, PostgisQueries, PostgisFigures):
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
        self.stale: frozenset[str] = frozenset()  # coded domains left older (postgis/upgrade)
        self.unversioned: frozenset[str] = frozenset()  # tables without the version trigger
        self.unguarded = False  # granted 街道 before the guard triggers (postgis/upgrade)
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
        store = cls(target, conn, read_only, password)
        if not read_only:
            store._renew_domains()
        return store

    def _renew_domains(self) -> None:
        """Opened for writing: bring coded domains the database has from before they
        gained codes up to the model, with its QGIS project, give tables from before the
        version trigger that trigger, and a database granted 街道 before the guard triggers
        this version's rules (``postgis/upgrade.py``). A login that is not the owner, or a
        table busy past the lock timeout, leaves them as they are (``stale``,
        ``unversioned``, ``unguarded``) and the store opens all the same."""
        from citymgr_desktop.core.store.postgis import upgrade

        try:
            self._is_project = self.is_asset_project()
        except ReadOnlyError:
            return
        if not self._is_project:
            return
        self.stale = upgrade.stale_domains(self.conn)
        self.unversioned = upgrade.unversioned_tables(self.conn)
        self.unguarded = upgrade.unguarded(self.conn)

        def renew_stale() -> None:
            if upgrade.renew_domains(self.conn, self.stale) and \
                    "qgis_projects" in self._tables():
                from citymgr_desktop.core.store.postgis import qgis_project

                qgis_project.write_project(self.conn, self.target, self.srid,
                                           qgis_project.extent_of(self.layers()))

        if self.stale and self._upgrade(renew_stale):
            self.stale = frozenset()
        if self.unversioned and self._upgrade(
                lambda: upgrade.add_version_triggers(self.conn, self.unversioned)):
            self.unversioned = frozenset()
        if self.unguarded and self._upgrade(lambda: upgrade.renew_grants(self.conn)):
            self.unguarded = False

    def _upgrade(self, step: Callable[[], object]) -> bool:
        """``step`` in one transaction; False (nothing changed) when this login may not
        (not the owner) or a table stayed busy past the lock timeout."""
        import psycopg

        try:
            with self.conn.transaction():
                step()
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.LockNotAvailable):
            return False
        return True

    def reader(self) -> PostgisStore:
        """Another, read-only store on the same database with a connection of its own (a
        worker thread's; close it when done)."""
        return PostgisStore.open(self.target, read_only=True, password=self.password)

    def reconnect(self) -> None:
        """Open the connection again if the server ended it (another session's
        ``pg_terminate_backend``, a restart): the next read then works."""
        self.conn.check()

    @property
    def login(self) -> str:
        """The database login this store is connected as (``updated_by`` is kept per login in
        the app; row-level security grants are per login)."""
        return str(self.conn.info.user)

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
        try:
            self.conn.revive()  # a save retried after the connection was lost
        except DatabaseError as exc:  # the server still away: said as the first failure was
            raise DatabaseError("{target}: cannot connect to the database; nothing was "
                                "saved{server}", target=self.path,
                                server=exc.args_.get("server", "")) from None
        self._depth = 1
        try:
            with self.conn.transaction():
                yield self.conn
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReadOnlyError("{target}: the database refused the change; nothing was "
                                "saved{server}", target=self.path,
                                server=ServerSaid.of(exc)) from None
        except psycopg.OperationalError as exc:
            raise DatabaseError("{target}: the connection was lost; nothing was saved{server}",
                                target=self.path, server=ServerSaid.of(exc)) from None
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

    def layers(self, include_internal: bool = False, *, counted: bool = True
               ) -> list[LayerInfo]:
        """Our tables in model order, with counts, CRS and extents (``ST_Extent``; counted
        whatever ``counted`` says: one query gives both)."""
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
