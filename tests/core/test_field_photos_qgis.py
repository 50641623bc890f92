"""The field loop as QField does it, through real QGIS (PyQGIS 3.22, headless) on the
package's ``.qgz``: an inspection of an asset added in the relation's context with a photo
the camera wrote into ``DCIM/``, a new bin with its photo and a record, then ``citymgr sync``
brings it all into the master, a second sync changes nothing and ``sync-undo`` removes it.
Also: the package's forms as QGIS reads them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from citymgr_desktop.cli import main as cli_main
from tests.core.photo_support import jpeg_bytes
from tests.core.sync_support import checkout, count, row
from tests.gpkg_checks import assert_valid_gpkg, run_pyqgis

pytestmark = [pytest.mark.qgis, pytest.mark.slow]

# What QField does when a surveyor opens an asset, taps "add" in its history and takes a
# photo: QgsVectorLayerUtils.createFeature with the relation's key values of the parent (and
# the parent form's scope), the camera's file written where the layer's photo naming says,
# the attachment widget storing that path relative to the project.
QFIELD_SCRIPT = """
import shutil, sys
from qgis.core import (QgsExpression, QgsExpressionContextUtils, QgsGeometry, QgsPointXY,
                       QgsProject, QgsVectorLayerUtils)

qgz, asset, photo_src, bin_photo_src, bin_record_photo_src = sys.argv[1:6]
project = QgsProject.instance()
assert project.read(qgz), "QGIS could not read the package's project"
layers = {l.source().split("layername=")[-1]: l for l in project.mapLayers().values()}
bins, records = layers["litter_bin"], layers["maintenance_record"]
relation = next(r for r in project.relationManager().relations().values()
                if r.referencingLayer() == records and r.referencedLayer() == bins)

def photo_path(layer, source):
    naming = json.loads(layer.customProperty("QFieldSync/photo_naming"))["photo"]
    rel = QgsExpression(naming).evaluate(layer.createExpressionContext())
    rel = rel.replace("{extension}", "jpg")
    target = os.path.join(project.homePath(), rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)  # the camera writes its file
    return rel

def add_record(parent, observation, source):
    keys = {records.fields().indexOf(child): parent[par]
            for child, par in relation.fieldPairs().items()}
    context = records.createExpressionContext()
    context.appendScope(QgsExpressionContextUtils.parentFormScope(parent))
    rec = QgsVectorLayerUtils.createFeature(records, QgsGeometry(), keys, context)
    rec["condition_after"] = 2
    rec["observation"] = observation
    rec["photo"] = photo_path(records, source)
    assert records.addFeature(rec)
    return rec

parent = next(f for f in bins.getFeatures() if f["asset_uuid"] == asset)
records.startEditing()
rec = add_record(parent, "桶身破损，已清理", photo_src)
defaults = {n: rec[n] for n in ("asset_class", "asset_uuid", "record_type", "condition_before",
                                 "created_by")}
defaults["record_date"] = rec["record_date"].toString("yyyy-MM-dd")
ok_records = records.commitChanges()
errors = records.commitErrors()

bins.startEditing()
p = parent.geometry().asPoint()
new_bin = QgsVectorLayerUtils.createFeature(
    bins, QgsGeometry.fromPointXY(QgsPointXY(p.x() + 25, p.y() + 25)), {},
    bins.createExpressionContext())
new_bin["name"] = "现场新增垃圾箱"
new_bin["bin_type"] = "kitchen"
new_bin["condition"] = 4
new_bin["photo"] = photo_path(bins, bin_photo_src)
assert bins.addFeature(new_bin)
ok_bins = bins.commitChanges()
errors += bins.commitErrors()
saved_bin = next(f for f in bins.getFeatures() if f["name"] == "现场新增垃圾箱")
records.startEditing()
bin_rec = add_record(saved_bin, "新箱验收", bin_record_photo_src)
ok_bin_record = records.commitChanges()
errors += records.commitErrors()

saved = {f["observation"]: {"uuid": f["record_uuid"], "photo": f["photo"],
                            "asset_class": f["asset_class"]}
         for f in records.getFeatures() if f["observation"] in ("桶身破损，已清理", "新箱验收")}
emit({"ok": [ok_records, ok_bins, ok_bin_record], "errors": errors, "defaults": defaults,
      "records": saved, "bin": {"uuid": saved_bin["asset_uuid"], "photo": saved_bin["photo"],
                                "district": saved_bin["district"],
                                "updated_by": saved_bin["updated_by"]}})
"""

FORM_SCRIPT = """
import sys
from qgis.core import QgsEditFormConfig, QgsProject

