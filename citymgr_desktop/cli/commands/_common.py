"""Helpers shared by the sub-commands: a terminal progress bar, JSON output and who acts."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.user import login_name


def terminal_progress(label: str = "") -> Progress:
    """A Progress that draws a bar on stderr when stderr is a terminal (silent otherwise)."""
    if not sys.stderr.isatty():
        return Progress()
    state = {"last": 0.0}

    def draw(done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - state["last"] < 0.1 and done < total:
            return
        state["last"] = now
        frac = done / total if total else 0.0
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r{label} [{bar:<30}] {frac:6.1%} {message[:30]:<30}")
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return Progress(draw)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def acting_user(given: str | None, default: str = "") -> str:
    """The name recorded as who acted: the one given on the command line, else the login
    name, else ``default``."""
    return given if given is not None else login_name(default)
