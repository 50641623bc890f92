"""The command line names a conflict's asset as the window does (object code and name), in
English and in Chinese: ``citymgr sync --dry-run``, ``sync``, ``sync-list --conflicts`` and the
refusal of a conflict that is not open; ``--json`` keeps the uuid and the conflict id that
``sync-resolve`` takes. ``citymgr`` runs as a process."""

from __future__ import annotations

import json
import sqlite3

from tests.core.sync_support import edit
from tests.faults.support import CONFLICTS, assert_one_line_error, run


def _conflict(master, tmp_path) -> tuple[str, str, str]:
    """A remarks conflict on the master's first bin: (its uuid, code, name)."""
    pkg = tmp_path / "p.gpkg"
    run(["field-package", master, "--out", pkg, "--user", "王五"]).ok()
    conn = sqlite3.connect(master)
    uuid, code, name = conn.execute("SELECT asset_uuid, obj_code, name FROM litter_bin WHERE "
                                    "name IS NOT NULL ORDER BY fid LIMIT 1").fetchone()
    conn.close()
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET remarks = '现场' WHERE asset_uuid = ?", (uuid,))
    with edit(master) as c:
        c.execute("UPDATE litter_bin SET remarks = 'office' WHERE asset_uuid = ?", (uuid,))
    return uuid, code, name


def test_conflicts_are_named_by_code_and_name(small_district, tmp_path):
    master, pkg = small_district, tmp_path / "p.gpkg"
    uuid, code, name = _conflict(master, tmp_path)
    en = {"CITYMGR_LANG": "en"}
    zh = {"CITYMGR_LANG": "zh_CN"}

    dry = run(["sync", master, pkg, "--dry-run"], env=en)
    assert dry.rc == CONFLICTS, dry.err
    assert f"OPEN: litter_bin {code} {name} remarks (edit/edit)" in dry.out, dry.out
    assert uuid not in dry.out
    dry_zh = run(["sync", master, pkg, "--dry-run"], env=zh)
    assert f"litter_bin {code} {name} remarks（edit/edit）" in dry_zh.out, dry_zh.out
    assert uuid not in dry_zh.out

    applied = run(["sync", master, pkg, "--json"], env=en)
    assert applied.rc == CONFLICTS
    [conf] = json.loads(applied.out)["conflicts"]
    assert conf["uuid"] == uuid and conf["asset_uuid"] == uuid  # programs keep the uuid

    listing = run(["sync-list", master, "--conflicts"], env=en).ok()
    line = next(x for x in listing.splitlines() if conf["conflict_id"] in x)
    assert f"{conf['conflict_id']}  litter_bin {code} {name} remarks (edit/edit)" in line, line
    assert uuid not in listing
    listing_zh = run(["sync-list", master, "--conflicts"], env=zh).ok()
    assert f"litter_bin {code} {name} remarks（edit/edit）" in listing_zh, listing_zh
    [listed] = json.loads(run(["sync-list", master, "--json"], env=en).ok())["open_conflicts"]
    assert listed["uuid"] == uuid and listed["conflict_id"] == conf["conflict_id"]
    assert listed["asset"] == f"{code} {name}"

    run(["sync-resolve", master, conf["conflict_id"], "--take", "field"], env=en).ok()
    again = assert_one_line_error(run(["sync-resolve", master, conf["conflict_id"], "--take",
                                       "master"], env=en))
    assert f"conflict {conf['conflict_id']} (Litter bins {code} {name} Remarks) is not open" \
        in again, again
    again_zh = assert_one_line_error(run(["sync-resolve", master, conf["conflict_id"],
                                          "--take", "master"], env=zh))
    assert f"（垃圾箱 {code} {name} 备注）" in again_zh, again_zh


def test_a_row_without_a_name_is_named_by_its_code():
    from citymgr_desktop.core.sync.names import row_label
    assert row_label({"obj_code": "4201060304002389", "name": None}) == "4201060304002389"
    assert row_label({"observation": "桶身破损"}) == "桶身破损"
    assert row_label(None) == ""
