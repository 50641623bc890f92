"""A surveyor changes a bin's condition, then adds the inspection record in real QGIS (PyQGIS,
through the package's .qgz as QField opens it): the record's defaults read only layers the
package has, and the history the sync keeps starts from the condition before the visit."""

from __future__ import annotations

import sqlite3

import pytest

from tests.core.sync_support import checkout, row, sync
from tests.gpkg_checks import run_pyqgis

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

EDIT_THEN_RECORD = """
import re
import sys
from qgis.core import (QgsExpression, QgsExpressionContextUtils, QgsGeometry, QgsProject,
                       QgsVectorLayerUtils)

qgz, bin_uuid = sys.argv[1:3]
project = QgsProject.instance()
assert project.read(qgz)
layers = {l.source().split("layername=")[-1].split("|")[0]: l
          for l in project.mapLayers().values()}
bins, records = layers["litter_bin"], layers["maintenance_record"]
bins.startEditing()
f = next(f for f in bins.getFeatures() if f["asset_uuid"] == bin_uuid)
bins.changeAttributeValue(f.id(), bins.fields().indexOf("condition"), 5)
assert bins.commitChanges(), bins.commitErrors()

errors = {}  # every default of a record, evaluated as QGIS does: no evaluation errors
probe = QgsVectorLayerUtils.createFeature(
    records, QgsGeometry(), {records.fields().indexOf("asset_uuid"): bin_uuid,
                             records.fields().indexOf("asset_class"): "litter_bin"},
    records.createExpressionContext())
for field in records.fields():
    text = field.defaultValueDefinition().expression()
    if not text:
        continue
    expr = QgsExpression(text)
    context = records.createExpressionContext()
    context.setFeature(probe)
    expr.evaluate(context)
    if expr.hasEvalError():
        errors[field.name()] = expr.evalErrorString()
    missing = [i for i in re.findall(r"get_feature\\('([^']+)'", text)
               if project.mapLayer(i) is None]  # QGIS 3.22 gives NULL there, silently
    if missing:
        errors[field.name()] = f"names layers the project lacks: {missing}"

records.startEditing()
rec = QgsVectorLayerUtils.createFeature(
    records, QgsGeometry(),
    {records.fields().indexOf("asset_class"): "litter_bin",
     records.fields().indexOf("asset_uuid"): bin_uuid,
     records.fields().indexOf("condition_after"): 5,
     records.fields().indexOf("observation"): "QGIS 巡查"},
    records.createExpressionContext())
assert records.addFeature(rec)
assert records.commitChanges(), records.commitErrors()
emit({"errors": errors, "record_uuid": next(
    r["record_uuid"] for r in records.getFeatures() if r["observation"] == "QGIS 巡查")})
"""


def test_record_after_a_condition_edit_keeps_the_condition_before(district, tmp_path):
    pkg = tmp_path / "field" / "roads_bins.gpkg"
    pkg.parent.mkdir()
    res = checkout(district, pkg, district="紫阳街道", surveyor="QGIS 用户",
                   layers=["road_segment", "litter_bin"], history_years=None)
    conn = sqlite3.connect(pkg)
    bin_uuid = conn.execute("SELECT asset_uuid FROM litter_bin WHERE condition = 3 "
                            "ORDER BY fid LIMIT 1").fetchone()[0]
    conn.close()
    out = run_pyqgis(EDIT_THEN_RECORD, res.qgz, bin_uuid)
    assert out["errors"] == {}  # no default names a layer the package lacks

    rep = sync(district, pkg)
    assert rep.status == "applied" and not rep.conflicts, rep.summary()
    record = row(district, "maintenance_record", out["record_uuid"])
    assert (record["condition_before"], record["condition_after"]) == (3, 5)
    assert row(district, "litter_bin", bin_uuid)["condition"] == 5
    assert any("condition before" in str(n) for n in rep.notes), rep.notes
