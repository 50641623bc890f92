"""What a source layer holds, as a person reads it: GDAL's geometry type names ("Point",
"MultiPolygon", "LineString Z", "Point25D") as plain words in English or Chinese ("points" /
点, "multi-polygons" / 多面, "3D lines" / 三维线). The import wizard and ``citymgr import
--list`` both say it this way."""

from __future__ import annotations

from citymgr_desktop.core.messages import Term

GEOMETRY_TYPES = {
    "Point": Term("points", "点"),
    "MultiPoint": Term("multi-points", "多点"),
    "LineString": Term("lines", "线"),
    "MultiLineString": Term("multi-lines", "多线"),
    "Polygon": Term("polygons", "面"),
    "MultiPolygon": Term("multi-polygons", "多面"),
    "GeometryCollection": Term("geometry collections", "几何集合"),
    "Unknown": Term("mixed geometries", "混合几何"),
}
NO_GEOMETRY = Term("no geometry", "无几何")


def geometry_type_name(gtype: str | None) -> Term | str:
    """``gtype`` (GDAL's name, None for a table without geometry) in words; a type GDAL
    names otherwise is kept as it is."""
    if not gtype:
        return NO_GEOMETRY
    base, _, dims = gtype.partition(" ")  # "Point Z", "LineString ZM"
    three_d = dims.startswith("Z") or base.endswith("25D")
    name = GEOMETRY_TYPES.get(base.removesuffix("25D"))
    if name is None:
        return gtype
    return Term(f"3D {name.en}", f"三维{name.zh}") if three_d else name
