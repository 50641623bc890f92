"""Connecting to a PostgreSQL database named like a file: a ``postgresql://`` URL or a
``service=NAME`` from ``pg_service.conf`` (which names are which: ``store/targets.py``).

Passwords are never stored by us: libpq finds them in ``~/.pgpass``, the service file or
``PGPASSWORD``. Every failure to connect is one :class:`DatabaseError` line with the
password left out of the name shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.errors import DatabaseError, SchemaError
from citymgr_desktop.core.messages import is_chinese
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


@dataclass(frozen=True)
class ServerSaid:
    """What PostgreSQL or libpq said (its English: the detail an administrator needs), the
    ``{server}`` at the end of our sentence: in English in parentheses after it, as it always
    was; in Chinese on a line of its own after the sentence ends, as a detail, not English
    inside a Chinese sentence. Every error of this backend that quotes the server uses it."""

    text: str

    @classmethod
    def of(cls, exc: BaseException) -> ServerSaid:
        diag = getattr(exc, "diag", None)
        return cls(getattr(diag, "message_primary", None) or _reason(exc))

    def render(self, lang: str = "en") -> str:
        if is_chinese(lang):
            return f"。\n服务器消息：{self.text}"
        return f" ({self.text})"

    def __str__(self) -> str:
        return self.render("en")


class PasswordNeededError(DatabaseError):
    """libpq found no password for this login (no ``.pgpass`` line, no ``PGPASSWORD``): the
    app asks for one and keeps it in memory only."""


class PasswordRefusedError(DatabaseError):
    """The server refused the password (a wrong one typed, or an old one in ``.pgpass``):
    the app asks again."""


def driver() -> Any:
    """The psycopg module, or one :class:`DatabaseError` line (exit code 11) when it cannot be
    imported: a package built without it, or its libpq missing. Every connection is made by
    :func:`connect`, so this is the one door; the other modules import psycopg only for its
    exception classes, on a connection made here."""
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseError("cannot use a PostgreSQL database: the PostgreSQL driver psycopg "
                            "is not installed or does not load ({reason}); install it with "
                            "python -m pip install \"psycopg[binary]\"",
                            reason=str(exc).strip().splitlines()[0] if str(exc).strip()
                            else type(exc).__name__) from None
    return psycopg


def connect(target: str, *, autocommit: bool = False, password: str | None = None) -> Any:
    """A psycopg connection to ``target``; :class:`DatabaseError` when the server is down,
    the database is missing or the login is refused (:class:`PasswordNeededError` when
    libpq has no password to send), or psycopg is missing (:func:`driver`). ``password`` is
    one the user typed (never stored)."""
    psycopg = driver()

    extra: dict[str, Any] = {"password": password} if password else {}
    try:
        return psycopg.connect(target, autocommit=autocommit, connect_timeout=10,
                               application_name="citymgr", **extra)
    except psycopg.OperationalError as exc:
        if "no password supplied" in str(exc):
            raise PasswordNeededError("{target}: the database asks for a password",
                                      target=display_name(target)) from None
        if "password authentication failed" in str(exc):
            raise PasswordRefusedError("{target}: cannot connect to the database{server}",
                                       target=display_name(target),
                                       server=ServerSaid.of(exc)) from None
        raise DatabaseError("{target}: cannot connect to the database{server}",
                            target=display_name(target), server=ServerSaid.of(exc)) from None
    except psycopg.ProgrammingError as exc:  # a malformed URL or service name
        raise DatabaseError("{target}: not a usable database address{server}",
                            target=display_name(target), server=ServerSaid.of(exc)) from None


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

    def check(self) -> None:
        """Open the connection again now if the server ended it (a round trip; outside a
        transaction only): after the sessions were ended, before reading everything again,
        so the first read does not fail on the dead connection."""
        import psycopg

        if self._saving():
            return
        if not self._conn.closed and self._conn.info.transaction_status == 0:  # idle
            with contextlib.suppress(psycopg.OperationalError):  # closed now: revived
                self._conn.execute("SELECT 1")
        self.revive()

    def _lost(self, exc: BaseException) -> DatabaseError:
        if self._saving():
            return DatabaseError("{target}: the connection was lost; nothing was saved{server}",
                                 target=self._name, server=ServerSaid.of(exc))
        return DatabaseError("{target}: the connection to the database was lost{server}",
                             target=self._name, server=ServerSaid.of(exc))

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
