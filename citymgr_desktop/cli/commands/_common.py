"""Helpers shared by the sub-commands: the language messages are printed in, a terminal
progress bar, JSON output and who acts."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from citymgr_desktop.core.messages import Text, render
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.user import login_name

LANGUAGE_ENV = "CITYMGR_LANG"
_chosen: str | None = None  # set by the command line (a --lang option), over the environment


def set_cli_language(lang: str | None) -> None:
    """Choose the language of the messages (``en``/``zh_CN``); None: back to the
    environment's choice."""
    global _chosen
    _chosen = lang


def cli_language() -> str:
    """The language errors and reports are printed in: the one chosen on the command line
    (:func:`set_cli_language`), else ``CITYMGR_LANG``, else the locale (``LC_ALL``,
    ``LC_MESSAGES``, ``LANG`` starting with ``zh`` -> ``zh_CN``); English by default."""
    if _chosen:
        return _normalise(_chosen)
    given = os.environ.get(LANGUAGE_ENV, "").strip()
    if given:
        return _normalise(given)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip()
        if value:  # the first one set decides, as for gettext
            return _normalise(value)
    return "en"


def _normalise(value: str) -> str:
    return "zh_CN" if value.lower().startswith("zh") else "en"


def terminal_progress(label: str = "") -> Progress:
    """A Progress that draws a bar on stderr when stderr is a terminal (silent otherwise)."""
    if not sys.stderr.isatty():
        return Progress()
    state = {"last": 0.0}

    def draw(done: int, total: int, message: Text) -> None:
        now = time.monotonic()
        if now - state["last"] < 0.1 and done < total:
            return
        state["last"] = now
        frac = done / total if total else 0.0
        bar = "#" * int(frac * 30)
        text = render(message, cli_language())[:30]
        sys.stderr.write(f"\r{label} [{bar:<30}] {frac:6.1%} {text:<30}")
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