project = QgsProject.instance()
assert project.read(sys.argv[1])
out = {}

def walk(element):
    kind = type(element).__name__
    node = {"kind": kind, "name": element.name()}
    if kind == "QgsAttributeEditorContainer":
        node["group_box"] = element.isGroupBox()
        node["children"] = [walk(c) for c in element.children()]
    if kind == "QgsAttributeEditorRelation":
        node["relation"] = element.relation().id()
        node["valid"] = element.relation().isValid()
    return node

for layer in project.mapLayers().values():
    table = layer.source().split("layername=")[-1]
    config = layer.editFormConfig()
    photo = layer.fields().indexOf("photo")
    setup = layer.editorWidgetSetup(photo) if photo >= 0 else None
    out[table] = {
        "tabs": config.layout() == QgsEditFormConfig.TabLayout,
        "form": [walk(t) for t in config.tabs()],
        "photo_widget": setup.type() if setup else None,
        "photo_config": setup.config() if setup else None,
        "read_only": [f.name() for i, f in enumerate(layer.fields()) if config.readOnly(i)],
        "constraints": {f.name(): layer.constraintDescription(i)
                        for i, f in enumerate(layer.fields()) if layer.constraintDescription(i)},
        "variables": {k: project.customVariables().get(k)
                      for k in ("citymgr_surveyor", "citymgr_district")},
    }
emit(out)
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(pkg: Path) -> dict[str, bytes]:
    return {p.relative_to(pkg.parent).as_posix(): p.read_bytes()
            for p in (pkg.parent / "DCIM").rglob("*") if p.is_file()}


