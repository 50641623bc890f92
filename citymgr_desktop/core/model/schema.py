"""The asset data model, defined once as data: tables, fields, types, domains and labels.

Everything else (the GeoPackage DDL, the QGIS project and styles, the editors, validation,
import mapping, sync) is derived from these objects.
"""

from __future__ import annotations

import hashlib
import json

from citymgr_desktop.core.model import domains as d
from citymgr_desktop.core.model.fields import Field, FieldType, Table

T = FieldType
GEOMETRY_COLUMN = "geom"

# Fields every asset class shares, in form order.
_COMMON_HEAD = (
    Field("asset_uuid", T.TEXT, "Asset UUID", "资产唯一标识", required=True, max_length=36,
          group="identity", system=True, unique=True),
    Field("obj_code", T.TEXT, "Object code", "部件编码", max_length=16,
          group="identity", unique=True),
    Field("name", T.TEXT, "Name", "名称", max_length=100, group="identity"),
    Field("district", T.TEXT, "Sub-district", "街道", max_length=50, group="location"),
    Field("bgid", T.TEXT, "Grid code", "单元网格", max_length=20, group="location"),
    Field("owner_dept", T.TEXT, "Owner department", "主管部门", max_length=100, group="management"),
    Field("maintainer_dept", T.TEXT, "Maintainer", "养护单位", max_length=100, group="management"),
    Field("condition", T.INTEGER, "Condition", "技术状况", domain="condition_grade",
          group="condition"),
    Field("install_date", T.DATE, "Installed / built", "建成日期", group="management"),
)
_COMMON_TAIL = (
    Field("remarks", T.TEXT, "Remarks", "备注", max_length=500, group="other"),
    Field("source_id", T.TEXT, "Source ID", "来源编号", max_length=100, group="other"),
    Field("updated_at", T.DATETIME, "Updated at", "更新时间", group="system", system=True),
    Field("updated_by", T.TEXT, "Updated by", "更新人", max_length=50, group="system",
          system=True),
    Field("retired_at", T.DATETIME, "Retired at", "注销时间", group="system", system=True),
)
# Added in schema version 2 (appended, so new files and upgraded ones have the same columns):
# the photo a surveyor took, as a path relative to the field package's folder (``DCIM/…``;
# QGIS's attachment widget). The bytes live in ``attachment`` (docs/data-model.md, "Photos").
PHOTO_PATH_LENGTH = 255


def _photo_field(group: str) -> Field:
    return Field("photo", T.TEXT, "Photo", "照片", max_length=PHOTO_PATH_LENGTH, group=group)


def _asset(name: str, en: str, zh: str, geometry: str, major: str, minor: str,
           *own: Field) -> Table:
    return Table(name, en, zh, (*_COMMON_HEAD, *own, *_COMMON_TAIL, _photo_field("other")),
                 geometry, major, minor)


# Component codes follow the major classes of CJ/T 214 / GB/T 30428.2 (02 交通设施,
# 03 市容环境, 04 园林绿化); minor codes are this project's defaults (docs/data-model.md).
ROAD_SEGMENT = _asset(
    "road_segment", "Road segments", "道路路段", "LINESTRING", "02", "01",
    Field("road_class", T.TEXT, "Road class", "道路等级", domain="road_class", group="road"),
    Field("pavement", T.TEXT, "Pavement", "路面类型", domain="pavement_type", group="road"),
    Field("lanes", T.INTEGER, "Lanes", "车道数", domain="lane_count", group="road"),
    Field("width_m", T.REAL, "Width (m)", "路宽(米)", domain="non_negative", group="road"),
    Field("pci", T.REAL, "PCI", "路面状况指数PCI", domain="pci_range", group="condition"),
    Field("pci_grade", T.TEXT, "Pavement grade", "路面等级", domain="pci_grade",
          group="condition", system=True),
)

