"""What ``citymgr`` reads before a command runs (issue 18: ``--help`` and every command's
start-up): the parser lists the commands from ``cli/commands/__init__.py: COMMANDS`` and
builds a command's parser only when it is chosen. It prints and does exactly what the parser
of every command, each module registering its own, does: every ``--help`` of every command
and action, in both languages, usage errors and typos, byte for byte. A ``--help`` process
reads no command module but the chosen one's, and nothing of the core."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from citymgr_desktop.cli import build_parser, command_line_parser
from citymgr_desktop.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = sorted({f"citymgr_desktop.cli.commands.{m}" for m, _ in COMMANDS.values()})


def _command_paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _command_paths(sub, (*path, name))


PATHS = list(_command_paths(build_parser()))


def _said(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
    """(exit code or the parsed command, stdout, stderr) of parsing ``argv``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args(argv)
            result: object = (args.command, getattr(args, "func", None))
        except SystemExit as exc:
            result = exc.code
    return result, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def test_every_command_is_listed():
    assert len(PATHS) > len(COMMANDS)  # the actions of layers, workorders, history, db too
    assert {p[0] for p in PATHS if p} == set(COMMANDS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "citymgr")
@pytest.mark.parametrize("lang", [[], ["--lang", "zh_CN"]], ids=["en", "zh_CN"])
def test_every_help_is_the_same_as_with_every_command_registered(path, lang):
    for argv in ([*lang, *path, "--help"], [*lang, *path, "-h"]):
        lazy = _said(command_line_parser(), argv)
        assert lazy == _said(build_parser(), argv), argv
        assert lazy[0] == 0 and lazy[1].startswith("usage: citymgr")


@pytest.mark.parametrize("argv", [
    [], ["edti"], ["field_package"], ["--lang", "fr", "edit"], ["--lang"], ["-v", "-v"],
    ["--bogus", "info"], ["--verb", "info"], ["edit"], ["edit", "x.gpkg", "--bogus"],
    ["workorders"], ["workorders", "move", "f.gpkg", "1"], ["layers", "add"],
    ["history", "add", "f.gpkg"], ["render", "f.gpkg", "--size", "big"],
    ["sync-resolve", "m.gpkg", "--take", "nobody"], ["completion", "fish"],
    ["edit", "f.gpkg", "--layer", "litter_bin", "--where", "fid = 1", "--set", "condition=3"],
    ["--debug", "sync-list", "m.gpkg"], ["-v", "snapshot", "--help"],
], ids=repr)
def test_usage_errors_and_parsed_commands_are_the_same(argv):
    assert _said(command_line_parser(), argv) == _said(build_parser(), argv)


def test_completion_still_walks_every_command():
    from citymgr_desktop.cli import main

    lazy = io.StringIO()
    with contextlib.redirect_stdout(lazy):
        assert main(["completion", "bash"]) == 0
    for name in COMMANDS:
        assert name in lazy.getvalue()
    assert "--basemap-zoom" in lazy.getvalue()  # an option of field-package


def _loaded_by(argv: list[str]) -> list[str]:
    code = ("import sys\n"
            "from citymgr_desktop.cli import main\n"
            "try:\n"
            f"    main({argv!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('citymgr_desktop.')))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=60)
    return eval(run.stdout.strip().splitlines()[-1])  # a printed list of names


@pytest.mark.parametrize("argv", [["--help"], ["edti"], [], ["--version"]], ids=repr)
def test_the_list_of_commands_reads_no_command_module_and_nothing_of_the_core(argv):
    loaded = _loaded_by(argv)
    assert not [m for m in loaded if m.startswith("citymgr_desktop.core")], loaded
    assert not [m for m in loaded if m in COMMAND_MODULES], loaded


@pytest.mark.parametrize("name", ["edit", "render", "sync-list", "import", "info"])
def test_a_commands_help_reads_its_module_alone_and_nothing_of_the_core(name):
    loaded = _loaded_by(["--lang", "zh", "-v", name, "--help"])
    module = f"citymgr_desktop.cli.commands.{COMMANDS[name][0]}"
    assert [m for m in loaded if m in COMMAND_MODULES] == [module]
    assert not [m for m in loaded if m.startswith("citymgr_desktop.core")], loaded


def test_the_help_of_workorders_and_history_reads_the_domains_alone():
    """Their options list the states and record types: the model's domains, no more."""
    for name in ("workorders", "history"):
        loaded = _loaded_by([name, "move" if name == "workorders" else "add", "--help"])
        core = [m for m in loaded if m.startswith("citymgr_desktop.core")]
        assert set(core) <= {"citymgr_desktop.core", "citymgr_desktop.core.model",
                             "citymgr_desktop.core.model.domains"}, core


def test_the_states_workorders_lists_are_the_state_machines():
    from citymgr_desktop.cli.commands.workorders import STATES
    from citymgr_desktop.core.workorders.states import WorkOrderState

    assert STATES.split() == [s.value for s in WorkOrderState]
