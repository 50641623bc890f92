"""Writes by clients that know nothing of citymgr's ``version`` (QGIS through the stored
project, psql): the database counts them itself (``postgis/triggers.py``), so a citymgr
window's older unsaved edit of the same field comes back as a conflict to merge instead of
writing over them; a database made before the trigger gets it when its owner opens it for
writing."""

from __future__ import annotations

from urllib.parse import urlparse

import psycopg
import pytest

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import Delta
from citymgr_desktop.core.store.postgis import PostgisStore
from citymgr_desktop.core.store.postgis.check import validate_database
from tests.gpkg_checks import run_pyqgis

QGIS_EDIT_SCRIPT = """
host, port, db, user, uuid, password = (sys.argv[1:] + [""])[:6]
uri = QgsDataSourceUri()
uri.setConnection(host, port, db, user, password)
uri.setDataSource("public", "litter_bin", "geom", "", "fid")
layer = QgsVectorLayer(uri.uri(False), "litter_bin", "postgres")
feature = next(layer.getFeatures(QgsFeatureRequest(QgsExpression(f"asset_uuid = '{uuid}'"))))
layer.startEditing()
layer.changeAttributeValue(feature.id(), layer.fields().indexOf("condition"), 5)
emit({"committed": layer.commitChanges(), "errors": layer.commitErrors()})
"""


def _plain_update(url: str, uuid: str, condition: int) -> None:
    """What QGIS sends: the changed field, nothing else."""
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE litter_bin SET condition = %s WHERE asset_uuid = %s",
                     (condition, uuid))


def _qgis_update(url: str, uuid: str, condition: int) -> None:
    """The same through PyQGIS's PostgreSQL provider: a layer edit, committed."""
    assert condition == 5
    parts = urlparse(url)
    out = run_pyqgis(QGIS_EDIT_SCRIPT, parts.hostname, parts.port, parts.path.lstrip("/"),
                     parts.username, uuid)
    assert out["committed"], out["errors"]


def _edit_over_a_plain_update(url: str, other=_plain_update) -> tuple[object, dict]:
    with PostgisStore.open(url) as db:
        uuid = db.read("litter_bin").iloc[0]["asset_uuid"]
        row = db.get_row("litter_bin", uuid)  # the window read it; its edit is not saved yet
        mine = 1 if row["condition"] != 1 else 2
        other(url, uuid, 5)
        out = db.save([Delta("litter_bin", uuid, {"condition": row["condition"]},
                             {"condition": mine})],
                      {("litter_bin", uuid): row["version"]}, "甲")
        return out, {"before": row, "now": db.get_row("litter_bin", uuid), "mine": mine}


def test_a_plain_sql_update_is_a_new_version_and_the_older_edit_a_conflict(published):
    out, rows = _edit_over_a_plain_update(published)
    before, now = rows["before"], rows["now"]
    assert [(c.field, c.theirs, c.ours_new) for c in out.conflicts] == \
        [("condition", 5, rows["mine"])]
    assert now["condition"] == 5  # the other client's value stays
    assert now["version"] == before["version"] + 1
    assert now["updated_at"] > before["updated_at"] and now["updated_by"] != before["updated_by"]


def test_a_layer_edit_in_qgis_is_a_new_version_too(published):
    out, rows = _edit_over_a_plain_update(published, _qgis_update)
    assert [(c.field, c.theirs) for c in out.conflicts] == [("condition", 5)]
    assert rows["now"]["condition"] == 5
    assert rows["now"]["version"] == rows["before"]["version"] + 1


def test_citymgr_saves_count_once_and_a_no_change_update_not_at_all(published):
    with PostgisStore.open(published) as db:
        uuid = db.read("road_segment").iloc[0]["asset_uuid"]
        row = db.get_row("road_segment", uuid)
        out = db.save([Delta("road_segment", uuid, {"pci": row["pci"]}, {"pci": 41.0})],
                      {("road_segment", uuid): row["version"]}, "甲")
        assert not out.conflicts  # the derived pci_grade (a second UPDATE) is no new version
        now = db.get_row("road_segment", uuid)
        assert now["version"] == row["version"] + 1 and now["updated_by"] == "甲"
        with psycopg.connect(published) as conn:
            conn.execute("UPDATE road_segment SET pci = pci WHERE asset_uuid = %s", (uuid,))
        assert db.get_row("road_segment", uuid)["version"] == now["version"]


