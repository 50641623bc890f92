"""The features that plug into the main window, and the one place that finds them.

A feature is a package under ``ui/`` with a module ``feature.py`` that defines
``install(window)`` (and optionally ``ORDER``, default 50): it adds its menus, actions,
docks and dialogs through the window contract (:mod:`citymgr_desktop.ui.shell.window`).
Features never import each other; the shell imports none of them by name.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from types import ModuleType

import citymgr_desktop.ui as ui_package

log = logging.getLogger(__name__)
NOT_FEATURES = frozenset({"shell", "map", "widgets"})


def feature_module_names() -> list[str]:
    """``citymgr_desktop.ui.<package>.feature`` for every feature package, by name."""
    return [f"{ui_package.__name__}.{info.name}.feature"
            for info in pkgutil.iter_modules(ui_package.__path__)
            if info.ispkg and info.name not in NOT_FEATURES and not info.name.startswith("_")]


def feature_name(module: ModuleType) -> str:
    """The feature's package name: ``editing`` for ``citymgr_desktop.ui.editing.feature``."""
    return module.__name__.rsplit(".", 2)[-2]


def discover(errors: dict[str, str] | None = None) -> list[ModuleType]:
    """The feature modules sorted by ``ORDER`` (default 50) and name. One that fails to
    import is logged and, when ``errors`` is given, recorded there (module -> error)."""
    mods = []
    for name in feature_module_names():
        try:
            mods.append(importlib.import_module(name))
        except Exception as exc:  # a broken feature must not take the app down
            if errors is None:
                raise
            errors[name] = f"{type(exc).__name__}: {exc}"
            log.exception("feature %s failed to import", name)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))
