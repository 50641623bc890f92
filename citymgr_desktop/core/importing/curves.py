"""Curved geometries (ISO WKB CircularString, CompoundCurve, CurvePolygon, MultiCurve,
MultiSurface) made linear, the way GDAL does it (``OGR_G_GetLinearGeometry``): each arc
through three points becomes a polyline with a vertex at least every 4 degrees of the arc
(GDAL's ``OGR_ARC_STEPSIZE``), its start, middle and end points kept exactly. Shapely/GEOS
cannot read curves at all; this replaces reading them a second time through Fiona (a second
copy of GDAL in the process for one call). Z and M are dropped (the importer drops them
anyway); the result is a Shapely geometry.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import shapely

ARC_STEP_DEGREES = 4.0
_POINT, _LINE, _POLYGON = 1, 2, 3
_CIRCULAR, _COMPOUND, _CURVEPOLYGON, _MULTICURVE, _MULTISURFACE = 8, 9, 10, 11, 12
_MULTILINE, _MULTIPOLYGON = 5, 6


class _Reader:
    def __init__(self, blob: bytes) -> None:
        self.blob, self.pos = blob, 0

    def header(self) -> tuple[str, int, int]:
        """(byte order, ISO type 1-17, coordinate dimension 2-4) of the next geometry."""
        order = "<" if self.blob[self.pos] == 1 else ">"
        (code,) = struct.unpack_from(order + "I", self.blob, self.pos + 1)
        self.pos += 5
        dims = 2
        if code & 0x80000000:  # EWKB Z flag
            dims += 1
        if code & 0x40000000:  # EWKB M flag
            dims += 1
        if code & 0x20000000:  # EWKB SRID
            self.pos += 4
        code &= 0x0FFFFFFF
        dims += {1: 1, 2: 1, 3: 2}.get(code // 1000, 0)
        return order, code % 1000, dims

    def count(self, order: str) -> int:
        (n,) = struct.unpack_from(order + "I", self.blob, self.pos)
        self.pos += 4
        return int(n)

    def points(self, order: str, dims: int) -> list[tuple[float, float]]:
        n = self.count(order)
        values = struct.unpack_from(f"{order}{n * dims}d", self.blob, self.pos)
        self.pos += 8 * n * dims
        return [(values[i * dims], values[i * dims + 1]) for i in range(n)]


def arc_points(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
               step_degrees: float = ARC_STEP_DEGREES) -> list[tuple[float, float]]:
    """The arc from ``p0`` through ``p1`` to ``p2`` as points (``p0`` and ``p2`` included)."""
    (x0, y0), (x1, y1), (x2, y2) = p0, p1, p2
    full = p0 == p2  # a whole circle through p0 and the opposite point p1 (counter-clockwise)
    d = 2 * (x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1))
    if full:
        cx, cy, ccw = (x0 + x1) / 2, (y0 + y1) / 2, True
    elif abs(d) < 1e-12 * max(1.0, abs(x0) + abs(y0)) ** 2:
        return [p0, p2]  # collinear: a straight line
    else:
        s0, s1, s2 = x0 * x0 + y0 * y0, x1 * x1 + y1 * y1, x2 * x2 + y2 * y2
        cx = (s0 * (y1 - y2) + s1 * (y2 - y0) + s2 * (y0 - y1)) / d
        cy = (s0 * (x2 - x1) + s1 * (x0 - x2) + s2 * (x1 - x0)) / d
        ccw = d > 0  # p0 -> p1 -> p2 turns left: counter-clockwise
    r = math.hypot(x0 - cx, y0 - cy)
    a0, a2 = math.atan2(y0 - cy, x0 - cx), math.atan2(y2 - cy, x2 - cx)
    sweep = 2 * math.pi if full else (a2 - a0) % (2 * math.pi)
    if not full and not ccw:
        sweep = -((a0 - a2) % (2 * math.pi))
    if full and not ccw:
        sweep = -sweep
    steps = max(2, math.ceil(abs(math.degrees(sweep)) / step_degrees))
    out = [(cx + r * math.cos(a0 + sweep * i / steps), cy + r * math.sin(a0 + sweep * i / steps))
           for i in range(steps + 1)]
    out[0], out[-1] = p0, p2
    if not full:  # keep the given middle point exactly, as GDAL does
        mid = min(range(1, steps), key=lambda i: math.hypot(out[i][0] - x1, out[i][1] - y1))
        out[mid] = p1
    return out


def _circular(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = [pts[0]] if pts else []
    for i in range(0, len(pts) - 2, 2):
        out.extend(arc_points(pts[i], pts[i + 1], pts[i + 2])[1:])
    return out


def _curve(r: _Reader) -> list[tuple[float, float]]:
    """Any curve (LineString, CircularString, CompoundCurve) as one list of points."""
    order, kind, dims = r.header()
    if kind == _LINE:
        return r.points(order, dims)
    if kind == _CIRCULAR:
        return _circular(r.points(order, dims))
    if kind == _COMPOUND:
        out: list[tuple[float, float]] = []
        for _ in range(r.count(order)):
            part = _curve(r)
            out.extend(part if not out else part[1:])
        return out
    raise ValueError(f"not a curve: WKB type {kind}")


def _surface(r: _Reader) -> Any:
    order, kind, dims = r.header()
    if kind == _POLYGON:
        rings = [r.points(order, dims) for _ in range(r.count(order))]
    elif kind == _CURVEPOLYGON:
        rings = [_curve(r) for _ in range(r.count(order))]
    else:
        raise ValueError(f"not a surface: WKB type {kind}")
    return shapely.Polygon(rings[0], rings[1:]) if rings else shapely.Polygon()


def linearise(blob: bytes) -> Any:
    """A Shapely geometry for a WKB blob that may hold curves (ValueError if unreadable)."""
    r = _Reader(bytes(blob))
    start = r.pos
    _, kind, _ = r.header()
    r.pos = start
    try:
        if kind in (_LINE, _CIRCULAR, _COMPOUND):
            return shapely.LineString(_curve(r))
        if kind in (_POLYGON, _CURVEPOLYGON):
            return _surface(r)
        order, _, _ = r.header()
        n = r.count(order)
        if kind in (_MULTICURVE, _MULTILINE):
            return shapely.MultiLineString([_curve(r) for _ in range(n)])
        if kind in (_MULTISURFACE, _MULTIPOLYGON):
            return shapely.MultiPolygon([_surface(r) for _ in range(n)])
    except struct.error as exc:
        raise ValueError(f"truncated WKB ({exc})") from None
    raise ValueError(f"WKB type {kind} is not a curve type")
