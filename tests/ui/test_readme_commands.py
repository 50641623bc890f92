"""Every command line of the README's "Command line" block runs, in order, on a copy of the
committed sample (sample_data/district.gpkg) and exits 0: the README cannot drift from the
program. ``SYNC_ID`` is replaced by the id of the sync the block ran."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest

from citymgr_desktop.cli import main

ROOT = Path(__file__).resolve().parents[2]


def readme_commands(section: str = "## Command line") -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(section, 1)[1].split("```", 2)[1]
    lines = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()  # comments start after two spaces
        if line.startswith("citymgr "):
            lines.append(line)
    return lines


def test_the_readme_lists_every_command():
    from citymgr_desktop.cli import build_parser

    parser = build_parser()
    names = next(a.choices for a in parser._actions if isinstance(a.choices, dict))
    # commands that need a PostgreSQL server are listed (not run here) in their own block
    database = readme_commands("## A shared database (PostGIS)")
    used = {shlex.split(line)[1] for line in readme_commands() + database}
    assert set(names) <= used, sorted(set(names) - used)
    actions = {" ".join(shlex.split(line)[1:3]) for line in readme_commands()}
    for needed in ("workorders limits", "workorders calendar", "history list",
                   "workorders move", "workorders export"):
        assert needed in actions


def test_every_readme_command_runs_on_the_sample(tmp_path, monkeypatch, capsys):
    shutil.copyfile(ROOT / "sample_data" / "district.gpkg", tmp_path / "district.gpkg")
    monkeypatch.chdir(tmp_path)
    for line in readme_commands():
        redirect = None
        if " > " in line:
            line, redirect = (part.strip() for part in line.split(" > ", 1))
        if "SYNC_ID" in line:
            assert main(["sync-list", "district.gpkg", "--json"]) == 0
            runs = json.loads(capsys.readouterr().out)["runs"]
            line = line.replace("SYNC_ID", runs[0]["sync_id"])
        rc = main(shlex.split(line)[1:])
        out = capsys.readouterr()
        assert rc == 0, f"{line}\n{out.err}"
        assert "Traceback" not in out.err
        if redirect:
            Path(redirect).write_text(out.out, encoding="utf-8")
    for made in ("city.gpkg", "big.gpkg", "map.png", "map.pdf", "atlas.pdf", "orders.pdf",
                 "orders.geojson", "import.json", "jiyuqiao.gpkg", "citymgr.bash"):
        assert (tmp_path / made).stat().st_size > 0, made


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first (render and print-map would make a bare one)."""
    return qapp
