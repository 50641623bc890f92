"""``citymgr edit``: one transaction, prints how many assets changed; any invalid value or
expression exits non-zero with a one-line message and leaves the file byte-identical."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from citymgr_desktop.cli import main


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def q(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_bulk_edit_changes_matching_assets_in_one_go(small_district, capsys):
    where = "condition >= 4"
    expected = q(small_district, "SELECT count(*) FROM litter_bin WHERE condition >= 4 AND "
                 "retired_at IS NULL")[0][0]
    assert expected > 0
    rc = main(["edit", str(small_district), "--layer", "litter_bin", "--where", where,
               "--set", "技术状况=较好", "--set", "remarks=复查 a=b", "--user", "王工"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.strip() == f"litter_bin: {expected:,} of {expected:,} matching assets changed"
    rows = q(small_district, "SELECT condition, remarks, updated_by FROM litter_bin WHERE "
             "remarks = '复查 a=b'")
    assert len(rows) == expected and set(rows) == {(2, "复查 a=b", "王工")}
    # the same again changes nothing (values already set)
    assert main(["edit", str(small_district), "--layer", "litter_bin", "--where",
                 "remarks = '复查 a=b'", "--set", "condition=2"]) == 0
    assert "0 of" in capsys.readouterr().out


def test_calc_and_json_and_dry_run(small_district, capsys):
    before = sha(small_district)
    args = ["edit", str(small_district), "--layer", "road_segment", "--where",
            "pci is not null", "--calc", "pci=round(pci * 0.9, 1)", "--json"]
    assert main([*args, "--dry-run"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dry_run"] and result["changed"] > 0
    assert sha(small_district) == before
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == result["changed"]
    assert q(small_district, "SELECT count(*) FROM road_segment WHERE pci > 90")[0][0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--where", "condition >= 4", "--set", "condition=9"], "allowed: 1 (Good)"),
    (["--where", "condition >= 4", "--set", "bin_type=厨余"], "kitchen (Kitchen waste)"),
    (["--where", "condition >= ", "--set", "condition=2"], "expression error"),
    (["--where", "condition = 1; DROP TABLE litter_bin", "--set", "condition=2"], "';'"),
    (["--where", "colour = 'red'", "--set", "condition=2"], "unknown field 'colour'"),
    (["--where", "true", "--set", "nosuch=2"], "has no field 'nosuch'"),
    (["--where", "true", "--set", "condition"], "write FIELD=VALUE"),
    (["--where", "true", "--set", "updated_at=2024-01-01"], "maintained by the app"),
    (["--where", "true", "--set", "name=" + "长" * 101], "at most 100 characters"),
    (["--where", "true", "--set", "install_date=yesterday"], "not a valid date"),
    (["--where", "true", "--calc", "capacity_l=capacity_l * 100"], "results are not allowed"),
    (["--where", "true", "--calc", "capacity_l=capacity_l +"], "expression error"),
    (["--where", "true"], "nothing to do"),
])
def test_invalid_input_leaves_the_file_byte_identical(small_district, capsys, args, message):
    before = sha(small_district)
    rc = main(["edit", str(small_district), "--layer", "litter_bin", *args])
    err = capsys.readouterr().err
    assert rc == 8
    assert message in err
    assert err.startswith("citymgr: error: ") and err.count("\n") == 1
    assert sha(small_district) == before


def test_not_an_asset_layer_or_file(small_district, tmp_path, capsys):
    before = sha(small_district)
    assert main(["edit", str(small_district), "--layer", "work_order", "--where", "true",
                 "--set", "state=closed"]) == 10  # an unknown layer is "not found" everywhere
    assert "not an asset layer" in capsys.readouterr().err
    assert sha(small_district) == before
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a database")
    assert main(["edit", str(junk), "--layer", "litter_bin", "--where", "true",
                 "--set", "condition=1"]) == 3


def test_read_only_file_is_refused_unchanged(small_district, capsys):
    before = sha(small_district)
    small_district.chmod(0o444)
    try:
        # the store honours the missing write bits even for root (see Store.open)
        assert main(["edit", str(small_district), "--layer", "litter_bin", "--where", "true",
                     "--set", "condition=1"]) == 4
    finally:
        small_district.chmod(0o644)
    assert sha(small_district) == before


def test_the_installed_command_runs_in_a_subprocess(small_district):
    before = sha(small_district)
    bad = subprocess.run([sys.executable, "-m", "citymgr_desktop", "edit", str(small_district),
                          "--layer", "litter_bin", "--where", "condition = 'x'",
                          "--set", "condition=1"], capture_output=True, text=True)
    assert bad.returncode == 8 and "condition has no value 'x'" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert sha(small_district) == before
    good = subprocess.run([sys.executable, "-m", "citymgr_desktop", "edit", str(small_district),
                           "--layer", "bridge", "--where", "true", "--set", "remarks=ok"],
                          capture_output=True, text=True)
    assert good.returncode == 0 and "matching assets changed" in good.stdout


def test_a_one_row_edit_loads_no_dataframe_library(small_district):
    """What keeps ``citymgr edit`` of one row quick (issue 18): neither NumPy, pandas,
    GeoPandas, pyogrio, pyproj, the database driver nor the other commands' modules are
    imported on the way (a module-level import of any of them in the store's packages brings
    back most of a second; NumPy alone was a third of the process), and a second write to a
    file whose embedded QGIS project was found to read it does not load the project writer
    again. The rows are written all the same."""
    heavy = ["numpy", "pandas", "geopandas", "pyogrio", "pyproj", "pyarrow", "shapely",
             "psycopg", "PySide6", "citymgr_desktop.cli.commands.render",
             "citymgr_desktop.cli.commands.sync", "citymgr_desktop.core.store.postgis.store"]
    for value, also in ((3, []), (4, ["citymgr_desktop.core.qgis.project"])):
        script = (
            "import sys\n"
            "from citymgr_desktop.cli import main\n"
            f"code = main(['edit', {str(small_district)!r}, '--layer', 'litter_bin',\n"
            f"             '--where', 'fid = 1', '--set', 'condition={value}', '--user', 'x'])\n"
            f"print(code, [m for m in {heavy + also!r} if m in sys.modules])\n")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().splitlines()[-1] == "0 []", (value, run.stdout)
        assert q(small_district, "SELECT condition, updated_by FROM litter_bin WHERE fid = 1"
                 ) == [(value, "x")]
