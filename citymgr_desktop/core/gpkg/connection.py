"""Connections to GeoPackage files with plain ``sqlite3``: the GeoPackage SQL functions
registered, transactions left to the caller, and the few SQL helpers every query needs.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from citymgr_desktop.core.gpkg.geometry import register_functions

IN_CHUNK = 900  # bound parameters per IN (...) list: under SQLite's old limit of 999


def read_only_uri(path: str | os.PathLike[str]) -> str:
    """The SQLite URI that opens ``path`` read-only (``file:///…?mode=ro``), for
    ``sqlite3.connect(uri, uri=True)`` and ``ATTACH DATABASE ?``.

    The path is made absolute and percent-encoded (UTF-8), so a space, ``?``, ``#``, ``%`` or
    a Chinese name reaches SQLite as the file's own name, never as a query or a fragment;
    Windows drive letters (``C:/…``) and shares (``//server/share/…``) keep their meaning.
    """
    from urllib.parse import quote

    absolute = os.path.abspath(os.fspath(path)).replace("\\", "/")
    if not absolute.startswith("/"):
        absolute = "/" + absolute  # C:/x -> /C:/x, as a URI path has it
    return "file://" + quote(absolute, safe="/:") + "?mode=ro"


def connect(path: str, *, read_only: bool = False, timeout: float = 5.0) -> sqlite3.Connection:
    """Open a connection with the GeoPackage SQL functions registered.

    ``isolation_level=None``: transactions are explicit (the store's ``session()``).
    ``check_same_thread=False``: long work runs in a worker thread while the UI waits; the
    store is used by one thread at a time (the UI blocks edits while a task runs; a task
    naming the store holds its ``in_use`` lock, which the UI thread's file watch only tries).
    """
    if read_only:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
    register_functions(conn)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


def exec_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction.

    ``Connection.executescript`` would COMMIT a pending transaction first; this does not.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        conn.execute(pending)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (table or column name)."""
    return '"' + name.replace('"', '""') + '"'


def select_in(conn: sqlite3.Connection, sql: str, values: Iterable[Any], *,
              params: tuple[Any, ...] = (), chunk: int = IN_CHUNK) -> Iterator[tuple[Any, ...]]:
    """Rows of ``sql`` for ``values`` of any number: ``sql`` holds one ``{marks}``
    placeholder inside ``IN ({marks})``, run once per chunk of ``values``; ``params`` are
    bound before the chunk. Duplicates and None are dropped from ``values``."""
    vals = list(dict.fromkeys(v for v in values if v is not None))
    for i in range(0, len(vals), chunk):
        part = vals[i:i + chunk]
        yield from conn.execute(sql.format(marks=",".join("?" * len(part))), (*params, *part))
