"""Reprojection for import: the source's CRS to the project's, with the datum shift done right
and the project CRS's area of use enforced.

- WGS 84, CGCS2000, ITRF and ETRS89 realise the same terrestrial frame to within about a
  metre; PROJ joins them with a "ballpark" (null) shift, which is right at that level, and the
  report says so.
- The transformation is chosen for the data's extent (PROJ's area of interest), as GDAL does:
  a country-wide 6 m transformation is not used where a 1 m one covers the data. The report
  names it with its accuracy and lists the others; the user may pick one (``choice``).
- Beijing 1954, Xian 1980, Tokyo and other local datums often have no transformation PROJ can
  run here (none public, or a grid not installed): a ballpark shift is off by hundreds of
  metres (computed for the data from the datums' shifts to WGS 84), so it is refused, naming
  the missing grid, unless the source CRS carries the local parameters (``+towgs84=...``) or
  the user accepts it explicitly. PROJ's own warnings become these words, never raw output.
- Features outside the project CRS's area of use are refused (a projection is meaningless far
  from its zone); if none is inside, the whole import stops with the data's lon/lat extent, the
  usual sign of a wrong source CRS. Tables whose X/Y follow the survey convention (X = north)
  are swapped back when only the swapped order lands inside.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.transformer import AreaOfInterest, TransformerGroup

from citymgr_desktop.core.errors import CrsError, ValidationError
from citymgr_desktop.core.importing.proj_memo import Operation, remembered
from citymgr_desktop.core.messages import Message, msg

AREA_TOLERANCE_DEG = 0.1  # projections stay accurate a little past the edge (≈10 km)
SAME_FRAME_DATUMS = ("World Geodetic System 1984", "China 2000",
                     "China Geodetic Coordinate System 2000",
                     "International Terrestrial Reference Frame",
                     "European Terrestrial Reference System 1989")
WGS84 = CRS.from_epsg(4326)
Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees


@dataclass
class TransformPlan:
    """How source coordinates become project coordinates, in words for the report."""

    source: CRS
    target: CRS
    steps: list[Transformer]  # applied in turn; empty when source and target are the same
    description: str
    notes: list[Message] = field(default_factory=list)
    accuracy: float | None = None  # metres, as PROJ states it (None: unknown or ballpark)
    choice: int = 1  # which of the candidates (1 = PROJ's first for the data's extent)
    alternatives: list[dict[str, Any]] = field(default_factory=list)  # the other candidates

    @property
    def transformer(self) -> Transformer | None:
        return self.steps[0] if self.steps else None

    def to_report(self) -> dict[str, Any]:
        return {"transformation": self.description, "accuracy_m": self.accuracy,
                "choice": self.choice, "alternatives": self.alternatives}


_TRANSFORMERS = threading.local()  # per thread: a Transformer is not to be shared


def cached_transformer(source: CRS, target: CRS) -> Transformer:
    """``Transformer.from_crs`` without PROJ's warning about a missing grid on stderr; made
    once per pair and thread (0.1-0.2 s each: every batch of an import asks again)."""
    made = _TRANSFORMERS.__dict__.setdefault("made", {})
    key = (source.to_wkt(), target.to_wkt())
    if key not in made:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made.clear() if len(made) > 8 else None
            made[key] = Transformer.from_crs(source, target, always_xy=True)
    return made[key]


def _frame(crs: CRS) -> str:
    datum = crs.datum.name if crs.datum is not None else ""
    return next((f for f in SAME_FRAME_DATUMS if datum.startswith(f)), "")


def resolve_source_crs(crs: CRS | None, geoms: np.ndarray,
                       path: str) -> tuple[CRS, list[Message]]:
    """The source's CRS, or WGS 84 when it has none and its coordinates are lon/lat."""
    if crs is not None:
        return crs, []
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return WGS84, [msg("the source states no CRS and has no geometries")]
    if present:
        b = shapely.total_bounds(np.array(present, dtype=object))
        if b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90:
            return WGS84, [msg("the source states no CRS; its coordinates look like "
                               "longitude/latitude, so WGS 84 (EPSG:4326) was assumed")]
    raise CrsError("{path}: the source states no coordinate reference system (no .prj?) and its "
                   "coordinates are not longitude/latitude; give it with --source-crs, e.g. "
                   "EPSG:4547", path=path)


_SAME_FRAME_CRS_NAMES = ("WGS 84", "China Geodetic Coordinate System 2000", "CGCS2000",
                         "ITRF", "ETRS89", "GDA2020")
_BALLPARK = re.compile(r"ballpark geographic offset from (.+) to (.+)", re.IGNORECASE)


