"""Reprojection for import: the source's CRS to the project's, with the datum shift done right
and the project CRS's area of use enforced.

- WGS 84, CGCS2000, ITRF and ETRS89 realise the same terrestrial frame to within about a
  metre; PROJ joins them with a "ballpark" (null) shift, which is right at that level, and the
  report says so.
- Beijing 1954, Xian 1980 and other local datums have no public transformation to CGCS2000:
  a ballpark shift there is off by up to ~100 m, so it is refused unless the source CRS
  carries the local parameters (``+towgs84=...``) or the user accepts it explicitly.
- Features outside the project CRS's area of use are refused (a projection is meaningless far
  from its zone); if none is inside, the whole import stops with the data's lon/lat extent, the
  usual sign of a wrong source CRS. Tables whose X/Y follow the survey convention (X = north)
  are swapped back when only the swapped order lands inside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.messages import Message, msg

AREA_TOLERANCE_DEG = 0.1  # projections stay accurate a little past the edge (≈10 km)
SAME_FRAME_DATUMS = ("World Geodetic System 1984", "China 2000",
                     "China Geodetic Coordinate System 2000",
                     "International Terrestrial Reference Frame",
                     "European Terrestrial Reference System 1989")
WGS84 = CRS.from_epsg(4326)


@dataclass
class TransformPlan:
    """How source coordinates become project coordinates, in words for the report."""

    source: CRS
    target: CRS
    steps: list[Transformer]  # applied in turn; empty when source and target are the same
    description: str
    notes: list[Message] = field(default_factory=list)

    @property
    def transformer(self) -> Transformer | None:
        return self.steps[0] if self.steps else None


def _frame(crs: CRS) -> str:
    datum = crs.datum.name if crs.datum is not None else ""
    return next((f for f in SAME_FRAME_DATUMS if datum.startswith(f)), "")


def resolve_source_crs(crs: CRS | None, geoms: np.ndarray, path: str) -> tuple[CRS, list[str]]:
    """The source's CRS, or WGS 84 when it has none and its coordinates are lon/lat."""
    if crs is not None:
        return crs, []
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return WGS84, ["the source states no CRS and has no geometries"]
    if present:
        b = shapely.total_bounds(np.array(present, dtype=object))
        if b[0] >= -180 and b[2] <= 180 and b[1] >= -90 and b[3] <= 90:
            return WGS84, ["the source states no CRS; its coordinates look like longitude/"
                           "latitude, so WGS 84 (EPSG:4326) was assumed"]
    raise CrsError("{path}: the source states no coordinate reference system (no .prj?) and its "
                   "coordinates are not longitude/latitude; give it with --source-crs, e.g. "
                   "EPSG:4547", path=path)


_SAME_FRAME_CRS_NAMES = ("WGS 84", "China Geodetic Coordinate System 2000", "CGCS2000",
                         "ITRF", "ETRS89", "GDA2020")
_BALLPARK = re.compile(r"ballpark geographic offset from (.+) to (.+)", re.IGNORECASE)


def _harmless_ballpark(op_name: str) -> bool:
    """A null shift between two realisations of the ITRF (metre level) is right."""
    m = _BALLPARK.match(op_name)
    if not m:
        return False
    return all(any(part.startswith(n) for n in _SAME_FRAME_CRS_NAMES) for part in m.groups())


def _best(source: CRS, target: CRS) -> tuple[Transformer, bool]:
    try:
        group = TransformerGroup(source, target, always_xy=True)
    except Exception as exc:  # PROJ reports impossible pairs with several exception types
        raise CrsError("no transformation from {source} to {target} ({reason})",
                       source=source.name, target=target.name, reason=exc) from None
    if not group.transformers:
        raise CrsError("no transformation from {source} to {target}",
                       source=source.name, target=target.name)
    return group.transformers[0], group.best_available


def _op_names(tr: Transformer) -> list[str]:
    return [op.name for op in (tr.operations or [])]


def _rough(ops: list[str]) -> list[str]:
    return [op for op in ops if "ballpark" in op.lower() and not _harmless_ballpark(op)]


def plan_transform(source: CRS, target: CRS, accept_ballpark: bool = False) -> TransformPlan:
    """Choose the transformation; refuse a ballpark datum shift between unrelated datums."""
    if source.equals(target, ignore_axis_order=True):
        return TransformPlan(source, target, [], "none (the source is in the project CRS)")
    tr, best_available = _best(source, target)
    steps = [tr]
    ops = _op_names(tr)
    notes: list[Message] = []
    if _rough(ops) and source.is_bound and _frame(target):
        # A local datum with its 7 parameters (+towgs84): PROJ uses them towards WGS 84 only,
        # not towards CGCS2000 -- so go through WGS 84, the same frame as the target.
        to_wgs, _ = _best(source, WGS84)
        from_wgs, _ = _best(WGS84, target)
        steps = [to_wgs, from_wgs]
        ops = _op_names(to_wgs) + _op_names(from_wgs)
        notes.append(msg("the source's own datum parameters (TOWGS84) were used, via WGS 84"))
    rough = _rough(ops)
    if not best_available:
        notes.append(msg("a more accurate transformation needs a PROJ grid that is not installed; "
                         "the best available one was used"))
    if rough and not accept_ballpark:
        raise CrsError(
            "no datum transformation from {source} to {target} is known to PROJ; an approximate "
            "one is off by up to ~100 m. Give the source CRS with its local parameters "
            "(--source-crs '+proj=... +towgs84=...') or accept the error (--accept-ballpark)",
            source=source.name, target=target.name)
    if rough:
        notes.append(msg("approximate datum shift {source} -> {target} accepted by the user (errors "
                         "up to ~100 m)", source=source.name, target=target.name))
    elif any(_harmless_ballpark(op) for op in ops):
        notes.append(msg("WGS 84, CGCS2000, ITRF and ETRS89 agree to about 1 m (all realise the "
                         "ITRF): no datum shift applied"))
    accuracies = [t.accuracy for t in steps if t.accuracy is not None and t.accuracy > 0]
    if accuracies and not rough:
        notes.append(msg("transformation accuracy about {metres:g} m", metres=max(accuracies)))
    description = " ; ".join(t.description or " + ".join(_op_names(t)) for t in steps)
    return TransformPlan(source, target, steps, description, notes)


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
    present = np.array([g is not None for g in geoms], dtype=bool)
    if present.any():
        out[present] = shapely.transform(geoms[present], fn)
    return out