BRIDGE = _asset(
    "bridge", "Bridges", "桥梁", "POINT", "02", "13",
    Field("structure", T.TEXT, "Structure", "结构类型", domain="bridge_structure", group="bridge"),
    Field("maint_class", T.TEXT, "Maintenance class", "养护类别", domain="bridge_maint_class",
          group="bridge"),
    Field("length_m", T.REAL, "Length (m)", "桥长(米)", domain="non_negative", group="bridge"),
    Field("width_m", T.REAL, "Width (m)", "桥宽(米)", domain="non_negative", group="bridge"),
    Field("spans", T.INTEGER, "Spans", "跨数", domain="non_negative", group="bridge"),
    Field("bci", T.REAL, "BCI", "桥梁状况指数BCI", domain="bci_range", group="condition"),
    Field("next_inspection", T.DATE, "Next inspection", "下次检测日期", group="condition"),
)

GREEN_SPACE = _asset(
    "green_space", "Green spaces", "绿地", "MULTIPOLYGON", "04", "05",
    Field("category", T.TEXT, "Category", "绿地类别", domain="green_category", group="green"),
    Field("maint_level", T.INTEGER, "Maintenance level", "养护等级", domain="green_maint_level",
          group="green"),
    Field("area_m2", T.REAL, "Area (m²)", "面积(平方米)", domain="non_negative", group="green"),
    Field("main_species", T.TEXT, "Main species", "主要植物", max_length=200, group="green"),
)

LITTER_BIN = _asset(
    "litter_bin", "Litter bins", "垃圾箱", "POINT", "03", "04",
    Field("bin_type", T.TEXT, "Bin type", "垃圾分类", domain="bin_type", group="bin"),
    Field("capacity_l", T.INTEGER, "Capacity (L)", "容量(升)", domain="bin_capacity",
          group="bin"),
    Field("mount", T.TEXT, "Mount", "安装方式", domain="bin_mount", group="bin"),
    Field("material", T.TEXT, "Material", "材质", domain="bin_material", group="bin"),
)

ASSET_TABLES: tuple[Table, ...] = (ROAD_SEGMENT, BRIDGE, GREEN_SPACE, LITTER_BIN)

MAINTENANCE_RECORD = Table(
    "maintenance_record", "Maintenance records", "养护记录",
    (
        Field("record_uuid", T.TEXT, "Record UUID", "记录标识", required=True, max_length=36,
              system=True, unique=True),
        Field("asset_class", T.TEXT, "Asset class", "资产类别", domain="asset_class",
              required=True),
        Field("asset_uuid", T.TEXT, "Asset", "资产", required=True, max_length=36),
        Field("record_date", T.DATE, "Date", "日期", required=True),
        Field("record_type", T.TEXT, "Type", "类型", domain="record_type", required=True),
        Field("crew", T.TEXT, "Crew", "作业班组", max_length=100),
        Field("observation", T.TEXT, "Observation", "检查情况", max_length=1000),
        Field("work_done", T.TEXT, "Work done", "处理措施", max_length=1000),
        Field("condition_before", T.INTEGER, "Condition before", "处理前状况",
              domain="condition_grade"),
        Field("condition_after", T.INTEGER, "Condition after", "处理后状况",
              domain="condition_grade"),
        Field("labour_cost", T.REAL, "Labour cost (CNY)", "人工费(元)", domain="non_negative"),
        Field("material_cost", T.REAL, "Material cost (CNY)", "材料费(元)",
              domain="non_negative"),
        Field("equipment_cost", T.REAL, "Equipment cost (CNY)", "机械费(元)",
              domain="non_negative"),
        Field("work_order_uuid", T.TEXT, "Work order", "工单", max_length=36),
        Field("created_at", T.DATETIME, "Created at", "创建时间", system=True),
        Field("created_by", T.TEXT, "Created by", "创建人", max_length=50, system=True),
        _photo_field("general"),
    ),
    key="record_uuid",
)

