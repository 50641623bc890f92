"""The source ids an import has taken so far, to skip a later feature with the same id.

One batch's ids are a set; a streamed import keeps those of the batches before in a private
temporary SQLite file (deleted when closed, a few MB of cache at most), so what the process
holds does not grow with the source: a million ids would be ~100 MB as a Python set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


class SeenIds:
    """Ids taken in earlier batches (:meth:`earlier`), added a batch at a time."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def earlier(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` taken in an earlier batch."""
        if self._db is None:
            return set()
        db = self._db
        db.executemany("INSERT INTO probe VALUES (?)", ((i,) for i in ids))
        found = {r[0] for r in db.execute("SELECT DISTINCT p.id FROM probe AS p "
                                          "JOIN seen AS s ON s.id = p.id")}
        db.execute("DELETE FROM probe")
        return found

    def add(self, ids: set[str]) -> None:
        """The ids one batch took (none of them taken before)."""
        if self._db is None:
            self._db = sqlite3.connect("", isolation_level=None)  # a temporary file
            self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("CREATE TABLE probe (id TEXT)")
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in sorted(ids)))
        self._db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