def harmless_ballpark(op_name: str) -> bool:
    """A null shift between two realisations of the ITRF (metre level) is right."""
    m = _BALLPARK.match(op_name)
    if not m:
        return False
    return all(any(part.startswith(n) for n in _SAME_FRAME_CRS_NAMES) for part in m.groups())


@dataclass
class _Candidates:
    transformers: list[Operation]
    best_available: bool
    missing_grids: list[str]


def _candidates(source: CRS, target: CRS, area: Bounds | None) -> _Candidates:
    """PROJ's transformations for the data's extent, best first; the grids the better ones
    would need (PROJ's own warning about them is turned into words, not printed). A pair
    PROJ answers the same way at any extent is not searched again (:mod:`proj_memo`)."""
    known = remembered(source, target)
    if known is not None:
        return _Candidates([known], True, [])
    aoi = AreaOfInterest(*area) if area is not None else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Best transformation is not available ..."
            group = TransformerGroup(source, target, always_xy=True, area_of_interest=aoi)
    except Exception as exc:  # PROJ reports impossible pairs with several exception types
        raise CrsError("no transformation from {source} to {target} ({reason})",
                       source=source.name, target=target.name, reason=exc) from None
    if not group.transformers:
        raise CrsError("no transformation from {source} to {target}",
                       source=source.name, target=target.name)
    # the grids of the best operation PROJ could not run (the one a user would install)
    best = group.unavailable_operations[:1]
    missing = [g.short_name for op in best for g in op.grids if not g.available]
    return _Candidates([Operation.of(tr) for tr in group.transformers], group.best_available,
                       list(dict.fromkeys(missing)))


def _op_names(op: Operation) -> list[str]:
    return list(op.names)


def _rough(ops: list[str]) -> list[str]:
    return [op for op in ops if "ballpark" in op.lower() and not harmless_ballpark(op)]


def _accuracy(op: Operation) -> float | None:
    return op.accuracy if op.accuracy is not None and op.accuracy >= 0 else None


def _describe(op: Operation) -> str:
    return op.description or " + ".join(op.names)


def ballpark_error(source: CRS, target: CRS, area: Bounds | None) -> float | None:
    """How far (metres) a null datum shift puts data in the middle of ``area``: the source
    datum's known shift to WGS 84 against the target's; None when PROJ knows no shift."""
    if area is None:
        return None
    lon, lat = (area[0] + area[2]) / 2, (area[1] + area[3]) / 2
    try:
        src_geog = source.geodetic_crs or source
        dst_geog = target.geodetic_crs or target
        truth = _to_wgs84(src_geog, area)
        null = _to_wgs84(dst_geog, area)
    except CrsError:
        return None
    if truth is None or null is None:
        return None
    x1, y1 = truth.transform(lon, lat)
    x2, y2 = null.transform(lon, lat)
    _, _, dist = Geod(ellps="WGS84").inv(x1, y1, x2, y2)
    return float(abs(dist))


def _to_wgs84(geog: CRS, area: Bounds) -> Transformer | None:
    """A real (not ballpark) transformation of a geographic CRS to WGS 84 for ``area``."""
    if _frame(geog):
        return cached_transformer(geog, WGS84)
    for op in _candidates(geog, WGS84, area).transformers:
        if not any("ballpark" in name.lower() for name in op.names):
            return op.transformer
    return None


def _refusal(source: CRS, target: CRS, area: Bounds | None, missing: list[str]) -> CrsError:
    error = ballpark_error(source, target, area)
    names = {"source": source.name, "target": target.name}
    if missing and error is not None:
        return CrsError(
            "no datum transformation from {source} to {target} is available here: the "
            "accurate one needs the PROJ grid {grid}, which is not installed; a ballpark shift "
            "would put the data about {metres} m off. Install the grid (e.g. `projsync --file "
            "{grid}`), give the source CRS with its local parameters (--source-crs '+proj=... "
            "+towgs84=...') or accept the error (--accept-ballpark)",
            grid=", ".join(missing), metres=f"{error:.0f}", **names)
    if error is not None:
        return CrsError(
            "no datum transformation from {source} to {target} is known to PROJ; a ballpark "
            "shift would put the data about {metres} m off. Give the source CRS with its local "
            "parameters (--source-crs '+proj=... +towgs84=...') or accept the error "
            "(--accept-ballpark)", metres=f"{error:.0f}", **names)
    return CrsError(
        "no datum transformation from {source} to {target} is available here; a ballpark "
        "shift would put the data off by an unknown amount (often hundreds of metres). Give "
        "the source CRS with its local parameters (--source-crs '+proj=... +towgs84=...'), "
        "install the PROJ grid it needs or accept the error (--accept-ballpark)", **names)