_WO_STATE_TIMES = tuple(
    Field(f"{c.value}_at", T.DATETIME, f"{c.en} at", f"{c.zh}时间", group="states", system=True)
    for c in d.WORK_ORDER_STATE.codes
)

WORK_ORDER = Table(
    "work_order", "Work orders", "工单",
    (
        Field("work_order_uuid", T.TEXT, "Work order UUID", "工单标识", required=True,
              max_length=36, system=True, unique=True),
        Field("case_no", T.TEXT, "Case number", "案件编号", required=True, max_length=30,
              unique=True),
        Field("source", T.TEXT, "Source", "案件来源", domain="work_order_source"),
        Field("asset_class", T.TEXT, "Class", "类别", domain="asset_class"),
        Field("priority", T.INTEGER, "Priority", "紧急程度", domain="work_order_priority",
              required=True),
        Field("title", T.TEXT, "Title", "标题", max_length=200, required=True),
        Field("description", T.TEXT, "Description", "问题描述", max_length=2000),
        Field("district", T.TEXT, "Sub-district", "街道", max_length=50),
        Field("deadline", T.DATETIME, "Deadline", "处置时限"),
        Field("assignee", T.TEXT, "Disposal unit", "处置单位", max_length=100),
        Field("state", T.TEXT, "State", "状态", domain="work_order_state", required=True),
        Field("created_by", T.TEXT, "Created by", "创建人", max_length=50, system=True),
        Field("updated_at", T.DATETIME, "Updated at", "更新时间", system=True),
        *_WO_STATE_TIMES,
    ),
    key="work_order_uuid",
)

WORK_ORDER_ASSET = Table(
    "work_order_asset", "Work order assets", "工单资产",
    (
        Field("work_order_uuid", T.TEXT, "Work order", "工单", required=True, max_length=36),
        Field("asset_class", T.TEXT, "Asset class", "资产类别", domain="asset_class",
              required=True),
        Field("asset_uuid", T.TEXT, "Asset", "资产", required=True, max_length=36),
    ),
    key="",
    link=("work_order_uuid", "asset_uuid"),
)

WORK_ORDER_EVENT = Table(
    "work_order_event", "Work order events", "工单流转记录",
    (
        Field("event_uuid", T.TEXT, "Event UUID", "流转标识", required=True, max_length=36,
              unique=True, system=True),
        Field("work_order_uuid", T.TEXT, "Work order", "工单", required=True, max_length=36),
        Field("from_state", T.TEXT, "From", "原状态", domain="work_order_state"),
        Field("to_state", T.TEXT, "To", "新状态", domain="work_order_state", required=True),
        Field("at", T.DATETIME, "When", "时间", required=True),
        Field("by", T.TEXT, "Who", "操作人", max_length=50, required=True),
        Field("note", T.TEXT, "Why", "意见", max_length=1000),
    ),
    key="event_uuid",
)

WORK_ORDER_TIME_LIMIT = Table(
    "work_order_time_limit", "Work order time limits", "处置时限标准",
    (
        Field("asset_class", T.TEXT, "Class", "类别", domain="asset_class"),
        Field("priority", T.INTEGER, "Priority", "紧急程度", domain="work_order_priority",
              required=True),
        Field("limit_value", T.REAL, "Limit", "时限", required=True, domain="non_negative"),
        Field("limit_unit", T.TEXT, "Unit (working_hours / working_days)", "单位",
              required=True, max_length=20),
    ),
    key="",
)

