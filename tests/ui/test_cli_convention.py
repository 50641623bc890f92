"""One convention for every command (docs/cli.md): ``--lang en|zh_CN`` with aliases, who
acted is ``--user`` (old spellings deprecated aliases), lists repeated or comma-separated,
``--overwrite`` to replace an output, ``--json`` wherever a result is printed, the same exit
code for the same mistake, names or numbers for priorities; and a ``--help`` that imports
nothing heavy, with shell completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from citymgr_desktop.cli import main

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "geopandas", "pyogrio", "pyproj", "numpy", "shapely", "PySide6", "fiona",
         "pyarrow", "openpyxl", "holidays")


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_help_and_every_commands_help_import_nothing_heavy():
    code = (
        "import sys\n"
        "from citymgr_desktop.cli import main, build_parser\n"
        "parser = build_parser()\n"
        "names = []\n"
        "for a in parser._actions:\n"
        "    if hasattr(a, 'choices') and isinstance(a.choices, dict): names = list(a.choices)\n"
        "for argv in [['--help']] + [[n, '--help'] for n in names]:\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120, check=True)
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout[-2000:]


@pytest.mark.parametrize("alias", ["zh", "zh-CN", "zh_CN", "ZH_cn"])
def test_lang_aliases_everywhere(small_district, tmp_path, capsys, alias):
    out = tmp_path / "orders.csv"
    assert main(["workorders", "export", str(small_district), "--format", "csv", "--out",
                 str(out), "--lang", alias, "--json"]) == 0
    assert _json(capsys)["orders"] > 0
    assert out.read_text(encoding="utf-8-sig").startswith("案件编号")
    assert main(["render", str(small_district), "--out", str(tmp_path / f"{alias}.png"),
                 "--size", "64x48", "--legend", "--lang", alias]) == 0
    assert "垃圾箱" in capsys.readouterr().out


def test_unknown_language_is_a_usage_error_everywhere(small_district, tmp_path, capsys):
    for argv in (["render", str(small_district), "--out", str(tmp_path / "m.png")],
                 ["print-map", str(small_district), "--out", str(tmp_path / "m.pdf")],
                 ["workorders", "export", str(small_district), "--format", "csv", "--out",
                  str(tmp_path / "o.csv")]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--lang", "fr"])
        assert exc.value.code == 2
        assert "unknown language 'fr'" in capsys.readouterr().err


def test_global_lang_renders_errors_in_chinese(small_district, tmp_path, capsys):
    out = tmp_path / "m.png"
    out.write_bytes(b"x")
    assert main(["--lang", "zh", "render", str(small_district), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    assert "已存在" in err and "--overwrite" in err
    assert main(["render", str(small_district), "--out", str(out)]) == 3
    assert "already exists" in capsys.readouterr().err


def test_overwriting_needs_overwrite_everywhere(small_district, tmp_path, capsys):
    f = str(small_district)
    outputs = {
        "render": (tmp_path / "m.png", ["render", f, "--size", "64x48"]),
        "print-map": (tmp_path / "m.pdf", ["print-map", f, "--paper", "A4", "--scale", "50000"]),
        "export": (tmp_path / "o.csv", ["workorders", "export", f, "--format", "csv"]),
        "sample": (tmp_path / "s.gpkg", ["sample", "--features", "100"]),
        "new": (tmp_path / "n.gpkg", ["new"]),
    }
    for name, (out, argv) in outputs.items():
        out.write_bytes(b"old")
        full = [*argv, str(out)] if name == "new" else [*argv, "--out", str(out)]
        assert main(full) == 3, name
        assert "--overwrite" in capsys.readouterr().err
        assert out.read_bytes() == b"old", name
        assert main([*full, "--overwrite"]) == 0, name
        assert out.read_bytes() != b"old", name
        capsys.readouterr()


def test_user_everywhere_old_spellings_still_work(small_district, tmp_path, capsys):
    f = str(small_district)
    assert main(["workorders", "create", f, "--layer", "litter_bin", "--where",
                 "condition = 5", "--priority", "normal", "--title", "t", "--user", "王五",
                 "--json"]) == 0
    created = _json(capsys)
    assert created["priority"] == 3 and created["case_no"]
    case = created["case_no"]
    assert main(["workorders", "move", f, case, "--to", "filed", "--by", "赵六"]) == 0
    captured = capsys.readouterr()
    assert "--by is deprecated" in captured.err and "--user" in captured.err
    assert main(["workorders", "move", f, case, "--to", "dispatched", "--user", "钱七",
                 "--json"]) == 0
    assert _json(capsys)["state"] == "dispatched"
    import sqlite3

    conn = sqlite3.connect(small_district)
    whos = [r[0] for r in conn.execute(
        "SELECT e.by FROM work_order_event e JOIN work_order o USING (work_order_uuid) "
        "WHERE o.case_no = ? ORDER BY e.at, e.rowid", (case,))]
    conn.close()
    assert whos == ["王五", "赵六", "钱七"]
    for argv in (["workorders", "create", "--help"], ["history", "add", "--help"],
                 ["print-map", "--help"], ["field-package", "--help"], ["edit", "--help"],
                 ["import", "--help"], ["sync", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "--user NAME" in capsys.readouterr().out, argv


def test_priority_names_and_numbers(small_district, capsys):
    f = str(small_district)
    for given, number in (("1", 1), ("urgent", 1), ("紧急", 2), ("low", 4), ("P3", 3)):
        assert main(["workorders", "create", f, "--layer", "litter_bin", "--where",
                     "condition = 5", "--priority", given, "--title", "t", "--json"]) == 0
        assert _json(capsys)["priority"] == number
    with pytest.raises(SystemExit) as exc:
        main(["workorders", "create", f, "--layer", "litter_bin", "--where", "true",
              "--priority", "soon", "--title", "t"])
    assert exc.value.code == 2
    assert main(["workorders", "limits", f, "--set", "litter_bin", "high", "3",
                 "working_hours", "--json"]) == 0
    limits = _json(capsys)
    assert {"asset_class": "litter_bin", "priority": 2, "value": 3.0,
            "unit": "working_hours"} in limits


def test_lists_repeated_or_comma_separated(small_district, tmp_path, capsys):
    f = str(small_district)
    assert main(["workorders", "list", f, "--json"]) == 0
    cases = [r["case_no"] for r in _json(capsys)][:3]
    for i, spelling in enumerate((["--case", ",".join(cases)],
                                  ["--case", cases[0], "--case", ",".join(cases[1:])],
                                  ["--case", *cases])):
        out = tmp_path / f"o{i}.csv"
        assert main(["workorders", "export", f, "--format", "csv", "--csv-rows", "orders",
                     "--out", str(out), *spelling, "--json"]) == 0
        assert _json(capsys)["orders"] == 3
    assert main(["workorders", "list", f, "--state", "closed,filed", "--state", "reported",
                 "--json"]) == 0
    assert {r["state"] for r in _json(capsys)} == {"closed", "filed", "reported"}


def test_unknown_layer_exits_10_everywhere(small_district, tmp_path, capsys):
    f = str(small_district)
    for argv in (["edit", f, "--layer", "bins", "--where", "true", "--set", "condition=1"],
                 ["render", f, "--out", str(tmp_path / "m.png"), "--layers", "bins"],
                 ["workorders", "create", f, "--layer", "bins", "--where", "true",
                  "--priority", "3", "--title", "t"],
                 ["import", f, str(small_district), "--as", "bins", "--dry-run"],
                 ["field-package", f, "--out", str(tmp_path / "p.gpkg"), "--layers", "bins"]):
        assert main(argv) == 10, argv
        assert "bins" in capsys.readouterr().err


def test_json_on_every_command_that_prints_a_result(small_district, tmp_path, capsys):
    f = str(small_district)
    assert main(["new", str(tmp_path / "n.gpkg"), "--json"]) == 0
    assert _json(capsys)["district_code"] == "420106"
    assert main(["sample", "--out", str(tmp_path / "s.gpkg"), "--features", "100",
                 "--json"]) == 0
    assert _json(capsys)["features"] == 100
    assert main(["render", f, "--out", str(tmp_path / "m.png"), "--size", "64x48",
                 "--json"]) == 0
    assert _json(capsys)["size"] == [64, 48]
    assert main(["print-map", f, "--out", str(tmp_path / "m.pdf"), "--paper", "A4",
                 "--scale", "50000", "--json"]) == 0
    assert _json(capsys)["scale"] == 50000
    assert main(["workorders", "export", f, "--format", "csv", "--out",
                 str(tmp_path / "o.csv")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("wrote ") and not text.startswith("{")
    conn_uuid = _an_asset(small_district)
    assert main(["history", "add", f, "--asset", conn_uuid, "--type", "inspection", "--date",
                 "2026-11-20", "--condition-after", "2", "--json"]) == 0
    assert _json(capsys)["asset_uuid"] == conn_uuid
    assert main(["sync-resolve", f, "--all", "--take", "master", "--json"]) == 0
    assert _json(capsys)["resolved"] == 0


def _an_asset(path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT asset_uuid FROM litter_bin LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def test_bash_completion_script(tmp_path, capsys):
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "citymgr.bash"
    script.write_text(capsys.readouterr().out, encoding="utf-8")

    def complete(line: str) -> list[str]:
        shell = (f"source {script}; read -ra COMP_WORDS <<< {line!r}; "
                 + ("COMP_WORDS+=(''); " if line.endswith(" ") else "")
                 + "COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _citymgr; "
                 'printf "%s\\n" "${COMPREPLY[@]}"')
        res = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                             check=True, timeout=30)
        return res.stdout.split()

    assert complete("citymgr work") == ["workorders"]
    assert "calendar" in complete("citymgr workorders ")
    assert complete("citymgr workorders export d.gpkg --format ") == [
        "pdf", "xlsx", "csv", "geojson", "gpkg"]
    assert complete("citymgr --lang zh_CN prin") == ["print-map"]
    assert complete("citymgr print-map d.gpkg --lang ") == ["en", "zh_CN"]
    assert main(["completion", "zsh"]) == 0
    assert "bashcompinit" in capsys.readouterr().out


@pytest.fixture(autouse=True)
def _qapp(qapp):
    """pytest-qt's QApplication first (render and print-map would make a bare one)."""
    return qapp
