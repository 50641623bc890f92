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

from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.export.print_map.geometry import Bbox

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

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


def full_extent(store: Store, layers: Sequence[str] | None = None) -> Bbox:
    """The extent of the live assets of ``layers`` (all asset layers by default)."""
    found = store.asset_extent(_asset_layers(store, layers))
    if found is None:
        # not a citymgr project, or empty: fall back on gpkg_contents
        ext = [li.extent for li in store.layers() if li.geometry_type and li.extent
               and (layers is None or li.name in layers)]
        if not ext:
            raise NotFoundError("{path}: nothing to print (the layers are empty)", path=store.path)
        return (min(e[0] for e in ext), min(e[1] for e in ext), max(e[2] for e in ext),
                max(e[3] for e in ext))
    return found[0]


def district_bbox(store: Store, name: str, layers: Sequence[str] | None = None) -> Bbox:
    """The extent of one sub-district's assets; NotFoundError lists the names there are."""
    boxes = store.asset_extents_by("district", _asset_layers(store, layers), district=name)
    if name not in boxes:
        known = store.districts()
        if not known:
            raise NotFoundError("no sub-district {name!r} in {file_name}; there are: none",
                                name=name, file_name=_name(store))
        raise NotFoundError("no sub-district {name!r} in {file_name}; there are: {districts}",
                            name=name, file_name=_name(store), districts=", ".join(known))
    return boxes[name][0]


def atlas_items(store: Store, kind: str, layers: Sequence[str] | None = None, *,
                district: str | None = None, cases: Sequence[str] | None = None,
                open_only: bool = False) -> list[AtlasItem]:
    """The pages of an atlas: one per sub-district, per grid cell or per work order, in a
    stable order (name, bgid, case number). ``district`` keeps only that sub-district's
    cells or orders."""
    if kind not in ATLAS_KINDS:
        raise ValidationError("atlas must be one of {kinds}, got {kind!r}",
                              kinds=', '.join(ATLAS_KINDS), kind=kind)
    store.require_asset_project()
    if district is not None:
        district_bbox(store, district, layers)  # a clear error for an unknown name
    names = _asset_layers(store, layers)
    if kind == "district":
        boxes = store.asset_extents_by("district", names, district=district)
        return [AtlasItem("district", k, b, n) for k, (b, n) in boxes.items()]
    if kind == "grid":
        boxes = store.asset_extents_by("bgid", names, district=district)
        return [AtlasItem("grid", k, b, n) for k, (b, n) in boxes.items()]
    return _work_order_items(store, layers, district, cases, open_only)


def _work_order_items(store: Store, layers: Sequence[str] | None, district: str | None,
                      cases: Sequence[str] | None, open_only: bool) -> list[AtlasItem]:
    from citymgr_desktop.core.workorders.orders import assets_of
    from citymgr_desktop.core.workorders.query import list_orders
    from citymgr_desktop.core.workorders.states import OPEN_STATES

    names = _asset_layers(store, layers)
    orders = sorted(list_orders(store), key=lambda o: o["case_no"])
    wanted = {str(c) for c in cases} if cases else None
    open_values = {s.value for s in OPEN_STATES}
    items = []
    for order in orders:
        wo_uuid, case_no, title = order["work_order_uuid"], order["case_no"], order["title"]
        if wanted is not None and case_no not in wanted and wo_uuid not in wanted:
            continue
        if open_only and order["state"] not in open_values:
            continue
        boxes: list[Bbox] = []
        highlight: dict[str, tuple[str, ...]] = {}
        in_district = district is None or order["district"] == district
        uuids = [u for _c, u in assets_of(store, wo_uuid)]
        for name in names:
            found = store.asset_boxes(name, uuids)
            rows = [(u, *found[u]) for u in dict.fromkeys(uuids) if u in found]
            if rows:
                highlight[name] = tuple(u for u, _d, _b in rows)
                boxes += [b for _u, _d, b in rows]
                in_district = in_district or any(d == district for _u, d, _b in rows)
        if not boxes or not in_district:
            continue
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))
        items.append(AtlasItem("workorder", str(case_no), bbox,
                               sum(len(v) for v in highlight.values()), highlight,
                               str(title or "")))
    if wanted is not None and not items:
        raise NotFoundError("no work order {case_numbers} with assets on the map",
                            case_numbers=', '.join(sorted(wanted)))
    return items


def _name(store) -> str:
    """The project's name in messages: a file's name, a database's printable address."""
    return str(store.path) if store.is_database else store.path.name
