"""How the wizard names what a source file holds: its geometry type ("Point" → 点) and its
coordinate system (a Chinese name where one is known, else "not stated in the file"), in the
interface language."""

from __future__ import annotations

from citymgr_desktop.core.model.crs_names import NamedCrs, chinese_name, crs_label
from citymgr_desktop.ui import i18n

# GDAL's geometry type names (pyogrio) → the English said; i18n.tr gives the Chinese
GEOMETRY_TYPES = {
    "Point": "points",
    "MultiPoint": "multi-points",
    "LineString": "lines",
    "MultiLineString": "multi-lines",
    "Polygon": "polygons",
    "MultiPolygon": "multi-polygons",
    "GeometryCollection": "geometry collections",
    "Unknown": "mixed geometries",
}


def geometry_type_label(gtype: str | None) -> str:
    """"points", "lines (3D)" …, or "no geometry"; a type GDAL names otherwise as it is."""
    if not gtype:
        return i18n.tr("no geometry")
    base, _, dims = gtype.partition(" ")  # "Point Z", "LineString ZM"
    base = base.removesuffix("25D")
    if base not in GEOMETRY_TYPES:
        return gtype
    said = i18n.tr(GEOMETRY_TYPES[base])
    return said + (i18n.tr(" (3D)") if dims.startswith("Z") or gtype.endswith("25D") else "")


def crs_text(crs: NamedCrs | None) -> str:
    """The source's CRS as a person reads it, or "not stated in the file"."""
    if crs is None:
        return i18n.tr("not stated in the file")
    return crs_label(crs, i18n.label_language())


def crs_name_text(name: object) -> str:
    """A CRS named by PROJ ("CGCS2000 / 3-degree Gauss-Kruger CM 114E") in the interface
    language: its Chinese name where one is known (``core/model/crs_names.py``)."""
    text = str(name)
    if i18n.label_language() == "zh":
        return chinese_name(text) or text
    return text
