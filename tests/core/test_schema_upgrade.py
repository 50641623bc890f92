"""Files made before schema version 2 (no photo columns) keep working: read-only they read as
if the new columns were empty, ``validate`` accepts them with a warning, the first open for
writing adds the columns, and a field package checked out before the upgrade still syncs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from citymgr_desktop.cli import main as cli_main
from citymgr_desktop.core import history
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.versions import added_columns
from citymgr_desktop.core.store import Store, validate_file
from citymgr_desktop.core.sync.schema import signature
from tests.core.photo_support import jpeg_bytes
from tests.core.sync_support import checkout, edit, row, sync, uuids


def make_version_1(path: Path) -> None:
    """Turn a file of this version into one of version 1 (drop what version 2 added)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP INDEX IF EXISTS idx_attachment_asset")
        conn.execute("DROP INDEX IF EXISTS idx_attachment_sha256")
        for table, names in added_columns().items():
            for name in names:
                conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{name}"')
                conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = ? AND "
                             "column_name = ?", (table, name))
        conn.execute("UPDATE citymgr_meta SET value = '1' WHERE key = 'schema_version'")
        conn.commit()
    finally:
        conn.close()


def columns(path: Path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
    finally:
        conn.close()


def test_an_old_file_reads_validates_and_is_upgraded_on_first_write(small_district, capsys):
    path = small_district
    u = uuids(path, "litter_bin", limit=1)[0]
    rid = uuids(path, "maintenance_record", limit=1)[0]
    with Store.open(path) as store:  # an office photo of a record, made before the upgrade
        history.apply(store, history.plan_attach(store, rid, jpeg_bytes(), "old.jpg"))
    make_version_1(path)
    assert "photo" not in columns(path, "litter_bin")

    problems = validate_file(path)
    assert [p for p in problems if p.level == "error"] == []
    assert any("photo" in p.message and p.level == "warning" for p in problems)
    with Store.open(path, read_only=True) as store:  # read-only: new columns read as empty
        assert store.get_row("litter_bin", u)["photo"] is None
        asset = store.get_row("maintenance_record", rid)["asset_uuid"]
        assert all(r["photo"] is None for r in history.records(store, asset))
        assert history.attachments(store, rid)[0]["file_name"] == "old.jpg"
        assert history.asset_photos(store, asset) == []
    assert cli_main(["history", "list", str(path), "--asset", asset, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert "photo" not in columns(path, "litter_bin")  # reading wrote nothing

    with Store.open(path) as store:  # the first open for writing adds them
        assert store.absent == {}
        assert store.meta("schema_version") == str(sc.SCHEMA_VERSION)
        [photo] = history.asset_photos(store, asset)  # existing photos name their asset
        assert photo["file_name"] == "old.jpg"
    for table, names in added_columns().items():
        assert set(names) <= columns(path, table), table
    assert validate_file(path) == []


def test_a_package_checked_out_before_the_upgrade_still_syncs(small_district, tmp_path):
    master = small_district
    pkg = tmp_path / "field" / "old.gpkg"
    pkg.parent.mkdir()
    res = checkout(master, pkg, history_years=None)
    for copy in (master, pkg, res.base):  # as the previous version wrote them
        make_version_1(copy)
    conn = sqlite3.connect(master)
    conn.execute("UPDATE field_package SET schema_columns = ?",
                 (json.dumps(signature(conn, "main")),))
    conn.commit()
    conn.close()
    u = uuids(pkg, "litter_bin", limit=1)[0]
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5 WHERE asset_uuid = ?", (u,))
    rep = sync(master, pkg)  # the master is upgraded on open, the package and base here
    assert rep.status == "applied" and not rep.conflicts, rep.summary()
    assert row(master, "litter_bin", u)["condition"] == 5
    assert "photo" in columns(pkg, "litter_bin") and "photo" in columns(res.base, "litter_bin")