def plan_transform(source: CRS, target: CRS, accept_ballpark: bool = False,
                   area: Bounds | None = None, choice: int | None = None) -> TransformPlan:
    """Choose the transformation for the data's extent (``area``: lon/lat bounds), PROJ's
    best first, or the user's ``choice`` (1-based) among the candidates; refuse a ballpark
    datum shift between unrelated datums, saying how far off it would be."""
    if source.equals(target, ignore_axis_order=True):
        return TransformPlan(source, target, [], "none (the source is in the project CRS)")
    found = _candidates(source, target, area)
    index = 0
    if choice is not None:
        if not 1 <= choice <= len(found.transformers):
            raise ValidationError("--transformation {choice}: there are {count} "
                                  "transformation(s) for this data; choose 1-{count}",
                                  choice=choice, count=len(found.transformers))
        index = choice - 1
    chosen = [found.transformers[index]]
    ops = _op_names(chosen[0])
    notes: list[Message] = []
    if _rough(ops) and source.is_bound and _frame(target):
        # A local datum with its 7 parameters (+towgs84): PROJ uses them towards WGS 84 only,
        # not towards CGCS2000 -- so go through WGS 84, the same frame as the target.
        to_wgs = _candidates(source, WGS84, area).transformers[0]
        from_wgs = _candidates(WGS84, target, area).transformers[0]
        chosen = [to_wgs, from_wgs]
        ops = _op_names(to_wgs) + _op_names(from_wgs)
        notes.append(msg("the source's own datum parameters (TOWGS84) were used, via WGS 84"))
    rough = _rough(ops)
    if rough and not accept_ballpark:
        raise _refusal(source, target, area, found.missing_grids)
    if not found.best_available and found.missing_grids and not rough:
        notes.append(msg("a more accurate transformation needs the PROJ grid {grids}, which is "
                         "not installed; the best available one was used",
                         grids=", ".join(found.missing_grids)))
    if rough:
        error = ballpark_error(source, target, area)
        if error is not None:
            notes.append(msg("approximate datum shift {source} -> {target} accepted by the user "
                             "(an error of about {metres:.0f} m)", source=source.name,
                             target=target.name, metres=error))
        else:
            notes.append(msg("approximate datum shift {source} -> {target} accepted by the user "
                             "(an error of unknown size)", source=source.name, target=target.name))
    elif any(harmless_ballpark(op) for op in ops):
        notes.append(msg("WGS 84, CGCS2000, ITRF and ETRS89 agree to about 1 m (all realise the "
                         "ITRF): no datum shift applied"))
    accuracies = [_accuracy(t) for t in chosen]
    accuracy = max(accuracies) if accuracies and None not in accuracies and not rough else None  # type: ignore[type-var]
    if accuracy is not None:
        notes.append(msg("transformation accuracy about {metres:g} m", metres=accuracy))
    alternatives = [{"choice": i, "description": _describe(t), "accuracy_m": _accuracy(t)}
                    for i, t in enumerate(found.transformers, 1) if i != index + 1]
    if alternatives:
        notes.append(msg("transformation {choice} of {count} for the data's extent (another: "
                         "--transformation N, or the list in the import wizard)",
                         choice=index + 1, count=len(found.transformers)))
    description = " ; ".join(_describe(t) for t in chosen)
    return TransformPlan(source, target, [t.transformer for t in chosen], description, notes,
                         accuracy, index + 1, alternatives)


def lonlat_bounds(geoms: np.ndarray, source: CRS) -> Bounds | None:
    """The data's extent as longitude/latitude bounds (the area of interest for PROJ)."""
    arr = np.asarray(geoms, dtype=object)
    present = arr[~shapely.is_missing(arr) & ~shapely.is_empty(arr)]  # at once, not one by one
    if not len(present):
        return None
    b = shapely.total_bounds(present)
    try:
        geog = source.geodetic_crs or WGS84
        tr = cached_transformer(source, geog)
        xs = [b[0], b[2], b[0], b[2]]
        ys = [b[1], b[1], b[3], b[3]]
        with np.errstate(all="ignore"):
            lon, lat = tr.transform(xs, ys, errcheck=True)
    except Exception:  # coordinates outside the source CRS's domain: no area of interest
        return None
    w, e, s, n = min(lon), max(lon), min(lat), max(lat)
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        return None
    return (float(w), float(s), float(e), float(n))


def reproject(geoms: np.ndarray, plan: TransformPlan) -> np.ndarray:
    """Geometries in the project CRS (None stays None)."""
    if not plan.steps or not len(geoms):
        return geoms

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = coords[:, 0], coords[:, 1]
        for tr in plan.steps:
            x, y = tr.transform(x, y)
        return np.column_stack([x, y])

    out = geoms.copy()
    there = ~shapely.is_missing(geoms)
    if there.any():
        out[there] = shapely.transform(geoms[there], fn)
    return out
