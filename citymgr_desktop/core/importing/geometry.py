"""Geometry for import: decode what GDAL read, and make each geometry fit its asset layer.

Decoding keeps a reason per feature for what cannot be read and linearises curves (circular
strings, compound curves, curve polygons) as GDAL does (:mod:`.curves`). :func:`conform` turns one
geometry into what the target layer holds -- ``LINESTRING`` roads, ``POINT`` bridges and bins,
``MULTIPOLYGON`` green spaces: Z/M dropped, invalid geometries repaired with ``make_valid``
(or listed), multi-part lines merged where they touch and otherwise split into one asset per
part (or refused), lines and areas turned into a point for point layers, closed lines into
areas. Everything it does is said in a note, everything it refuses in a reason.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from citymgr_desktop.core.importing.curves import linearise
from citymgr_desktop.core.messages import Message, Term, Text, msg

CURVE_TYPES = {8: "CircularString", 9: "CompoundCurve", 10: "CurvePolygon", 11: "MultiCurve",
               12: "MultiSurface", 13: "Curve", 14: "Surface"}
OTHER_TYPES = {15: "PolyhedralSurface", 16: "TIN", 17: "Triangle"}
_TARGET_WORD = {"LINESTRING": Term("a line", "线"), "POINT": Term("a point", "点"),
                "MULTIPOLYGON": Term("an area", "面")}
_TARGET_PART = {"LINESTRING": Term("line", "线"), "POINT": Term("point", "点"),
                "MULTIPOLYGON": Term("area", "面")}
_DIM = {"POINT": 0, "LINESTRING": 1, "MULTIPOLYGON": 2}


@dataclass
class GeometryOptions:
    """Choices about geometries a person makes once per import."""

    multipart: str = "explode"  # "explode": one asset per part; "refuse": skip the feature
    repair: bool = True  # make_valid invalid geometries; False: skip them with the reason
    to_point: bool = True  # lines/areas -> a point for point layers (bridge, litter bin)

    def __post_init__(self) -> None:
        if self.multipart not in ("explode", "refuse"):
            raise ValueError(f"multipart must be 'explode' or 'refuse', got {self.multipart!r}")


@dataclass
class Conformed:
    """The outcome for one source geometry: parts to store, or why not."""

    parts: list[Any] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    reason: Message | None = None  # set when the feature is skipped
    detail: str = ""


def wkb_type(blob: bytes) -> int | None:
    """The ISO geometry type number (1-17) of a WKB blob, ignoring Z/M/SRID flags."""
    if not blob or len(blob) < 5:
        return None
    fmt = "<I" if blob[0] == 1 else ">I"
    code = struct.unpack(fmt, bytes(blob[1:5]))[0] & 0x0FFFFFFF
    return code % 1000


def decode_wkb(wkb: Sequence[bytes | None], fids: Sequence[Any], path: Path | None = None,
               layer: str | None = None) -> tuple[np.ndarray, dict[Any, Text], dict[Any, Text]]:
    """WKB -> Shapely geometries; returns (geometries, problems by fid, conversions by fid)."""
    arr = np.array([b if b is None or type(b) is bytes else bytes(b) for b in wkb], dtype=object)
    by_head: dict[bytes, int | None] = {}  # the type is in the first 5 bytes: one per kind
    codes: list[int | None] = []
    for b in arr:
        if b is None:
            codes.append(None)
            continue
        head = b[:5]
        code = by_head.get(head, -1)
        if code == -1:
            code = by_head[head] = wkb_type(head)
        codes.append(code)
    special = np.array([c in CURVE_TYPES or c in OTHER_TYPES for c in by_head.values()])
    plain = arr
    if special.any():
        plain = arr.copy()
        plain[[c in CURVE_TYPES or c in OTHER_TYPES for c in codes]] = None  # GEOS cannot
        # read curves at all (it raises, even with "ignore")
    geoms = _from_wkb(plain)
    problems: dict[Any, Text] = {}
    converted: dict[Any, Text] = {}
    curves: list[int] = []
    check = range(len(arr)) if special.any() else np.flatnonzero(
        shapely.is_missing(geoms)).tolist()  # else only what GEOS could not read
    for i in check:
        if arr[i] is None:
            continue
        if codes[i] in CURVE_TYPES:
            curves.append(i)
        elif codes[i] in OTHER_TYPES:
            problems[fids[i]] = msg("unsupported geometry type {geometry_type}",
                                    geometry_type=OTHER_TYPES[codes[i] or 0])
        elif geoms[i] is None:
            problems[fids[i]] = msg("unreadable geometry ({reason})",
                                    reason=_geos_message(arr[i]))
    for i in curves:
        name = CURVE_TYPES[codes[i] or 0]
        try:
            geoms[i] = linearise(arr[i])
            converted[fids[i]] = msg("curved {name} linearised", name=name)
        except ValueError as exc:
            problems[fids[i]] = msg("curved geometry ({name}) could not be linearised ({reason})",
                                    name=name, reason=str(exc))
    for i in check:
        if arr[i] is None:
            problems.setdefault(fids[i], msg("no geometry"))
    return geoms, problems, converted


def _from_wkb(arr: np.ndarray) -> np.ndarray:
    if not len(arr):
        return np.array([], dtype=object)
    try:
        return shapely.from_wkb(arr, on_invalid="ignore")
    except Exception:  # one odd blob fails the whole batch: decode one by one
        out = np.empty(len(arr), dtype=object)
        for i, blob in enumerate(arr):
            try:
                out[i] = None if blob is None else shapely.from_wkb(blob, on_invalid="ignore")
            except Exception:  # reported as unreadable by the caller
                out[i] = None
        return out


def _geos_message(blob: bytes) -> Text:
    try:
        shapely.from_wkb(blob)
    except Exception as exc:  # GEOS reports malformed input with several exception types
        return str(exc).split(":", 1)[-1].strip()[:120]
    return msg("unknown reason")


def drop_zm(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2-D copies and a mask of the geometries that had Z or M values."""
    present = ~shapely.is_missing(geoms)
    had = np.zeros(len(geoms), dtype=bool)
    if present.any():
        sub = geoms[present]
        had[present] = shapely.has_z(sub) | _has_m(sub)
        # only those that may carry a third or fourth value are made again (a point, line
        # or polygon without Z/M is 2-D already; collections and empties go through anyway)
        again = present.copy()
        again[present] = had[present] | shapely.is_empty(sub) | (shapely.get_type_id(sub) > 3)
        out = geoms.copy()
        if again.any():
            out[again] = shapely.force_2d(geoms[again])
        return out, had
    return geoms, had


