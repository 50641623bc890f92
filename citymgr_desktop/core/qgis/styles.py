"""QGIS layer styles of every table: the symbols of ``qgis_symbols`` plus the form configuration
(aliases, drop-downs, ranges, dates, defaults, read-only system fields), as QML documents in the
GeoPackage's ``layer_styles`` table.

The same XML elements go into the ``<maplayer>`` elements of the embedded QGIS project
(``qgis_project``), so QGIS shows our map and our forms whichever way a file is opened. Built
with ElementTree, no Qt; element names and option keys are those QGIS 3.22 writes itself.
"""

from __future__ import annotations

import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from citymgr_desktop.core import gpkg
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy
from citymgr_desktop.core.qgis.symbols import labeling, option, renderer, sub

QGIS_VERSION = "3.22.16-Białowieża"  # the oldest QGIS we test against; newer ones read it
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
# QgsValueMapFieldFormatter::NULL_VALUE: the key QGIS uses for "no value" in a value map.
VALUE_MAP_NULL = "{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"
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
_MULTILINE_FROM = 500  # TEXT fields at least this long get a multi-line editor
_INT_MAX = 2**31 - 1  # QGIS's integer spin box is a 32-bit QSpinBox
_KEY_FIELDS = {"asset_uuid", "record_uuid", "work_order_uuid", "event_uuid", "attachment_uuid"}
_ID_NAMESPACE = uuid.UUID("6f1d2c1e-3c55-4d0e-9a51-2f6a3d0c9e71")
_OBJ_CODE_CHECK = '"obj_code" IS NULL OR regexp_match("obj_code", \'^[0-9]{16}$\')'


def layer_id(table: str) -> str:
    """A stable QGIS layer id for a table (the same in every file and package)."""
    return f"{table}_{uuid.uuid5(_ID_NAMESPACE, table).hex[:12]}"


def asset_class_expression() -> str:
    """Default for ``asset_class`` of a record: the class of the asset its uuid names.

    QGIS evaluates defaults in field order, before ``asset_uuid`` is filled, so this is applied
    on update (any later change of the record); it keeps the value when the asset's layer is
    not in the project (a style loaded without the project).
    """
    cases = " ".join(
        f"WHEN get_feature('{layer_id(t.name)}', 'asset_uuid', \"asset_uuid\") IS NOT NULL "
        f"THEN '{t.name}'"
        for t in sc.ASSET_TABLES
    )
    return f'coalesce(CASE {cases} END, "asset_class")'


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


def editor_widget(f: sc.Field) -> tuple[str, dict[str, Any] | None]:
    """The QGIS editor widget type and configuration for one field."""
    domain = f.get_domain()
    if isinstance(domain, dm.CodedDomain):
        entries: list[dict[str, str]] = []
        if not f.required:
            entries.append({"<NULL>": VALUE_MAP_NULL})
        entries += [{f"{c.zh} {c.en}": str(c.value)} for c in domain.codes]
        return "ValueMap", {"map": entries}
    if isinstance(domain, dm.RangeDomain):
        is_int = f.type is sc.FieldType.INTEGER
        lo, hi = domain.minimum, domain.maximum
        cfg: dict[str, Any] = {"AllowNull": not f.required, "Style": "SpinBox"}
        if is_int:
            cfg.update(Min=int(lo), Max=int(min(hi, _INT_MAX)), Step=1, Precision=0)
        else:
            cfg.update(Min=float(lo), Max=float(hi), Step=1.0, Precision=2)
        if domain.unit:
            cfg["Suffix"] = f" {domain.unit}"
        return "Range", cfg
    if f.type is sc.FieldType.DATE:
        return "DateTime", {
            "allow_null": not f.required,
            "calendar_popup": True,
            "display_format": "yyyy-MM-dd",
            "field_format": "yyyy-MM-dd",
            "field_iso_format": False,
        }
    if f.type is sc.FieldType.DATETIME:
        return "DateTime", {
            "allow_null": not f.required,
            "calendar_popup": True,
            "display_format": "yyyy-MM-dd HH:mm:ss",
            "field_format": "yyyy-MM-ddTHH:mm:ss",
            "field_iso_format": True,
        }
    if f.type is sc.FieldType.BOOLEAN:
        return "CheckBox", {"CheckedState": "1", "UncheckedState": "0"}
    if f.type is sc.FieldType.TEXT and (f.max_length or 0) >= _MULTILINE_FROM:
        return "TextEdit", {"IsMultiline": True, "UseHtml": False}
    if f.type is sc.FieldType.BLOB:
        return "Binary", None
    return "TextEdit", {"IsMultiline": False, "UseHtml": False}


