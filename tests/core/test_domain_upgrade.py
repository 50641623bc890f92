"""A file written before a coded domain gained a code (12319城管热线 as a work order's source)
gets the code with its first write: in ``gpkg_data_column_constraints`` as GDAL reads it, and in
the value map of its embedded QGIS project as PyQGIS reads it; read-only it opens unchanged."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from citymgr_desktop.cli import main as cli_main
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.qgis import project as qgis_project
from citymgr_desktop.core.store import Store, validate_file
from tests.core.qgis_support import make_project_file
from tests.core.sync_support import checkout
from tests.domain_support import OLD_SOURCE
from tests.gpkg_checks import PROJECT_REPORT_SCRIPT, run_pyqgis


@pytest.fixture
def old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with monkeypatch.context() as m:  # domains and embedded project as the old schema wrote
        m.setitem(dm.ALL_DOMAINS, "work_order_source", OLD_SOURCE)
        return make_project_file(tmp_path / "old.gpkg")


GDAL_DOMAIN_SCRIPT = """
from osgeo import gdal
ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR)
emit(list(ds.GetFieldDomain("work_order_source").GetEnumeration().items()))
"""


def stored_codes(path: Path) -> dict[str, str]:
    """The codes of work_order_source in the file's schema extension, in rowid order."""
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute(
            "SELECT value, description FROM gpkg_data_column_constraints WHERE "
            "constraint_name = 'work_order_source' ORDER BY rowid"))
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_source_list_has_both_hotlines() -> None:
    labels = {c.value: c.zh for c in dm.WORK_ORDER_SOURCE.codes}
    assert labels["hotline"] == "12345政务服务热线"
    assert labels["hotline_12319"] == "12319城管热线"


def test_a_read_only_old_file_opens_and_is_not_written(old_file: Path) -> None:
    assert "hotline_12319" not in stored_codes(old_file)
    [warning] = validate_file(old_file)
    assert warning.level == "warning" and "work_order_source" in str(warning.message)
    before = digest(old_file)
    os.chmod(old_file, stat.S_IRUSR)
    try:
        with Store.open(old_file) as store:  # may not write: read-only, no upgrade
            assert store.read_only and store.stale == {"work_order_source"}
            assert store.layer("litter_bin").count == 4
    finally:
        os.chmod(old_file, stat.S_IRUSR | stat.S_IWUSR)
    with Store.open(old_file, read_only=True) as store:
        assert store.stale == {"work_order_source"}
    assert digest(old_file) == before


def test_an_old_file_gets_the_new_code_and_a_work_order_uses_it(old_file: Path, capsys) -> None:
    rc = cli_main(["workorders", "create", str(old_file), "--layer", "litter_bin",
                   "--where", "1 = 1", "--priority", "2", "--title", "满溢", "--source",
                   "hotline_12319", "--json"])
    assert rc == 0, capsys.readouterr().err
    codes = stored_codes(old_file)
    assert codes["hotline_12319"] == "12319城管热线 12319 city-management hotline"
    assert codes["hotline"] == "12345政务服务热线 12345 government service hotline"
    assert list(codes) == [str(v) for v in dm.WORK_ORDER_SOURCE.values()]
    with Store.open(old_file) as store:
        assert store.stale == frozenset()
    assert validate_file(old_file) == []
    package = old_file.parent / "field" / "pkg.gpkg"
    package.parent.mkdir()
    checkout(old_file, package)  # a field package of it has the code too
    assert stored_codes(package) == codes


@pytest.mark.qgis
def test_qgis_offers_the_new_code_in_an_upgraded_file(old_file: Path) -> None:
    with Store.open(old_file):  # the app opening it for writing upgrades it
        pass
    assert dict(run_pyqgis(GDAL_DOMAIN_SCRIPT, old_file)) == stored_codes(old_file)
    assert "hotline_12319" in stored_codes(old_file)
    uri = f"geopackage:{old_file}?projectName={qgis_project.PROJECT_NAME}"
    rep = run_pyqgis(PROJECT_REPORT_SCRIPT, uri)
    assert rep["ok"]
    codes = rep["layers"]["work_order"]["value_maps"]["source"]
    assert [c for c in codes if not c.startswith("{")] == [
        str(v) for v in dm.WORK_ORDER_SOURCE.values()]
