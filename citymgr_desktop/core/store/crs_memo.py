"""What a map needs to know of a CRS, remembered by the CRS's definition across processes.

A map in its file's own CRS needs no transformation, only four facts of that CRS: its name,
its WKT, whether it is geographic and the unit of its axes. pyproj gives them, but importing
pyproj costs a ``citymgr render`` ~70 ms of CPU, a tenth of drawing a small box. The facts
depend only on the definition (authority, code and WKT of the file's ``gpkg_spatial_ref_sys``
row), so they are remembered by a digest of it, in memory and in a small file beside the
integrity cache (a cache file of ``core/cache.py``), the first time pyproj is asked. A CRS
whose definition cannot be read is never remembered: it raises its error every time.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core import cache

if TYPE_CHECKING:
    from pyproj import CRS

_ENTRIES = 200
_lock = threading.Lock()
_memory: dict[str, CrsFacts] = {}


@dataclass(frozen=True)
class CrsFacts:
    """A CRS as a map uses it: ``name`` and ``wkt`` as pyproj gives them (``CRS.name``,
    ``CRS.to_wkt()``), ``geographic``, and ``unit_factor``: the unit of the first axis in
    metres (degrees in radians for a geographic CRS; 1.0 when unknown)."""

    name: str
    wkt: str
    geographic: bool
    unit_factor: float


def facts_of(crs: CRS) -> CrsFacts:
    """The facts of a pyproj CRS."""
    return CrsFacts(str(crs.name), crs.to_wkt(), bool(crs.is_geographic), unit_factor(crs))


def unit_factor(crs: CRS) -> float:
    """The unit of the first axis of ``crs`` in metres (or radians; 1.0 when unknown)."""
    try:
        factor = crs.axis_info[0].unit_conversion_factor
    except (IndexError, AttributeError):
        factor = 1.0
    return float(factor or 1.0)


def memo_file() -> Path:
    return cache.folder() / "crs.json"


def _digest(definition: tuple[Any, ...]) -> str:
    return hashlib.sha256(json.dumps(list(definition), default=str).encode()).hexdigest()


def _load() -> dict[str, CrsFacts]:
    return {k: CrsFacts(str(v[0]), str(v[1]), bool(v[2]), float(v[3]))
            for k, v in cache.load(memo_file(), _valid).items()}


def _valid(key: Any, value: Any) -> bool:
    return isinstance(value, list) and len(value) == 4 and isinstance(value[3], (int, float))


def facts(definition: tuple[Any, ...] | None, build: Callable[[], CRS]) -> CrsFacts:
    """The facts of the CRS ``build`` makes (with pyproj), remembered by ``definition`` (the
    stored definition it is made from; None: not remembered, always built)."""
    if definition is None:
        return facts_of(build())
    key = _digest(definition)
    with _lock:
        known = _memory.get(key)
    if known is None:
        known = _load().get(key)
    if known is not None:
        with _lock:
            _memory[key] = known
        return known
    found = facts_of(build())  # raises for a definition pyproj cannot read: not remembered
    _remember(key, found)
    return found


def _remember(key: str, found: CrsFacts) -> None:
    """Best effort: a memo that cannot be written only means pyproj is asked again."""
    with _lock:
        _memory[key] = found
    cache.remember(memo_file(), key, list(astuple(found)), _ENTRIES, _valid)
