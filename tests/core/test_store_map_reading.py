"""The store's map reading (what the renderer's loader asks): columns, the Arrow read and
the drawing read (plain rows through sqlite3, the same features as GDAL's)."""

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


def _drawing_rows(store, layer, columns, **kw):
    read = store.read_for_drawing(layer, columns, **kw)
    assert read.columns == tuple(columns) and read.geometry_format == "gpkg"
    return [row for chunk in read.chunks for row in chunk]


def test_drawing_read_has_what_gdal_reads(small_district):
    """Fids, columns and geometries as GDAL's Arrow read gives them, retired assets left
    out, ``as_bytes`` columns as UTF-8 bytes; a box reads through the rtree the features
    whose bounding box meets it (GDAL's filter keeps those whose geometry does: a subset)."""
    from citymgr_desktop.core.gpkg.geometry import decode

    columns = ["asset_uuid", "condition", "name"]
    with Store.open(small_district, read_only=True) as store:
        rows = _drawing_rows(store, "road_segment", columns, include_retired=False,
                             as_bytes=["asset_uuid"])
        gdal = store.read_arrow("road_segment", columns, include_retired=False).to_pydict()
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)  # fid order
        by_fid = sorted(range(len(gdal["fid"])), key=gdal["fid"].__getitem__)
        gdal = {k: [v[i] for i in by_fid] for k, v in gdal.items()}  # GDAL's: index order
        assert [r[0] for r in rows] == gdal["fid"]
        assert [r[1].decode() for r in rows] == gdal["asset_uuid"]
        assert [r[2] for r in rows] == gdal["condition"]
        assert [r[3] for r in rows] == gdal["name"]
        assert all(decode(r[4]).equals(shapely.from_wkb(g))
                   for r, g in zip(rows, gdal["geometry"], strict=True))
        found = store.asset_extent(["litter_bin"])
        assert found is not None
        (minx, miny, maxx, maxy), _ = found
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        box = (cx - 200, cy - 150, cx + 200, cy + 150)
        for layer in ("road_segment", "litter_bin", "green_space"):
            inside = {r[0] for r in _drawing_rows(store, layer, [], bbox=box)}
            whole = _drawing_rows(store, layer, [])
            gdal_box = set(store.read_arrow(layer, [], bbox=box).column("fid").to_pylist())
            assert 0 < len(inside) < len(whole), layer
            assert gdal_box <= inside, layer
            meets = {r[0] for r in whole if shapely.intersects(
                shapely.box(*shapely.bounds(decode(r[1]))), shapely.box(*box))}
            assert inside == meets, layer


def test_drawing_read_unknown_layer_or_column(small_district):
    with Store.open(small_district, read_only=True) as store:
        with pytest.raises(NotFoundError, match="no_such_layer"):
            store.read_for_drawing("no_such_layer", [])
        with pytest.raises(NotFoundError, match="no_such_column"):
            store.read_for_drawing("litter_bin", ["no_such_column"])


def _split(packed):
    values, at = [], 0
    for n in packed.lengths.tolist():
        values.append(None if n < 0 else packed.data[at:at + n])
        at += max(n, 0)
    assert at == len(packed.data)
    return values


def _packed_rows(store, layer, texts, codes, **kw):
    """The packed read's runs back as rows (fid, *texts, *codes, geometry blob or None)."""
    rows = []
    for run in store.read_packed_for_drawing(layer, as_bytes=texts, codes=codes, **kw):
        columns = [run.fids.tolist(), *(_split(run.values[t]) for t in texts),
                   *(run.codes[c].tolist() for c in codes), _split(run.geometry)]
        rows += list(zip(*columns, strict=True))
    return rows


