"""A selection or a filter of a layer is read by fid, not the whole layer."""

from __future__ import annotations

import sqlite3

import pytest

pytestmark = pytest.mark.e2e


def _bad_bins(path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT fid, asset_uuid FROM litter_bin WHERE retired_at IS NULL "
                            "AND condition >= 4 ORDER BY fid").fetchall()


def test_the_store_reads_the_rows_asked_by_fid(small_district):
    from citymgr_desktop.core.store import open_store

    bad = _bad_bins(small_district)
    wanted = [fid for fid, _ in bad[:3]]
    with open_store(small_district, read_only=True) as store:
        frame = store.read("litter_bin", fids=wanted)
        nothing = store.read("litter_bin", fids=[])
    assert sorted(frame.index) == wanted
    assert sorted(frame["asset_uuid"]) == sorted(u for _, u in bad[:3])
    assert len(nothing) == 0 and "asset_uuid" in nothing.columns
