"""The attribute forms QGIS and QField show for our tables: editor widgets (drop-downs for
domains, the attachment widget for photos), bilingual aliases, default values, constraints
with messages, read-only system fields and a drag-and-drop layout with the groups of the
app's asset form, the asset's maintenance history embedded as a relation editor.

Default values never depend on the order QGIS evaluates them (field order, see
``QgsVectorLayerUtils::createFeature``): a record's ``asset_class`` and ``asset_uuid`` both
come from its asset through the relation (each asset layer carries ``asset_class`` as a
constant virtual field, and the relation pairs both fields), so adding a record from an
asset's form fills them together; what a default reads (``condition_before`` reads the
asset) comes earlier in every file's column order. Who comes from the project variable
``citymgr_surveyor`` set at check-out; the record's date is today. Timestamps get no default:
QGIS 3.22 writes a DateTime without its zone, which is not a valid GeoPackage DATETIME, so
the sync stamps them.

Element names and option keys are those QGIS 3.22 writes itself (checked against
``QgsMapLayer::exportNamedStyle``).
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.qgis.symbols import option, sub

# QgsValueMapFieldFormatter::NULL_VALUE: the key QGIS uses for "no value" in a value map.
VALUE_MAP_NULL = "{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"
SURVEYOR = "coalesce(@citymgr_surveyor, @user_full_name)"
VIRTUAL_CLASS = "asset_class"  # the virtual field each asset layer carries for the relations
CHILD_TABLES = ("maintenance_record", "work_order_asset")  # children of every asset

_MULTILINE_FROM = 500  # TEXT fields at least this long get a multi-line editor
_INT_MAX = 2**31 - 1  # QGIS's integer spin box is a 32-bit QSpinBox
_KEY_FIELDS = {"asset_uuid", "record_uuid", "work_order_uuid", "event_uuid", "attachment_uuid"}
_ID_NAMESPACE = uuid.UUID("6f1d2c1e-3c55-4d0e-9a51-2f6a3d0c9e71")
_OBJ_CODE_CHECK = '"obj_code" IS NULL OR regexp_match("obj_code", \'^[0-9]{16}$\')'
_CONDITIONS = ("condition", "condition_before", "condition_after")
_PHOTO_INSIDE = ('"photo" IS NULL OR (left("photo", 1) NOT IN (\'/\', \'\\\\\') AND '
                 'strpos("photo", \'..\') = 0 AND NOT regexp_match("photo", \'^[A-Za-z]:\'))')
_LABEL_ON_TOP = {"observation", "work_done", "remarks", "photo"}

GROUP_TITLES = {
    "identity": "标识 Identity", "location": "位置 Location", "management": "管理 Management",
    "condition": "技术状况 Condition", "road": "道路 Road", "bridge": "桥梁 Bridge",
    "green": "绿地 Green space", "bin": "垃圾箱 Litter bin", "photo": "照片 Photo",
    "other": "其他 Other", "system": "记录 Record",
}
# The asset form: tabs of group boxes, in the order of the app's form (ui/editing).
ASSET_TABS = (
    ("资产 Asset", ("identity", "location", "management")),
    ("状况 Condition", ("condition", "*class*", "photo")),
    ("养护记录 History", ()),  # the relation editors
    ("其他 Other", ("other", "system")),
)
HISTORY_TAB = "养护记录 History"
# A maintenance record's form: group boxes.
RECORD_GROUPS = (
    ("检查 Inspection", ("record_date", "record_type", "crew", "condition_before",
                         "condition_after", "observation", "work_done")),
    ("照片 Photo", ("photo",)),
    ("费用 Costs", ("labour_cost", "material_cost", "equipment_cost")),
    ("记录 Record", ("asset_class", "asset_uuid", "work_order_uuid", "record_uuid",
                     "created_at", "created_by")),
)


def layer_id(table: str) -> str:
    """A stable QGIS layer id for a table (the same in every file and package)."""
    return f"{table}_{uuid.uuid5(_ID_NAMESPACE, table).hex[:12]}"


def relation_id(child: str, parent: str) -> str:
    return f"{child}_{parent}"


def alias(f: sc.Field) -> str:
    """The label QGIS shows: Chinese, then English (as the value maps)."""
    return f"{f.zh} {f.en}"


def _asset_layers(assets: tuple[str, ...] | None) -> list[str]:
    """The asset layers a default may read: those of the project (all when not told); a
    layer the project lacks is never named (``get_feature`` on it is an evaluation error)."""
    return [t.name for t in sc.ASSET_TABLES if assets is None or t.name in assets]


def asset_class_expression(assets: tuple[str, ...] | None = None) -> str:
    """Default for ``asset_class`` of a record: the class of the asset its uuid names (kept
    when that layer is not in the project), re-evaluated when the record changes."""
    cases = " ".join(
        f"WHEN get_feature('{layer_id(t)}', 'asset_uuid', \"asset_uuid\") IS NOT NULL "
        f"THEN '{t}'"
        for t in _asset_layers(assets)
    )
    return f'coalesce(CASE {cases} END, "asset_class")' if cases else '"asset_class"'


def asset_condition_expression(assets: tuple[str, ...] | None = None) -> str:
    """Default for ``condition_before`` of a record: its asset's condition as the form sees
    it. A surveyor who changed the asset's condition before adding the record sees the new
    one here; the sync puts back the condition the package went out with (``checks.py``)."""
    parts = ", ".join(f"attribute(get_feature('{layer_id(t)}', 'asset_uuid', "
                      f"\"asset_uuid\"), 'condition')" for t in _asset_layers(assets))
    return f"coalesce({parts})" if parts else ""


def photo_naming(table: sc.Table) -> str:
    """Where QField's camera writes a photo of this layer (QFieldSync's naming expression)."""
    return (f"'DCIM/{table.name}_' || format_date(now(), 'yyyyMMdd_hhmmsszzz') "
            "|| '.{extension}'")


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
    if f.name == "photo":
        return "ExternalResource", {
            "DefaultRoot": "", "DocumentViewer": 1, "DocumentViewerHeight": 240,
            "DocumentViewerWidth": 0, "FileWidget": True, "FileWidgetButton": True,
            "FileWidgetFilter": "照片 Photos (*.jpg *.jpeg *.png *.heic *.webp)",
            "FullUrl": False, "RelativeStorage": 1, "StorageMode": 0, "UseLink": True,
        }
    if f.type is sc.FieldType.DATE:
        return "DateTime", {"allow_null": not f.required, "calendar_popup": True,
                            "display_format": "yyyy-MM-dd", "field_format": "yyyy-MM-dd",
                            "field_iso_format": False}
    if f.type is sc.FieldType.DATETIME:
        return "DateTime", {"allow_null": not f.required, "calendar_popup": True,
                            "display_format": "yyyy-MM-dd HH:mm:ss",
                            "field_format": "yyyy-MM-ddTHH:mm:ss", "field_iso_format": True}
    if f.type is sc.FieldType.BOOLEAN:
        return "CheckBox", {"CheckedState": "1", "UncheckedState": "0"}
    if f.type is sc.FieldType.TEXT and (f.max_length or 0) >= _MULTILINE_FROM:
        return "TextEdit", {"IsMultiline": True, "UseHtml": False}
    if f.type is sc.FieldType.BLOB:
        return "Binary", None
    return "TextEdit", {"IsMultiline": False, "UseHtml": False}


def default_value(table: sc.Table, f: sc.Field, assets: tuple[str, ...] | None = None
                  ) -> tuple[str, bool]:
    """(expression, apply on update) of a field's default; ``""`` for none (``assets``: the
    asset layers of the project, all when not told)."""
    names = table.field_names()
    if f.name in _KEY_FIELDS and f.system:
        return "uuid('WithoutBraces')", False
    if f.name == "asset_class" and "asset_uuid" in names:
        return asset_class_expression(assets), True
    if table.name == "maintenance_record":
        return {"record_date": ("to_date(now())", False),
                "record_type": ("'inspection'", False),
                "condition_before": (asset_condition_expression(assets), False),
                "created_by": (SURVEYOR, False)}.get(f.name, ("", False))
    if table.is_asset:
        return {"district": ("@citymgr_district", False),
                "updated_by": (SURVEYOR, True)}.get(f.name, ("", False))
    return "", False


def constraint(table: sc.Table, f: sc.Field) -> tuple[int, int, int, int, str, str] | None:
    """(flags, not-null, unique, expression strength, expression, message) of a field's
    constraint, or None. Flags: 1 not null, 2 unique, 4 expression; strength 1 hard, 2 soft."""
    if f.name == "obj_code" and table.is_asset:  # soft: legacy codes from imports still save
        return 4, 0, 0, 2, _OBJ_CODE_CHECK, "部件编码应为16位数字 The object code has 16 digits"
    if f.name in _CONDITIONS:
        check = f'"{f.name}" IS NULL OR ("{f.name}" >= 1 AND "{f.name}" <= 5)'
        return 4, 0, 0, 1, check, (f"{f.zh}为1（完好）至5（危险） {f.en} is 1 (good) to "
                                   "5 (critical)")
    if f.name == "photo":
        return 4, 0, 0, 2, _PHOTO_INSIDE, ("照片须保存在项目文件夹内（DCIM） The photo must be "
                                           "in the project folder (DCIM)")
    if f.required and not f.system:
        return 5, 1, 0, 1, f'"{f.name}" IS NOT NULL', f"{f.zh}必填 {f.en} is required"
    return None


def _field_elements(table: sc.Table, assets: tuple[str, ...] | None
                    ) -> dict[str, ET.Element]:
    els = {tag: ET.Element(tag) for tag in ("fieldConfiguration", "aliases", "defaults",
                                             "constraints", "constraintExpressions",
                                             "editable", "labelOnTop")}
    for index, f in enumerate(table.fields, start=1):  # index 0 is the fid
        kind, cfg = editor_widget(f)
        field_el = sub(els["fieldConfiguration"], "field", name=f.name,
                       configurationFlags="None")
        option(sub(sub(field_el, "editWidget", type=kind), "config"), cfg)
        sub(els["aliases"], "alias", index=index, field=f.name, name=alias(f))
        expr, on_update = default_value(table, f, assets)
        sub(els["defaults"], "default", field=f.name, expression=expr, applyOnUpdate=on_update)
        rule = constraint(table, f)
        if rule is not None:
            flags, notnull, unique, strength, check, message = rule
            sub(els["constraints"], "constraint", field=f.name, constraints=flags,
                notnull_strength=notnull, unique_strength=unique, exp_strength=strength)
            sub(els["constraintExpressions"], "constraint", field=f.name, exp=check,
                desc=message)
        if f.system or (f.name == "asset_class" and table.name == "maintenance_record"):
            sub(els["editable"], "field", name=f.name, editable="0")
        if f.name in _LABEL_ON_TOP:
            sub(els["labelOnTop"], "field", name=f.name, labelOnTop="1")
    if table.is_asset:  # the relations' virtual field: hidden, never edited
        field_el = sub(els["fieldConfiguration"], "field", name=VIRTUAL_CLASS,
                       configurationFlags="None")
        option(sub(sub(field_el, "editWidget", type="Hidden"), "config"), None)
        sub(els["aliases"], "alias", index=len(table.fields) + 1, field=VIRTUAL_CLASS,
            name="资产类别 Asset class")
    return els


def _container(parent: ET.Element, name: str, *, group_box: bool) -> ET.Element:
    return sub(parent, "attributeEditorContainer", name=name, groupBox=group_box,
               columnCount=1, showLabel=1, visibilityExpressionEnabled=0,
               visibilityExpression="")


def _fields(parent: ET.Element, table: sc.Table, names: list[str]) -> None:
    index = {f.name: i for i, f in enumerate(table.fields, start=1)}
    for n in names:
        sub(parent, "attributeEditorField", name=n, index=index[n], showLabel=1)


def relation_editor(parent: ET.Element, rel_id: str, label: str) -> ET.Element:
    el = sub(parent, "attributeEditorRelation", relation=rel_id, name=rel_id, label=label,
             showLabel=1, relationWidgetTypeId="relation_editor", nmRelationId="",
             forceSuppressFormPopup=0)
    conf = sub(el, "editor_configuration", type="Map")
    sub(conf, "Option", type="QString", name="buttons", value="AllButtons")
    sub(conf, "Option", type="bool", name="show_first_feature", value="true")
    return el


def _asset_layout(table: sc.Table, children: tuple[str, ...]) -> ET.Element:
    form = ET.Element("attributeEditorForm")
    by_group: dict[str, list[str]] = {}
    for f in table.fields:  # the photo gets a box of its own beside the condition
        by_group.setdefault("photo" if f.name == "photo" else f.group, []).append(f.name)
    own = next(g for g in by_group if g in ("road", "bridge", "green", "bin"))
    for title, groups in ASSET_TABS:
        tab = _container(form, title, group_box=False)
        if title == HISTORY_TAB:
            for child in children:
                label = {"maintenance_record": "养护记录 Maintenance records",
                         "work_order_asset": "工单 Work orders"}[child]
                relation_editor(tab, relation_id(child, table.name), label)
            continue
        for group in groups:
            group = own if group == "*class*" else group
            if group in by_group:
                box = _container(tab, GROUP_TITLES[group], group_box=True)
                _fields(box, table, by_group[group])
    return form


def _record_layout(table: sc.Table) -> ET.Element:
    form = ET.Element("attributeEditorForm")
    for title, names in RECORD_GROUPS:
        box = _container(form, title, group_box=True)
        _fields(box, table, [n for n in names if n in table.field_names()])
    return form


def form_elements(table: sc.Table, children: tuple[str, ...] = CHILD_TABLES,
                  assets: tuple[str, ...] | None = None) -> list[ET.Element]:
    """Field configuration, aliases, defaults, constraints and the form layout of a table
    (``children``: the child tables whose relation editors an asset's form embeds;
    ``assets``: the asset layers of the project, which the defaults may read)."""
    els = _field_elements(table, assets)
    layout = ET.Element("editorlayout")
    extra: list[ET.Element] = []
    if table.is_asset:
        layout.text = "tablayout"
        extra.append(_asset_layout(table, children))
        virtual = ET.Element("expressionfields")
        sub(virtual, "field", name=VIRTUAL_CLASS, expression=f"'{table.name}'", type=10,
            typeName="string", length=0, precision=0, subType=0, comment="")
        extra.append(virtual)
    elif table.name == "maintenance_record":
        layout.text = "tablayout"
        extra.append(_record_layout(table))
    else:
        layout.text = "generatedlayout"
    return [els["fieldConfiguration"], els["aliases"], els["defaults"], els["constraints"],
            els["constraintExpressions"], layout, *extra, els["editable"], els["labelOnTop"]]


def custom_properties(table: sc.Table) -> ET.Element | None:
    """QField's photo naming for a table with a photo field (QFieldSync's layer properties)."""
    if "photo" not in table.field_names():
        return None
    naming = json.dumps({"photo": photo_naming(table)}, ensure_ascii=False)
    el = ET.Element("customproperties")
    option(el, {"QFieldSync/attachment_naming": naming, "QFieldSync/photo_naming": naming})
    return el
