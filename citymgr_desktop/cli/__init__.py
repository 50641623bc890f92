"""The ``citymgr`` command line.

Each sub-command lives in its own module under :mod:`citymgr_desktop.cli.commands` and
exposes ``register(subparsers)``; the package lists the commands (``COMMANDS``: name, module,
summary), so ``citymgr --help``, a typo's usage line and ``citymgr X ...`` import no command
module but X's (:class:`CommandChoice`), and nothing of the core before a command runs: a
command imports pandas, GeoPandas, pyogrio, pyproj or Qt inside its run function. Errors from
the core's hierarchy become one-line messages in the chosen language (``--lang``, else
``CITYMGR_LANG``, else the locale; the prefix ``citymgr: error:`` stays English for
scripts) and exit codes; as a last resort a file or system fault that escaped them (SQLite,
a full disk, GDAL) does too. The conventions every command follows are in docs/cli.md.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from citymgr_desktop import __version__
from citymgr_desktop.cli import commands
from citymgr_desktop.cli.commands import COMMANDS, READS_EVERY_COMMAND
from citymgr_desktop.cli.commands._common import (
    cli_language,
    ends_at_once,
    language,
    set_cli_language,
    usage_catalogue,
)

EXIT_CODES_HELP = """exit codes:
  0 success            3 bad or locked file    4 read-only file     5 not our schema
  6 CRS problem        7 geometry problem      8 invalid value      9 conflict
  10 not found         11 database unreachable 130 cancelled        2 wrong arguments
  1 other error

conventions (docs/cli.md): --lang en|zh_CN, --user NAME for who acted, --json for the
result as JSON, --overwrite to replace an output file, lists repeated or comma-separated.
"""


class CommandChoice(argparse._SubParsersAction):
    """The COMMAND argument of the lazy parser: every command is listed with its summary from
    :data:`~citymgr_desktop.cli.commands.COMMANDS`, and its module is imported and its parser
    built only when a command line chooses it (``completion`` builds them all)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built: set[str] = set()  # the modules whose commands have their parsers
        for name, (_module, summary) in COMMANDS.items():
            self._choices_actions.append(self._ChoicesPseudoAction(name, (), summary))
            self._name_parser_map[name] = None  # built when chosen

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        name = values[0]
        if name in self._name_parser_map and self._name_parser_map[name] is None:
            chosen = COMMANDS if name in READS_EVERY_COMMAND else {name: COMMANDS[name]}
            for module, _summary in chosen.values():
                self._build(module)
        super().__call__(parser, namespace, values, option_string)

    def _build(self, module: str) -> None:
        """The parsers of the commands ``module`` registers (once)."""
        if module not in self._built:
            self._built.add(module)
            importlib.import_module(f"{commands.__name__}.{module}").register(_Registrar(self))


class _Registrar:
    """What a command module's ``register`` is given by :class:`CommandChoice`: its
    ``add_parser`` builds the parser as argparse's does, the summary being in the list."""

    def __init__(self, choice: CommandChoice) -> None:
        self.choice = choice

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if kwargs.get("prog") is None:
            kwargs["prog"] = f"{self.choice._prog_prefix} {name}"
        kwargs.pop("help", None)
        aliases = kwargs.pop("aliases", ())
        parser: argparse.ArgumentParser = self.choice._parser_class(**kwargs)
        for spelling in (name, *aliases):
            self.choice._name_parser_map[spelling] = parser
        return parser


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citymgr",
        description="City-management asset inventory (城市管理资产台账) on GeoPackage files "
        "or a shared PostGIS database.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citymgr {__version__}")
    parser.add_argument("--lang", dest="global_lang", type=language, metavar="en|zh_CN",
                        help="language of messages and documents for any command (the "
                        "command's own --lang wins)")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="log what happens (INFO) on stderr")
    verbosity.add_argument("--debug", action="store_true",
                           help="log everything (DEBUG) on stderr and show tracebacks")
    parser.set_defaults(root_parser=parser)  # ``citymgr completion`` walks it
    return parser


