"""Write a GeoPackage spatial index (an SQLite R*Tree) as a packed tree in one pass, instead
of inserting entry by entry: SQLite's insert chooses a leaf, splits and reinserts for every
row (12-15 µs each, as much as writing the row itself); a packed tree of the same entries
is built with NumPy and written as a few hundred node blobs.

The result is an ordinary SQLite rtree that any later insert, update or delete maintains
(what GDAL's own bulk loader does since 3.7): nodes in SQLite's format (a 4-byte header --
depth in the root, cell count -- then cells of a big-endian 64-bit id and four big-endian
32-bit floats, min rounded down and max rounded up exactly as ``rtreeValueDown``/``Up`` do),
one ``_rowid`` row per entry naming its leaf and one ``_parent`` row per non-root node.
Entries are grouped Sort-Tile-Recursive (by x, then by y within each slice), level by
level up to the root, node 1.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from citymgr_desktop.core.gpkg.connection import quote_ident

if TYPE_CHECKING:
    import numpy as np

_RND_TOWARDS = 1.0 - 1.0 / 8388608.0  # SQLite's RNDTOWARDS: towards zero by one float32 ulp
_RND_AWAY = 1.0 + 1.0 / 8388608.0  # RNDAWAY
CELL_BYTES = 8 + 4 * 4  # id + minx, maxx, miny, maxy as float32


def rounded(bounds: np.ndarray) -> np.ndarray:
    """(n, 4) minx/miny/maxx/maxy as float32 columns minx, maxx, miny, maxy, each min
    rounded down and max up the way SQLite's rtree stores them (so a box always contains the
    geometry it stands for). Column by column: a few bytes per entry at a time."""
    import numpy as np

    out = np.empty((len(bounds), 4), dtype=np.float32)
    for to, (source, is_min) in enumerate(((0, True), (2, False), (1, True), (3, False))):
        d = np.ascontiguousarray(bounds[:, source], dtype=np.float64)
        f = d.astype(np.float32)
        wrong = f > d if is_min else f < d
        if wrong.any():
            down = (d < 0) if is_min else (d >= 0)  # away from zero below 0 for a min
            with np.errstate(over="ignore"):
                fixed = np.where(down, d * _RND_AWAY, d * _RND_TOWARDS).astype(np.float32)
            f = np.where(wrong, fixed, f)
        out[:, to] = f
    return out


def _str_order(boxes: np.ndarray, per_node: int) -> np.ndarray:
    """Sort-Tile-Recursive order of ``boxes`` (float32 minx, maxx, miny, maxy)."""
    import numpy as np

    n = len(boxes)
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    nodes = -(-n // per_node)
    slices = max(1, int(np.ceil(np.sqrt(nodes))))
    per_slice = per_node * -(-nodes // slices)
    by_x = np.argsort(cx, kind="stable")
    slice_of = np.empty(n, dtype=np.int64)
    slice_of[by_x] = np.arange(n) // per_slice
    return np.lexsort((cy, slice_of))


def _node_blobs(ids: np.ndarray, boxes: np.ndarray, per_node: int, node_bytes: int
                ) -> Iterator[bytes]:
    """``ids``/``boxes`` (already in order) cut into nodes of ``per_node`` cells, as blobs."""
    import numpy as np

    cell = np.dtype([("id", ">i8"), ("box", ">f4", (4,))])
    cells = np.empty(len(ids), dtype=cell)
    cells["id"], cells["box"] = ids, boxes
    raw = cells.view(np.uint8)
    for start in range(0, len(ids), per_node):
        count = min(per_node, len(ids) - start)
        body = raw[start * CELL_BYTES : (start + count) * CELL_BYTES].tobytes()
        yield (b"\x00\x00" + count.to_bytes(2, "big") + body).ljust(node_bytes, b"\x00")


_RTREE_SQL = re.compile(r"USING\s+rtree\s*\(([^)]*)\)", re.IGNORECASE)


def packable(conn: sqlite3.Connection, rtree: str) -> bool:
    """Whether ``rtree`` is a 2-D float rtree whose shadow tables have the layout this module
    writes (as GDAL, QGIS and we create them); anything else is filled by inserts."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                       (rtree,)).fetchone()
    found = _RTREE_SQL.search(row[0] or "") if row else None
    if found is None or len(found.group(1).split(",")) != 5:
        return False
    shadow = {s: [r[1] for r in conn.execute(f"PRAGMA table_info({quote_ident(f'{rtree}_{s}')})")]
              for s in ("node", "rowid", "parent")}
    if shadow != {"node": ["nodeno", "data"], "rowid": ["rowid", "nodeno"],
                  "parent": ["nodeno", "parentnode"]}:
        return False
    root = conn.execute(f"SELECT length(data) FROM {quote_ident(f'{rtree}_node')} "
                        "WHERE nodeno = 1").fetchone()
    return root is not None and int(root[0] or 0) >= 4 + 2 * CELL_BYTES


