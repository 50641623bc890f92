"""The dashboard's figures computed off the UI thread: a ``QThread`` that opens its own
read-only stores on the file or database (``store.reader()``: the UI keeps using the open
one) and asks the core for everything the dashboard shows. A newer request supersedes an older one, whose result is
dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.stats import Period, dashboard_figures
from citymgr_desktop.ui.i18n import render

# Threads stay referenced until they finished: a QThread destroyed while running aborts.
_LIVE: set[FiguresThread] = set()


class FiguresThread(QThread):
    done = Signal(object, object)  # this thread, DashboardFigures
    failed = Signal(object, str)  # this thread, message

    def __init__(self, open_reader: Callable[[], Any], period: Period,
                 now: dt.datetime | None = None) -> None:
        super().__init__(None)
        self.open_reader, self.period, self.now = open_reader, period, now
        _LIVE.add(self)
        self.finished.connect(self._forget)

    def _forget(self) -> None:
        _LIVE.discard(self)
        self.deleteLater()

    def run(self) -> None:
        try:
            with self.open_reader() as reader, self.open_reader() as second:
                figs = dashboard_figures(reader, self.period, now=self.now, second=second)
        except CitymgrError as exc:
            self.failed.emit(self, render(exc))
        except Exception as exc:  # reported, never lost in a thread
            self.failed.emit(self, f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(self, figs)


def wait_all(ms: int = 10_000) -> None:
    """Wait for every running figures thread (before the app or a test ends)."""
    for thread in list(_LIVE):
        thread.wait(ms)