def _road(conn, uuid: str) -> tuple[float, str, int]:
    return conn.execute("SELECT pci, pci_grade, version FROM road_segment WHERE asset_uuid "
                        "= %s", (uuid,)).fetchone()


def test_a_roads_grade_is_derived_by_the_database_whatever_the_client(published):
    """``pci_grade`` follows ``pci`` and the road's class: a hand edit of the grade alone is
    put back (no new version: nothing the person set is lost, the grade is never set by
    hand), one of ``pci`` gets its grade and is a new version."""
    with psycopg.connect(published) as conn:
        uuid, pci, grade, version = conn.execute(
            "SELECT asset_uuid, pci, pci_grade, version FROM road_segment WHERE pci >= 90 "
            "LIMIT 1").fetchone()
        assert grade == "excellent"
        conn.execute("UPDATE road_segment SET pci_grade = 'poor' WHERE asset_uuid = %s",
                     (uuid,))
        assert _road(conn, uuid) == (pci, "excellent", version)
        conn.execute("UPDATE road_segment SET pci = 10 WHERE asset_uuid = %s", (uuid,))
        assert _road(conn, uuid) == (10, "poor", version + 1)


def _drop_version_triggers(url: str) -> None:
    with psycopg.connect(url) as conn:
        for t in sc.ALL_TABLES:
            conn.execute(f'DROP TRIGGER "{t.name}_version" ON "{t.name}"')
        conn.execute("DROP FUNCTION citymgr_version()")
        conn.execute("DROP TRIGGER road_segment_pci_grade ON road_segment")
        conn.execute("UPDATE road_segment SET pci = 10 WHERE fid = 1")  # its grade left stale


def test_an_older_database_gets_the_trigger_when_its_owner_opens_it(published, pg_cluster):
    _drop_version_triggers(published)
    warnings = [str(p.message) for p in validate_database(published) if p.level == "warning"]
    assert any("version" in w for w in warnings), warnings
    dbname = published.rsplit("/", 1)[1]
    role = "pgver_" + dbname.rsplit("_", 1)[-1]
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw'; GRANT SELECT, UPDATE "
                    f"ON ALL TABLES IN SCHEMA public TO {role}")
    PostgisStore.open(pg_cluster.url(dbname, role, "pw")).close()  # not the owner: as before
    assert any("version" in str(p.message) for p in validate_database(published))
    PostgisStore.open(published, read_only=True).close()  # read-only: nothing written
    assert any("version" in str(p.message) for p in validate_database(published))
    PostgisStore.open(published).close()
    assert not [p for p in validate_database(published) if "version" in str(p.message)]
    with psycopg.connect(published) as conn:  # grades derived again, and from now on
        assert conn.execute("SELECT pci_grade FROM road_segment WHERE fid = 1").fetchone() \
            == ("poor",)
        conn.execute("UPDATE road_segment SET pci = 95, road_class = 'secondary' WHERE fid = 1")
        assert conn.execute("SELECT pci_grade FROM road_segment WHERE fid = 1").fetchone() \
            == ("excellent",)
    out, rows = _edit_over_a_plain_update(published)
    assert rows["now"]["condition"] == 5 and len(out.conflicts) == 1


@pytest.mark.parametrize(("table", "column"), [("work_order", "title"),
                                               ("maintenance_record", "crew")])
def test_every_versioned_table_counts_plain_updates(published, table, column):
    key = sc.table(table).key
    with psycopg.connect(published) as conn:
        uuid, version = conn.execute(f'SELECT "{key}", version FROM "{table}" LIMIT 1'
                                     ).fetchone()
        conn.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{key}" = %s',
                     ("外部修改", uuid))
        assert conn.execute(f'SELECT version FROM "{table}" WHERE "{key}" = %s',
                            (uuid,)).fetchone()[0] == version + 1
