"""A realistic synthetic district for demos, tests and benchmarks (``citymgr sample``).

Roads on a warped street grid with Chinese street names, bridges where streets cross rivers
and footbridges at busy crossings, parks and road-side green strips, bins along the streets;
several sub-districts (街道) and grid codes; conditions mostly good with a poor tail; a few
years of maintenance history for part of the assets and work orders in every state.
Deterministic for a given seed; one million features in well under a minute.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.atomic import atomic_path
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.progress import Progress, ensure
from citymgr_desktop.core.sample import geometry as sg
from citymgr_desktop.core.sample.history import CALENDAR_YEARS, history, work_orders
from citymgr_desktop.core.sample.names import (
    SUBDISTRICTS,
    condition_draw,
    dates_between,
    street_names,
    uuids,
)
from citymgr_desktop.core.store import create as project

DISTRICT_CODE = "420106"
MAX_FEATURES = 1_500_000


def generate(out: str | os.PathLike[str], features: int = 4000, seed: int = 1,
             district_code: str = DISTRICT_CODE, progress: Progress | None = None) -> Path:
    """Write a sample district of about ``features`` assets to ``out`` (a new file)."""
    if not 100 <= features <= MAX_FEATURES:
        raise ValidationError("--features must be between 100 and {max_features:,}",
                              max_features=MAX_FEATURES)
    prog = ensure(progress)
    target = Path(out)
    rng = np.random.default_rng(seed)
    crs = CRS.from_user_input(project.DEFAULT_CRS)
    project.validate_district_code(district_code)
    with atomic_path(target) as tmp:  # an earlier file stays until the new one is whole
        conn = gpkg.connect(str(tmp))
        try:
            conn.execute("PRAGMA journal_mode = OFF")  # a fresh temp file: atomic by rename
            conn.execute("PRAGMA synchronous = OFF")
            # random uuids make the unique indexes' inserts random: keep them in memory
            conn.execute("PRAGMA cache_size = -400000")
            conn.execute("BEGIN")
            srs_id = project.initialise(conn, crs, district_code, with_rtree_triggers=False,
                                        calendar_years=CALENDAR_YEARS)
            _write_assets(conn, srs_id, features, rng, district_code, prog)
            for t in sc.ASSET_TABLES:
                gpkg.create_rtree_triggers(conn, t.name)
            project.finish(conn, srs_id)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
    prog.update(features, features, msg("done"))
    return target


def _split(features: int) -> tuple[int, int, int, int]:
    roads = max(40, int(features * 0.25))
    bridges = max(4, int(features * 0.015))
    green = max(10, int(features * 0.135))
    bins = features - roads - bridges - green
    return roads, bridges, green, bins


def _common(n: int, rng: np.random.Generator, table: sc.Table, district_code: str,
            xy: np.ndarray, bounds: tuple[float, float, float, float]) -> dict[str, list]:
    """Identity, location and management attributes shared by every class."""
    minx, miny, maxx, maxy = bounds
    # sub-districts: a 4 x 3 patchwork over the district's extent
    col = np.clip(((xy[:, 0] - minx) / max(maxx - minx, 1) * 4).astype(int), 0, 3)
    row = np.clip(((xy[:, 1] - miny) / max(maxy - miny, 1) * 3).astype(int), 0, 2)
    sub = row * 4 + col
    community = np.clip(((xy[:, 0] - minx) // 400).astype(int) % 40, 0, 39) + 1
    cell = np.clip(((xy[:, 1] - miny) // 400).astype(int) % 90, 0, 89) + 1
    names = np.array(SUBDISTRICTS)
    bgid = [f"{district_code}{s + 1:03d}{c:03d}{g:02d}" for s, c, g in
            zip(sub.tolist(), community.tolist(), cell.tolist(), strict=True)]
    prefix = f"{district_code}{table.major_code}{table.minor_code}"
    cond, assessed = condition_draw(n, rng)
    updated = dates_between(rng, n, dt.date(2024, 1, 1), dt.date(2026, 11, 1))
    return {
        "asset_uuid": uuids(rng, n),
        "obj_code": [f"{prefix}{i:06d}" for i in range(1, n + 1)],
        "district": names[sub].tolist(),
        "bgid": bgid,
        "owner_dept": ["区城市管理局"] * n,
        "condition": [int(c) if a else None for c, a in zip(cond.tolist(), assessed.tolist(),
                                                             strict=True)],
        "install_date": dates_between(rng, n, dt.date(1995, 1, 1), dt.date(2023, 12, 31)),
        "updated_at": [f"{d}T09:00:00.000Z" for d in updated],
        "updated_by": ["sample"] * n,
    }


def _write_assets(conn, srs_id: int, features: int, rng: np.random.Generator,
                  district_code: str, prog: Progress) -> None:
    n_road, n_bridge, n_green, n_bin = _split(features)
    grid = sg.street_grid(sg.grid_size_for(n_road), rng)
    n_road = len(grid.lines)
    n_bin = max(10, features - n_road - n_bridge - n_green)
    xy_all = grid.nodes.reshape(-1, 2)
    bounds = (float(xy_all[:, 0].min()), float(xy_all[:, 1].min()),
              float(xy_all[:, 0].max()), float(xy_all[:, 1].max()))
    names = street_names(2 * grid.k, rng)
    prog.update(0, features, msg("roads"))

    # roads
    road_class = np.where(grid.seg_street % 10 == 0, "arterial",
                          np.where(grid.seg_street % 5 == 0, "secondary", "branch")).astype(object)
    road_class[(grid.seg_street == grid.k // 2) | (grid.seg_street == grid.k + grid.k // 2)] = \
        "expressway"
    cols = _common(n_road, rng, sc.ROAD_SEGMENT, district_code,
                   grid.seg_coords.mean(axis=1), bounds)
    cond = np.array([c if c is not None else 0 for c in cols["condition"]])
    pci = np.where(cond > 0, np.clip(100 - (cond - 1) * 11 - rng.uniform(0, 10, n_road), 5, 100),
                   np.nan).round(1)
    lanes = {"expressway": 8, "arterial": 6, "secondary": 4, "branch": 2}
    cols.update({
        "name": names[grid.seg_street].tolist(),
        "maintainer_dept": ["区市政设施养护中心"] * n_road,
        "road_class": road_class.tolist(),
        "pavement": rng.choice(["asphalt", "asphalt", "asphalt", "concrete", "block"],
                               n_road).tolist(),
        "lanes": [lanes[c] for c in road_class.tolist()],
        "width_m": [lanes[c] * 3.5 + 4 for c in road_class.tolist()],
        "pci": [None if np.isnan(v) else float(v) for v in pci],
    })
    project.bulk_insert(conn, sc.ROAD_SEGMENT, cols, grid.lines, srs_id)
    from citymgr_desktop.core.store.write import pci_grade_case_sql

    conn.execute(f"UPDATE road_segment SET pci_grade = {pci_grade_case_sql()}")
    prog.update(n_road, features, msg("bridges"))

    # bridges: river crossings first, footbridges at crossings of big streets after
    cross_pts, cross_seg = sg.river_crossings(grid)
    n_river = min(len(cross_pts), n_bridge)
    n_foot = n_bridge - n_river
    foot_nodes = rng.choice(grid.k * grid.k, size=n_foot, replace=n_foot > grid.k * grid.k)
    foot_pts = xy_all[foot_nodes] + rng.normal(0, 3, (n_foot, 2))
    pts = np.concatenate([cross_pts[:n_river], foot_pts])
    cols = _common(n_bridge, rng, sc.BRIDGE, district_code, pts, bounds)
    river_names = [f"{names[grid.seg_street[s]]}桥" for s in cross_seg[:n_river]]
    foot_names = [f"{names[(n // grid.k) % len(names)]}人行天桥" for n in foot_nodes.tolist()]
    cond = np.array([c if c is not None else 0 for c in cols["condition"]])
    cols.update({
        "name": river_names + foot_names,
        "maintainer_dept": ["区桥梁管理所"] * n_bridge,
        "structure": (rng.choice(["beam", "beam", "arch", "cable_stayed"], n_river).tolist()
                      + ["footbridge"] * n_foot),
        "maint_class": rng.choice(["II", "III", "IV", "V"], n_bridge).tolist(),
        "length_m": (rng.uniform(40, 260, n_river).round(1).tolist()
                     + rng.uniform(25, 60, n_foot).round(1).tolist()),
        "width_m": rng.uniform(4, 30, n_bridge).round(1).tolist(),
        "spans": rng.integers(1, 8, n_bridge).tolist(),
        "bci": [None if c == 0 else round(float(np.clip(100 - (c - 1) * 12 - rng.uniform(0, 9),
                                                        10, 100)), 1) for c in cond],
        "next_inspection": dates_between(rng, n_bridge, dt.date(2026, 12, 1),
                                         dt.date(2028, 6, 30)),
    })
    project.bulk_insert(conn, sc.BRIDGE, cols, shapely.points(pts), srs_id)
    prog.update(n_road + n_bridge, features, msg("green spaces"))

    # green spaces: a third parks, the rest road-side strips
    n_park = max(1, n_green // 3)
    park_polys, park_xy = sg.parks(grid, n_park, rng)
    n_park = len(park_polys)
    n_strip = n_green - n_park
    strip_seg = rng.choice(n_road, size=n_strip, replace=n_strip > n_road)
    strip_polys = sg.strips(grid, strip_seg)
    polys = np.concatenate([park_polys, strip_polys])
    multi = shapely.multipolygons(polys, indices=np.arange(len(polys)))
    xy = np.concatenate([park_xy, grid.seg_coords[strip_seg].mean(axis=1)])
    cols = _common(len(polys), rng, sc.GREEN_SPACE, district_code, xy, bounds)
    park_words = ["公园", "游园", "街头绿地", "广场"]
    cols.update({
        "name": ([f"{names[i % len(names)][:-1] or names[i % len(names)]}"
                  f"{park_words[i % 4]}" for i in range(n_park)]
                 + [f"{names[grid.seg_street[s]]}绿化带" for s in strip_seg.tolist()]),
        "maintainer_dept": ["区园林绿化养护中心"] * len(polys),
        "category": ["park"] * n_park + ["roadside"] * n_strip,
        "maint_level": rng.choice([1, 2, 2, 3], len(polys)).tolist(),
        "area_m2": shapely.area(polys).round(1).tolist(),
        "main_species": rng.choice(["香樟、桂花", "悬铃木、麦冬", "银杏、红叶石楠", "女贞、杜鹃",
                                    "水杉、紫薇"], len(polys)).tolist(),
    })
    project.bulk_insert(conn, sc.GREEN_SPACE, cols, multi, srs_id)
    prog.update(n_road + n_bridge + n_green, features, msg("litter bins"))

    # bins: along streets, busier (arterial) streets get more
    weight = np.where(road_class == "branch", 1.0, 2.5)
    seg = rng.choice(n_road, size=n_bin, p=weight / weight.sum())
    pts_geom = sg.bins_along(grid, seg, rng)
    cols = _common(n_bin, rng, sc.LITTER_BIN, district_code, shapely.get_coordinates(pts_geom),
                   bounds)
    cols.update({
        "name": [f"{names[grid.seg_street[s]]}{i % 1000:03d}号" for i, s in
                 enumerate(seg.tolist())],
        "maintainer_dept": ["区环境卫生管理站"] * n_bin,
        "bin_type": rng.choice(["other", "recyclable", "kitchen", "hazardous"], n_bin,
                               p=[0.45, 0.35, 0.15, 0.05]).tolist(),
        "capacity_l": rng.choice([60, 120, 240, 240, 660], n_bin).tolist(),
        "mount": rng.choice(["freestanding", "freestanding", "pole", "wall", "underground"],
                            n_bin).tolist(),
        "material": rng.choice(["steel", "plastic", "wood", "cast_iron"], n_bin).tolist(),
    })
    project.bulk_insert(conn, sc.LITTER_BIN, cols, pts_geom, srs_id)
    prog.update(features, features, msg("maintenance history"))
    history(conn, rng, features)
    work_orders(conn, rng, features)