def test_qfield_inspection_with_photos_and_a_new_bin_sync_into_the_master(district, tmp_path,
                                                                         capsys):
    master = district
    pkg = tmp_path / "field" / "巡查包.gpkg"
    pkg.parent.mkdir()
    res = checkout(master, pkg, district="紫阳街道", surveyor="李四", history_years=None)
    conn = sqlite3.connect(pkg)
    asset, condition = conn.execute(
        "SELECT asset_uuid, condition FROM litter_bin WHERE condition = 4 AND asset_uuid NOT IN "
        "(SELECT asset_uuid FROM maintenance_record) ORDER BY fid LIMIT 1").fetchone()
    conn.close()
    shots = {name: jpeg_bytes(colour=colour, when=when) for name, colour, when in (
        ("inspection", (200, 60, 40), "2026:11:25 10:30:00"),
        ("bin", (40, 160, 60), "2026:11:25 11:05:00"),
        ("bin_record", (40, 60, 200), "2026:11:25 11:06:30"))}
    sources = []
    for name, data in shots.items():
        (tmp_path / f"{name}.jpg").write_bytes(data)
        sources.append(tmp_path / f"{name}.jpg")

    out = run_pyqgis(QFIELD_SCRIPT, res.qgz, asset, *sources)
    assert out["ok"] == [True, True, True], out["errors"]
    # defaults filled in the relation's context, whatever the order of the fields
    assert out["defaults"] == {"asset_class": "litter_bin", "asset_uuid": asset,
                               "record_type": "inspection", "condition_before": condition,
                               "created_by": "李四",
                               "record_date": out["defaults"]["record_date"]}
    rec = out["records"]["桶身破损，已清理"]
    bin_rec = out["records"]["新箱验收"]
    new_bin = out["bin"]
    assert rec["photo"].startswith("DCIM/maintenance_record_") and rec["photo"].endswith(".jpg")
    assert bin_rec["asset_class"] == "litter_bin"
    assert new_bin["photo"].startswith("DCIM/litter_bin_")
    assert new_bin["district"] == "紫阳街道" and new_bin["updated_by"] == "李四"
    files = _files(pkg)
    assert files[rec["photo"]] == shots["inspection"]

    assert cli_main(["sync", str(master), str(pkg), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "applied" and not report["conflicts"], report
    assert report["photos"]["loaded"] == 3 and not report["photos"]["problems"]
    assert report["counts"]["attachment"]["insert"] == 3

    # the record, graded by the same rule as in the app
    stored = row(master, "maintenance_record", rec["uuid"])
    assert stored["asset_uuid"] == asset and stored["condition_after"] == 2
    assert stored["photo"] == rec["photo"] and stored["created_by"] == "李四"
    assert row(master, "litter_bin", asset)["condition"] == 2
    # the new bin arrives whole: its code, its photo, its record and that record's photo
    bin_row = row(master, "litter_bin", new_bin["uuid"])
    assert bin_row["obj_code"].startswith("4201060304") and len(bin_row["obj_code"]) == 16
    assert bin_row["condition"] == 2  # its acceptance record graded it
    assert row(master, "maintenance_record", bin_rec["uuid"])["asset_uuid"] == new_bin["uuid"]
    # the photos, byte for byte, with what the camera said
    m = sqlite3.connect(master)
    atts = {r[0]: r[1:] for r in m.execute(
        "SELECT owner_uuid, asset_uuid, owner_kind, file_path, file_name, sha256, size_bytes, "
        "mime_type, content, taken_at, gps_lon, gps_lat FROM attachment")}
    m.close()
    for owner, shot, asset_of, path, owner_kind, when in (
            (rec["uuid"], "inspection", asset, rec["photo"], "maintenance_record", "02:30:00"),
            (new_bin["uuid"], "bin", new_bin["uuid"], new_bin["photo"], "litter_bin",
             "03:05:00"),
            (bin_rec["uuid"], "bin_record", new_bin["uuid"], bin_rec["photo"],
             "maintenance_record", "03:06:30")):
        a_uuid, kind, fpath, fname, sha, size, mime, content, taken, lon, lat = atts[owner]
        assert (a_uuid, kind) == (asset_of, owner_kind)
        assert taken == f"2026-11-25T{when}.000Z"  # the camera's local time at UTC+8
        assert fpath == path and fname == Path(path).name
        assert bytes(content) == shots[shot] and sha == _sha(shots[shot]) == _sha(bytes(content))
        assert size == len(shots[shot]) and mime == "image/jpeg"
        assert lon == pytest.approx(114.305, abs=1e-6) and lat == pytest.approx(30.593, abs=1e-6)
    assert_valid_gpkg(master)

    # the same package again: nothing is read or written
    assert cli_main(["sync", str(master), str(pkg), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["status"] == "nothing-to-do"
    assert count(master, "attachment") == 3

    # undo takes it all back: records, the new bin, the photos, the condition
    assert cli_main(["sync-undo", str(master), report["sync_id"]]) == 0
    assert row(master, "maintenance_record", rec["uuid"]) is None
    assert row(master, "litter_bin", new_bin["uuid"]) is None
    assert row(master, "litter_bin", asset)["condition"] == condition
    assert count(master, "attachment") == 0
    assert_valid_gpkg(master)


def test_package_forms_as_qgis_reads_them(district, tmp_path):
    pkg = tmp_path / "field" / "p.gpkg"
    pkg.parent.mkdir()
    res = checkout(district, pkg, district="紫阳街道", surveyor="李四", history_years=1)
    rep = run_pyqgis(FORM_SCRIPT, res.qgz)
    for table in ("road_segment", "bridge", "green_space", "litter_bin"):
        form = rep[table]
        assert form["tabs"], table
        tabs = {t["name"]: t for t in form["form"]}
        assert list(tabs) == ["资产 Asset", "状况 Condition", "养护记录 History", "其他 Other"]
        boxes = [c["name"] for t in form["form"] for c in t["children"]
                 if c["kind"] == "QgsAttributeEditorContainer" and c["group_box"]]
        for group in ("标识 Identity", "位置 Location", "管理 Management", "技术状况 Condition",
                      "照片 Photo", "其他 Other", "记录 Record"):
            assert group in boxes, (table, group)
        editors = [c for c in tabs["养护记录 History"]["children"]
                   if c["kind"] == "QgsAttributeEditorRelation"]
        assert [e["relation"] for e in editors] == [f"maintenance_record_{table}"]
        assert all(e["valid"] for e in editors)
        assert form["photo_widget"] == "ExternalResource"
        assert form["photo_config"]["RelativeStorage"] == 1  # relative to the project
        assert {"asset_uuid", "updated_at", "updated_by", "retired_at"} <= \
            set(form["read_only"])
        assert "1（完好）至5（危险）" in form["constraints"]["condition"]
    assert "litter_bin" in rep and "measures" not in rep["litter_bin"]
    boxes = [c["name"] for t in rep["litter_bin"]["form"] for c in t["children"]]
    assert "垃圾箱 Litter bin" in boxes
    record = rep["maintenance_record"]
    assert [t["name"] for t in record["form"]] == ["检查 Inspection", "照片 Photo", "费用 Costs",
                                                    "记录 Record"]
    assert record["photo_widget"] == "ExternalResource"
    assert {"asset_class", "record_uuid", "created_at", "created_by"} <= \
        set(record["read_only"])
    assert "必填" in record["constraints"]["record_date"]
    assert record["variables"] == {"citymgr_surveyor": "李四", "citymgr_district": "紫阳街道"}
