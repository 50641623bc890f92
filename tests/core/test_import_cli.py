"""``citymgr new`` and ``citymgr import``: options, reports, profiles, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from citymgr_desktop.cli import main
from citymgr_desktop.core.store import Store
from tests.core import import_sources as src


def _rows(path, sql):
    with Store.open(path, read_only=True) as store:
        return store.conn.execute(sql).fetchall()


def test_new_project_in_any_projected_crs(tmp_path, capsys):
    path = tmp_path / "helsinki.gpkg"
    assert main(["new", str(path), "--crs", "EPSG:3879", "--district-code", "110101"]) == 0
    assert "ETRS89 / GK25FIN" in capsys.readouterr().out
    with Store.open(path) as store:
        assert store.project_crs().to_epsg() == 3879 and store.district_code == "110101"
        assert store.is_asset_project()


@pytest.mark.parametrize(("args", "code", "words"), [
    (["--crs", "EPSG:4326"], 6, "not a projected CRS"),
    (["--crs", "EPSG:999999"], 6, "unknown coordinate reference system"),
    (["--district-code", "12"], 8, "district code must be 6 digits"),
])
def test_new_refuses_bad_options(tmp_path, capsys, args, code, words):
    assert main(["new", str(tmp_path / "x.gpkg"), *args]) == code
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not (tmp_path / "x.gpkg").exists()


def test_new_refuses_to_overwrite(tmp_path, capsys):
    path = src.new_project(tmp_path / "p.gpkg")
    assert main(["new", str(path)]) == 3
    assert "already exists" in capsys.readouterr().err


def test_import_dry_run_then_import_with_report_and_options(tmp_path, capsys):
    project = src.new_project(tmp_path / "p.gpkg")
    bins = src.shapefile_bins(tmp_path, cpg=False)
    report = tmp_path / "report.json"
    assert main(["import", str(project), str(bins), "--as", "litter_bin", "--dry-run",
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "dry run: 5 feature(s) read; would insert 5" in out
    assert "'大件垃圾' ×1" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["counts"]["insert"] == 5 and data["dry_run"] and not data["applied"]
    assert _rows(project, "SELECT count(*) FROM litter_bin") == [(0,)]

    assert main(["import", str(project), str(bins), "--as", "litter_bin",
                 "--values", "分类:大件垃圾=other", "--values", "mount:不知道=",
                 "--set", "district=首义街道", "--map", "名称=remarks", "--unmap", "condition",
                 "--user", "surveyor1"]) == 0
    rows = _rows(project, "SELECT source_id, bin_type, district, remarks, name, condition, "
                          "updated_by FROM litter_bin ORDER BY source_id")
    assert rows[3] == ("B004", "other", "首义街道", "解放路2号箱", None, None, "surveyor1")
    assert "大件垃圾" not in capsys.readouterr().out


def test_profile_saved_and_reused(tmp_path, capsys):
    project = src.new_project(tmp_path / "p.gpkg")
    csv = src.csv_bridges(tmp_path)
    profile = tmp_path / "bridges.toml"
    assert main(["import", str(project), str(csv), "--as", "bridge", "--values",
                 "结构类型:钢桁架=beam", "--id-prefix", "DPT:", "--save-profile",
                 str(profile)]) == 0
    text = profile.read_text(encoding="utf-8")
    assert 'target = "bridge"' in text and '"钢桁架" = "beam"' in text
    capsys.readouterr()
    assert main(["import", str(project), str(csv), "--profile", str(profile), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["unchanged"] == 4 and data["counts"]["insert"] == 0
    rows = _rows(project, "SELECT source_id, structure FROM bridge ORDER BY source_id")
    assert rows[-1] == ("DPT:Q6", "beam") and len(rows) == 4


def test_json_output_is_json(tmp_path, capsys):
    project = src.new_project(tmp_path / "p.gpkg")
    kml = src.kml_bins(tmp_path)
    assert main(["import", str(project), str(kml), "--as", "litter_bin", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"read": 4, "insert": 4, "update": 0, "unchanged": 0, "skip": 0}


def test_list_shows_layers_fields_and_suggestions(tmp_path, capsys):
    project = src.new_project(tmp_path / "p.gpkg")
    roads = src.geojson_roads(tmp_path)
    assert main(["import", str(project), str(roads), "--as", "road_segment", "--list"]) == 0
    out = capsys.readouterr().out
    assert "layer roads" in out and "道路等级" in out and "'主干路'" in out
    assert "road_class" in out and "'主干路' -> 'arterial'" in out


@pytest.mark.parametrize(("extra", "code", "words"), [
    (["--as", "litter_bin", "--layer", "nope"], 10, "no layer 'nope'"),
    (["--as", "litter_bin", "--map", "NOPE=name"], 10, "the source has no field 'NOPE'"),
    (["--as", "litter_bin", "--map", "名称=colour"], 8, "litter_bin has no field 'colour'"),
    (["--as", "litter_bin", "--values", "condition:好=9"], 8, "allowed: 1 (Good)"),
    (["--as", "litter_bin", "--set", "capacity_l=huge"], 8, "is not a valid whole number"),
    (["--as", "litter_bin", "--source-crs", "EPSG:4214"], 6, "no datum transformation"),
    ([], 8, "give the asset class with --as"),
])
def test_import_errors_are_one_line_and_change_nothing(tmp_path, capsys, extra, code, words):
    project = src.new_project(tmp_path / "p.gpkg")
    bins = src.shapefile_bins(tmp_path)
    report = tmp_path / "r.json"
    assert main(["import", str(project), str(bins), *extra, "--report", str(report)]) == code
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err
    assert json.loads(report.read_text(encoding="utf-8"))["applied"] is False
    assert _rows(project, "SELECT count(*) FROM litter_bin") == [(0,)]


def test_outside_area_through_a_real_process(tmp_path):
    """The installed command, as a user runs it: exit 6, one line, no traceback."""
    project = src.new_project(tmp_path / "p.gpkg")
    far = src.geojson_points(tmp_path, "beijing", [(116.4, 39.9)])
    proc = subprocess.run([sys.executable, "-m", "citymgr_desktop", "import", str(project),
                           str(far), "--as", "litter_bin"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 6
    assert proc.stderr.startswith("citymgr: error:") and "outside the area of use" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unwritable_report_is_refused_before_importing(tmp_path, capsys):
    project = src.new_project(tmp_path / "p.gpkg")
    kml = src.kml_bins(tmp_path)
    assert main(["import", str(project), str(kml), "--as", "litter_bin", "--report",
                 str(tmp_path / "no" / "such" / "r.json")]) == 3
    assert "does not exist" in capsys.readouterr().err
    assert _rows(project, "SELECT count(*) FROM litter_bin") == [(0,)]


def test_a_gdal_source_is_imported_without_pandas(tmp_path):
    """What keeps an import's start short (issue 18): a Shapefile is listed, suggested,
    read and imported without loading pandas or GeoPandas (pyogrio's own start imports both
    only to see whether they are installed: core/importing/sources/gdal.py hides them), and
    pyogrio's GeoPandas functions still work afterwards in the same process, with the facts
    a plain ``import pyogrio`` finds."""
    source = src.shapefile_bins(tmp_path)
    target = src.new_project(tmp_path / "p.gpkg")
    flags = ("HAS_GEOPANDAS", "PANDAS_GE_15", "PANDAS_GE_20", "PANDAS_GE_22", "PANDAS_GE_30")
    script = (
        "import sys\n"
        "from citymgr_desktop.cli import main\n"
        f"code = main(['import', {str(target)!r}, {str(source)!r}, '--as', 'litter_bin'])\n"
        "loaded = [m for m in ('pandas', 'geopandas') if m in sys.modules]\n"
        "import pyogrio\n"
        f"from pyogrio import geopandas as g\n"
        f"facts = [getattr(g, f) for f in {flags!r}]\n"
        f"frame = pyogrio.read_dataframe({str(source)!r})\n"
        "print(code, loaded, facts, type(frame).__name__, len(frame))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.splitlines()[-1]
    plain = subprocess.run([sys.executable, "-c", "from pyogrio import geopandas as g; "
                            f"print([getattr(g, f) for f in {flags!r}])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"0 [] {plain} GeoDataFrame {len(_rows(target, 'SELECT fid FROM litter_bin'))}"


NOT_LOADED_BY_AN_IMPORT = ["pandas", "geopandas", "PySide6", "matplotlib", "psycopg",
                           "citymgr_desktop.core.store.postgis",
                           "citymgr_desktop.core.expression", "citymgr_desktop.ui",
                           "citymgr_desktop.render", "citymgr_desktop.export"]


def test_an_import_into_a_geopackage_loads_only_what_it_needs(tmp_path):
    """What an import process may load (issue 18: its start-up is most of a small import):
    GDAL, NumPy, Shapely, pyproj and the importer, but not pandas, GeoPandas, Qt,
    matplotlib, the PostGIS backend or the expression language."""
    source = src.shapefile_bins(tmp_path)
    target = src.new_project(tmp_path / "p.gpkg")
    script = (
        "import sys\n"
        "from citymgr_desktop.cli import main\n"
        f"code = main(['import', {str(target)!r}, {str(source)!r}, '--as', 'litter_bin'])\n"
        f"print(code, [m for m in {NOT_LOADED_BY_AN_IMPORT!r} if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.splitlines()[-1]
    assert out == "0 []"
    assert _rows(target, "SELECT count(*) FROM litter_bin") != [(0,)]


def test_an_import_process_ends_at_once_with_all_it_has_to_say(tmp_path):
    """``citymgr import`` ends its process without Python's teardown of NumPy, GDAL, pyproj
    and pyarrow (``end_at_once``, ~50 ms of CPU, issue 18) once the store is closed and the
    report written: the exit code, the printed report, the JSON report and the rows are
    whole, and nothing runs after it (an ``atexit`` hook would be teardown)."""
    source = src.shapefile_bins(tmp_path)
    target = src.new_project(tmp_path / "p.gpkg")
    report = tmp_path / "r.json"
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('teardown\\n'))\n"
        f"sys.argv = ['citymgr', 'import', {str(target)!r}, {str(source)!r}, '--as', "
        f"'litter_bin', '--report', {str(report)!r}]\n"
        "from citymgr_desktop.cli import main\n"
        "raise SystemExit(main())\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "teardown" not in proc.stderr
    told = json.loads(report.read_text(encoding="utf-8"))
    rows = _rows(target, "SELECT count(*) FROM litter_bin")[0][0]
    assert told["applied"] and told["counts"]["insert"] == rows > 0
    assert f"did insert {rows}," in proc.stdout and proc.stdout.endswith("\n")
    assert _rows(target, "PRAGMA integrity_check") == [("ok",)]
