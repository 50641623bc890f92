"""The row-by-row checks of a project file: every row's identity (keys, asset uuids held by
one class) and every geometry (readable, type, 2D, SRS of the blob, validity)."""

from __future__ import annotations

import sqlite3

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.gpkg.geometry import blob_srs_id, decode_many
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress
from citymgr_desktop.core.store.problems import Problem, fids_text, rows


def keys(conn: sqlite3.Connection) -> list[Problem]:
    """Every row's identity: no empty or repeated key in a table, and no asset uuid held by
    two classes (a uuid names one asset: history, work orders and sync depend on it)."""
    out = []
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in sc.ALL_TABLES:
        if not table.key or table.name not in existing:
            continue
        t, k = gpkg.quote_ident(table.name), gpkg.quote_ident(table.key)
        empty = rows(conn, f"SELECT rowid FROM {t} WHERE trim({k}) = ''")  # NULL: _values
        if empty:
            out.append(Problem("error", table.name, msg(
                "{count} row(s) have no {field} ({rows})", count=len(empty), field=table.key,
                rows=fids_text(empty))))
        dupes = conn.execute(
            f"SELECT {k}, group_concat(rowid) FROM {t} WHERE {k} IS NOT NULL GROUP BY {k} "
            "HAVING count(*) > 1 ORDER BY min(rowid)").fetchall()
        if dupes:
            fids = [int(f) for _, group in dupes for f in str(group).split(",")]
            out.append(Problem("error", table.name, msg(
                "{count} {field} value(s) are held by more than one row ({rows}; e.g. "
                "{example}); the UNIQUE constraint was lost", count=len(dupes),
                field=table.key, rows=fids_text(fids), example=dupes[0][0])))
    assets = [t.name for t in sc.ASSET_TABLES if t.name in existing]
    for i, first in enumerate(assets):
        for second in assets[i + 1:]:
            shared = rows(conn, f'SELECT a.asset_uuid FROM "{first}" a JOIN "{second}" b '
                           "ON a.asset_uuid = b.asset_uuid")
            if shared:
                out.append(Problem("error", first, msg(
                    "{count} asset_uuid value(s) also name an asset of {other} (e.g. "
                    "{example})", count=len(shared), other=second, example=shared[0])))
    return out


def geometries(conn: sqlite3.Connection, prog: Progress) -> list[Problem]:
    import numpy as np  # loaded by a validation, not by every command that opens a store
    import shapely

    out = []
    declared = dict(conn.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns"))
    for table in sc.ASSET_TABLES:
        cur = conn.execute(f'SELECT fid, geom FROM "{table.name}"')
        bad: list[int] = []
        unreadable: list[int] = []
        three_d: list[int] = []
        other_srs: list[int] = []
        srs_seen: set[int] = set()
        empty, wrong = 0, 0
        allowed = {"POINT": {0}, "LINESTRING": {1}, "MULTIPOLYGON": {6}}[table.geometry_type or ""]
        srs = declared.get(table.name)
        while True:
            rows = cur.fetchmany(200_000)
            if not rows:
                break
            prog.check()
            fids = np.array([r[0] for r in rows])
            blobs = [r[1] for r in rows]
            for fid, blob in zip(fids.tolist(), blobs, strict=True):
                blob_srs = blob_srs_id(blob)
                if blob is not None and blob_srs is not None and blob_srs != srs:
                    other_srs.append(fid)
                    srs_seen.add(blob_srs)
            geoms = decode_many(blobs, on_invalid="ignore")
            missing = shapely.is_missing(geoms)
            given = np.array([b is not None for b in blobs], dtype=bool)
            unreadable += fids[missing & given].tolist()
            missing &= ~given
            empty += int(missing.sum() + (shapely.is_empty(geoms) & ~missing).sum())
            present = ~shapely.is_missing(geoms)
            types = shapely.get_type_id(geoms[present])
            wrong += int((~np.isin(types, list(allowed))).sum())
            three_d += fids[present][shapely.has_z(geoms[present])].tolist()
            invalid = ~shapely.is_valid(geoms[present])
            bad += fids[present][invalid].tolist()
        name = table.name
        if empty:
            out.append(Problem("warning", name, msg(
                "{count} feature(s) without geometry", count=empty)))
        if unreadable:
            out.append(Problem("error", name, msg(
                "{count} geometries cannot be read ({rows})", count=len(unreadable),
                rows=fids_text(unreadable))))
        if other_srs:
            out.append(Problem("error", name, msg(
                "{count} geometries carry srs_id {found}, the layer declares {declared} "
                "({rows}); GDAL, QGIS and the map do not show them", count=len(other_srs),
                found=", ".join(map(str, sorted(srs_seen))), declared=srs,
                rows=fids_text(other_srs))))
        if three_d:
            out.append(Problem("error", name, msg(
                "{count} geometries have a Z coordinate; the layer is 2D ({rows})",
                count=len(three_d), rows=fids_text(three_d))))
        if wrong:
            out.append(Problem("error", name, msg(
                "{count} geometries are not {geometry_type}", count=wrong,
                geometry_type=table.geometry_type)))
        if bad:
            out.append(Problem("error", name, msg(
                "{count} invalid geometries ({rows})", count=len(bad), rows=fids_text(bad))))
    return out
