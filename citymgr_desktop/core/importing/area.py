"""The project CRS's area of use for an import: which features lie inside it, the refusal
when none does (the usual sign of a wrong source CRS), and the coordinate fixes tried first
(GCJ-02 back to WGS 84, X and Y of a survey table swapped). Split from :mod:`crs`.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import CRS, Transformer

from citymgr_desktop.core.errors import CrsError
from citymgr_desktop.core.importing.crs import AREA_TOLERANCE_DEG, WGS84, cached_transformer
from citymgr_desktop.core.messages import Message, Term, msg


def present(geoms: np.ndarray) -> np.ndarray:
    """Which of ``geoms`` are there and not empty (for the whole array at once)."""
    return ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)


def area_mask(geoms: np.ndarray, source: CRS, target: CRS,
              steps: list[Transformer] | None = None) -> tuple[np.ndarray, str]:
    """Which geometries lie inside the target's area of use; and the area in words.

    ``steps``: the import's own transformation to the target (``TransformPlan.steps``); the
    corners then go through it and back to the target's longitude/latitude by the inverse
    projection, which needs no second search of PROJ's database (0.1-0.2 s) for a
    transformation to the target's geodetic CRS."""
    there = present(geoms)
    inside = there.copy()
    aou = target.area_of_use
    if aou is None or not there.any():
        return inside, ""
    bounds = shapely.bounds(geoms[there])
    if (bounds[:, 0] == bounds[:, 2]).all() and (bounds[:, 1] == bounds[:, 3]).all():
        xs, ys = bounds[:, 0], bounds[:, 1]  # points: their four corners are one
    else:
        xs = np.concatenate([bounds[:, 0], bounds[:, 2], bounds[:, 0], bounds[:, 2]])
        ys = np.concatenate([bounds[:, 1], bounds[:, 1], bounds[:, 3], bounds[:, 3]])
    with np.errstate(all="ignore"):
        lon, lat = _corners_lonlat(xs, ys, source, target, steps)
    lon = np.asarray(lon).reshape(-1, len(bounds))
    lat = np.asarray(lat).reshape(-1, len(bounds))
    t = AREA_TOLERANCE_DEG
    ok = (np.isfinite(lon) & np.isfinite(lat) & (lon >= aou.west - t) & (lon <= aou.east + t)
          & (lat >= aou.south - t) & (lat <= aou.north + t)).all(axis=0)
    inside[there] = ok
    words = f"{aou.name.rstrip('.')} ({aou.west:g}°–{aou.east:g}°E, {aou.south:g}°–{aou.north:g}°N)"
    return inside, words


SAME_PLACE_DEG = 0.05  # two routes to longitude/latitude agree far better (datums: < 0.01°)


def _corners_lonlat(xs: np.ndarray, ys: np.ndarray, source: CRS, target: CRS,
                    steps: list[Transformer] | None) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates as longitude/latitude of the target's geodetic CRS (see
    :func:`area_mask`). A projection far from its zone can map back to another place (a
    Krovak point in Norway comes back inside Czechia): a corner whose way through the
    target is not where the source's own longitude/latitude puts it is taken directly."""
    geog = target.geodetic_crs or WGS84
    if steps is None:
        lon, lat = cached_transformer(source, geog).transform(xs, ys, errcheck=False)
        return np.asarray(lon), np.asarray(lat)
    px, py = xs, ys
    for step in steps:
        px, py = step.transform(px, py, errcheck=False)
    lon, lat = (np.array(v, dtype=float) for v in
                cached_transformer(target, geog).transform(px, py, errcheck=False))
    own_lon, own_lat = cached_transformer(source, source.geodetic_crs or WGS84).transform(
        xs, ys, errcheck=False)
    off = ~((np.abs(lon - own_lon) <= SAME_PLACE_DEG) & (np.abs(lat - own_lat) <= SAME_PLACE_DEG))
    if off.any():
        lon[off], lat[off] = cached_transformer(source, geog).transform(
            xs[off], ys[off], errcheck=False)
    return lon, lat


def lonlat_extent(geoms: np.ndarray, source: CRS) -> str:
    """The data's extent in degrees (or its raw extent when that fails), for messages."""
    there = geoms[present(geoms)]
    if not len(there):
        return "(no geometries)"
    b = shapely.total_bounds(there)
    try:
        tr = cached_transformer(source, source.geodetic_crs or WGS84)
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
    there = ~shapely.is_missing(geoms)
    if there.any():
        out[there] = shapely.transform(geoms[there], to_wgs84_coords)
    return out


def swap_xy(geoms: np.ndarray) -> np.ndarray:
    out = geoms.copy()
    there = ~shapely.is_missing(geoms)
    if there.any():
        out[there] = shapely.transform(geoms[there], lambda c: c[:, ::-1])
    return out


SWAPPED_XY = ("X and Y columns were swapped (survey convention: X = north); to choose them "
              "yourself: {choose}")
CLI_XY = Term("give --x/--y", "用 --x/--y 指定")


def swapped_note(choose: Term | str = CLI_XY) -> Message:
    """The note of an import whose X and Y columns were taken the other way round;
    ``choose`` says where to name them in the caller's own words (the command line's
    options, or the wizard's fields: ``ui/importing/report_page.py``)."""
    return msg(SWAPPED_XY, choose=choose)


def check_area(geoms: np.ndarray, source: CRS, target: CRS, path: str,
               swap_possible: bool = False, refuse: bool = True,
               steps: list[Transformer] | None = None
               ) -> tuple[np.ndarray, np.ndarray, list[Message], str]:
    """(geometries, inside mask, notes, area words); raises CrsError when nothing is inside
    (unless ``refuse`` is off: a batch of a larger import, judged at its end). ``steps``:
    see :func:`area_mask`."""
    inside, words = area_mask(geoms, source, target, steps)
    there = present(geoms).any()
    notes: list[Message] = []
    if there and not inside.any() and swap_possible:
        swapped = swap_xy(geoms)
        s_inside, _ = area_mask(swapped, source, target, steps)
        if s_inside.any():
            notes.append(swapped_note())
            return swapped, s_inside, notes, words
    if refuse and there and not inside.any():
        raise outside_error(geoms, source, target, path, words)
    return geoms, inside, notes, words


def outside_error(geoms: np.ndarray, source: CRS, target: CRS, path: str, words: str
                  ) -> CrsError:
    """The refusal when no feature lies inside the project CRS's area of use."""
    return CrsError(
        "{path}: the data ({extent}, read as {source}) lies outside the area of use of the "
        "project CRS {target}: {words}. Check the source's CRS (--source-crs) or import "
        "into a project whose CRS covers the data",
        path=path, extent=lonlat_extent(geoms, source), source=source.name,
        target=target.name, words=words)
