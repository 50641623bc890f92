"""One door to the data: ui/, cli/, export/ and render/ ask the store and never run SQL or hold
its connection (STYLE.md 18), so a second store backend (PostGIS) can stand behind the same
interface. The modules are parsed, not imported: this runs without Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "citymgr_desktop"
OUTSIDE_THE_CORE = ("ui", "cli", "export", "render")
SQL_CALLS = frozenset({"execute", "executemany", "executescript", "cursor"})


def _modules() -> list[Path]:
    return sorted(p for part in OUTSIDE_THE_CORE for p in (PACKAGE / part).rglob("*.py"))


def door_violations(source: str, name: str) -> list[str]:
    """``name:line: what`` for each way ``source`` goes around the store."""
    out = []
    for node in ast.walk(ast.parse(source, filename=name)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            out += [f"{name}:{line}: import {a.name}" for a in node.names
                    if a.name == "sqlite3" or a.name.startswith("sqlite3.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == "sqlite3" or node.module.startswith("sqlite3.")):
            out.append(f"{name}:{line}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in SQL_CALLS:
            out.append(f"{name}:{line}: .{node.func.attr}(...) runs SQL; ask the store")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            out.append(f"{name}:{line}: .conn is the store's connection; ask the store")
    return out


def test_only_the_store_runs_sql():
    found = []
    for path in _modules():
        rel = path.relative_to(PACKAGE).as_posix()
        found += door_violations(path.read_text(encoding="utf-8"), rel)
    assert not found, "outside the core, ask the store:\n" + "\n".join(found)


@pytest.mark.parametrize(("source", "what"), [
    ("import sqlite3", "import sqlite3"),
    ("import sqlite3.dbapi2 as db", "import sqlite3.dbapi2"),
    ("from sqlite3 import connect", "from sqlite3 import"),
    ("store.conn.execute('SELECT 1')", ".execute(...)"),
    ("c.executemany('INSERT', rows)", ".executemany(...)"),
    ("c.executescript('x')", ".executescript(...)"),
    ("cur = db.cursor()", ".cursor(...)"),
    ("f(window.store.conn)", ".conn is"),
    ("self.conn = None", ".conn is"),
])
def test_the_check_catches(source, what):
    hits = [v for v in door_violations(source, "ui/x.py") if what in v]
    assert hits and all(h.startswith("ui/x.py:1: ") for h in hits)


def test_the_check_lets_the_store_be_asked():
    source = ("from citymgr_desktop.core.store.geopackage import Store\n"
              "rows = store.get_rows('litter_bin', ids)\n"
              "connection = store.connections\n"
              "self.connect(x)\n")
    assert door_violations(source, "ui/x.py") == []


# -- no import circles anywhere ---------------------------------------------------------------
def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the project modules it imports (at the top, in functions or for typing):
    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``."""
    root = package.name
    modules = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    target = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    target = node.module or ""
                if not target.startswith(root):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    hit = sub if sub in modules else target if target in modules else None
                    if hit and hit != name:
                        graph[name].add(hit)
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules} - {name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles():
    found = circles(import_graph())
    assert not found, "modules that import each other:\n" + "\n".join(map(" <-> ".join, found))


def test_the_circle_check_catches_a_lazy_import():
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p.d": {"p.a"}}
    assert circles(graph) == [["p.a", "p.b", "p.c"]]
    assert circles({"p.a": {"p.b"}, "p.b": set()}) == []
