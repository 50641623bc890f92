"""PROJ's transformation for a CRS pair whose answer does not depend on where the data is,
remembered across processes (an import's one PROJ search, ~0.05-0.1 s of CPU, most of it
PROJ walking its database for datum shifts and pivots).

PROJ chooses a transformation for the data's extent (``crs.plan_transform``): a 1 m
transformation where it covers the data, a 6 m one elsewhere. That choice can only depend on
the extent when the database holds a datum transformation between the two CRSs (or one that
needs a grid). So the pair is searched once with the whole world as the area of interest:
when that gives exactly one candidate, none that needs a missing grid, and its steps are
conversions (projections, axis order, unit changes), null shifts, or the ballpark shift PROJ
makes when the database has no transformation at all between the two datums, then no extent
can give another answer, and that one is remembered by the two CRSs' WKT, the PROJ version
and its database file, in memory and in a small file beside the integrity cache. Any other
pair (Czechia's 1 m and 6 m S-JTSK shifts, British OSTN15, a grid not installed) is
remembered as "search every time with the data's extent", exactly as without this memo.
Checked against PROJ's own search with the extent for 15 pairs and 25 extents each (inside
the CRS's area of use and partly outside): the same candidate, description and accuracy.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyproj import CRS, Transformer
from pyproj.transformer import AreaOfInterest, TransformerGroup

from citymgr_desktop.core import cache

_ENTRIES = 200
_WORLD = AreaOfInterest(-180.0, -90.0, 180.0, 90.0)
_lock = threading.Lock()
_memory: dict[str, dict[str, Any] | None] = {}


@dataclass(frozen=True)
class Operation:
    """One candidate transformation as the import uses it: PROJ's pipeline (for the
    coordinates), its description, the names of its steps and its accuracy (metres; -1 or
    None: unknown)."""

    transformer: Transformer
    description: str
    names: tuple[str, ...]
    accuracy: float | None

    @classmethod
    def of(cls, tr: Transformer) -> Operation:
        return cls(tr, tr.description or "", tuple(op.name for op in (tr.operations or [])),
                   tr.accuracy)


def memo_file() -> Path:
    return cache.folder() / "proj_operations.json"


def remembered(source: CRS, target: CRS) -> Operation | None:
    """PROJ's one answer for ``source`` -> ``target`` at any extent, or None: search with
    the data's extent (see the module docstring). The first call for a pair searches."""
    try:
        key = _key(source, target)
    except Exception:  # no PROJ data folder to name: the search says what is wrong
        return None
    with _lock:
        known = key in _memory
        entry = _memory.get(key)
    if not known:
        loaded = cache.load(memo_file(), _valid)
        known = key in loaded
        entry = loaded.get(key)
        if not known:
            entry = _search(source, target)
            # best effort: a memo that cannot be written only means the next import searches
            cache.remember(memo_file(), key, entry, _ENTRIES, _valid)
        with _lock:
            _memory[key] = entry
    if entry is None:
        return None
    try:
        tr = Transformer.from_pipeline(entry["definition"])
        accuracy = None if entry["accuracy"] is None else float(entry["accuracy"])
        return Operation(tr, str(entry["description"]), tuple(str(n) for n in entry["names"]),
                         accuracy)
    except Exception:  # a memo file someone else wrote: search as without it
        return None


def _search(source: CRS, target: CRS) -> dict[str, Any] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            group = TransformerGroup(source, target, always_xy=True, area_of_interest=_WORLD)
    except Exception:  # the search with the data's extent says what is wrong
        return None
    if len(group.transformers) != 1 or group.unavailable_operations \
            or not group.best_available:
        return None
    tr = group.transformers[0]
    if not tr.operations or not all(_anywhere(step) for step in tr.operations):
        return None
    op = Operation.of(tr)
    return {"definition": tr.definition, "description": op.description,
            "names": list(op.names), "accuracy": op.accuracy}


def _anywhere(step: Any) -> bool:
    """Whether a step of PROJ's answer is the same wherever the data is: a conversion
    (projection, axis order, units) or the null/ballpark offset PROJ makes itself when its
    database has no transformation between the two datums -- not one from the database
    (those have an area of use, and may have rivals elsewhere)."""
    if step.type_name == "Conversion":
        return True
    return step.name.startswith(("Ballpark geographic offset from ",
                                 "Null geographic offset from "))


def _key(source: CRS, target: CRS) -> str:
    import pyproj
    from pyproj.datadir import get_data_dir

    db = Path(get_data_dir().split(os.pathsep)[0]) / "proj.db"
    try:
        st = db.stat()
        stamp: tuple[Any, ...] = (str(db), st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (str(db),)
    what = [pyproj.__version__, pyproj.proj_version_str, *stamp, source.to_wkt(),
            target.to_wkt()]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def _valid(key: Any, value: Any) -> bool:
    return value is None or (isinstance(value, dict) and {
        "definition", "description", "names", "accuracy"} <= set(value))
