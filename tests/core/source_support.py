"""Reading the package's own source for tests that check it (translations, user-visible
strings): the one helper that names what a call calls."""

from __future__ import annotations

import ast


def call_name(func: ast.expr) -> str | None:
    """The name a call or a base class is spelled with: ``tr`` for ``tr(…)`` and
    ``self.tr(…)``, ``CitymgrError`` for ``errors.CitymgrError``; None for anything else."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None
