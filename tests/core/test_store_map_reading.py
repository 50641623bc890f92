"""The store's map reading (what the renderer's loader asks): columns and the Arrow read."""

from __future__ import annotations

import sqlite3

import pytest
import shapely

from citymgr_desktop.core.errors import NotFoundError
from citymgr_desktop.core.store import Store


def test_column_names_in_table_order(small_district):
    with Store.open(small_district, read_only=True) as store:
        cols = store.column_names("litter_bin")
        assert cols[0] == "fid"
        assert {"asset_uuid", "condition", "retired_at", "geom"} <= set(cols)
        assert store.column_names("no_such_table") == []


def test_read_arrow_leaves_out_retired_assets(small_district):
    conn = sqlite3.connect(small_district)
    fids = [r[0] for r in conn.execute("SELECT fid FROM litter_bin ORDER BY fid LIMIT 3")]
    total = conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0]
    conn.close()
    with Store.open(small_district) as store:
        with store.session() as c:  # the store's connection has the rtree triggers' functions
            c.execute(f"UPDATE litter_bin SET retired_at = '2026-01-01T00:00:00Z' "
                      f"WHERE fid IN ({','.join('?' * len(fids))})", fids)
        table = store.read_arrow("litter_bin", ["asset_uuid", "condition"],
                                 include_retired=False)
        assert set(table.column_names) == {"fid", "asset_uuid", "condition", "geometry"}
        got = table.column("fid").to_pylist()
        assert len(got) == total - 3 and not set(fids) & set(got)
        geoms = shapely.from_wkb(table.column("geometry").combine_chunks().to_numpy(
            zero_copy_only=False))
        assert (shapely.get_type_id(geoms) == 0).all()  # points
        everything = store.read_arrow("litter_bin", [])
        assert everything.num_rows == total
        assert set(everything.column_names) == {"fid", "geometry"}


def test_read_arrow_unknown_layer(small_district):
    with Store.open(small_district, read_only=True) as store, \
            pytest.raises(NotFoundError, match="no_such_layer"):
        store.read_arrow("no_such_layer", [])
