"""A small project file for the QGIS compatibility tests (a few assets of every class, two with
maintenance history) and the checks of a layer's style and form as PyQGIS reports them.
"""

from __future__ import annotations

from pathlib import Path

import shapely

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.store import create as project

ASSETS = [t.name for t in sc.ASSET_TABLES]
COUNTS = {"road_segment": 3, "bridge": 2, "green_space": 2, "litter_bin": 4}
ROAD_WITH_HISTORY = "00000000-0000-4000-8000-000000000001"
BRIDGE_WITH_HISTORY = "00000000-0000-4000-8000-000001000001"


def _geoms(table: str, n: int) -> list:
    x0, y0 = 530000.0, 3380000.0
    if table == "road_segment":
        return [
            shapely.LineString([(x0 + i * 100, y0), (x0 + i * 100 + 90, y0 + 50)]) for i in range(n)
        ]
    if table == "green_space":
        return [
            shapely.MultiPolygon([shapely.box(x0 + i * 100, y0 + 200, x0 + i * 100 + 60, y0 + 260)])
            for i in range(n)
        ]
    dy = 400 if table == "bridge" else 600
    return [shapely.Point(x0 + i * 50, y0 + dy) for i in range(n)]


def make_project_file(path: Path) -> Path:
    """A project file with a few assets of every class and some maintenance history."""
    project.create_project(path)
    conn = gpkg.connect(str(path))
    try:
        conn.execute("BEGIN")
        srs_id = conn.execute("SELECT srs_id FROM gpkg_geometry_columns LIMIT 1").fetchone()[0]
        for k, table in enumerate(sc.ASSET_TABLES):
            n = COUNTS[table.name]
            gpkg.drop_rtree_triggers(conn, table.name)
            conditions = [1, 2, 3, 4, 5, None][k : k + n] + [None] * n
            columns = {
                "asset_uuid": [f"00000000-0000-4000-8000-{k:06d}{i + 1:06d}" for i in range(n)],
                "obj_code": [
                    f"420106{table.major_code}{table.minor_code}{i + 1:06d}" for i in range(n)
                ],
                "name": [f"{table.zh}{i + 1}号" for i in range(n)],
                "condition": conditions[:n],
            }
            project.bulk_insert(conn, table, columns, _geoms(table.name, n), srs_id)
            gpkg.create_rtree_triggers(conn, table.name)
            project.refresh_extent(conn, table.name)
        records = {
            "record_uuid": [f"10000000-0000-4000-8000-00000000000{i}" for i in range(3)],
            "asset_class": ["road_segment", "road_segment", "bridge"],
            "asset_uuid": [ROAD_WITH_HISTORY, ROAD_WITH_HISTORY, BRIDGE_WITH_HISTORY],
            "record_date": ["2024-03-01", "2024-09-15", "2024-05-20"],
            "record_type": ["inspection", "repair", "inspection"],
            "condition_before": [3, 3, None],
            "condition_after": [None, 1, 2],
        }
        project.bulk_insert(conn, sc.MAINTENANCE_RECORD, records, None, srs_id)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path


def check_asset_style(table: str, rep: dict) -> None:
    symbol = sy.CLASS_SYMBOLS[table]
    assert rep["renderer"] == "categorizedSymbol"
    assert rep["attr"] == "condition"
    cats = rep["categories"]
    assert len(cats) == 6
    expected = sy.condition_categories("zh")
    assert [c["value"] for c in cats] == [None if v is None else str(v) for v, _, _ in expected]
    assert [c["colour"] for c in cats] == [colour for _, _, colour in expected]
    assert [c["label"] for c in cats] == [label for _, label, _ in expected]
    layer_class = {"line": "SimpleLine", "point": "SimpleMarker", "polygon": "SimpleFill"}
    assert {c["class"] for c in cats} == {layer_class[symbol.kind]}
    if symbol.kind == "point":
        # QgsSimpleMarkerSymbolLayerBase::Shape: Diamond = 1, Circle = 8
        assert {c["shape"] for c in cats} == {{"diamond": 1, "circle": 8}[symbol.marker]}
        assert {float(c["size"]) for c in cats} == {symbol.size_mm}
    elif symbol.kind == "line":
        assert {float(c["size"]) for c in cats} == {symbol.size_mm}
    else:
        assert {c["alpha"] for c in cats} == {symbol.fill_alpha}


def check_form(table_name: str, rep: dict) -> None:
    table = sc.table(table_name)
    for f in table.fields:
        domain = f.get_domain()
        assert rep["aliases"][f.name] == f"{f.zh} {f.en}"
        if isinstance(domain, dm.CodedDomain):
            assert rep["widgets"][f.name] == "ValueMap", f.name
            codes = [v for v in rep["value_maps"][f.name] if not v.startswith("{")]
            assert codes == [str(c.value) for c in domain.codes], f.name
        elif isinstance(domain, dm.RangeDomain):
            assert rep["widgets"][f.name] == "Range", f.name
            assert float(rep["ranges"][f.name][0]) == domain.minimum
        elif f.type in (sc.FieldType.DATE, sc.FieldType.DATETIME):
            assert rep["widgets"][f.name] == "DateTime", f.name
    if "asset_uuid" in table.field_names() and table.is_asset:
        assert rep["defaults"]["asset_uuid"] == "uuid('WithoutBraces')"
