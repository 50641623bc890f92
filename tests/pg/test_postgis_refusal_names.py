"""A 街道-limited login's refused change names what it refused as people know it: the asset
by object code and name, the work order by case number, with its 街道; never a uuid (trial
8: ``litter_bin 79e11ad9-…``, ``work_order 73148405-…``)."""

from __future__ import annotations

import re

import psycopg

from tests.pg.conftest import run_citymgr
from tests.pg.test_postgis_rls import ENV, OTHER, _create_order, _one_line_error, as_li  # noqa: F401

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")


def test_refusals_name_the_asset_and_the_order_not_a_uuid(published, as_li):  # noqa: F811
    with psycopg.connect(published) as conn:
        code, name = conn.execute("SELECT obj_code, name FROM litter_bin WHERE district = %s "
                                  "ORDER BY fid LIMIT 1", (OTHER,)).fetchone()
    edited = run_citymgr("edit", as_li, "--layer", "litter_bin", "--where",
                         f"obj_code = '{code}'", "--set", "remarks=越权", env=ENV)
    _one_line_error(edited, 4, f"litter_bin {code} {name} ({OTHER})")
    assert not UUID.search(edited.stderr), edited.stderr
    case, _wid = _create_order(published, OTHER)  # by the database's owner
    moved = run_citymgr("workorders", "move", as_li, case, "--to", "cancelled", "--note",
                        "越权", env=ENV)
    _one_line_error(moved, 4, f"work_order {case}")
    assert not UUID.search(moved.stderr), moved.stderr
    created = run_citymgr("workorders", "create", as_li, "--layer", "litter_bin", "--where",
                          f"obj_code = '{code}'", "--priority", "normal", "--title", "越权",
                          env=ENV)
    _one_line_error(created, 4, f"({OTHER})")
    assert not UUID.search(created.stderr), created.stderr
