"""A bin a crew adds in a package of the whole file or of a ``--bbox`` area (no 街道
default) comes back with the 街道 and 单元网格 of its nearest asset; a value the crew set
is kept, and a 街道 package keeps its default. Through the real doors: ``citymgr
field-package`` and ``citymgr sync`` as processes, the bins added by PyQGIS through the
package's .qgz as QField adds them (``createFeature`` with the form's defaults)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from citymgr_desktop.core.gpkg.geometry import decode
from tests.core.sync_support import row
from tests.faults.support import run
from tests.gpkg_checks import run_pyqgis

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

ADD_BINS = """
import sys
from qgis.core import QgsProject, QgsGeometry, QgsPointXY, QgsVectorLayerUtils

qgz, x, y = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
project = QgsProject.instance()
assert project.read(qgz), "QGIS could not read the package's project"
bins = next(l for l in project.mapLayers().values()
            if l.source().split("layername=")[-1].split("|")[0] == "litter_bin")
fields = bins.fields()
bins.startEditing()
context = bins.createExpressionContext()
left = QgsVectorLayerUtils.createFeature(  # 街道 and 单元网格 left as the form has them
    bins, QgsGeometry.fromPointXY(QgsPointXY(x + 1.5, y + 1.0)),
    {fields.indexOf("name"): "新增垃圾箱甲", fields.indexOf("bin_type"): "kitchen"}, context)
kept = QgsVectorLayerUtils.createFeature(  # the crew typed both
    bins, QgsGeometry.fromPointXY(QgsPointXY(x - 1.0, y + 1.5)),
    {fields.indexOf("name"): "新增垃圾箱乙", fields.indexOf("bin_type"): "kitchen",
     fields.indexOf("district"): "外地街道", fields.indexOf("bgid"): "99999999"}, context)
assert bins.addFeatures([left, kept])
assert bins.commitChanges(), bins.commitErrors()
emit({f["name"]: [f["asset_uuid"], f["district"] or None, f["bgid"] or None]
      for f in bins.getFeatures()
      if str(f["name"]).startswith("新增垃圾箱")})
"""


def _a_bin(master: Path) -> dict:
    """A live bin of the master with a 街道 and a grid code."""
    conn = sqlite3.connect(master)
    try:
        uuid = conn.execute("SELECT asset_uuid FROM litter_bin WHERE district IS NOT NULL AND "
                            "bgid IS NOT NULL AND retired_at IS NULL ORDER BY fid "
                            "LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    return row(master, "litter_bin", uuid)


def _check_out_add_and_sync(master: Path, tmp_path: Path, *area: str) -> tuple[dict, dict, dict]:
    near = _a_bin(master)
    point = decode(near["geom"])
    pkg = tmp_path / "field" / "pkg.gpkg"
    pkg.parent.mkdir()
    run(["field-package", master, "--out", pkg, "--user", "孙七", *area, "--json"]).ok()
    added = run_pyqgis(ADD_BINS, pkg.with_suffix(".qgz"), point.x, point.y)
    report = tmp_path / "sync.json"
    out = run(["sync", master, pkg, "--report", report, "--lang", "zh_CN"]).ok()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert "取最近资产" in out, out  # the summary says what was filled
    data["added"] = added
    left = row(master, "litter_bin", added["新增垃圾箱甲"][0])
    kept = row(master, "litter_bin", added["新增垃圾箱乙"][0])
    assert (kept["district"], kept["bgid"]) == ("外地街道", "99999999")  # never overwritten
    return near, left, data


def test_whole_file_package_added_bin_takes_the_nearest_location(small_district, tmp_path):
    near, left, data = _check_out_add_and_sync(small_district, tmp_path)
    assert data["added"]["新增垃圾箱甲"][1:] == [None, None]  # no default in the field
    assert (left["district"], left["bgid"]) == (near["district"], near["bgid"])
    assert data["filled_from_nearest"] == {"district": 1, "bgid": 1}


def test_bbox_package_added_bin_takes_the_nearest_location(small_district, tmp_path):
    point = decode(_a_bin(small_district)["geom"])
    box = f"{point.x - 500},{point.y - 500},{point.x + 500},{point.y + 500}"
    near, left, data = _check_out_add_and_sync(small_district, tmp_path, "--bbox", box)
    assert (left["district"], left["bgid"]) == (near["district"], near["bgid"])
    assert data["filled_from_nearest"] == {"district": 1, "bgid": 1}


def test_district_package_keeps_its_default(small_district, tmp_path):
    district = _a_bin(small_district)["district"]
    near, left, data = _check_out_add_and_sync(small_district, tmp_path, "--district", district)
    assert data["added"]["新增垃圾箱甲"][1] == district  # the package's default
    assert (left["district"], left["bgid"]) == (district, near["bgid"])
    assert data["filled_from_nearest"] == {"bgid": 1}
