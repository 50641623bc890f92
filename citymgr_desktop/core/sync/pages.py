"""Which rows of a table can differ between a package and its base, read from the files' pages.

A package goes out as a byte copy of its base, and SQLite rewrites only the pages an edit
touches: at a million features most pages of the two files are the same bytes at the same
page numbers. A leaf page of a table's b-tree that is byte for byte the same in both files,
and a leaf of that table in both, holds the same rows in both, so only the rowid ranges of
the other leaves need comparing row by row (:func:`diff.diff_table`).

Every page that differs must be accounted for: a page of some b-tree or of the freelist in
one of the files. One that is neither (an overflow page rewritten in place: a row longer
than a page whose new value has the same length) could hold a changed row behind an
unchanged leaf, so then nothing here is used and every table is compared whole. So is a
file SQLite would read otherwise than its bytes on the disk (WAL, a journal beside it,
auto-vacuum's pointer maps) or whose page format differs from the other's.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from citymgr_desktop.core import gpkg

MAX_SHARE = 0.5  # a table with more of its leaves changed is compared whole
STEP_PAGES = 256  # pages read and compared at a time (1 MB of 4 kB pages per file)
ROWID_MIN, ROWID_MAX = -(1 << 63), (1 << 63) - 1
FREE = 1  # the role of a freelist page; a b-tree page's is 2 * tree + (1 if a leaf)
TABLE_LEAF, TABLE_INTERIOR, INDEX_LEAF, INDEX_INTERIOR = 0x0D, 0x05, 0x0A, 0x02
MAX_DEPTH = 40

Ranges = np.ndarray  # (n, 2) int64: inclusive rowid ranges, ascending, apart
Leaves = tuple[np.ndarray, np.ndarray, np.ndarray]  # a table's leaf pages, their rowid ranges


class Unusable(Exception):
    """The files cannot be compared page by page (the caller compares every row)."""


@dataclass
class _File:
    path: Path
    page_size: int
    usable: int
    pages: int
    fd: int
    types: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    roles: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint16))

    def page(self, pgno: int) -> bytes:
        data = os.pread(self.fd, self.page_size, (pgno - 1) * self.page_size)
        if len(data) != self.page_size:
            raise Unusable
        return data


def changed_ranges(base: Path, other: Path, tables: Sequence[str]) -> dict[str, Ranges]:
    """For each table that can be narrowed, the rowid ranges in which its rows may differ
    between ``base`` and ``other``; a table left out must be compared whole, and so must all
    of them when the result is empty. A read transaction on each file keeps writers out
    while the pages are read; the sync's own write transaction keeps them out until it has
    compared the rows too."""
    files: list[_File] = []
    conns: list[sqlite3.Connection] = []
    try:
        schemas = []
        for path in (base, other):
            conn = sqlite3.connect(gpkg.read_only_uri(path), uri=True, isolation_level=None)
            conns.append(conn)
            conn.execute("BEGIN")
            schemas.append(_trees(conn))  # the file's shared lock is held from here on
            files.append(_open(path))
        b, f = files
        trees_b, trees_f = schemas
        if (b.page_size, b.usable) != (f.page_size, f.usable):
            return {}
        differs = _differing_pages(b, f)
        ids = {name: i + 1 for i, name in enumerate(sorted(set(trees_b) | set(trees_f)))}
        if 2 * len(ids) + 2 > np.iinfo(np.uint16).max:
            return {}
        for file, trees in ((b, trees_b), (f, trees_f)):
            file.roles = np.zeros(len(differs), np.uint16)
            _mark_freelist(file)
            for name, (root, is_table, _sql) in trees.items():
                _walk(file, root, is_table, 2 * ids[name])
        # every differing page is a page of some b-tree or of the freelist in either file
        if (differs & (b.roles == 0) & (f.roles == 0)).any():
            return {}
        # a leaf is the same in both files when it holds the same bytes and is a leaf of
        # the same table in both; the others' rows are compared
        pick = differs | (b.roles != f.roles)
        out: dict[str, Ranges] = {}
        for name in tables:
            if name not in trees_b or name not in trees_f or not trees_b[name][1] \
                    or trees_b[name][1:] != trees_f[name][1:]:
                continue  # not a table with rowids in both, or its columns differ
            leaf_role = 2 * ids[name] + 1
            sides = [_walk(file, trees[name][0], True, leaf_role - 1, pick)
                     for file, trees in ((b, trees_b), (f, trees_f))]
            if any(len(side[0]) > MAX_SHARE * max(int((file.roles == leaf_role).sum()), 1)
                   for side, file in zip(sides, (b, f), strict=True)):
                continue  # most of it changed: comparing it whole reads no more
            out[name] = _ranges(sides)
        return out
    except (OSError, Unusable, sqlite3.Error, struct.error, IndexError, ValueError):
        return {}
    finally:
        for file in files:
            os.close(file.fd)
        for conn in conns:
            conn.close()


def _open(path: Path) -> _File:
    for suffix in ("-wal", "-journal"):  # SQLite would read more than the file's bytes
        side = Path(str(path) + suffix)
        if side.exists() and side.stat().st_size > 0:
            raise Unusable
    with open(path, "rb") as fh:
        head = fh.read(100)
        size = os.fstat(fh.fileno()).st_size
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        raise Unusable
    page_size = struct.unpack_from(">H", head, 16)[0]
    page_size = 65536 if page_size == 1 else page_size
    if head[18] != 1 or head[19] != 1 or struct.unpack_from(">I", head, 52)[0] != 0 \
            or page_size < 512 or size % page_size:
        raise Unusable  # WAL, or auto-vacuum (pointer-map pages), or a torn file
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    return _File(path, page_size, page_size - head[20], size // page_size, fd)


def _differing_pages(b: _File, f: _File) -> np.ndarray:
    """differs[p]: page p is not the same bytes in both files (or is in one only); also
    fills each file's page types (the first byte of its b-tree page header)."""
    total = max(b.pages, f.pages)
    differs = np.ones(total + 1, bool)
    differs[0] = False
    ps, step = b.page_size, STEP_PAGES * b.page_size
    for file in (b, f):
        file.types = np.zeros(total + 1, np.uint8)
    with open(b.path, "rb", buffering=0) as fb, open(f.path, "rb", buffering=0) as ff:
        buf_b, buf_f = bytearray(step), bytearray(step)
        first = 1
        while first <= total:
            nb, nf = _fill(fb, buf_b), _fill(ff, buf_f)
            if nb % ps or nf % ps:
                raise Unusable
            for file, buf, n in ((b, buf_b, nb), (f, buf_f, nf)):
                if n:
                    file.types[first:first + n // ps] = \
                        np.frombuffer(buf, np.uint8, n)[::ps]
            both = min(nb, nf) // ps
            if both:
                if nb == nf and buf_b == buf_f:
                    differs[first:first + both] = False
                else:
                    left = np.frombuffer(buf_b, np.uint64, both * ps // 8).reshape(both, -1)
                    right = np.frombuffer(buf_f, np.uint64, both * ps // 8).reshape(both, -1)
                    differs[first:first + both] = (left != right).any(axis=1)
            if not nb and not nf:
                break
            first += max(nb, nf) // ps
    for file in (b, f):  # page 1's b-tree header follows the 100-byte file header
        file.types[1] = file.page(1)[100] if file.pages else 0
    return differs


def _fill(fh: Any, buf: bytearray) -> int:
    """Read into ``buf`` until it is full or the file ends; the bytes read."""
    view, done = memoryview(buf), 0
    while done < len(buf):
        n = fh.readinto(view[done:])
        if not n:
            break
        done += n
    return done


def _trees(conn: sqlite3.Connection) -> dict[str, tuple[int, bool, str]]:
    """name -> (root page, a table with rowids?, its SQL) for every b-tree of the file."""
    rows = conn.execute("SELECT type, name, rootpage, sql FROM sqlite_master "
                        "WHERE rootpage > 0").fetchall()
    out = {"sqlite_master": (1, True, "")}
    for kind, name, root, sql in rows:
        rowid = kind == "table" and "WITHOUT ROWID" not in (sql or "").upper()
        out[f"{kind}:{name}" if kind != "table" else name] = (root, rowid, sql or "")
    return out


def _mark_freelist(file: _File) -> None:
    head = file.page(1)
    trunk, left = struct.unpack_from(">II", head, 32)
    while trunk:
        if not 1 <= trunk <= file.pages or file.roles[trunk]:
            raise Unusable
        file.roles[trunk] = FREE
        data = file.page(trunk)
        nxt, n = struct.unpack_from(">II", data, 0)
        if n > file.usable // 4 - 2:
            raise Unusable
        for pgno in struct.unpack_from(f">{n}I", data, 8):
            if not 1 <= pgno <= file.pages:
                raise Unusable
            file.roles[pgno] = FREE
        left -= n + 1
        trunk = nxt
    if left != 0:
        raise Unusable


def _keys(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The varints (rowids) starting at offsets ``at`` of a page (``raw`` padded by 9)."""
    grid = raw[at[:, None] + np.arange(9)]
    value = np.zeros(len(at), np.int64)
    done = np.zeros(len(at), bool)
    for i in range(8):
        going = ~done
        value[going] = (value[going] << 7) | (grid[going, i] & 0x7F)
        done |= grid[:, i] < 0x80
    if not done.all():
        raise Unusable  # a rowid of 2**56 or more: not ours
    return value


def _walk(file: _File, root: int, is_table: bool, role: int,
          pick: np.ndarray | None = None) -> Leaves:
    """Without ``pick``: mark the tree's pages in ``file.roles`` (``role``, +1 for a leaf),
    checking that no page is used twice. With it: the table's leaves ``pick`` selects, with
    the range of rowids each may hold (pages, lows, highs). Only interior pages are read."""
    leaf_type, interior_type = (TABLE_LEAF, TABLE_INTERIOR) if is_table else \
        (INDEX_LEAF, INDEX_INTERIOR)
    marking = pick is None
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if not 1 <= root <= file.pages or (marking and file.roles[root]):
        raise Unusable
    stack = [(root, ROWID_MIN, ROWID_MAX, 0)]
    if file.types[root] == leaf_type:
        stack = []
        if marking:
            file.roles[root] = role + 1
        elif pick[root]:  # type: ignore[index]
            found.append((np.array([root]), np.array([ROWID_MIN]), np.array([ROWID_MAX])))
    while stack:
        pgno, lo, hi, depth = stack.pop()
        if file.types[pgno] != interior_type or depth > MAX_DEPTH or \
                (marking and file.roles[pgno]):
            raise Unusable  # a page used twice or out of the file: let SQLite say so
        raw = np.frombuffer(file.page(pgno) + bytes(9), np.uint8)
        off = 100 if pgno == 1 else 0
        n = int(raw[off + 3]) << 8 | int(raw[off + 4])
        at = np.frombuffer(raw[off + 12:off + 12 + 2 * n].tobytes(), ">u2").astype(np.int64)
        if n == 0 or at.min() < off + 12 or at.max() > file.usable - 5:
            raise Unusable
        four = raw[at[:, None] + np.arange(4)].astype(np.int64)
        right = raw[off + 8:off + 12].astype(np.int64)
        children = np.append((four[:, 0] << 24) | (four[:, 1] << 16) | (four[:, 2] << 8)
                             | four[:, 3], right[0] << 24 | right[1] << 16 | right[2] << 8
                             | right[3])
        leaf = file.types[children] == leaf_type
        if marking:
            ordered = np.sort(children)
            if ordered[0] < 1 or ordered[-1] > file.pages or \
                    (ordered[1:] == ordered[:-1]).any() or file.roles[children].any():
                raise Unusable
            file.roles[pgno] = role
            file.roles[children[leaf]] = role + 1
            stack.extend((c, lo, hi, depth + 1) for c in children[~leaf].tolist())
            continue
        keys = _keys(raw, at + 4)  # child i holds the rowids up to key i, after key i - 1
        highs = np.minimum(np.append(keys, hi), hi)
        lows = np.maximum(np.concatenate(([lo], np.minimum(keys, ROWID_MAX - 1) + 1)), lo)
        chosen = leaf & pick[children]  # type: ignore[index]
        if chosen.any():
            found.append((children[chosen], lows[chosen], highs[chosen]))
        stack.extend(zip(children[~leaf].tolist(), lows[~leaf].tolist(), highs[~leaf].tolist(),
                         [depth + 1] * int((~leaf).sum()), strict=True))
    if not found:
        return (np.zeros(0, np.int64),) * 3
    return tuple(np.concatenate(parts) for parts in zip(*found, strict=True))  # type: ignore[return-value]


def _ranges(sides: list[Leaves]) -> Ranges:
    """The rowid ranges of the leaves, merged where they touch or overlap."""
    lo = np.concatenate([lows for _pages, lows, _highs in sides])
    hi = np.concatenate([highs for _pages, _lows, highs in sides])
    keep = lo <= hi
    order = np.argsort(lo[keep], kind="stable")
    lo, hi = lo[keep][order], hi[keep][order]
    if not len(lo):
        return np.zeros((0, 2), np.int64)
    reach = np.maximum.accumulate(hi)  # the highest rowid covered so far
    starts = np.ones(len(lo), bool)
    starts[1:] = lo[1:] > np.minimum(reach[:-1], ROWID_MAX - 1) + 1
    first = np.flatnonzero(starts)
    last = np.append(first[1:] - 1, len(lo) - 1)
    return np.stack([lo[first], reach[last]], axis=1)