def _has_m(geoms: np.ndarray) -> np.ndarray:
    fn = getattr(shapely, "has_m", None)
    return fn(geoms) if fn is not None else np.zeros(len(geoms), dtype=bool)


def _parts_of_dim(geom: Any, dim: int) -> list[Any]:
    """The simple parts of ``geom`` with dimension ``dim`` (points 0, lines 1, areas 2)."""
    parts = shapely.get_parts(geom).tolist()
    out: list[Any] = []
    for p in parts:
        if p.geom_type == "GeometryCollection" or p.geom_type.startswith("Multi"):
            out.extend(_parts_of_dim(p, dim))
        elif shapely.get_dimensions(p) == dim and not p.is_empty:
            out.append(p)
    return out


def fits_as_is(geoms: np.ndarray, target: str) -> np.ndarray:
    """Which geometries :func:`conform` would keep unchanged, as one part with no note: valid,
    non-empty points for a point layer and lines of some length for a line layer. Checked
    for the whole array at once; the others go through :func:`conform` one by one."""
    arr = np.asarray(geoms, dtype=object)
    type_id = {"POINT": 0, "LINESTRING": 1}.get(target)
    if type_id is None or not len(arr):
        return np.zeros(len(arr), dtype=bool)
    ok = (shapely.get_type_id(arr) == type_id) & ~shapely.is_empty(arr)
    ok &= shapely.is_valid(arr)
    if type_id == 1:
        ok &= shapely.length(arr) > 0
    return np.asarray(ok, dtype=bool)