def test_packed_drawing_read_is_the_rows_read(small_district):
    """The packed read gives the rows' read, run by run: bytes as bytes, NULL as None, the
    condition as a whole number 0-5 (text in the number column of a damaged file, NULL and
    fractions as the renderer counts them), retired assets left out, a box through the
    rtree."""
    conn = sqlite3.connect(small_district)
    fids = [r[0] for r in conn.execute("SELECT fid FROM road_segment ORDER BY fid LIMIT 5")]
    conn.close()
    with Store.open(small_district) as store, store.session() as c:
        c.execute("UPDATE road_segment SET condition = 'bad', name = NULL WHERE fid = ?",
                  (fids[0],))
        c.execute("UPDATE road_segment SET condition = 3.7 WHERE fid = ?", (fids[1],))
        c.execute("UPDATE road_segment SET condition = NULL WHERE fid = ?", (fids[2],))
        c.execute("UPDATE road_segment SET condition = 9 WHERE fid = ?", (fids[3],))
        c.execute("UPDATE road_segment SET retired_at = '2026-01-01T00:00:00Z' "
                  "WHERE fid = ?", (fids[4],))
    texts, codes = ["asset_uuid", "name"], {"condition": (0, 5)}

    def category(v):
        return 0 if not isinstance(v, int | float) else int(max(0, min(5, v)))

    with Store.open(small_district, read_only=True) as store:
        found = store.asset_extent(["road_segment"])
        assert found is not None
        (minx, miny, maxx, maxy), _ = found
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        for box in (None, (cx - 300, cy - 200, cx + 300, cy + 200)):
            rows = _drawing_rows(store, "road_segment", ["asset_uuid", "name", "condition"],
                                 include_retired=False, bbox=box, as_bytes=["asset_uuid"])
            packed = _packed_rows(store, "road_segment", texts, codes,
                                  include_retired=False, bbox=box)
            expected = [(f, k, None if n is None else n.encode(), category(c), g)
                        for f, k, n, c, g in rows]
            assert packed == expected
            assert len(packed) > 0 and fids[4] not in {r[0] for r in packed}
        by_fid = {r[0]: r for r in _packed_rows(store, "road_segment", texts, codes)}
        assert [by_fid[f][3] for f in fids[:4]] == [0, 3, 0, 5]
        assert by_fid[fids[0]][2] is None


def test_packed_drawing_read_cuts_runs(small_district, monkeypatch):
    """Runs of at most PACK_ROWS rowids and about PACK_BYTES of geometry: the same rows."""
    from citymgr_desktop.core.store import drawing

    with Store.open(small_district, read_only=True) as store:
        whole = _packed_rows(store, "green_space", [], {})
        monkeypatch.setattr(drawing, "PACK_ROWS", 7)
        monkeypatch.setattr(drawing, "PACK_BYTES", 500)
        runs = list(store.read_packed_for_drawing("green_space"))
        assert len(runs) > len(whole) // 7
        assert _packed_rows(store, "green_space", [], {}) == whole


def test_a_utf16_file_is_read_by_rows(small_district, tmp_path):
    """A GeoPackage may be UTF-16: the packed read (which needs UTF-8) says so and refuses,
    and the map's loader reads the same features through the rows' read."""
    from citymgr_desktop.core.errors import BadFileError

    utf16 = tmp_path / "utf16.gpkg"
    src = sqlite3.connect(small_district)
    dst = sqlite3.connect(utf16)
    dst.execute("PRAGMA encoding = 'UTF-16le'")
    for pragma in ("application_id", "user_version"):
        dst.execute(f"PRAGMA {pragma} = {src.execute(f'PRAGMA {pragma}').fetchone()[0]}")
    for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql "
                              "IS NOT NULL AND name NOT LIKE 'rtree_%' AND name NOT LIKE "
                              "'sqlite_%'"):
        dst.execute(sql)
    for (name,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "name NOT LIKE 'rtree_%' AND name NOT LIKE 'sqlite_%'"):
        rows = src.execute(f'SELECT * FROM "{name}"').fetchall()
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            dst.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    dst.commit()
    dst.close()
    src.close()
    with Store.open(small_district, read_only=True) as store:
        assert store.packs_for_drawing()
        utf8_rows = _drawing_rows(store, "road_segment", ["name"])
    with Store.open(utf16, read_only=True) as store:
        assert not store.packs_for_drawing()
        with pytest.raises(BadFileError):
            store.read_packed_for_drawing("road_segment")
        assert _drawing_rows(store, "road_segment", ["name"]) == utf8_rows