def command_line_parser() -> argparse.ArgumentParser:
    """The parser ``main`` uses: the commands listed, each one's module imported and its
    parser built when chosen (:class:`CommandChoice`), so ``citymgr --help``, a typo and
    ``citymgr X ...`` read no command module but X's."""
    parser = _top_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=CommandChoice)
    sub.required = True
    return parser


def build_parser() -> argparse.ArgumentParser:
    """Every command's parser, each module registering its own with its ``help=`` and
    ``ORDER`` (what :func:`command_line_parser` must print and do the same as: the tests
    compare them; ``tests/ui/test_readme_commands.py`` walks it)."""
    import pkgutil

    parser = _top_parser()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    for mod in sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        mod.register(sub)
    return parser


def _setup_logging(verbose: bool, debug: bool) -> None:
    import logging  # after the arguments: ``--help`` and usage errors do without it

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="citymgr: %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(verbose or debug)  # library warnings as log lines when asked


def _log_traceback() -> None:
    import logging

    logging.getLogger("citymgr").debug("traceback", exc_info=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's own) and return its exit code.

    Run as the process's own command line (``citymgr ...``, ``python -m citymgr_desktop``)
    by a command that said it has finished everything (``end_at_once``), the process ends
    here, its output flushed, without Python's teardown of the loaded modules."""
    own = argv is None
    code = _run(sys.argv[1:] if own else list(argv))
    if ends_at_once() and own:
        _end_process(code)
    return code


def _end_process(code: int) -> None:
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


def _citymgr_error() -> type[Exception]:
    """The core's error class, imported when a command has failed (Python evaluates an
    ``except`` clause's class only then): ``--help`` and usage errors do without it."""
    from citymgr_desktop.core.errors import CitymgrError

    return CitymgrError


def _language_asked(argv: list[str]) -> str | None:
    """The ``--lang`` of a command line not parsed yet (for its usage errors)."""
    for i, word in enumerate(argv):
        value = word.partition("=")[2] if word.startswith("--lang=") else \
            argv[i + 1] if word == "--lang" and i + 1 < len(argv) else None
        if value:
            try:
                return language(value)
            except argparse.ArgumentTypeError:
                return None
    return None


def _usage_errors_in(lang: str) -> Any:
    """argparse's own error messages in ``lang`` (``zh_CN/argparse.json``, keyed by the
    English text argparse passes to gettext); "usage:", help and the ``error:`` prefix stay
    as argparse writes them, like the ``citymgr: error:`` of every other error."""
    english = argparse._  # type: ignore[attr-defined]
    table = usage_catalogue(lang)
    return (lambda text: table.get(text) or english(text)) if table else english


def _parse(argv: list[str]) -> argparse.Namespace:
    """The command line parsed, argparse's usage errors in the language asked for."""
    parser = command_line_parser()
    english = argparse._  # type: ignore[attr-defined]
    set_cli_language(_language_asked(argv))
    argparse._ = _usage_errors_in(cli_language())  # type: ignore[attr-defined]
    try:
        return parser.parse_args(argv)
    finally:
        argparse._ = english  # type: ignore[attr-defined]
        set_cli_language(None)


def _one_line(text: str) -> str:
    """An error on one line of stderr (a detail the app shows on a line of its own, such as
    the server's message of a PostGIS error in Chinese, follows on the same line)."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _run(argv: list[str]) -> int:
    args = _parse(argv)
    set_cli_language(getattr(args, "lang", None) or args.global_lang)
    _setup_logging(args.verbose, args.debug)
    try:
        return int(args.func(args) or 0)
    except _citymgr_error() as exc:
        if args.debug:
            _log_traceback()
        print(f"citymgr: error: {_one_line(exc.render(cli_language()))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from citymgr_desktop.core.messages import msg

        print(f"citymgr: {msg('interrupted; nothing was changed').render(cli_language())}",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last resort: a file or system fault as one line
        from citymgr_desktop.core.store.files import as_user_error

        error = as_user_error(exc, getattr(args, "file", None))
        if error is None:
            raise
        if args.debug:
            _log_traceback()
        print(f"citymgr: error: {_one_line(error.render(cli_language()))}", file=sys.stderr)
        return error.exit_code
    finally:
        set_cli_language(None)
