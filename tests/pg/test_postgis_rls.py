"""Row-level security beyond the assets (``citymgr db grant``): a role granted one 街道 adds
records, moves orders and attaches files only for that 街道's assets. The database itself
refuses the rest (tested with plain SQL as that role), the command line says so in one line,
and every row written records the database login that wrote it. An UPDATE or DELETE of another
街道's row is an error naming both 街道 (QGIS says the save failed), not a statement that
matches nothing."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlparse

import psycopg
import pytest

from tests.gpkg_checks import run_pyqgis
from tests.pg.conftest import run_citymgr
from tests.pg.test_postgis_foreign_writes import QGIS_EDIT_SCRIPT

OWN, OTHER = "粮道街道", "积玉桥街道"
ENV = {"PGPASSWORD": "pw-li"}


def _one_line_error(result, code: int, words: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


@pytest.fixture
def as_li(pg_cluster, published) -> str:
    """The URL of li_si, an engineer granted 粮道街道 with the real command (roles belong to
    the cluster: each test has its own)."""
    dbname = published.rsplit("/", 1)[1]
    role = "li_si_" + dbname.rsplit("_", 2)[-2] + "_" + dbname.rsplit("_", 1)[-1]
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-li'")
    granted = run_citymgr("db", "grant", published, "--role", role, "--district", OWN)
    assert granted.returncode == 0, granted.stderr
    return pg_cluster.url(dbname, role)


def _role(url: str) -> str:
    return url.split("//", 1)[1].split("@", 1)[0]


def _bin_of(conn, district: str) -> str:
    return conn.execute("SELECT asset_uuid FROM litter_bin WHERE district = %s ORDER BY fid "
                        "LIMIT 1", (district,)).fetchone()[0]


def _create_order(url: str, district: str, env: dict | None = None) -> tuple[str, str]:
    made = run_citymgr("workorders", "create", url, "--layer", "litter_bin", "--where",
                       f"district = '{district}' and condition >= 1", "--priority", "normal",
                       "--title", f"{district}巡查", "--json", env=env)
    assert made.returncode == 0, made.stderr
    row = json.loads(made.stdout)
    return row["case_no"], row["work_order_uuid"]


def test_records_of_another_districts_asset_are_refused_by_the_database(published, as_li):
    with psycopg.connect(published) as conn:
        own, other = _bin_of(conn, OWN), _bin_of(conn, OTHER)
    refused = run_citymgr("history", "add", as_li, "--asset", other, "--type", "inspection",
                          "--date", "2026-11-20", "--condition-after", "2", env=ENV)
    _one_line_error(refused, 4, "row-level security")
    added = run_citymgr("history", "add", as_li, "--asset", own, "--type", "inspection",
                        "--date", "2026-11-20", "--condition-after", "2", env=ENV)
    assert added.returncode == 0, added.stderr
    with psycopg.connect(as_li, password="pw-li") as conn:  # any client, plain SQL
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO maintenance_record (record_uuid, asset_class, "
                         "asset_uuid, record_date, record_type) VALUES (%s, 'litter_bin', %s, "
                         "'2026-11-21', 'inspection')", (str(uuid.uuid4()), other))
        conn.rollback()
        record = conn.execute("SELECT record_uuid FROM maintenance_record WHERE asset_uuid = "
                              "%s LIMIT 1", (other,)).fetchone()
        if record:  # another 街道's history can be read, not changed or removed
            for sql in ("UPDATE maintenance_record SET crew = 'x' WHERE record_uuid = %s",
                        "DELETE FROM maintenance_record WHERE record_uuid = %s"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match=OWN):
                    conn.execute(sql, record)
                conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor one moved to it
            conn.execute("UPDATE maintenance_record SET asset_uuid = %s WHERE asset_uuid = %s",
                         (other, own))
        conn.rollback()
    with psycopg.connect(published) as conn:
        written = conn.execute("SELECT asset_uuid FROM maintenance_record WHERE db_user = "
                               "%s", (_role(as_li),)).fetchall()
        assert not conn.execute("SELECT 1 FROM maintenance_record WHERE asset_uuid = %s AND "
                                "record_date = '2026-11-21'", (other,)).fetchall()
    assert written == [(own,)]


def test_orders_of_another_districts_assets_are_refused_by_the_database(published, as_li):
    own_case, own_wid = _create_order(as_li, OWN, ENV)  # its own 街道's bins: allowed
    other_case, other_wid = _create_order(published, OTHER)  # by the database's owner
    refused_create = run_citymgr("workorders", "create", as_li, "--layer", "litter_bin",
                                 "--where", f"district = '{OTHER}'", "--priority", "normal",
                                 "--title", "越权", env=ENV)
    _one_line_error(refused_create, 4, "row-level security")
    with psycopg.connect(published) as conn:
        before = conn.execute("SELECT state, version FROM work_order WHERE case_no = %s",
                              (other_case,)).fetchone()
    refused = run_citymgr("workorders", "move", as_li, other_case, "--to", "cancelled",
                          "--note", "越权", env=ENV)
    _one_line_error(refused, 4, "row-level security")
    moved = run_citymgr("workorders", "move", as_li, own_case, "--to", "cancelled", "--note",
                        "重复上报", "--json", env=ENV)
    assert moved.returncode == 0, moved.stderr
    assert json.loads(moved.stdout)["state"] == "cancelled"
    with psycopg.connect(as_li, password="pw-li") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="work_order"):
            conn.execute("UPDATE work_order SET title = 'x' WHERE work_order_uuid = %s",
                         (other_wid,))
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO work_order_event (event_uuid, work_order_uuid, "
                          "from_state, to_state, at, by) VALUES (%s, %s, 'filed', 'cancelled', "
                          "'2026-11-21T00:00:00.000Z', 'x')", (str(uuid.uuid4()), other_wid))
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # no foreign asset linked
            conn.execute("INSERT INTO work_order_asset (work_order_uuid, asset_class, "
                         "asset_uuid) VALUES (%s, 'litter_bin', %s)",
                         (own_wid, _bin_of(conn, OTHER)))
        conn.rollback()
        # an order without assets belongs to its own district (the 街道 it was reported in)
        conn.execute("INSERT INTO work_order (work_order_uuid, case_no, source, priority, "
                     "title, district, state) VALUES (%s, 'rls-own', 'patrol', 2, "
                     "'路灯', %s, 'reported')", (str(uuid.uuid4()), OWN))
        for district in (OTHER, None):  # none: the bureau's, its owner's to write
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO work_order (work_order_uuid, case_no, source, "
                             "priority, title, district, state) VALUES (%s, 'rls-other', "
                             "'patrol', 2, '路灯', %s, 'reported')",
                             (str(uuid.uuid4()), district))
            conn.rollback()
    with psycopg.connect(published) as conn:
        after = conn.execute("SELECT state, version FROM work_order WHERE case_no = %s",
                             (other_case,)).fetchone()
        own = conn.execute("SELECT state, db_user FROM work_order WHERE case_no = %s",
                           (own_case,)).fetchone()
        event_users = {r[0] for r in conn.execute(
            "SELECT db_user FROM work_order_event WHERE work_order_uuid = %s AND to_state = "
            "'cancelled'", (own_wid,))}
    assert after == before
    assert own == ("cancelled", _role(as_li)) and event_users == {_role(as_li)}


def test_attachments_follow_what_they_are_attached_to(published, as_li):
    with psycopg.connect(published) as conn:
        own, other = _bin_of(conn, OWN), _bin_of(conn, OTHER)
    insert = ("INSERT INTO attachment (attachment_uuid, owner_uuid, owner_kind, file_name, "
              "sha256, db_user) VALUES (%s, %s, 'litter_bin', 'p.jpg', 'ab', 'someone_else')")
    with psycopg.connect(as_li, password="pw-li") as conn:
        conn.execute(insert, (str(uuid.uuid4()), own))
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(insert, (str(uuid.uuid4()), other))
        conn.rollback()
    with psycopg.connect(published) as conn:  # the login is the server's word, not the client's
        assert conn.execute("SELECT db_user FROM attachment WHERE owner_uuid = %s",
                            (own,)).fetchall() == [(_role(as_li),)]


def test_a_read_only_grant_writes_nothing(pg_cluster, published):
    dbname = published.rsplit("/", 1)[1]
    role = "zhao_" + dbname.rsplit("_", 1)[-1]
    pg_cluster.psql(dbname, f"CREATE ROLE {role} LOGIN PASSWORD 'pw-zhao'")
    granted = run_citymgr("db", "grant", published, "--role", role, "--district", OWN,
                          "--read-only")
    assert granted.returncode == 0, granted.stderr
    with psycopg.connect(published) as conn:
        own = _bin_of(conn, OWN)
    refused = run_citymgr("history", "add", pg_cluster.url(dbname, role), "--asset", own,
                          "--type", "inspection", "--date", "2026-11-20", env={
                              "PGPASSWORD": "pw-zhao"})
    assert refused.returncode == 4, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr


def test_a_plain_update_of_another_districts_asset_is_an_error_not_nothing(published, as_li):
    """What QGIS sends for a layer edit: refused with the row's 街道 and the login's, so the
    client says so instead of reporting a save that wrote nothing."""
    with psycopg.connect(published) as conn:
        other = _bin_of(conn, OTHER)
        code, version = conn.execute("SELECT obj_code, version FROM litter_bin WHERE "
                                     "asset_uuid = %s", (other,)).fetchone()
    with psycopg.connect(as_li, password="pw-li") as conn:
        for sql in ("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = %s",
                    "DELETE FROM litter_bin WHERE asset_uuid = %s"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                conn.execute(sql, (other,))
            conn.rollback()
            said = refused.value.diag.message_primary
            assert code in said and OTHER in said and OWN in said and "只能修改" in said
        own = _bin_of(conn, OWN)
        assert conn.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = %s",
                            (own,)).rowcount == 1
    with psycopg.connect(published) as conn:
        assert conn.execute("SELECT version FROM litter_bin WHERE asset_uuid = %s",
                            (other,)).fetchone()[0] == version


def test_a_qgis_layer_edit_of_another_districts_asset_is_not_reported_saved(published, as_li):
    with psycopg.connect(published) as conn:
        other = _bin_of(conn, OTHER)
    parts = urlparse(as_li)
    out = run_pyqgis(QGIS_EDIT_SCRIPT, parts.hostname, parts.port, parts.path.lstrip("/"),
                     parts.username, other, "pw-li")
    assert not out["committed"]
    assert any(OWN in e and OTHER in e for e in out["errors"]), out["errors"]


def _as_granted_before_the_guard(url: str) -> None:
    """The rules an older citymgr's ``db grant`` left: update and delete policies that hide
    another 街道's rows (an edit of one matches nothing), no guard triggers."""
    from citymgr_desktop.core.store.postgis.rules import write_rule, write_rules

    with psycopg.connect(url) as conn:
        for table in write_rules():
            rule = write_rule(table)
            conn.execute(f'DROP TRIGGER "{table}_guard" ON "{table}"')
            conn.execute(f'DROP POLICY citymgr_update ON "{table}"')
            conn.execute(f'DROP POLICY citymgr_delete ON "{table}"')
            conn.execute(f'CREATE POLICY citymgr_update ON "{table}" FOR UPDATE USING ({rule}) '
                         f"WITH CHECK ({rule})")
            conn.execute(f'CREATE POLICY citymgr_delete ON "{table}" FOR DELETE USING ({rule})')


