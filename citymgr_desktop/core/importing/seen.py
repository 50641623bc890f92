"""The source ids an import has taken so far, to skip a later feature with the same id.

Up to ``HELD`` ids are a set in memory (~25 MB at most); past that they move to a private
temporary SQLite file (deleted when closed, a few MB of cache), so what the process holds
does not grow with the source: a million ids would be ~120 MB as a Python set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

HELD = 200_000  # ids kept in memory before they go to the temporary file


class SeenIds:
    """Ids taken in earlier batches (:meth:`earlier`), added a batch at a time."""

    def __init__(self, held: int | None = None) -> None:
        self.held = HELD if held is None else held
        self._memory: set[str] = set()
        self._db: sqlite3.Connection | None = None

    def earlier(self, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` taken in an earlier batch."""
        if self._db is None:
            memory = self._memory  # empty for the first batch: nothing to look at
            return {i for i in ids if i in memory} if memory else set()
        db = self._db
        db.execute("BEGIN")
        db.executemany("INSERT INTO probe VALUES (?)", ((i,) for i in ids))
        found = {r[0] for r in db.execute("SELECT DISTINCT p.id FROM probe AS p "
                                          "JOIN seen AS s ON s.id = p.id")}
        db.execute("DELETE FROM probe")
        db.execute("COMMIT")
        return found

    def add(self, ids: set[str]) -> None:
        """The ids one batch took (none of them taken before)."""
        if self._db is None and len(self._memory) + len(ids) <= self.held:
            self._memory.update(ids)
            return
        if self._db is None:  # from here on in the file
            self._db = sqlite3.connect("", isolation_level=None)  # a temporary file
            self._db.execute("PRAGMA journal_mode = OFF")  # nothing to keep after a crash
            self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db.execute("CREATE TABLE probe (id TEXT)")
            ids = ids | self._memory
            self._memory = set()
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO seen VALUES (?)", ((i,) for i in sorted(ids)))
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._memory = set()
        if self._db is not None:
            self._db.close()
            self._db = None
