"""A field package edited by real QGIS (PyQGIS, headless, through the package's .qgz as
QField opens it) syncs back: attribute changes, a moved point, a deleted and an added
feature with its uuid from the form default, and a new maintenance record."""

from __future__ import annotations

import sqlite3

import pytest

from citymgr_desktop.core.gpkg.geometry import decode
from tests.core.sync_support import checkout, count, row, sync, undo
from tests.gpkg_checks import run_pyqgis

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

QGIS_EDITS = """
import sys
from qgis.core import QgsProject, QgsGeometry, QgsPointXY, QgsVectorLayerUtils

qgz, changed, remarked, moved, deleted = sys.argv[1:6]
project = QgsProject.instance()
assert project.read(qgz), "QGIS could not read the package's project"
layers = {}
for layer in project.mapLayers().values():
    layers[layer.source().split("layername=")[-1].split("|")[0]] = layer
bins, records = layers["litter_bin"], layers["maintenance_record"]
assert bins.isValid() and records.isValid()

def by_uuid(layer, uuid):
    return next(f for f in layer.getFeatures() if f["asset_uuid"] == uuid)

bins.startEditing()
f = by_uuid(bins, changed)
bins.changeAttributeValue(f.id(), bins.fields().indexOf("condition"), 5)
f = by_uuid(bins, remarked)
bins.changeAttributeValue(f.id(), bins.fields().indexOf("remarks"), "QGIS 现场检查")
f = by_uuid(bins, moved)
p = f.geometry().asPoint()
bins.changeGeometry(f.id(), QgsGeometry.fromPointXY(QgsPointXY(p.x() + 12.5, p.y() - 3.0)))
bins.deleteFeature(by_uuid(bins, deleted).id())
context = bins.createExpressionContext()
new = QgsVectorLayerUtils.createFeature(
    bins, QgsGeometry.fromPointXY(QgsPointXY(p.x() + 40, p.y() + 40)),
    {bins.fields().indexOf("name"): "QGIS 新增", bins.fields().indexOf("bin_type"): "kitchen",
     bins.fields().indexOf("condition"): 1}, context)
assert bins.addFeature(new)
assert bins.commitChanges(), bins.commitErrors()
new_uuid = next(f["asset_uuid"] for f in bins.getFeatures() if f["name"] == "QGIS 新增")

records.startEditing()
rec = QgsVectorLayerUtils.createFeature(
    records, QgsGeometry(),
    {records.fields().indexOf("asset_class"): "litter_bin",
     records.fields().indexOf("asset_uuid"): remarked,
     records.fields().indexOf("record_date"): "2026-11-25",
     records.fields().indexOf("record_type"): "inspection",
     records.fields().indexOf("observation"): "QGIS 巡查记录"},
    records.createExpressionContext())
assert records.addFeature(rec)
assert records.commitChanges(), records.commitErrors()
rec_uuid = next(f["record_uuid"] for f in records.getFeatures()
                if f["observation"] == "QGIS 巡查记录")
emit({"new_uuid": new_uuid, "record_uuid": rec_uuid})
"""


def test_package_edited_in_qgis_syncs_back(district, tmp_path):
    master = district
    pkg = tmp_path / "field" / "巡查包.gpkg"
    pkg.parent.mkdir()
    res = checkout(master, pkg, district="紫阳街道", surveyor="QGIS 用户", history_years=None)
    conn = sqlite3.connect(pkg)
    free = [r[0] for r in conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE asset_uuid NOT IN (SELECT asset_uuid FROM "
        "maintenance_record) ORDER BY fid LIMIT 4")]
    conn.close()
    changed, remarked, moved, deleted = free
    old_xy = decode(row(master, "litter_bin", moved)["geom"])
    out = run_pyqgis(QGIS_EDITS, res.qgz, changed, remarked, moved, deleted)
    new_uuid, rec_uuid = out["new_uuid"], out["record_uuid"]
    assert new_uuid and len(new_uuid) == 36 and rec_uuid and len(rec_uuid) == 36

    rep = sync(master, pkg)
    assert rep.status == "applied" and not rep.conflicts, rep.summary()
    assert rep.counts["litter_bin"] == {"insert": 1, "update": 3, "delete": 1, "retire": 0,
                                        "conflict": 0}
    assert rep.counts["maintenance_record"]["insert"] == 1
    assert row(master, "litter_bin", changed)["condition"] == 5
    assert row(master, "litter_bin", remarked)["remarks"] == "QGIS 现场检查"
    p = decode(row(master, "litter_bin", moved)["geom"])
    assert (p.x, p.y) == pytest.approx((old_xy.x + 12.5, old_xy.y - 3.0))
    assert row(master, "litter_bin", deleted) is None
    new = row(master, "litter_bin", new_uuid)
    assert new["name"] == "QGIS 新增" and new["obj_code"].startswith("4201060304")
    assert row(master, "maintenance_record", rec_uuid)["asset_uuid"] == remarked
    # nothing else moved: untouched bins of the package are exactly as before
    assert count(master, "litter_bin", "updated_by = 'QGIS 用户'") == 4
    # and the same package again changes nothing; undo restores the master
    assert sync(master, pkg).status == "nothing-to-do"
    undo(master, rep.sync_id)
    assert row(master, "litter_bin", deleted) is not None
    assert row(master, "litter_bin", new_uuid) is None