def test_an_older_grant_gets_the_guard_when_the_owner_opens_the_database(published, as_li):
    """No ``db grant`` again: the owner's open puts the guard in (the grants are in the
    database); until then ``validate`` names the command, and another login's open changes
    nothing."""
    from citymgr_desktop.core.store.postgis import PostgisStore
    from citymgr_desktop.core.store.postgis.check import validate_database

    _as_granted_before_the_guard(published)
    with psycopg.connect(published) as conn:
        other = _bin_of(conn, OTHER)
    update = "UPDATE litter_bin SET condition = 5 WHERE asset_uuid = %s"
    with psycopg.connect(as_li, password="pw-li") as conn:
        assert conn.execute(update, (other,)).rowcount == 0  # nothing, and QGIS says saved

    def warned() -> list[str]:
        return [str(p.message) for p in validate_database(published)
                if "citymgr db grant" in str(p.message)]

    assert warned() and "--role ROLE --district 街道" in warned()[0]
    PostgisStore.open(as_li, password="pw-li").close()  # not the owner: as before
    assert warned()
    PostgisStore.open(published).close()
    assert not warned()
    with psycopg.connect(as_li, password="pw-li") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            conn.execute(update, (other,))
        assert OTHER in refused.value.diag.message_primary
        conn.rollback()
        assert conn.execute(update, (_bin_of(conn, OWN),)).rowcount == 1  # its own still
