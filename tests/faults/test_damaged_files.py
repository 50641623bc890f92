"""Every command on every damaged file of the corpus (``corpus.py``): an exit code, at most
one line on stderr (exactly one, ``citymgr: error: …``, when it fails), never a traceback,
and the file byte-identical whenever the command failed or only reads.

Runs ``citymgr`` in this process (the same ``main`` the console script calls); a few cases
at the end go through a real process to show the door is the same.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.faults.corpus import DAMAGES
from tests.faults.support import (
    CONFLICTS,
    assert_one_line_error,
    cli,
    digest,
    leftovers,
    run,
)

# Damage SQLite sees: every command refuses the file (exit 3), validate may list it (8).
MALFORMED = {"truncated", "bit_flipped", "overwritten", "schema_flipped", "not_sqlite"}
# Damage of our model in a readable file: reads may succeed, validate finds it (exit 8).
MODEL = {"duplicate_uuids", "wrong_srs", "three_d", "huge_text", "text_in_numbers"}

READS = {
    "info": ["info", "{f}"],
    "validate": ["validate", "{f}"],
    "render": ["render", "{f}", "--out", "{out}/map.png", "--size", "160x120"],
    "print-map": ["print-map", "{f}", "--out", "{out}/map.pdf", "--paper", "A4",
                  "--no-overview"],
    "workorders list": ["workorders", "list", "{f}"],
    "workorders limits": ["workorders", "limits", "{f}"],
    "workorders export csv": ["workorders", "export", "{f}", "--format", "csv", "--out",
                              "{out}/orders.csv"],
    "workorders export pdf": ["workorders", "export", "{f}", "--format", "pdf", "--no-map",
                              "--case", "{case}", "--out", "{out}/orders.pdf"],
    "history list": ["history", "list", "{f}", "--asset", "{asset}"],
    "stats": ["stats", "{f}", "--workorders"],
    "report": ["report", "{f}", "--month", "2026-10", "--no-map", "--out", "{out}/report.pdf"],
    "sync-list": ["sync-list", "{f}"],
    "sync --dry-run": ["sync", "{f}", "{package}", "--dry-run"],
    "edit --dry-run": ["edit", "{f}", "--layer", "litter_bin", "--where", "condition >= 4",
                       "--set", "condition=3", "--dry-run"],
}
WRITES = {
    "edit": ["edit", "{f}", "--layer", "litter_bin", "--where", "condition >= 1",
             "--set", "remarks=复查"],
    "history add": ["history", "add", "{f}", "--asset", "{asset}", "--type", "inspection",
                    "--date", "2026-11-20", "--condition-after", "2"],
    "workorders create": ["workorders", "create", "{f}", "--layer", "litter_bin", "--where",
                          "condition >= 1", "--priority", "2", "--title", "维修"],
    "workorders move": ["workorders", "move", "{f}", "{case}", "--to", "in_progress",
                        "--user", "张三"],
    "field-package": ["field-package", "{f}", "--out", "{out}/pkg.gpkg"],
    "import": ["import", "{f}", "{good}", "--as", "litter_bin", "--layer", "litter_bin"],
    "sync": ["sync", "{f}", "{package}", "--no-backup"],
    "sync-undo": ["sync-undo", "{f}", "1"],
    "sync-resolve": ["sync-resolve", "{f}", "--all", "--take", "master"],
}
COMMANDS = {**READS, **WRITES}


def _argv(template: list[str], **names: object) -> list[str]:
    return [part.format(**names) for part in template]


@pytest.fixture(scope="module")
def damaged(fault_project, tmp_path_factory) -> dict[str, Path]:
    """One damaged copy per kind (read-only templates; each test copies its own)."""
    folder = tmp_path_factory.mktemp("damaged")
    out = {}
    for name, make in DAMAGES.items():
        path = folder / f"{name}.gpkg"
        shutil.copyfile(fault_project.master, path)
        make(path)
        out[name] = path
    return out


def _expected(damage: str, command: str) -> set[int] | None:
    """Allowed exit codes; None: any, as long as a failure is one line."""
    if damage in MALFORMED:
        return {3, 8} if command == "validate" else {3}
    if damage == "foreign":
        if command in ("info", "render"):
            return {0}
        return {5, 10} if command != "validate" else {5}
    if command == "validate":
        return {8}
    return None


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_command_on_every_damaged_file(damage, command, damaged, fault_project,
                                             tmp_path):
    if command in ("render", "print-map", "workorders export pdf", "report"):
        pytest.importorskip("PySide6.QtGui")
    f = tmp_path / "district.gpkg"
    shutil.copyfile(damaged[damage], f)
    sync_dir = fault_project.folder / "district.gpkg.sync"
    shutil.copytree(sync_dir, tmp_path / "district.gpkg.sync")
    package = tmp_path / "field.gpkg"
    shutil.copyfile(fault_project.package, package)
    out = tmp_path / "out"
    out.mkdir()
    before = digest(f)
    result = cli(_argv(COMMANDS[command], f=f, out=out, package=package,
                       asset=fault_project.asset, case=fault_project.case,
                       good=fault_project.master))
    codes = _expected(damage, command)
    assert "Traceback" not in result.err
    if result.rc != 0 or (codes is not None and 0 not in codes):
        assert_one_line_error(result, codes)
    else:
        assert len(result.err_lines) <= 1 and "error" not in result.err.lower(), result.err
    failed = result.rc not in (0, CONFLICTS)  # 9: sync applied, conflicts left open
    if failed or command in READS:
        assert digest(f) == before, "the file changed"
    if failed:
        assert not list(out.iterdir()), "a failed command left output behind"
    assert not leftovers(tmp_path), leftovers(tmp_path)


@pytest.mark.parametrize("damage", sorted(MALFORMED | {"foreign"}))
def test_a_damaged_file_given_as_import_source_is_named(damage, damaged, project):
    result = cli(["import", project.master, damaged[damage], "--as", "litter_bin", "--layer",
                  "litter_bin", "--dry-run"])
    message = assert_one_line_error(result, {3, 5, 6, 10})
    assert str(damaged[damage]) in message


@pytest.mark.e2e
@pytest.mark.parametrize("damage", ["bit_flipped", "foreign", "truncated"])
def test_the_same_through_a_real_process(damage, damaged, tmp_path):
    f = tmp_path / "district.gpkg"
    shutil.copyfile(damaged[damage], f)
    before = digest(f)
    for argv in (["workorders", "list", f], ["history", "list", f, "--asset", "x"],
                 ["edit", f, "--layer", "litter_bin", "--where", "true", "--set", "condition=2"]):
        assert_one_line_error(run(argv), {3, 5})
    assert digest(f) == before


@pytest.mark.parametrize("damage", sorted(MALFORMED))
def test_a_damaged_package_is_named_and_nothing_is_merged(damage, project):
    DAMAGES[damage](project.package)
    before = digest(project.master)
    for argv in (["sync", project.master, project.package],
                 ["sync", project.master, project.package, "--dry-run"]):
        message = assert_one_line_error(cli(argv), {3})
        assert str(project.package) in message, message
    assert digest(project.master) == before
