"""The ``citymgr`` command line.

Each sub-command lives in its own module under :mod:`citymgr_desktop.cli.commands` and
exposes ``register(subparsers)``; modules are discovered, so adding a command touches no
shared file. Building the parser imports nothing heavy (``citymgr --help`` and shell
completion stay instant): a command imports pandas, GeoPandas, pyogrio, pyproj or Qt inside
its run function; a command line that plainly names its command (``citymgr edit FILE ...``)
builds that command's parser alone (:func:`command_module`). Errors from the core's hierarchy become one-line messages in the chosen
language (``--lang``, else ``CITYMGR_LANG``, else the locale; the prefix ``citymgr: error:``
stays English for scripts) and exit codes; as a last resort a file or system fault that escaped
them (SQLite, a full disk, GDAL) does too. The conventions every command follows are in
docs/cli.md.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from citymgr_desktop import __version__
from citymgr_desktop.cli import commands
from citymgr_desktop.cli.commands._common import (
    cli_language,
    ends_at_once,
    language,
    set_cli_language,
)
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import msg

EXIT_CODES_HELP = """exit codes:
  0 success            3 bad or locked file    4 read-only file     5 not our schema
  6 CRS problem        7 geometry problem      8 invalid value      9 conflict
  10 not found         11 database unreachable 130 cancelled        2 wrong arguments
  1 other error

conventions (docs/cli.md): --lang en|zh_CN, --user NAME for who acted, --json for the
result as JSON, --overwrite to replace an output file, lists repeated or comma-separated.
"""


# commands whose module is not named after them (the others: ``field-package`` ->
# ``field_package``)
MODULE_OF = {"import": "import_", "snapshot": "publish", "sync-list": "sync",
             "sync-resolve": "sync", "sync-undo": "sync"}


def command_module(argv: Sequence[str]) -> str | None:
    """The module of the command ``argv`` names after the global options, when it names
    one plainly; None for ``--help``, ``--version``, a typo or ``completion`` (which walks
    every command): those build the whole parser."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--lang":
            i += 2
        elif argv[i] in ("-v", "--verbose", "--debug") or argv[i].startswith("--lang="):
            i += 1
        else:
            return None
    if i >= len(argv):
        return None
    name = MODULE_OF.get(argv[i], argv[i].replace("-", "_"))
    if name.startswith("_") or name == "completion" or not any(
            info.name == name for info in pkgutil.iter_modules(commands.__path__)):
        return None
    return name


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command module ``only`` alone."""
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        if not info.name.startswith("_") and only in (None, info.name):
            mods.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    for mod in sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        mod.register(sub)
    parser.set_defaults(root_parser=parser)  # ``citymgr completion`` walks it
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


def _run(argv: list[str]) -> int:
    parser = build_parser(command_module(argv))
    args = parser.parse_args(argv)
    set_cli_language(getattr(args, "lang", None) or args.global_lang)
    _setup_logging(args.verbose, args.debug)
    try:
        return int(args.func(args) or 0)
    except CitymgrError as exc:
        if args.debug:
            _log_traceback()
        print(f"citymgr: error: {exc.render(cli_language())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
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
        print(f"citymgr: error: {error.render(cli_language())}", file=sys.stderr)
        return error.exit_code
    finally:
        set_cli_language(None)
