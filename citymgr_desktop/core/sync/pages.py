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

Plain Python on bytes (no NumPy: a sync does not load it): the files are compared a
megabyte at a time, and only the b-trees' interior pages are parsed.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from citymgr_desktop.core import gpkg

MAX_SHARE = 0.5  # a table with more of its leaves changed is compared whole
STEP_PAGES = 256  # pages read and compared at a time (1 MB of 4 kB pages per file)
SPLIT = 16  # a differing step is compared in this many parts, then page by page
ROWID_MIN, ROWID_MAX = -(1 << 63), (1 << 63) - 1
FREE = 1  # the role of a freelist page; a b-tree page's is 2 * tree + (1 if a leaf)
TABLE_LEAF, TABLE_INTERIOR, INDEX_LEAF, INDEX_INTERIOR = 0x0D, 0x05, 0x0A, 0x02
MAX_DEPTH = 40
_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from

Ranges = list[tuple[int, int]]  # inclusive rowid ranges, ascending, apart


class Unusable(Exception):
    """The files cannot be compared page by page (the caller compares every row)."""


@dataclass
class _File:
    path: Path
    page_size: int
    usable: int
    pages: int
    fd: int
    types: bytearray = field(default_factory=bytearray)  # each page's first header byte
    roles: array = field(default_factory=lambda: array("H"))  # FREE, or a tree's role
    leaves: dict[int, int] = field(default_factory=dict)  # leaf role -> its leaf count
    kids: dict[int, array] = field(default_factory=dict)  # the compared tables' interiors

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
        if 2 * len(ids) + 2 > 0xFFFF:
            return {}
        for file, trees in ((b, trees_b), (f, trees_f)):
            file.roles = array("H", bytes(2 * len(differs)))
            _mark_freelist(file)
            for name, (root, is_table, _sql) in trees.items():
                _mark(file, root, is_table, 2 * ids[name], keep=name in tables)
        # every differing page is a page of some b-tree or of the freelist in either file
        pgno = differs.find(1)
        while pgno >= 0:
            if not b.roles[pgno] and not f.roles[pgno]:
                return {}
            pgno = differs.find(1, pgno + 1)
        out: dict[str, Ranges] = {}
        for name in tables:
            if name not in trees_b or name not in trees_f or not trees_b[name][1] \
                    or trees_b[name][1:] != trees_f[name][1:]:
                continue  # not a table with rowids in both, or its columns differ
            role = 2 * ids[name]
            found: Ranges = []
            for file, trees in ((b, trees_b), (f, trees_f)):
                # a leaf is the same in both files when it holds the same bytes and is a
                # leaf of this table in both; the others' rows are compared
                picked = _changed_leaves(file, trees[name][0], role, differs, b.roles, f.roles)
                if len(picked) > MAX_SHARE * max(file.leaves.get(role + 1, 0), 1):
                    break  # most of it changed: comparing it whole reads no more
                found.extend(picked)
            else:
                out[name] = _merged(found)
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
    page_size = _U16(head, 16)[0]
    page_size = 65536 if page_size == 1 else page_size
    if head[18] != 1 or head[19] != 1 or _U32(head, 52)[0] != 0 or page_size < 512 \
            or size % page_size:
        raise Unusable  # WAL, or auto-vacuum (pointer-map pages), or a torn file
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    return _File(path, page_size, page_size - head[20], size // page_size, fd)


def _differing_pages(b: _File, f: _File) -> bytearray:
    """differs[p] is 1 when page p is not the same bytes in both files (or is in one only);
    also fills each file's page types (the first byte of a b-tree page's header)."""
    total = max(b.pages, f.pages)
    differs = bytearray(b"\x01") * (total + 1)
    differs[0] = 0
    ps, step = b.page_size, STEP_PAGES * b.page_size
    b.types, f.types = bytearray(total + 1), bytearray(total + 1)
    with open(b.path, "rb", buffering=0) as fb, open(f.path, "rb", buffering=0) as ff:
        buf_b, buf_f = bytearray(step), bytearray(step)
        first = 1
        while first <= total:
            nb, nf = _fill(fb, buf_b), _fill(ff, buf_f)
            if nb % ps or nf % ps or not (nb or nf):
                raise Unusable
            b.types[first:first + nb // ps] = buf_b[0:nb:ps]
            f.types[first:first + nf // ps] = buf_f[0:nf:ps]
            both = min(nb, nf) // ps
            if nb == nf == step and buf_b == buf_f:
                differs[first:first + both] = bytes(both)
            else:
                _mark_same(buf_b, buf_f, both, ps, differs, first)
            first += max(nb, nf) // ps
    b.types[1] = b.page(1)[100]  # page 1's b-tree header follows the 100-byte file header
    f.types[1] = f.page(1)[100]
    return differs


def _mark_same(buf_b: bytearray, buf_f: bytearray, pages: int, ps: int, differs: bytearray,
               first: int) -> None:
    """Clear ``differs`` for the pages of one step that are the same in both buffers: in
    SPLIT parts, then page by page within the parts that differ."""
    part = max(1, pages // SPLIT)
    for start in range(0, pages, part):
        end = min(pages, start + part)
        if buf_b[start * ps:end * ps] == buf_f[start * ps:end * ps]:
            differs[first + start:first + end] = bytes(end - start)
            continue
        for i in range(start, end):
            if buf_b[i * ps:(i + 1) * ps] == buf_f[i * ps:(i + 1) * ps]:
                differs[first + i] = 0


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
            if not 1 <= pgno <= file.pages or file.roles[pgno]:
                raise Unusable
            file.roles[pgno] = FREE
        left -= n + 1
        trunk = nxt
    if left != 0:
        raise Unusable


def _children(file: _File, pgno: int) -> tuple[bytes, list[int], tuple[int, ...]]:
    """An interior page: its bytes, its children (the right-most last) and its cells'
    offsets."""
    data = file.page(pgno)
    off = 100 if pgno == 1 else 0
    n = _U16(data, off + 3)[0]
    cells = struct.unpack_from(f">{n}H", data, off + 12)
    if not n or min(cells) < off + 12 or max(cells) > file.usable - 5:
        raise Unusable
    return data, [_U32(data, c)[0] for c in cells] + [_U32(data, off + 8)[0]], cells


def _mark(file: _File, root: int, is_table: bool, role: int, keep: bool = False) -> None:
    """Mark a b-tree's pages in ``file.roles`` (``role``, +1 for a leaf) and count its
    leaves, reading only its interior pages (``keep``: remember their children for
    :func:`_changed_leaves`); a page used twice, out of the file or of the wrong kind stops
    it (SQLite, comparing every row, will say what is wrong)."""
    leaf_type, interior_type = (TABLE_LEAF, TABLE_INTERIOR) if is_table else \
        (INDEX_LEAF, INDEX_INTERIOR)
    roles, types, last, leaf = file.roles, file.types, file.pages, role + 1
    if not 1 <= root <= last or roles[root]:
        raise Unusable
    leaves = 0
    stack: list[int] = []
    if types[root] == leaf_type:
        roles[root] = leaf
        leaves = 1
    else:
        roles[root] = role
        stack.append(root)
    depth = {root: 0}
    while stack:
        pgno = stack.pop()
        below = depth.pop(pgno) + 1
        if types[pgno] != interior_type or below > MAX_DEPTH:
            raise Unusable
        children = _children(file, pgno)[1]
        if keep:
            file.kids[pgno] = array("I", children)
        for child in children:
            if not 1 <= child <= last or roles[child]:
                raise Unusable
            if types[child] == leaf_type:
                roles[child] = leaf
                leaves += 1
            else:
                roles[child] = role
                stack.append(child)
                depth[child] = below
    file.leaves[leaf] = leaves


def _varint(data: bytes, pos: int) -> int:
    value = 0
    for i in range(8):
        byte = data[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    value = (value << 8) | data[pos + 8]
    return value - (1 << 64) if value >= 1 << 63 else value


def _changed_leaves(file: _File, root: int, role: int, differs: bytearray, roles_b: array,
                    roles_f: array) -> Ranges:
    """The rowid ranges of the table's leaves in ``file`` that are not the same leaf in
    both files: a leaf whose bytes differ, or that is not a leaf of this table in the other
    file (the tree as :func:`_mark` checked and kept it)."""
    leaf, roles = role + 1, file.roles
    if roles[root] == leaf:
        same = not differs[root] and roles_b[root] == roles_f[root] == leaf
        return [] if same else [(ROWID_MIN, ROWID_MAX)]
    out: Ranges = []
    stack = [(root, ROWID_MIN, ROWID_MAX)]
    while stack:
        pgno, lo, hi = stack.pop()
        children = file.kids[pgno]
        wanted = [i for i, child in enumerate(children)
                  if roles[child] != leaf or differs[child] or roles_b[child] != roles_f[child]]
        if not wanted:
            continue
        data, _children_again, cells = _children(file, pgno)
        for i in wanted:
            # child i holds the rowids after key i - 1, up to key i (the last: up to hi)
            low = lo if i == 0 else min(_varint(data, cells[i - 1] + 4), ROWID_MAX - 1) + 1
            high = hi if i == len(cells) else min(_varint(data, cells[i] + 4), hi)
            low = max(low, lo)
            if roles[children[i]] == leaf:
                out.append((low, high))
            else:
                stack.append((children[i], low, high))
    return out


def _merged(ranges: Ranges) -> Ranges:
    """The ranges sorted, those that touch or overlap joined."""
    out: Ranges = []
    for lo, hi in sorted(r for r in ranges if r[0] <= r[1]):
        if out and lo <= min(out[-1][1], ROWID_MAX - 1) + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out