ATTACHMENT = Table(
    "attachment", "Attachments", "附件",
    (
        Field("attachment_uuid", T.TEXT, "Attachment UUID", "附件标识", required=True,
              max_length=36, system=True, unique=True),
        Field("owner_uuid", T.TEXT, "Owner", "所属对象", required=True, max_length=36),
        Field("owner_kind", T.TEXT, "Owner kind", "所属类型", max_length=30, required=True),
        Field("file_name", T.TEXT, "File name", "文件名", max_length=255, required=True),
        Field("mime_type", T.TEXT, "MIME type", "类型", max_length=100),
        Field("sha256", T.TEXT, "SHA-256", "校验和", max_length=64, required=True),
        Field("size_bytes", T.INTEGER, "Size (bytes)", "大小(字节)"),
        Field("content", T.BLOB, "Content", "内容"),
        Field("caption", T.TEXT, "Caption", "说明", max_length=500),
        Field("created_at", T.DATETIME, "Created at", "创建时间", system=True),
        Field("created_by", T.TEXT, "Created by", "创建人", max_length=50, system=True),
        # schema version 2: the asset a photo shows (its own, or its record's asset), where
        # the file lives in a field package, and what the camera wrote into its EXIF
        Field("asset_uuid", T.TEXT, "Asset", "资产", max_length=36),
        Field("file_path", T.TEXT, "Path in a field package", "数据包内路径",
              max_length=PHOTO_PATH_LENGTH),
        Field("taken_at", T.DATETIME, "Taken at (EXIF)", "拍摄时间"),
        Field("gps_lon", T.REAL, "GPS longitude (EXIF)", "拍摄经度"),
        Field("gps_lat", T.REAL, "GPS latitude (EXIF)", "拍摄纬度"),
    ),
    key="attachment_uuid",
)

# Field sync (docs/sync.md): the packages sent out, each sync run, the journal of every change
# a sync made (old and new values, for undo) and the conflicts left for a person.
FIELD_PACKAGE = Table(
    "field_package", "Field packages", "外业数据包",
    (
        Field("package_uuid", T.TEXT, "Package UUID", "数据包标识", required=True, max_length=36,
              system=True, unique=True),
        Field("name", T.TEXT, "File name", "文件名", max_length=255, required=True),
        Field("surveyor", T.TEXT, "Surveyor", "采集员", max_length=50),
        Field("area", T.TEXT, "Area", "范围", max_length=500),
        Field("layers", T.TEXT, "Layers", "图层", max_length=500),
        Field("schema_hash", T.TEXT, "Schema hash", "结构校验码", max_length=64, required=True),
        Field("schema_columns", T.TEXT, "Schema columns", "字段结构"),
        Field("base_file", T.TEXT, "Base copy", "基准副本", max_length=255, required=True),
        Field("feature_count", T.INTEGER, "Assets", "资产数"),
        Field("record_count", T.INTEGER, "Records", "记录数"),
        Field("created_at", T.DATETIME, "Created at", "创建时间", system=True),
        Field("created_by", T.TEXT, "Created by", "创建人", max_length=50, system=True),
    ),
    key="package_uuid",
)

SYNC_RUN = Table(
    "sync_run", "Sync runs", "同步记录",
    (
        Field("sync_uuid", T.TEXT, "Run UUID", "同步标识", required=True, max_length=36,
              system=True, unique=True),
        Field("sync_id", T.TEXT, "Sync ID", "同步编号", required=True, max_length=40),
        Field("kind", T.TEXT, "Kind (sync / resolve)", "类型", required=True, max_length=10),
        Field("package_uuid", T.TEXT, "Package", "数据包", max_length=36),
        Field("parent_sync_uuid", T.TEXT, "Based on run", "基于同步", max_length=36),
        Field("base_file", T.TEXT, "Base copy after the run", "同步后基准副本", max_length=255),
        Field("source_path", T.TEXT, "Package file", "数据包文件", max_length=1000),
        Field("applied_at", T.DATETIME, "Applied at", "同步时间", required=True),
        Field("applied_by", T.TEXT, "Applied by", "操作人", max_length=50),
        Field("prefer", T.TEXT, "Preferred side", "冲突优先", max_length=10),
        Field("state", T.TEXT, "State (applied / undone)", "状态", required=True, max_length=10),
        Field("counts", T.TEXT, "Counts per layer", "分层统计"),
        Field("conflict_count", T.INTEGER, "Conflicts", "冲突数"),
        Field("backup_file", T.TEXT, "Backup", "备份文件", max_length=255),
        Field("restore_state", T.TEXT, "State before the run", "同步前状态"),
        Field("undone_at", T.DATETIME, "Undone at", "撤销时间"),
        Field("undone_by", T.TEXT, "Undone by", "撤销人", max_length=50),
    ),
    key="sync_uuid",
)

