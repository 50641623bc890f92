"""Tables the command line prints for people: headers and words in the CLI language, columns
aligned by display width (a Chinese character takes two terminal cells)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any


def width(text: str) -> int:
    """Terminal cells ``text`` takes: wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, cells: int, right: bool = False) -> str:
    space = " " * max(0, cells - width(text))
    return space + text if right else text + space


def format_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], lang: str,
                 right: Sequence[int] = ()) -> list[str]:
    """Lines of a table: ``headers`` and cells are text or Messages/Terms (rendered in
    ``lang``); columns ``right`` are right-aligned; the last column is not padded."""
    from citymgr_desktop.core.messages import render

    head = [render(h, lang) for h in headers]
    body = [[render(c, lang) for c in row] for row in rows]
    widths = [max([width(head[i])] + [width(r[i]) for r in body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        parts = [cells[i] if i == len(cells) - 1 and i not in right
                 else pad(cells[i], widths[i], i in right) for i in range(len(cells))]
        return "  ".join(parts).rstrip()

    return [line(head)] + [line(r) for r in body]


def print_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]], lang: str,
                right: Sequence[int] = ()) -> None:
    for text in format_table(headers, rows, lang, right):
        print(text)
