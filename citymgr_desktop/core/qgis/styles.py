"""QGIS layer styles of every table: the symbols of ``symbols`` plus the forms of
``forms`` (aliases, drop-downs, ranges, dates, photos, defaults, constraints, the
designer layout), as QML documents in the GeoPackage's ``layer_styles`` table.

The same XML elements go into the ``<maplayer>`` elements of the embedded QGIS project
(``qgis_project``), so QGIS shows our map and our forms whichever way a file is opened. Built
with ElementTree, no Qt; element names and option keys are those QGIS 3.22 writes itself.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.qgis.forms import CHILD_TABLES, custom_properties, form_elements
from citymgr_desktop.core.qgis.forms import layer_id as layer_id
from citymgr_desktop.core.qgis.symbols import labeling, renderer, sub

QGIS_VERSION = "3.22.16-Białowieża"  # the oldest QGIS we test against; newer ones read it
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
STYLE_NAME = "citymgr"  # layer_styles.styleName (QGIS declares TEXT(30))

# QGIS's own DDL for the table (GDAL's GeoPackage driver creating it for QgsOgrProvider).
LAYER_STYLES_DDL = (
    'CREATE TABLE IF NOT EXISTS "layer_styles" ( "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
    '"f_table_catalog" TEXT(256), "f_table_schema" TEXT(256), "f_table_name" TEXT(256), '
    '"f_geometry_column" TEXT(256), "styleName" TEXT(30), "styleQML" TEXT, "styleSLD" TEXT, '
    '"useAsDefault" BOOLEAN, "description" TEXT, "owner" TEXT(30), "ui" TEXT(30), '
    "\"update_time\" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
)

_GEOMETRY = {  # GeoPackage type -> (maplayer geometry, wkbType, layerGeometryType)
    "POINT": ("Point", "Point", "0"),
    "MULTIPOINT": ("Point", "MultiPoint", "0"),
    "LINESTRING": ("Line", "LineString", "1"),
    "MULTILINESTRING": ("Line", "MultiLineString", "1"),
    "POLYGON": ("Polygon", "Polygon", "2"),
    "MULTIPOLYGON": ("Polygon", "MultiPolygon", "2"),
    None: ("No geometry", "NoGeometry", "4"),
}


def display_expression(table: sc.Table) -> str:
    """How QGIS names a feature in lists (relation editors, identify results)."""
    if table.is_asset:
        return 'coalesce("name", "obj_code")'
    order = f"get_feature('{layer_id('work_order')}', 'work_order_uuid', \"work_order_uuid\")"
    return {
        "maintenance_record": 'concat("record_date", \' \', represent_value("record_type"))',
        "work_order": 'concat("case_no", \' \', "title")',
        # seen from an asset's form: which work order (when that layer is in the project)
        "work_order_asset": f"coalesce(attribute({order}, 'case_no') || ' ' || "
        f"attribute({order}, 'title'), \"work_order_uuid\")",
        "work_order_event": 'concat("at", \' \', represent_value("to_state"))',
        "attachment": '"file_name"',
    }.get(table.name, "")


def geometry_info(table: sc.Table) -> tuple[str, str, str]:
    """(QGIS geometry name, wkbType name, layerGeometryType code) of a table."""
    return _GEOMETRY[table.geometry_type]


def layer_attributes(table: sc.Table) -> dict[str, str]:
    """Attributes of the QML root / ``<maplayer>`` that the style decides."""
    attrs = {
        "styleCategories": "AllStyleCategories",
        "hasScaleBasedVisibilityFlag": "0",
        "minScale": "100000000",
        "maxScale": "0",
        "readOnly": "0",
    }
    if table.is_asset:
        attrs.update(
            labelsEnabled="1" if table.name == "road_segment" else "0",
            simplifyDrawingHints="1",
            simplifyDrawingTol="1",
            simplifyLocal="1",
            simplifyAlgorithm="0",
            simplifyMaxScale="1",
            symbologyReferenceScale="-1",
        )
    return attrs


def style_elements(table: sc.Table, children: tuple[str, ...] = CHILD_TABLES,
                   assets: tuple[str, ...] | None = None) -> list[ET.Element]:
    """Every style element of a table, in the order QGIS writes them (``children``: the
    child tables whose relation editors an asset's form embeds; ``assets``: the asset layers
    of the project, all when not told)."""
    out: list[ET.Element] = []
    props = custom_properties(table)
    if props is not None:
        out.append(props)
    if table.is_asset:
        out.append(renderer(table))
        if table.name == "road_segment":
            out.append(labeling())
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerOpacity", "1")):
        el = ET.Element(tag)
        el.text = text
        out.append(el)
    out += form_elements(table, children, assets)
    preview = ET.Element("previewExpression")
    preview.text = display_expression(table)
    out.append(preview)
    if table.is_asset:
        el = ET.Element("layerGeometryType")
        el.text = geometry_info(table)[2]
        out.append(el)
    return out


def qml(table: sc.Table) -> str:
    """The QML document of a table's style, as QGIS stores it in ``layer_styles.styleQML``."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, **layer_attributes(table)})
    root.extend(style_elements(table))
    ET.indent(root, " ")
    return DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def register_layer_styles(conn: sqlite3.Connection) -> None:
    """Create ``layer_styles`` as QGIS does (an attributes table in gpkg_contents)."""
    conn.execute(LAYER_STYLES_DDL)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
        "VALUES ('layer_styles', 'attributes', 'layer_styles', '')"
    )


