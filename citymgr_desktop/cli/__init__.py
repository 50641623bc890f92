"""The ``citymgr`` command line.

Each sub-command lives in its own module under :mod:`citymgr_desktop.cli.commands` and
exposes ``register(subparsers)``; modules are discovered, so adding a command touches no
shared file. Errors from the core's hierarchy become one-line messages and exit codes; the
message is in the language :func:`~citymgr_desktop.cli.commands._common.cli_language` chooses
(``CITYMGR_LANG``, else the locale; the prefix ``citymgr: error:`` stays as it is for scripts).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from citymgr_desktop import __version__
from citymgr_desktop.cli import commands
from citymgr_desktop.cli.commands._common import cli_language
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.messages import msg

EXIT_CODES_HELP = """exit codes:
  0 success            3 bad or locked file    4 read-only file     5 not our schema
  6 CRS problem        7 geometry problem      8 invalid value      9 conflict
  10 not found         130 cancelled           2 wrong arguments    1 other error
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citymgr",
        description="City-management asset inventory (城市管理资产台账) on GeoPackage files.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"citymgr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    for mod in sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CitymgrError as exc:
        print(f"citymgr: error: {exc.render(cli_language())}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"citymgr: {msg('interrupted; nothing was changed').render(cli_language())}",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
