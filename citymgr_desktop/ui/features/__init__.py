"""Feature modules that plug into the main window.

Each module here defines ``install(window)``: it adds its menus, actions, docks and dialogs
to a :class:`~citymgr_desktop.ui.main_window.MainWindow` through the window's public
contract (docs/ui-architecture.md). The window discovers and installs them in ``ORDER``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    """All feature modules, sorted by their ``ORDER`` (default 50) and name."""
    mods = [importlib.import_module(f"{__name__}.{info.name}")
            for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))