def conform(geom: Any, target: str, options: GeometryOptions,
            table_label: Term | str = "") -> Conformed:
    """Make ``geom`` fit a layer of geometry type ``target`` (see the module docstring)."""
    res = Conformed()
    label = table_label or target.lower()
    if geom is None or geom.is_empty:
        res.reason = msg("no geometry")
        return res
    if not geom.is_valid:
        why = shapely.is_valid_reason(geom)
        short = why.split("[", 1)[0].strip()  # without the coordinates, to count alike
        if not options.repair:
            res.reason, res.detail = msg("invalid geometry"), why
            return res
        fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False) \
            if geom.geom_type in ("Polygon", "MultiPolygon") else shapely.make_valid(geom)
        if fixed.is_empty or int(shapely.get_dimensions(fixed)) < int(
                shapely.get_dimensions(geom)):
            res.reason, res.detail = msg("invalid geometry that collapses when repaired"), why
            return res
        res.notes.append(msg("repaired ({short})", short=short))
        res.detail = why
        geom = fixed
    dim = _DIM[target]
    gdim = int(shapely.get_dimensions(geom))
    if target == "MULTIPOLYGON" and gdim == 1:
        closed = [p for p in _parts_of_dim(geom, 1) if p.is_closed and len(p.coords) >= 4]
        if closed:
            polys = [shapely.Polygon(p.coords) for p in closed]
            geom = shapely.make_valid(shapely.MultiPolygon(polys)) if len(polys) > 1 \
                else shapely.make_valid(polys[0])
            res.notes.append(msg("closed line made an area"))
            gdim = 2
    if gdim < dim or (target != "POINT" and gdim != dim):
        res.reason = msg("{geom_type} cannot become {target} ({label})",
                         geom_type=geom.geom_type, target=_TARGET_WORD[target], label=label)
        return res
    if target == "POINT" and gdim > 0:
        if not options.to_point:
            res.reason = msg("{geom_type} cannot become a point ({label})",
                             geom_type=geom.geom_type, label=label)
            return res
        return _to_point(geom, gdim, res)
    parts = _parts_of_dim(geom, dim)
    if not parts:
        res.reason = msg("{geom_type} has no {kind} parts", geom_type=geom.geom_type,
                         kind=_TARGET_PART[target])
        return res
    if target == "MULTIPOLYGON":
        polys = [p for p in parts if p.area > 0]
        if not polys:
            res.reason = msg("area is zero")
            return res
        res.parts = [shapely.MultiPolygon(polys)]
        return res
    if target == "LINESTRING" and len(parts) > 1:
        merged = shapely.line_merge(shapely.MultiLineString(parts))
        parts = _parts_of_dim(merged, 1)
        if len(parts) == 1:
            res.notes.append(msg("multi-part line merged"))
    parts = [p for p in parts if target == "POINT" or p.length > 0]
    if not parts:
        res.reason = msg("line has zero length")
        return res
    if len(parts) > 1:
        if options.multipart == "refuse":
            res.reason = msg("multi-part {geom_type} with {count} parts",
                             geom_type=geom.geom_type, count=len(parts))
            return res
        res.notes.append(msg("split into {count} parts", count=len(parts)))
    res.parts = parts
    return res


def _to_point(geom: Any, gdim: int, res: Conformed) -> Conformed:
    if gdim == 1:
        merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
        if merged.geom_type == "LineString":
            point = shapely.line_interpolate_point(merged, 0.5, normalized=True)
        else:
            point = merged.representative_point()
        res.notes.append(msg("line made a point (its middle)"))
    else:
        point = geom.representative_point()
        res.notes.append(msg("area made a point (inside it)"))
    res.parts = [point]
    return res
