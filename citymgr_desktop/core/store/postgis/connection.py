"""Connecting to a PostgreSQL database named like a file: a ``postgresql://`` URL or a
``service=NAME`` from ``pg_service.conf`` (which names are which: ``store/targets.py``).

Passwords are never stored by us: libpq finds them in ``~/.pgpass``, the service file or
``PGPASSWORD``. Every failure to connect is one :class:`DatabaseError` line with the
password left out of the name shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from citymgr_desktop.core.errors import DatabaseError, SchemaError
from citymgr_desktop.core.store.targets import display_name

# the names' home is store/targets.py; core/sync/database_checkout.py still asks here
from citymgr_desktop.core.store.targets import without_password as without_password


def ident(name: str) -> str:
    """A quoted SQL identifier (names come from the model, never from user text)."""
    return '"' + name.replace('"', '""') + '"'


def _reason(exc: BaseException) -> str:
    """libpq's message on one line (it spans several, the last ones are hints)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in lines:
        if "FATAL:" in line or "failed:" in line or "error" in line.lower():
            return line.split("FATAL:")[-1].strip()
    return lines[0] if lines else type(exc).__name__


class PasswordNeededError(DatabaseError):
    """libpq found no password for this login (no ``.pgpass`` line, no ``PGPASSWORD``): the
    app asks for one and keeps it in memory only."""


class PasswordRefusedError(DatabaseError):
    """The server refused the password (a wrong one typed, or an old one in ``.pgpass``):
    the app asks again."""


def connect(target: str, *, autocommit: bool = False, password: str | None = None) -> Any:
    """A psycopg connection to ``target``; :class:`DatabaseError` when the server is down,
    the database is missing or the login is refused (:class:`PasswordNeededError` when
    libpq has no password to send). ``password`` is one the user typed (never stored)."""
    import psycopg

    extra: dict[str, Any] = {"password": password} if password else {}
    try:
        return psycopg.connect(target, autocommit=autocommit, connect_timeout=10,
                               application_name="citymgr", **extra)
    except psycopg.OperationalError as exc:
        if "no password supplied" in str(exc):
            raise PasswordNeededError("{target}: the database asks for a password",
                                      target=display_name(target)) from None
        if "password authentication failed" in str(exc):
            raise PasswordRefusedError("{target}: cannot connect to the database ({reason})",
                                       target=display_name(target),
                                       reason=_reason(exc)) from None
        raise DatabaseError("{target}: cannot connect to the database ({reason})",
                            target=display_name(target), reason=_reason(exc)) from None
    except psycopg.ProgrammingError as exc:  # a malformed URL or service name
        raise DatabaseError("{target}: not a usable database address ({reason})",
                            target=display_name(target), reason=_reason(exc)) from None


def require_postgis(conn: Any, target: str) -> None:
    """Refuse a database without the PostGIS extension (one line, exit code 5)."""
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if row is None:
        raise SchemaError("{target}: the PostGIS extension is not installed in this database "
                          "(its owner runs CREATE EXTENSION postgis)",
                          target=display_name(target))


class GuardedConnection:
    """A psycopg connection whose server going away is one :class:`DatabaseError` line, in
    a read as in a save (``saving()`` tells which sentence: a save's says nothing was
    saved). A lost connection is opened again by the next read or save (``reopen``), so
    a save that failed can be retried. Everything else is the connection's own."""

    def __init__(self, conn: Any, name: str, saving: Callable[[], bool],
                 reopen: Callable[[], Any] | None = None) -> None:
        self._conn = conn
        self._name = name
        self._saving = saving
        self._reopen = reopen

    def revive(self) -> None:
        """Connect again when the connection was lost (outside a transaction only)."""
        if self._reopen is not None and self._conn.closed and not self._saving():
            self._conn = self._reopen()

    def _lost(self, exc: BaseException) -> DatabaseError:
        if self._saving():
            return DatabaseError("{target}: the connection was lost; nothing was saved "
                                 "({reason})", target=self._name, reason=_reason(exc))
        return DatabaseError("{target}: the connection to the database was lost ({reason})",
                             target=self._name, reason=_reason(exc))

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        import psycopg

        self.revive()
        try:
            return self._conn.execute(*args, **kwargs)
        except psycopg.errors.LockNotAvailable:  # a lock_timeout: the connection is fine
            raise
        except psycopg.OperationalError as exc:
            raise self._lost(exc) from None

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        self.revive()
        return _GuardedCursor(self._conn.cursor(*args, **kwargs), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _GuardedCursor:
    def __init__(self, cursor: Any, owner: GuardedConnection) -> None:
        self._cursor = cursor
        self._owner = owner

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        import psycopg

        try:
            return self._cursor.execute(*args, **kwargs)
        except psycopg.errors.LockNotAvailable:
            raise
        except psycopg.OperationalError as exc:
            raise self._owner._lost(exc) from None

    def __enter__(self) -> _GuardedCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self._cursor.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
