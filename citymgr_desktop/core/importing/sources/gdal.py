"""pyogrio (GDAL) loaded without pandas and GeoPandas.

pyogrio's package start (``pyogrio._compat``) imports GeoPandas and pandas only to find out
whether they are installed, ~0.4 s of a process's start before the first feature is read,
for an import that never uses them (the sources are read as Arrow columns). Here pyogrio is
imported with those two hidden, and the facts ``_compat`` would have found are put back
afterwards (from the installed packages' metadata, without importing them), so that
``pyogrio.read_dataframe`` and ``write_dataframe`` work as before in the same process.
When pyogrio is already imported nothing is done.
"""

from __future__ import annotations

import sys
from importlib import metadata, util
from types import ModuleType

_HIDDEN = ("geopandas", "pandas")
_PANDAS_AT_LEAST = {"PANDAS_GE_15": "1.5.0", "PANDAS_GE_20": "2.0.0",
                    "PANDAS_GE_22": "2.2.0", "PANDAS_GE_23": "2.3.0",
                    "PANDAS_GE_30": "3.0.0dev"}  # as pyogrio/_compat.py spells them


def load_pyogrio() -> ModuleType:
    """The ``pyogrio`` module (see the module docstring)."""
    if "pyogrio" in sys.modules:
        return sys.modules["pyogrio"]
    hidden = [name for name in _HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # "import name" fails at once
    try:
        import pyogrio
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    if hidden:
        _found_again()
    return pyogrio


def _found_again() -> None:
    """What ``pyogrio._compat`` finds with GeoPandas and pandas visible, in ``_compat`` and
    in ``pyogrio.geopandas``, which copied the flags at its import."""
    from packaging.version import Version
    from pyogrio import _compat
    from pyogrio import geopandas as pyogrio_geopandas

    facts: dict[str, bool] = {}
    if hasattr(_compat, "HAS_GEOPANDAS"):
        facts["HAS_GEOPANDAS"] = util.find_spec("geopandas") is not None
    try:
        pandas = Version(metadata.version("pandas"))
    except metadata.PackageNotFoundError:
        pandas = None
    for flag, at_least in _PANDAS_AT_LEAST.items():
        if hasattr(_compat, flag):
            facts[flag] = pandas is not None and pandas >= Version(at_least)
    for flag, value in facts.items():
        setattr(_compat, flag, value)
        if hasattr(pyogrio_geopandas, flag):
            setattr(pyogrio_geopandas, flag, value)


pyogrio = load_pyogrio()