def area_mask(geoms: np.ndarray, source: CRS, target: CRS) -> tuple[np.ndarray, str]:
    """Which geometries lie inside the target's area of use; and the area in words."""
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    inside = present.copy()
    aou = target.area_of_use
    if aou is None or not present.any():
        return inside, ""
    bounds = shapely.bounds(geoms[present])
    to_ll = Transformer.from_crs(source, target.geodetic_crs or WGS84, always_xy=True)
    xs = np.concatenate([bounds[:, 0], bounds[:, 2], bounds[:, 0], bounds[:, 2]])
    ys = np.concatenate([bounds[:, 1], bounds[:, 1], bounds[:, 3], bounds[:, 3]])
    with np.errstate(all="ignore"):
        lon, lat = to_ll.transform(xs, ys, errcheck=False)
    lon = np.asarray(lon).reshape(4, -1)
    lat = np.asarray(lat).reshape(4, -1)
    t = AREA_TOLERANCE_DEG
    ok = (np.isfinite(lon) & np.isfinite(lat) & (lon >= aou.west - t) & (lon <= aou.east + t)
          & (lat >= aou.south - t) & (lat <= aou.north + t)).all(axis=0)
    inside[present] = ok
    words = f"{aou.name.rstrip('.')} ({aou.west:g}°–{aou.east:g}°E, {aou.south:g}°–{aou.north:g}°N)"
    return inside, words


def lonlat_extent(geoms: np.ndarray, source: CRS) -> str:
    """The data's extent in degrees (or its raw extent when that fails), for messages."""
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return "(no geometries)"
    b = shapely.total_bounds(np.array(present, dtype=object))
    try:
        tr = Transformer.from_crs(source, source.geodetic_crs or WGS84, always_xy=True)
        with np.errstate(all="ignore"):
            (x0, x1), (y0, y1) = tr.transform([b[0], b[2]], [b[1], b[3]], errcheck=True)
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise ValueError("not lon/lat")
        return f"{x0:.4f}°–{x1:.4f}°E, {y0:.4f}°–{y1:.4f}°N"
    except Exception:  # coordinates outside the source CRS's own domain
        return f"x {b[0]:.1f}–{b[2]:.1f}, y {b[1]:.1f}–{b[3]:.1f} (not valid in {source.name})"


def from_gcj02(geoms: np.ndarray) -> np.ndarray:
    """GCJ-02 lon/lat geometries in WGS 84 (see :mod:`importer_gcj`)."""
    from citymgr_desktop.core.importing.gcj import to_wgs84_coords

    out = geoms.copy()
    present = np.array([g is not None for g in geoms], dtype=bool)
    if present.any():
        out[present] = shapely.transform(geoms[present], to_wgs84_coords)
    return out


def swap_xy(geoms: np.ndarray) -> np.ndarray:
    out = geoms.copy()
    present = np.array([g is not None for g in geoms], dtype=bool)
    if present.any():
        out[present] = shapely.transform(geoms[present], lambda c: c[:, ::-1])
    return out


def check_area(geoms: np.ndarray, source: CRS, target: CRS, path: str,
               swap_possible: bool = False) -> tuple[np.ndarray, np.ndarray, list[Message], str]:
    """(geometries, inside mask, notes, area words); raises CrsError when nothing is inside."""
    inside, words = area_mask(geoms, source, target)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    notes: list[Message] = []
    if present.any() and not inside.any() and swap_possible:
        swapped = swap_xy(geoms)
        s_inside, _ = area_mask(swapped, source, target)
        if s_inside.any():
            notes.append(msg("X and Y columns were swapped (survey convention: X = north); give "
                             "--x/--y to choose them yourself"))
            return swapped, s_inside, notes, words
    if present.any() and not inside.any():
        raise CrsError(
            "{path}: the data ({extent}, read as {source}) lies outside the area of use of the "
            "project CRS {target}: {words}. Check the source's CRS (--source-crs) or import "
            "into a project whose CRS covers the data",
            path=path, extent=lonlat_extent(geoms, source), source=source.name,
            target=target.name, words=words)
    return geoms, inside, notes, words
