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
