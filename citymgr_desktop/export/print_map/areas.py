"""What a map sheet or an atlas page is framed on: the whole district, one sub-district (街道),
one grid cell (bgid) or one work order's assets, as bounding boxes in the map CRS.

Bounds come from the GeoPackage rtree indexes in SQL (no geometry is read), so listing the
pages of a 1M-feature district's atlas takes milliseconds. Retired assets are left out, as on
the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.export.print_map.geometry import Bbox

if TYPE_CHECKING:
    from citymgr_desktop.core.store.geopackage import Store

ATLAS_KINDS = ("district", "grid", "workorder")


@dataclass(frozen=True)
class AtlasItem:
    """One atlas page: what it is, the box to frame and the assets to highlight."""

    kind: str  # district, grid, workorder
    key: str  # district name, bgid or case number
    bbox: Bbox
    count: int  # assets inside
    highlight: dict[str, tuple[str, ...]] = field(default_factory=dict)  # layer -> uuids
    label: str = ""  # e.g. the work order's title


def _asset_layers(store: Store, layers: Sequence[str] | None) -> list[str]:
    present = {li.name for li in store.layers() if li.geometry_type}
    names = [t.name for t in sc.ASSET_TABLES if t.name in present]
    if layers is not None:
        names = [n for n in names if n in set(layers)]
    return names


def _bounds_by(store: Store, key_sql: str, layers: Sequence[str] | None,
               where: str = "", params: Sequence[object] = ()) -> dict[str, tuple[Bbox, int]]:
    """{value of ``key_sql`` (an SQL expression over asset ``a``): (bbox, asset count)}."""
    parts = []
    for name in _asset_layers(store, layers):
        t, r = gpkg.quote_ident(name), gpkg.quote_ident(gpkg.rtree_name(name))
        parts.append(f"SELECT {key_sql} AS k, r.minx, r.miny, r.maxx, r.maxy FROM {t} a "
                     f"JOIN {r} r ON r.id = a.fid WHERE a.retired_at IS NULL"
                     + (f" AND {where}" if where else ""))
    if not parts:
        return {}
    sql = (f"SELECT k, min(minx), min(miny), max(maxx), max(maxy), count(*) FROM "
           f"({' UNION ALL '.join(parts)}) WHERE k IS NOT NULL GROUP BY k ORDER BY k")
    out = {}
    for k, x0, y0, x1, y1, n in store.conn.execute(sql, list(params) * len(parts)):
        out[str(k)] = ((float(x0), float(y0), float(x1), float(y1)), int(n))
    return out


def full_extent(store: Store, layers: Sequence[str] | None = None) -> Bbox:
    """The extent of the live assets of ``layers`` (all asset layers by default)."""
    boxes = _bounds_by(store, "'all'", layers)
    if not boxes:
        # not a citymgr project, or empty: fall back on gpkg_contents
        ext = [li.extent for li in store.layers() if li.geometry_type and li.extent
               and (layers is None or li.name in layers)]
        if not ext:
            raise NotFoundError(f"{store.path}: nothing to print (the layers are empty)")
        return (min(e[0] for e in ext), min(e[1] for e in ext), max(e[2] for e in ext),
                max(e[3] for e in ext))
    return boxes["all"][0]


def district_bbox(store: Store, name: str, layers: Sequence[str] | None = None) -> Bbox:
    """The extent of one sub-district's assets; NotFoundError lists the names there are."""
    boxes = _bounds_by(store, "a.district", layers, "a.district = ?", [name])
    if name not in boxes:
        known = store.districts()
        raise NotFoundError(f"no sub-district {name!r} in {store.path.name}; there are: "
                            + (", ".join(known) if known else "none"))
    return boxes[name][0]


def atlas_items(store: Store, kind: str, layers: Sequence[str] | None = None, *,
                district: str | None = None, cases: Sequence[str] | None = None,
                open_only: bool = False) -> list[AtlasItem]:
    """The pages of an atlas: one per sub-district, per grid cell or per work order, in a
    stable order (name, bgid, case number). ``district`` keeps only that sub-district's
    cells or orders."""
    if kind not in ATLAS_KINDS:
        raise ValidationError(f"atlas must be one of {', '.join(ATLAS_KINDS)}, got {kind!r}")
    store.require_asset_project()
    if district is not None:
        district_bbox(store, district, layers)  # a clear error for an unknown name
    if kind == "district":
        boxes = _bounds_by(store, "a.district", layers, "a.district = ?" if district else "",
                           [district] if district else [])
        return [AtlasItem("district", k, b, n) for k, (b, n) in boxes.items()]
    if kind == "grid":
        boxes = _bounds_by(store, "a.bgid", layers, "a.district = ?" if district else "",
                           [district] if district else [])
        return [AtlasItem("grid", k, b, n) for k, (b, n) in boxes.items()]
    return _work_order_items(store, layers, district, cases, open_only)


def _work_order_items(store: Store, layers: Sequence[str] | None, district: str | None,
                      cases: Sequence[str] | None, open_only: bool) -> list[AtlasItem]:
    from citymgr_desktop.core.workorders.states import OPEN_STATES

    names = _asset_layers(store, layers)
    orders = store.conn.execute(
        "SELECT work_order_uuid, case_no, title, state, district FROM work_order "
        "ORDER BY case_no").fetchall()
    wanted = {str(c) for c in cases} if cases else None
    open_values = {s.value for s in OPEN_STATES}
    items = []
    for wo_uuid, case_no, title, state, wo_district in orders:
        if wanted is not None and case_no not in wanted and wo_uuid not in wanted:
            continue
        if open_only and state not in open_values:
            continue
        boxes: list[Bbox] = []
        highlight: dict[str, tuple[str, ...]] = {}
        in_district = district is None or wo_district == district
        for name in names:
            t, r = gpkg.quote_ident(name), gpkg.quote_ident(gpkg.rtree_name(name))
            rows = store.conn.execute(
                f"SELECT a.asset_uuid, a.district, r.minx, r.miny, r.maxx, r.maxy "
                f"FROM work_order_asset w JOIN {t} a ON a.asset_uuid = w.asset_uuid "
                f"JOIN {r} r ON r.id = a.fid WHERE w.work_order_uuid = ?", (wo_uuid,)
            ).fetchall()
            if rows:
                highlight[name] = tuple(row[0] for row in rows)
                boxes += [(row[2], row[3], row[4], row[5]) for row in rows]
                in_district = in_district or any(row[1] == district for row in rows)
        if not boxes or not in_district:
            continue
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))
        items.append(AtlasItem("workorder", str(case_no), bbox,
                               sum(len(v) for v in highlight.values()), highlight,
                               str(title or "")))
    if wanted is not None and not items:
        raise NotFoundError(f"no work order {', '.join(sorted(wanted))} with assets on the map")
    return items
