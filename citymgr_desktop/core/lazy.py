"""A package's names loaded on first use (PEP 562): the package lists which of its modules
holds each name, and a command that never touches a name never pays for its module's
imports (NumPy for the base maps' rasters, psycopg and the writer for the PostGIS store)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def names_on_first_use(package: str, module_of: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``name`` imported from ``package.module_of[name]``
    when first asked for, then kept in the package like an eagerly imported name."""
    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        vars(sys.modules[package])[name] = value
        return value
    return __getattr__
