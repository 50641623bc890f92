"""Helpers shared by the sub-commands: the options every command spells the same way
(docs/cli.md), the language of messages, a terminal progress bar, JSON output and who acts.

Imports nothing of the core and nothing heavy when it is read: ``citymgr X --help`` and a
usage error need only the options, so the core's errors, messages and progress, ``json``
and ``locale`` are imported by the helpers that use them; each command imports pandas,
GeoPandas, pyogrio, pyproj or Qt inside its run function.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from citymgr_desktop.core.messages import Text
    from citymgr_desktop.core.progress import Progress

LANGUAGES = ("en", "zh_CN")
_ALIASES = {"en": "en", "en_us": "en", "en_gb": "en", "english": "en",
            "zh": "zh_CN", "zh_cn": "zh_CN", "zh_hans": "zh_CN", "zh_hans_cn": "zh_CN",
            "cn": "zh_CN", "chinese": "zh_CN", "中文": "zh_CN"}
DEPRECATED_IN = "0.2"  # old spellings of options are accepted until this release

_chosen_language: str | None = None
_ends_at_once = False


# -- the process -----------------------------------------------------------------------------
@contextlib.contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Run a command with Python's cycle collector off, and on again after it if it was on.
    For commands that build many objects and leave few cycles (``render``, ``import``): the
    collector ran over them again and again for almost nothing (measured in their modules);
    a failing command's traceback cycles go with the process, or with the next collection
    of a program that called it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def end_at_once() -> None:
    """Say that the command has finished everything it does (files written and closed, no
    thread of its own still working): when ``citymgr`` runs as a process of its own, the
    process then ends without Python's teardown of its modules (``cli.main``; ~50-75 ms
    of CPU after a render with NumPy, Shapely and PySide6 loaded). Called inside a running
    program (``main([...])`` from a test), it changes nothing."""
    global _ends_at_once
    _ends_at_once = True


def ends_at_once() -> bool:
    """Whether the command said :func:`end_at_once` (and forget it)."""
    global _ends_at_once
    said, _ends_at_once = _ends_at_once, False
    return said


# -- language ----------------------------------------------------------------------------
def language(text: str) -> str:
    """``--lang`` values: ``en`` or ``zh_CN``; ``zh``, ``zh-CN``, ``zh_Hans`` … are aliases."""
    key = text.strip().replace("-", "_").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise argparse.ArgumentTypeError(f"unknown language {text!r} (choose en or zh_CN; zh and "
                                     "zh-CN mean zh_CN)")


def set_cli_language(lang: str | None) -> None:
    """The language chosen on the command line (``--lang``): the one place it is kept."""
    global _chosen_language
    _chosen_language = lang


def usage_catalogue(lang: str) -> dict[str, str]:
    """The Chinese of usage errors, argparse's own and our argument checks'
    (``resources/i18n/<lang>/argparse.json``, keyed by the English text); {} for English or
    a catalogue that cannot be read."""
    import json
    from pathlib import Path

    if lang == "en":
        return {}
    folder = Path(__file__).resolve().parents[2] / "resources" / "i18n" / lang
    try:
        table = json.loads((folder / "argparse.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return table if isinstance(table, dict) else {}


def usage_error(template: str, **values: Any) -> argparse.ArgumentTypeError:
    """An argument check's refusal in the language of the command line (``template`` is
    the English text with ``{name}`` fields, the key of its translation)."""
    text = usage_catalogue(cli_language()).get(template, template)
    return argparse.ArgumentTypeError(text.format(**values))


def _environment_language() -> str | None:
    env = os.environ.get("CITYMGR_LANG")
    if env:
        try:
            return language(env)
        except argparse.ArgumentTypeError:
            return None
    return None


def cli_language() -> str:
    """The language of messages: ``--lang``, else ``CITYMGR_LANG``, else the system locale
    (Chinese when it is a Chinese locale), else English."""
    if _chosen_language:
        return _chosen_language
    env = _environment_language()
    if env:
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    import locale

    loc = locale.getlocale()[0] or ""
    return "zh_CN" if loc.lower().startswith("zh") else "en"


def document_language() -> str:
    """The language of documents a command writes (maps, work-order exports): ``--lang``,
    else ``CITYMGR_LANG``, else Chinese (the bureau's paperwork)."""
    return _chosen_language or _environment_language() or "zh_CN"


def add_lang(p: argparse.ArgumentParser, what: str = "messages", *,
             document: str | None = None) -> None:
    """``--lang``: the language of ``what`` (messages, and what is printed with them: the
    default is :func:`cli_language`'s) and, for a command that writes a document, of
    ``document`` (the default is :func:`document_language`'s: Chinese)."""
    messages = f"{what} (default: CITYMGR_LANG, else the system locale)"
    if document is not None:
        messages += f" and of {document} (default: CITYMGR_LANG, else Chinese)"
    p.add_argument("--lang", type=language, metavar="en|zh_CN", default=None,
                   help=f"language of {messages}; zh and zh-CN are aliases of zh_CN")


# -- who acted -----------------------------------------------------------------------------
_DEPRECATED = "{option} is deprecated (removed in {release}); use {new}"


class _DeprecatedAlias(argparse.Action):
    """An old spelling of an option: stores into the new option and says so on stderr."""

    def __init__(self, option_strings: Sequence[str], dest: str, new: str = "",
                 **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        text = usage_catalogue(cli_language()).get(_DEPRECATED, _DEPRECATED)
        print("citymgr: warning: " + text.format(option=option_string, release=DEPRECATED_IN,
                                                 new=self.new), file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_user(p: argparse.ArgumentParser, help_text: str = "who acts (default: your login)",
             old: Sequence[str] = ()) -> None:
    """``--user NAME``: who acted, recorded in the file; ``old`` spellings stay aliases."""
    note = (f" ({', '.join(old)}: deprecated spelling, removed in {DEPRECATED_IN})"
            if old else "")
    p.add_argument("--user", default=None, metavar="NAME", help=help_text + note)
    for spelling in old:
        p.add_argument(spelling, dest="user", action=_DeprecatedAlias, new="--user",
                       metavar="NAME", help=argparse.SUPPRESS)


def acting_user(given: str | None, default: str = "") -> str:
    """The name recorded as who acted: the one given on the command line, else the login
    name, else ``default``."""
    from citymgr_desktop.core.user import login_name

    return given if given is not None else login_name(default)


# -- lists, output, overwriting -----------------------------------------------------------
class ListAction(argparse.Action):
    """A list option: repeat it (``--case A --case B``), give a comma list (``--case A,B``),
    or several values after it (``--case A B``, where the option allows it)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        items = list(getattr(namespace, self.dest, None) or [])
        for value in values if isinstance(values, list) else [values]:
            items.extend(v.strip() for v in str(value).split(",") if v.strip())
        setattr(namespace, self.dest, items)


def add_list(p: argparse.ArgumentParser, *flags: str, metavar: str, help: str,
             dest: str | None = None, several: bool = False) -> None:
    p.add_argument(*flags, dest=dest, action=ListAction, metavar=metavar, default=None,
                   nargs="+" if several else None,
                   help=help + " (repeatable, or comma-separated)")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def add_overwrite(p: argparse.ArgumentParser) -> None:
    p.add_argument("--overwrite", action="store_true",
                   help="replace the output file if it exists (refused otherwise)")


def refuse_overwrite(path: str | os.PathLike[str] | None, overwrite: bool) -> None:
    """An existing output file is replaced only with ``--overwrite``; what no output can be
    (``-``, a device, a FIFO, a folder: ``core/atomic.output_target``) is refused whatever
    the options. Checked before the command's work."""
    if not path:
        return
    from citymgr_desktop.core.atomic import output_target

    output_target(path)
    if os.path.exists(path) and not overwrite:
        from citymgr_desktop.core.errors import BadFileError

        raise BadFileError("{path} already exists; give --overwrite to replace it", path=path)


def print_json(data: Any) -> None:
    import json

    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def priority(text: str) -> int:
    """``--priority``: 1-4 or a name (urgent/high/normal/low, 特急/紧急/一般/较缓)."""
    names = {"urgent": 1, "特急": 1, "p1": 1, "high": 2, "紧急": 2, "p2": 2, "normal": 3,
             "一般": 3, "p3": 3, "low": 4, "较缓": 4, "p4": 4}
    key = text.strip().lower()
    if key in names:
        return names[key]
    if key in ("1", "2", "3", "4"):
        return int(key)
    raise usage_error("unknown priority {text!r} (1 urgent/特急, 2 high/紧急, 3 normal/一般, "
                      "4 low/较缓)", text=text)


# -- progress -----------------------------------------------------------------------------
def terminal_progress(label: str = "") -> Progress:
    """A Progress that draws a bar on stderr when stderr is a terminal (silent otherwise)."""
    import time

    from citymgr_desktop.core.messages import render
    from citymgr_desktop.core.progress import Progress

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