SYNC_JOURNAL = Table(
    "sync_journal", "Sync journal", "同步日志",
    (
        Field("sync_uuid", T.TEXT, "Run", "同步标识", required=True, max_length=36),
        Field("seq", T.INTEGER, "Order", "序号", required=True),
        Field("table_name", T.TEXT, "Layer", "图层", required=True, max_length=50),
        Field("row_uuid", T.TEXT, "Row", "对象标识", required=True, max_length=36),
        Field("action", T.TEXT, "Action (insert / update / delete)", "操作", required=True,
              max_length=10),
        Field("old_values", T.TEXT, "Old values", "原值"),
        Field("new_values", T.TEXT, "New values", "新值"),
    ),
    key="",
)

SYNC_CONFLICT = Table(
    "sync_conflict", "Sync conflicts", "同步冲突",
    (
        Field("conflict_uuid", T.TEXT, "Conflict UUID", "冲突标识", required=True, max_length=36,
              system=True, unique=True),
        Field("sync_uuid", T.TEXT, "Run", "同步标识", required=True, max_length=36),
        Field("package_uuid", T.TEXT, "Package", "数据包", max_length=36),
        Field("table_name", T.TEXT, "Layer", "图层", required=True, max_length=50),
        Field("row_uuid", T.TEXT, "Row", "对象标识", required=True, max_length=36),
        Field("field_name", T.TEXT, "Field", "字段", required=True, max_length=50),
        Field("kind", T.TEXT, "Kind", "冲突类型", required=True, max_length=20),
        Field("ancestor_value", T.TEXT, "Ancestor value", "原始值"),
        Field("master_value", T.TEXT, "Master value", "主库值"),
        Field("field_value", T.TEXT, "Field value", "外业值"),
        Field("message", T.TEXT, "Message", "说明", max_length=500),
        Field("state", T.TEXT, "State (open / resolved / void)", "状态", required=True,
              max_length=10),
        Field("resolution", T.TEXT, "Resolution", "处理方式", max_length=10),
        Field("resolved_value", T.TEXT, "Resolved value", "处理结果"),
        Field("resolved_at", T.DATETIME, "Resolved at", "处理时间"),
        Field("resolved_by", T.TEXT, "Resolved by", "处理人", max_length=50),
        Field("resolve_sync_uuid", T.TEXT, "Resolved in run", "处理同步", max_length=36),
    ),
    key="conflict_uuid",
)

SYNC_TABLES: tuple[Table, ...] = (FIELD_PACKAGE, SYNC_RUN, SYNC_JOURNAL, SYNC_CONFLICT)

ATTRIBUTE_TABLES: tuple[Table, ...] = (
    MAINTENANCE_RECORD, WORK_ORDER, WORK_ORDER_ASSET, WORK_ORDER_EVENT, WORK_ORDER_TIME_LIMIT,
    ATTACHMENT, *SYNC_TABLES,
)
ALL_TABLES: tuple[Table, ...] = ASSET_TABLES + ATTRIBUTE_TABLES
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}
ASSET_TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ASSET_TABLES}

SCHEMA_VERSION = 2

def table(name: str) -> Table:
    """The table definition called ``name`` (KeyError if the model has none)."""
    return TABLES_BY_NAME[name]


def schema_hash() -> str:
    """A short hash of the model's tables and fields: equal hashes mean the same schema."""
    payload = [
        (t.name, t.geometry_type, [(f.name, f.type.value, f.domain) for f in t.fields])
        for t in ALL_TABLES
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:16]
