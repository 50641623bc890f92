"""Every message a person can see has a Chinese translation.

Two catalogues: ``tr("…")`` source strings of the UI (``resources/i18n/zh_CN/<feature>.json``)
and message templates of the core and the command line (errors and other
:class:`~citymgr_desktop.core.messages.Message` s, ``resources/i18n/zh_CN/errors.json``). Both
are found by reading the source (AST), so a new string without its translation fails here.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from citymgr_desktop.core.messages import field_names
from tests.core.source_support import call_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "citymgr_desktop"
CATALOGUE = PACKAGE / "resources" / "i18n" / "zh_CN"
MESSAGE_MAKERS = {"msg", "Message"}  # a Message from a template
MECHANISM = {"core/messages.py", "core/errors.py"}  # build Messages from templates they are given


def _sources(folder: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(folder.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def error_classes() -> set[str]:
    """``CitymgrError`` and every class deriving from it anywhere in the package."""
    found = {"CitymgrError"}
    bases: dict[str, set[str]] = {}
    for _, tree in _sources(PACKAGE):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    n for n in (call_name(b) for b in node.bases) if n)
    while True:
        more = {c for c, b in bases.items() if b & found} - found
        if not more:
            return found
        found |= more


def template_sites() -> list[tuple[str, int, ast.expr | None]]:
    """(module, line, template) of every error raised or Message made; a template named by
    a module constant (``msg(CREATED, …)``) is that constant's value."""
    makers = error_classes() | MESSAGE_MAKERS
    out = []
    for module, tree in _sources(PACKAGE):
        if module in MECHANISM:
            continue
        names = _assignments(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and call_name(node.func) in makers:
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Name) and isinstance(names.get(arg.id), ast.Constant):
                    arg = names[arg.id]
                out.append((module, node.lineno, arg))
    return out


def tr_sites() -> list[tuple[str, int, list[str] | None]]:
    """(module, line, source strings) of every ``tr(…)`` / ``self.tr(…)`` / ``i18n.tr(…)``
    call in the UI; None where the argument cannot be read from the source."""
    out = []
    for module, tree in _sources(PACKAGE / "ui"):
        names = _assignments(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and call_name(node.func) == "tr":
                arg = node.args[0] if node.args else None
                out.append((module, node.lineno, _strings(arg, names)))
    return out


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Module- and class-level ``NAME = value`` (the tables a ``tr(TABLE[key])`` reads)."""
    found: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef)):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = call_name(stmt.targets[0])
                    if target:
                        found[target] = stmt.value
    return found


def _strings(arg: ast.expr | None, names: dict[str, ast.expr]) -> list[str] | None:
    """The source strings a ``tr()`` argument can be: a constant, or the texts of a constant
    table it looks up (``TABLE[key]``, ``TABLE.get(key, fallback)``: the fallback is for keys
    the table does not know, not a text of its own)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, (ast.Name, ast.Attribute)) and call_name(arg) in names:
        return _strings(names[call_name(arg)], names)
    if isinstance(arg, ast.Dict):
        return _all(arg.values, names)
    if isinstance(arg, (ast.Tuple, ast.List, ast.Set)):
        return _all(arg.elts, names)
    if isinstance(arg, ast.Subscript):
        return _strings(arg.value, names)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) \
            and arg.func.attr == "get":
        return _strings(arg.func.value, names)
    return None


def _all(items: list, names: dict[str, ast.expr]) -> list[str] | None:
    out: list[str] = []
    for item in items:
        got = _strings(item, names)
        if got is None:
            return None
        out += got
    return out


def _load(names: list[str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for name in names:
        merged.update(json.loads((CATALOGUE / name).read_text(encoding="utf-8")))
    return merged


def _constant(arg: ast.expr | None) -> str | None:
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def test_every_error_and_message_template_is_constant_and_translated():
    catalogue = _load(["errors.json"])
    problems = []
    for module, line, arg in template_sites():
        template = _constant(arg)
        where = f"{module}:{line}"
        if template is None:
            problems.append(f"{where}: the template is not a constant string "
                            f"({ast.unparse(arg) if arg is not None else 'no argument'})")
        elif not catalogue.get(template, "").strip():
            problems.append(f"{where}: no Chinese in errors.json for {template!r}")
        elif field_names(catalogue[template]) != field_names(template):
            problems.append(f"{where}: the translation of {template!r} has the fields "
                            f"{sorted(field_names(catalogue[template]))}, the template "
                            f"{sorted(field_names(template))}")
    assert not problems, f"{len(problems)} template(s):\n" + "\n".join(problems)


def test_every_tr_string_of_the_ui_has_a_translation():
    catalogue = _load(sorted(p.name for p in CATALOGUE.glob("*.json") if p.name != "errors.json"))
    problems = []
    for module, line, texts in tr_sites():
        if texts is None:
            problems.append(f"{module}:{line}: tr() of text that is not in the source")
            continue
        problems += [f"{module}:{line}: no Chinese for {text!r}" for text in texts
                     if not catalogue.get(text, "").strip()]
    assert not problems, f"{len(problems)} string(s):\n" + "\n".join(problems)


def test_catalogues_are_sorted_json_maps_of_text():
    for path in sorted(CATALOGUE.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict), path.name
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()), path.name
    errors = json.loads((CATALOGUE / "errors.json").read_text(encoding="utf-8"))
    assert list(errors) == sorted(errors), "errors.json: keep the templates sorted"


def test_the_finders_see_what_they_should():
    """Guard the guards: the walkers find the kinds of call they are meant to find."""
    assert {"ValidationError", "IllegalTransitionError", "ExpressionError"} <= error_classes()
    modules = {m for m, _, _ in template_sites()}
    assert {"core/store/files.py", "core/expression/parser.py", "cli/commands/render.py"} \
        <= modules
    assert len(tr_sites()) > 500


@pytest.mark.parametrize("lang", ["zh_CN", "zh"])
def test_an_error_renders_in_chinese(lang):
    from citymgr_desktop.core.errors import BadFileError

    err = BadFileError("{path}: no such file", path="a.gpkg")
    assert str(err) == "a.gpkg: no such file"
    assert err.render(lang) != str(err) and "a.gpkg" in err.render(lang)
