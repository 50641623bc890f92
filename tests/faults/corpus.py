"""A corpus of damaged project files, made from a good one the way bad days make them:
a copy cut short, bits flipped on a failing disk, a tool that dropped the UNIQUE constraint
and duplicated uuids, a layer whose declared SRS differs from its geometries, 3D geometries,
a 10 MB text in a 500-character field, a foreign GeoPackage, text in a numeric field.

Every maker takes the path of a copy of a good project and damages it in place (or writes a
new file there); ``DAMAGES`` names them all. ``tests/faults`` runs every command on each and
``benchmarks/bench_faults.py`` uses the same corpus.
"""

from __future__ import annotations

import random
import sqlite3
import struct
from collections.abc import Callable
from pathlib import Path

PAGE_TYPES = (2, 5, 10, 13)  # b-tree page kinds: interior/leaf, index/table


def truncated(path: Path) -> None:
    """A copy cut short (a full disk during a copy, an interrupted download)."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def bit_flipped(path: Path, seed: int = 7) -> None:
    """Bits flipped on a failing disk inside the data: the page-type byte of a few of
    litter_bin's pages and random bits of its rows (the schema stays readable, so the file
    opens and the damage is met when the rows are read)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    try:
        pages = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'litter_bin' AND pagetype = 'leaf'")]
    except sqlite3.OperationalError:  # an SQLite built without dbstat: the file's middle
        total = conn.execute("PRAGMA page_count").fetchone()[0]
        pages = list(range(total // 2, total))
    conn.close()
    data = bytearray(path.read_bytes())
    chosen = rng.sample(pages, k=min(len(pages), 6))
    for page in chosen:
        offset = (page - 1) * page_size
        data[offset] ^= 0x40  # no longer a valid page type
        for _ in range(8):
            pos = offset + rng.randrange(page_size)
            data[pos] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def overwritten(path: Path, seed: int = 11) -> None:
    """160 KB of random bytes over the file's middle (a bad sector range, another file's
    data written over it): SQLite's quick_check gives one row of many lines for it."""
    data = bytearray(path.read_bytes())
    start = (len(data) // 2) // 4096 * 4096
    data[start:start + 40 * 4096] = random.Random(seed).randbytes(40 * 4096)
    path.write_bytes(bytes(data))


def schema_flipped(path: Path) -> None:
    """Bits flipped in the schema (sqlite_master): the file cannot even be opened."""
    data = bytearray(path.read_bytes())
    data[100] ^= 0x40  # page 1's b-tree header, right after the 100-byte file header
    path.write_bytes(bytes(data))


def rebuild_without_constraints(conn: sqlite3.Connection, table: str) -> None:
    """Rebuild ``table`` as a careless tool would: same columns, no UNIQUE/NOT NULL."""
    cols = [(r[1], r[2]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
    conn.execute(f'CREATE TABLE tmp_copy AS SELECT * FROM "{table}"')
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND "
                                "tbl_name = ?", (table,)).fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(f'DROP TABLE "{table}"')
    body = ", ".join(["fid INTEGER PRIMARY KEY AUTOINCREMENT"]
                     + [f'"{name}" {kind}' for name, kind in cols[1:]])
    conn.execute(f'CREATE TABLE "{table}" ({body})')
    conn.execute(f'INSERT INTO "{table}" SELECT * FROM tmp_copy')
    conn.execute("DROP TABLE tmp_copy")


def _plain(path: Path) -> sqlite3.Connection:
    from citymgr_desktop.core import gpkg

    return gpkg.connect(str(path))


def duplicate_uuids(path: Path) -> None:
    """The UNIQUE constraint of litter_bin dropped and three bins given another's uuid."""
    conn = _plain(path)
    with conn:
        conn.execute("BEGIN")
        rebuild_without_constraints(conn, "litter_bin")
        fids = [r[0] for r in conn.execute("SELECT fid FROM litter_bin ORDER BY fid LIMIT 4")]
        conn.execute("UPDATE litter_bin SET asset_uuid = (SELECT asset_uuid FROM litter_bin "
                     "WHERE fid = ?) WHERE fid IN (?, ?, ?)", (fids[0], *fids[1:4]))
        conn.execute("COMMIT")
    conn.close()


def wrong_srs(path: Path) -> None:
    """Half of litter_bin's geometry blobs carry another srs_id than the layer declares
    (GDAL's validator: Req 33)."""
    conn = _plain(path)
    conn.execute("BEGIN")
    conn.execute("INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, "
                 "organization_coordsys_id, definition, description) SELECT 'WGS 84', 4326, "
                 "'EPSG', 4326, definition, '' FROM gpkg_spatial_ref_sys WHERE srs_id = 4326 "
                 "UNION ALL SELECT 'WGS 84', 4326, 'EPSG', 4326, 'GEOGCS[\"WGS 84\"]', '' "
                 "LIMIT 1")
    rows = conn.execute("SELECT fid, geom FROM litter_bin WHERE fid % 2 = 0").fetchall()
    for fid, blob in rows:
        b = bytearray(blob)
        little = b[3] & 1
        b[4:8] = struct.pack("<i" if little else ">i", 4326)
        conn.execute("UPDATE litter_bin SET geom = ? WHERE fid = ?", (bytes(b), fid))
    conn.execute("COMMIT")
    conn.close()


def three_d(path: Path) -> None:
    """Some litter_bin points written with a Z coordinate into a 2D layer."""
    import shapely

    from citymgr_desktop.core.gpkg.geometry import decode

    conn = _plain(path)
    conn.execute("BEGIN")
    rows = conn.execute("SELECT fid, geom FROM litter_bin ORDER BY fid LIMIT 5").fetchall()
    for fid, blob in rows:
        g = decode(blob)
        z = shapely.Point(g.x, g.y, 12.5)
        head = bytearray(blob[:8])
        head[3] = 0x01  # little-endian, no envelope
        conn.execute("UPDATE litter_bin SET geom = ? WHERE fid = ?",
                     (bytes(head) + shapely.to_wkb(z, byte_order=1, output_dimension=3), fid))
    conn.execute("COMMIT")
    conn.close()


def huge_text(path: Path) -> None:
    """A 10 MB text in litter_bin.remarks, a field of at most 500 characters."""
    conn = _plain(path)
    conn.execute("BEGIN")
    conn.execute("UPDATE litter_bin SET remarks = ? WHERE fid = (SELECT min(fid) FROM "
                 "litter_bin)", ("长" * 10_000_000,))
    conn.execute("COMMIT")
    conn.close()


def text_in_numbers(path: Path) -> None:
    """Text stored in the numeric condition field (SQLite's type affinity lets it in)."""
    conn = _plain(path)
    conn.execute("BEGIN")
    conn.execute("UPDATE litter_bin SET condition = 'bad' WHERE fid IN (SELECT fid FROM "
                 "litter_bin ORDER BY fid LIMIT 3)")
    conn.execute("UPDATE maintenance_record SET condition_after = 'n/a' WHERE rowid IN "
                 "(SELECT rowid FROM maintenance_record ORDER BY rowid LIMIT 3)")
    conn.execute("COMMIT")
    conn.close()


def foreign(path: Path) -> None:
    """A GeoPackage of someone else's: one point layer, none of our tables."""
    import geopandas as gpd
    import shapely

    path.unlink()
    frame = gpd.GeoDataFrame({"label": ["a", "b"]},
                             geometry=[shapely.Point(1, 2), shapely.Point(3, 4)],
                             crs="EPSG:4547")
    frame.to_file(path, layer="poles", driver="GPKG")


def not_sqlite(path: Path) -> None:
    """Not a database at all (a text file given a .gpkg name)."""
    path.write_text("this is not a GeoPackage\n" * 100, encoding="utf-8")


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncated": truncated,
    "bit_flipped": bit_flipped,
    "overwritten": overwritten,
    "schema_flipped": schema_flipped,
    "duplicate_uuids": duplicate_uuids,
    "wrong_srs": wrong_srs,
    "three_d": three_d,
    "huge_text": huge_text,
    "text_in_numbers": text_in_numbers,
    "foreign": foreign,
    "not_sqlite": not_sqlite,
}