def write_styles(conn: sqlite3.Connection, tables: Iterable[sc.Table]) -> int:
    """Store each table's QML as its default style, replacing an earlier one of ours in
    place when it differs (same row id; an unchanged style is not written). Returns the
    number of styles written.

    Another style that a person marked default in QGIS stays the default.
    """
    register_layer_styles(conn)
    written = 0
    for table in tables:
        geom = sc.GEOMETRY_COLUMN if table.is_asset else ""
        document = qml(table)
        description = f"citymgr-desktop: {table.zh} {table.en}"
        ours = conn.execute(
            "SELECT id, styleQML, f_geometry_column, description FROM layer_styles "
            "WHERE f_table_name = ? AND styleName = ? ORDER BY id",
            (table.name, STYLE_NAME),
        ).fetchall()
        if ours and ours[0][1:] == (document, geom, description) and len(ours) == 1:
            continue
        for extra in ours[1:]:
            conn.execute("DELETE FROM layer_styles WHERE id = ?", (extra[0],))
        if ours:
            conn.execute(
                f"UPDATE layer_styles SET styleQML = ?, f_geometry_column = ?, description = ?, "
                f"update_time = {gpkg.NOW_SQL} WHERE id = ?",
                (document, geom, description, ours[0][0]),
            )
        else:
            other_default = conn.execute(
                "SELECT 1 FROM layer_styles WHERE f_table_name = ? AND useAsDefault",
                (table.name,),
            ).fetchone()
            conn.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                f"owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL, "
                f"{gpkg.NOW_SQL})",
                (table.name, geom, STYLE_NAME, document, 0 if other_default else 1, description),
            )
        written += 1
    if written:
        gpkg.touch_contents(conn, "layer_styles")
    return written


def export_qml(table: sc.Table, lang: str = "zh") -> str:
    """The style of a work-order export layer of ``table``'s class: coloured by condition as
    in the app, where the export writes the condition as a word (``完好``, ``good``)."""
    short = "zh" if lang.startswith("zh") else "en"
    domain = dm.CONDITION
    cats = [(None if v is None else domain.label(v, short), label, colour)
            for v, label, colour in sy.condition_categories(short)]
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer(table, cats))
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerOpacity", "1"),
                      ("layerGeometryType", geometry_info(table)[2])):
        sub(root, tag, text)
    ET.indent(root, " ")
    return DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def style_export_layers(path: str, layers: dict[str, sc.Table], lang: str = "zh") -> None:
    """Write the default QGIS style of each layer of an exported GeoPackage (layer -> the
    asset class it holds) into its ``layer_styles``, so QGIS and QField show them coloured."""
    conn = gpkg.connect(path)
    try:
        conn.execute("BEGIN")
        register_layer_styles(conn)
        geometry = dict(conn.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        for layer, table in layers.items():
            conn.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                f"owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', NULL, "
                f"{gpkg.NOW_SQL})",
                (layer, geometry.get(layer, "geom"), STYLE_NAME, export_qml(table, lang),
                 f"citymgr-desktop: {table.zh} {table.en}"))
        gpkg.touch_contents(conn, "layer_styles")
        conn.execute("COMMIT")
    finally:
        conn.close()