def form_elements(table: sc.Table) -> list[ET.Element]:
    """Field configuration, aliases, defaults, constraints and form settings of a table."""
    fconf = ET.Element("fieldConfiguration")
    aliases = ET.Element("aliases")
    defaults = ET.Element("defaults")
    constraints = ET.Element("constraints")
    expressions = ET.Element("constraintExpressions")
    editable = ET.Element("editable")
    for index, f in enumerate(table.fields, start=1):  # index 0 is the fid
        kind, cfg = editor_widget(f)
        field_el = sub(fconf, "field", name=f.name, configurationFlags="None")
        option(sub(sub(field_el, "editWidget", type=kind), "config"), cfg)
        sub(aliases, "alias", index=index, field=f.name, name=f.zh)
        expr, on_update = "", False
        if f.name in _KEY_FIELDS and f.system:
            expr = "uuid('WithoutBraces')"
        elif f.name == "asset_class" and "asset_uuid" in table.field_names():
            expr, on_update = asset_class_expression(), True
        sub(defaults, "default", field=f.name, expression=expr, applyOnUpdate=on_update)
        if f.name == "obj_code":  # soft check: legacy codes from imports still save
            sub(
                constraints,
                "constraint",
                field=f.name,
                constraints="4",
                notnull_strength="0",
                unique_strength="0",
                exp_strength="2",
            )
            sub(
                expressions,
                "constraint",
                field=f.name,
                exp=_OBJ_CODE_CHECK,
                desc="部件编码应为16位数字 The object code has 16 digits",
            )
        if f.system:
            sub(editable, "field", name=f.name, editable="0")
    layout = ET.Element("editorlayout")
    layout.text = "generatedlayout"
    preview = ET.Element("previewExpression")
    preview.text = display_expression(table)
    return [fconf, aliases, defaults, constraints, expressions, layout, editable, preview]


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


def style_elements(table: sc.Table) -> list[ET.Element]:
    """Every style element of a table, in the order QGIS writes them."""
    out: list[ET.Element] = []
    if table.is_asset:
        out.append(renderer(table))
        if table.name == "road_segment":
            out.append(labeling())
    for tag, text in (("blendMode", "0"), ("featureBlendMode", "0"), ("layerOpacity", "1")):
        el = ET.Element(tag)
        el.text = text
        out.append(el)
    out += form_elements(table)
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


def write_styles(conn: sqlite3.Connection, tables: Iterable[sc.Table]) -> None:
    """Store each table's QML as its default style, replacing an earlier one of ours.

    Another style that a person marked default in QGIS stays the default.
    """
    register_layer_styles(conn)
    for table in tables:
        geom = sc.GEOMETRY_COLUMN if table.is_asset else ""
        conn.execute(
            "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?",
            (table.name, STYLE_NAME),
        )
        other_default = conn.execute(
            "SELECT 1 FROM layer_styles WHERE f_table_name = ? AND useAsDefault", (table.name,)
        ).fetchone()
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, "
            f"ui, update_time) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL, {gpkg.NOW_SQL})",
            (
                table.name,
                geom,
                STYLE_NAME,
                qml(table),
                0 if other_default else 1,
                f"citymgr-desktop: {table.zh} {table.en}",
            ),
        )
    gpkg.touch_contents(conn, "layer_styles")


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