def _shadow(rtree: str) -> tuple[str, str, str]:
    return (quote_ident(f"{rtree}_node"), quote_ident(f"{rtree}_rowid"),
            quote_ident(f"{rtree}_parent"))


def _emptied(conn: sqlite3.Connection, rtree: str) -> tuple[int, int]:
    """Empty the rtree's shadow tables but for its root; (node bytes, cells per node)."""
    node_table, rowid_table, parent_table = _shadow(rtree)
    row = conn.execute(f"SELECT length(data) FROM {node_table} WHERE nodeno = 1").fetchone()
    node_bytes = int(row[0])
    conn.execute(f"DELETE FROM {rowid_table}")
    conn.execute(f"DELETE FROM {parent_table}")
    conn.execute(f"DELETE FROM {node_table} WHERE nodeno <> 1")
    return node_bytes, (node_bytes - 4) // CELL_BYTES


def _write_nodes(conn: sqlite3.Connection, rtree: str, ids: np.ndarray, boxes: np.ndarray,
                 first: int, depth: int, node_bytes: int) -> np.ndarray:
    """Write ``ids``/``boxes`` (in their order) as nodes ``first``, ``first + 1``, ... of
    level ``depth`` (0: leaves) with their ``_rowid``/``_parent`` rows; the nodes' boxes."""
    import numpy as np

    node_table, rowid_table, parent_table = _shadow(rtree)
    per_node = (node_bytes - 4) // CELL_BYTES
    count = -(-len(ids) // per_node)
    numbers = np.arange(first, first + count, dtype=np.int64)
    node_of_cell = numbers[np.arange(len(ids)) // per_node]
    pointer = (rowid_table, "rowid, nodeno") if depth == 0 else (
        parent_table, "nodeno, parentnode")  # an entry's leaf; a node's parent
    by_id = np.argsort(ids)
    for start in range(0, len(by_id), 20_000):  # a few lists of plain ints at a time
        part = by_id[start : start + 20_000]
        conn.executemany(f"INSERT INTO {pointer[0]} ({pointer[1]}) VALUES (?, ?)",
                         zip(ids[part].tolist(), node_of_cell[part].tolist(), strict=True))
    conn.executemany(f"INSERT INTO {node_table} (nodeno, data) VALUES (?, ?)",
                     zip(numbers.tolist(), _node_blobs(ids, boxes, per_node, node_bytes),
                         strict=True))
    starts = np.arange(0, len(ids), per_node)
    return np.column_stack([
        np.minimum.reduceat(boxes[:, 0], starts), np.maximum.reduceat(boxes[:, 1], starts),
        np.minimum.reduceat(boxes[:, 2], starts), np.maximum.reduceat(boxes[:, 3], starts)])


def _write_levels(conn: sqlite3.Connection, rtree: str, level_ids: np.ndarray,
                  level_boxes: np.ndarray, next_node: int, depth: int, node_bytes: int) -> None:
    """Pack the level ``depth`` entries ``level_ids``/``level_boxes`` (rounded float32) level
    by level up to the root (node 1). Each level is written as it is made, so what is held
    beside the arrays is one level's node blobs."""
    import numpy as np

    node_table, rowid_table, parent_table = _shadow(rtree)
    per_node = (node_bytes - 4) // CELL_BYTES
    while len(level_ids) > per_node:
        order = _str_order(level_boxes, per_node)
        count = -(-len(level_ids) // per_node)
        level_boxes = _write_nodes(conn, rtree, level_ids[order], level_boxes[order],
                                   next_node, depth, node_bytes)
        level_ids = np.arange(next_node, next_node + count, dtype=np.int64)
        next_node += count
        depth += 1
    root = bytearray(next(_node_blobs(level_ids, level_boxes, per_node, node_bytes))
                     if len(level_ids) else bytes(node_bytes))
    root[0:2] = depth.to_bytes(2, "big")
    conn.execute(f"UPDATE {node_table} SET data = ? WHERE nodeno = 1", (bytes(root),))
    if depth == 0:  # every entry fits in the root, a leaf
        conn.executemany(f"INSERT INTO {rowid_table} (rowid, nodeno) VALUES (?, 1)",
                         ((i,) for i in sorted(level_ids.tolist())))
    else:
        conn.executemany(f"INSERT INTO {parent_table} (nodeno, parentnode) VALUES (?, 1)",
                         ((n,) for n in level_ids.tolist()))


def write_packed(conn: sqlite3.Connection, rtree: str, ids: np.ndarray,
                 bounds: np.ndarray) -> None:
    """Replace everything in the rtree ``rtree`` by a packed tree of ``ids`` with ``bounds``
    ((n, 4) minx, miny, maxx, maxy; no NaN). The caller holds the transaction."""
    import numpy as np

    node_bytes, _ = _emptied(conn, rtree)
    _write_levels(conn, rtree, np.asarray(ids, dtype=np.int64), rounded(bounds), 2, 0,
                  node_bytes)


STREAM_NODES = 400  # leaves made and written at a time by write_packed_from


def create_scratch(conn: sqlite3.Connection) -> str:
    """A new, empty temporary table for rtree entries (id, then the boxes as stored), in
    SQLite's temp database: never in the file, gone with the connection."""
    name = f"citymgr_rtree_scratch_{next(_SCRATCH_NUMBERS)}"
    conn.execute(f"CREATE TEMP TABLE {name} (id INTEGER PRIMARY KEY, "
                 "minx REAL, maxx REAL, miny REAL, maxy REAL)")
    return name


def add_to_scratch(conn: sqlite3.Connection, scratch: str, ids: np.ndarray,
                   bounds: np.ndarray) -> None:
    """Add entries (``bounds`` (n, 4) minx, miny, maxx, maxy; NaN: none), rounded as stored."""
    import numpy as np

    ok = ~np.isnan(bounds).any(axis=1)
    boxes = rounded(bounds[ok]).astype(float)
    conn.executemany(f"INSERT INTO temp.{scratch} VALUES (?,?,?,?,?)",
                     zip(np.asarray(ids, dtype=np.int64)[ok].tolist(), *(boxes[:, i].tolist() for i in range(4)), strict=True))


def write_packed_from(conn: sqlite3.Connection, rtree: str, scratch: str) -> None:
    """:func:`write_packed` of the entries in the scratch table ``scratch``, holding a few
    hundred leaves' entries at a time: SQLite sorts them into Sort-Tile-Recursive order
    (by x, then by y within each slice; in its temp database when they are many) and
    the leaves are written as they come; only the levels above them (one box per leaf) are
    packed in memory."""
    import numpy as np

    node_bytes, per_node = _emptied(conn, rtree)
    n = conn.execute(f"SELECT count(*) FROM temp.{scratch}").fetchone()[0]
    if n <= per_node:  # it all fits in the root
        entries = np.array(conn.execute(f"SELECT * FROM temp.{scratch}").fetchall(),
                           dtype=np.float64).reshape(-1, 5)
        _write_levels(conn, rtree, entries[:, 0].astype(np.int64),
                      entries[:, 1:].astype(np.float32), 2, 0, node_bytes)
        return
    nodes = -(-n // per_node)
    slices = max(1, int(np.ceil(np.sqrt(nodes))))
    per_slice = per_node * -(-nodes // slices)
    rows = conn.execute(
        "SELECT id, minx, maxx, miny, maxy FROM (SELECT *, (row_number() OVER "
        f"(ORDER BY minx + maxx, id) - 1) / ? AS slice FROM temp.{scratch}) "
        "ORDER BY slice, miny + maxy, id", (per_slice,))
    level: list[np.ndarray] = []
    next_node = 2
    while chunk := rows.fetchmany(per_node * STREAM_NODES):
        entries = np.array(chunk, dtype=np.float64)
        level.append(_write_nodes(conn, rtree, entries[:, 0].astype(np.int64),
                                  entries[:, 1:].astype(np.float32), next_node, 0, node_bytes))
        next_node += len(level[-1])
    boxes = np.concatenate(level)
    _write_levels(conn, rtree, np.arange(2, next_node, dtype=np.int64), boxes, next_node, 1,
                  node_bytes)


_SCRATCH_NUMBERS = itertools.count(1)
