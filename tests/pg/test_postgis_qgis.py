"""What a QGIS 3.22 user sees connecting to the database: the layers (PyQGIS's own PostgreSQL
provider) with our styles from ``layer_styles``: the same symbols, labels and forms as the
GeoPackage's."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.gpkg_checks import _LAYER_REPORT, LAYERS_REPORT_SCRIPT, run_pyqgis

PG_LAYERS_SCRIPT = _LAYER_REPORT + """
host, port, db, user = sys.argv[1:5]
out = {}
for t in sys.argv[5:]:
    uri = QgsDataSourceUri()
    uri.setConnection(host, port, db, user, "")
    uri.setDataSource("public", t, "geom" if t != "maintenance_record" else None, "", "fid")
    out[t] = layer_report(QgsVectorLayer(uri.uri(False), t, "postgres"))
emit(out)
"""

TABLES = ["road_segment", "bridge", "green_space", "litter_bin", "maintenance_record"]
COMPARED = ("valid", "count", "renderer", "attr", "categories", "labels", "label_field",
            "value_maps", "ranges")


def test_qgis_opens_the_database_layers_with_our_styles(published, small_district):
    url = urlparse(published)
    ours = run_pyqgis(PG_LAYERS_SCRIPT, url.hostname, url.port, url.path.lstrip("/"),
                      url.username, *TABLES)
    theirs = run_pyqgis(LAYERS_REPORT_SCRIPT, small_district, *TABLES)
    for table in TABLES:
        assert ours[table]["valid"], table
        for key in COMPARED:
            assert ours[table].get(key) == theirs[table].get(key), (table, key)
        aliases = {k: v for k, v in theirs[table]["aliases"].items() if k != "fid"}
        assert {k: ours[table]["aliases"].get(k) for k in aliases} == aliases, table
    assert ours["litter_bin"]["renderer"] == "categorizedSymbol"
    assert ours["litter_bin"]["value_maps"]["bin_type"]


PG_PROJECT_SCRIPT = """
uri = sys.argv[1]
p = QgsProject.instance()
ok = p.read(uri)
def table(layer):
    return QgsDataSourceUri(layer.source()).table()
layers = {table(l): {"valid": l.isValid(), "count": l.featureCount(),
                     "provider": l.providerType(),
                     "renderer": l.renderer().type() if l.isSpatial() else None}
          for l in p.mapLayers().values()}
rels = {}
for rel in p.relationManager().relations().values():
    parent = rel.referencedLayer()
    related = 0
    for uuid in sys.argv[2:]:
        feats = list(parent.getFeatures(QgsFeatureRequest(QgsExpression(
            f"\\"asset_uuid\\" = '{uuid}'")))) if parent.fields().indexOf("asset_uuid") >= 0 \
            else []
        if feats:
            related += len(list(rel.getRelatedFeatures(feats[0])))
    rels[rel.id()] = {"valid": rel.isValid(), "related": related}
emit({"ok": ok, "crs": p.crs().authid(), "layers": layers, "relations": rels})
"""


def test_qgis_opens_the_project_stored_in_the_database(published):
    import psycopg

    url = urlparse(published)
    with psycopg.connect(published) as conn:
        uuid, records = conn.execute(
            "SELECT asset_uuid, count(*) FROM maintenance_record WHERE asset_class = "
            "'litter_bin' GROUP BY asset_uuid ORDER BY count(*) DESC LIMIT 1").fetchone()
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in ("litter_bin", "road_segment", "maintenance_record")}
    uri = (f"postgresql://{url.username}@{url.hostname}:{url.port}?sslmode=disable&"
           f"dbname={url.path.lstrip('/')}&schema=public&project=citymgr")
    report = run_pyqgis(PG_PROJECT_SCRIPT, uri, uuid)
    assert report["ok"] and report["crs"] == "EPSG:4547"
    for table, count in counts.items():
        layer = report["layers"][table]
        assert layer["valid"] and layer["provider"] == "postgres", table
        assert layer["count"] == count, table
    assert report["layers"]["litter_bin"]["renderer"] == "categorizedSymbol"
    rel = report["relations"]["maintenance_record_litter_bin"]
    assert rel["valid"] and rel["related"] == records
