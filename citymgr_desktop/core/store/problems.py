"""A problem found by a check of a project (file or database): its level, where, and a
message that names the rows (fids) it found."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from citymgr_desktop.core.messages import Message, Text, msg, render

SHOWN_ROWS = 10  # fids listed in a problem's message


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    where: str
    message: Text  # a Message: shown in the reader's language

    def render(self, lang: str = "en") -> str:
        return f"{self.level}: {self.where}: {render(self.message, lang)}"

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def unreadable(where: str, exc: Exception) -> Problem:
    return Problem("error", where, msg("cannot be read: {reason} (the file is damaged; restore "
                                       "it from a backup)", reason=str(exc)))


def fids_text(fids: list[Any]) -> Message:
    """The rows a problem names: the first few fids, and how many more."""
    shown = ", ".join(str(f) for f in fids[:SHOWN_ROWS])
    if len(fids) > SHOWN_ROWS:
        return msg("fid {fids} and {more} more", fids=shown, more=len(fids) - SHOWN_ROWS)
    return msg("fid {fids}", fids=shown)


def rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return [r[0] for r in conn.execute(sql, params)]
