"""Value domains of the asset model: coded values and ranges, with English and Chinese labels.

Defined once here; the store writes them to the GeoPackage schema extension
(``gpkg_data_column_constraints``) so GDAL reads them as field domains and QGIS shows
drop-downs, and the app builds its editors from the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Code:
    """One coded value: what is stored, and what a person reads."""

    value: Any
    en: str
    zh: str

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class CodedDomain:
    """A closed list of values (``enum`` in the GeoPackage schema extension)."""

    name: str
    en: str
    zh: str
    codes: tuple[Code, ...]

    kind = "enum"

    def values(self) -> list[Any]:
        return [c.value for c in self.codes]

    def label(self, value: Any, lang: str = "zh") -> str:
        for c in self.codes:
            if c.value == value:
                return c.label(lang)
        return "" if value is None else str(value)

    def contains(self, value: Any) -> bool:
        return any(c.value == value for c in self.codes)

    def describe(self, lang: str = "en") -> str:
        """The allowed values as a person reads them, for error messages."""
        return ", ".join(f"{c.value} ({c.label(lang)})" for c in self.codes)


@dataclass(frozen=True)
class RangeDomain:
    """A numeric interval (``range`` in the GeoPackage schema extension)."""

    name: str
    en: str
    zh: str
    minimum: float
    maximum: float
    min_inclusive: bool = True
    max_inclusive: bool = True
    unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    kind = "range"

    def contains(self, value: Any) -> bool:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return False
        lo_ok = v >= self.minimum if self.min_inclusive else v > self.minimum
        hi_ok = v <= self.maximum if self.max_inclusive else v < self.maximum
        return lo_ok and hi_ok

    def describe(self, lang: str = "en") -> str:
        lo = "[" if self.min_inclusive else "("
        hi = "]" if self.max_inclusive else ")"
        unit = f" {self.unit}" if self.unit else ""
        return f"{lo}{self.minimum:g}, {self.maximum:g}{hi}{unit}"


Domain = CodedDomain | RangeDomain


def _coded(name: str, en: str, zh: str, *codes: tuple[Any, str, str]) -> CodedDomain:
    return CodedDomain(name, en, zh, tuple(Code(v, e, z) for v, e, z in codes))


# One condition scale for every class (1 = good as new, 5 = critical), after the bridge
# technical-condition classes 1-5 of JTG/T H21 and CJJ 99; empty = not yet assessed.
CONDITION = _coded(
    "condition_grade", "Condition", "技术状况",
    (1, "Good", "完好"),
    (2, "Fair", "较好"),
    (3, "Mediocre", "较差"),
    (4, "Poor", "差"),
    (5, "Critical", "危险"),
)

ROAD_CLASS = _coded(
    "road_class", "Road class", "道路等级",
    ("expressway", "Expressway", "快速路"),
    ("arterial", "Arterial road", "主干路"),
    ("secondary", "Secondary road", "次干路"),
    ("branch", "Branch road", "支路"),
)

PAVEMENT = _coded(
    "pavement_type", "Pavement", "路面类型",
    ("asphalt", "Asphalt", "沥青混凝土"),
    ("concrete", "Cement concrete", "水泥混凝土"),
    ("block", "Block paving", "砌块"),
    ("other", "Other", "其他"),
)

# Road pavement grade derived from PCI (CJJ 36-2016 城镇道路养护技术规范 style thresholds).
PCI_GRADE = _coded(
    "pci_grade", "Pavement grade", "路面等级",
    ("excellent", "Excellent", "优"),
    ("good", "Good", "良"),
    ("fair", "Fair", "中"),
    ("poor", "Poor", "差"),
)

BRIDGE_STRUCTURE = _coded(
    "bridge_structure", "Structure", "结构类型",
    ("beam", "Beam bridge", "梁桥"),
    ("arch", "Arch bridge", "拱桥"),
    ("cable_stayed", "Cable-stayed bridge", "斜拉桥"),
    ("suspension", "Suspension bridge", "悬索桥"),
    ("footbridge", "Pedestrian footbridge", "人行天桥"),
    ("culvert", "Culvert", "涵洞"),
)

BRIDGE_MAINTENANCE_CLASS = _coded(
    "bridge_maint_class", "Maintenance class", "养护类别",
    ("I", "Class I", "I类"),
    ("II", "Class II", "II类"),
    ("III", "Class III", "III类"),
    ("IV", "Class IV", "IV类"),
    ("V", "Class V", "V类"),
)

GREEN_CATEGORY = _coded(
    "green_category", "Green space category", "绿地类别",
    ("park", "Park", "公园绿地"),
    ("protective", "Protective green", "防护绿地"),
    ("roadside", "Road-side green strip", "道路绿地"),
    ("attached", "Attached green", "附属绿地"),
    ("plaza", "Plaza", "广场用地"),
)

GREEN_LEVEL = _coded(
    "green_maint_level", "Maintenance level", "养护等级",
    (1, "Level 1", "一级养护"),
    (2, "Level 2", "二级养护"),
    (3, "Level 3", "三级养护"),
)

BIN_TYPE = _coded(
    "bin_type", "Bin type", "垃圾分类",
    ("recyclable", "Recyclable", "可回收物"),
    ("kitchen", "Kitchen waste", "厨余垃圾"),
    ("hazardous", "Hazardous waste", "有害垃圾"),
    ("other", "Other waste", "其他垃圾"),
)

BIN_MOUNT = _coded(
    "bin_mount", "Mount", "安装方式",
    ("freestanding", "Free-standing", "落地式"),
    ("pole", "Pole-mounted", "挂杆式"),
    ("wall", "Wall-mounted", "挂墙式"),
    ("underground", "Underground", "地埋式"),
)

BIN_MATERIAL = _coded(
    "bin_material", "Material", "材质",
    ("steel", "Stainless steel", "不锈钢"),
    ("plastic", "Plastic", "塑料"),
    ("wood", "Wood composite", "木塑"),
    ("cast_iron", "Cast iron", "铸铁"),
)

ASSET_CLASS = _coded(
    "asset_class", "Asset class", "资产类别",
    ("road_segment", "Road segment", "道路路段"),
    ("bridge", "Bridge", "桥梁"),
    ("green_space", "Green space", "绿地"),
    ("litter_bin", "Litter bin", "垃圾箱"),
)

RECORD_TYPE = _coded(
    "record_type", "Record type", "记录类型",
    ("inspection", "Inspection", "巡查检测"),
    ("repair", "Repair", "维修"),
    ("cleaning", "Cleaning", "清洁保洁"),
    ("replacement", "Replacement", "更换"),
    ("reconstruction", "Reconstruction", "改造重建"),
)

WORK_ORDER_STATE = _coded(
    "work_order_state", "State", "工单状态",
    ("reported", "Reported", "上报"),
    ("filed", "Filed", "立案"),
    ("dispatched", "Dispatched", "派遣"),
    ("in_progress", "In progress", "处置中"),
    ("resolved", "Resolved", "已处置"),
    ("checked", "Checked", "已核查"),
    ("closed", "Closed", "结案"),
    ("returned", "Returned", "退回"),
    ("on_hold", "On hold", "挂起"),
    ("rework", "Rework", "返工"),
    ("cancelled", "Cancelled", "作废"),
)

WORK_ORDER_PRIORITY = _coded(
    "work_order_priority", "Priority", "紧急程度",
    (1, "Urgent", "特急"),
    (2, "High", "紧急"),
    (3, "Normal", "一般"),
    (4, "Low", "较缓"),
)

WORK_ORDER_SOURCE = _coded(
    "work_order_source", "Source", "案件来源",
    ("patrol", "Patrol inspection", "巡查发现"),
    ("supervisor", "Supervisor report", "监督员上报"),
    ("hotline", "12345 government service hotline", "12345政务服务热线"),
    ("hotline_12319", "12319 city-management hotline", "12319城管热线"),
    ("public", "Public report", "公众举报"),
    ("assigned", "Assigned from above", "上级交办"),
)

PCI = RangeDomain("pci_range", "PCI", "路面状况指数", 0, 100)
BCI = RangeDomain("bci_range", "BCI", "桥梁状况指数", 0, 100)
BIN_CAPACITY = RangeDomain("bin_capacity", "Capacity", "容量", 5, 1100, unit="L")
NON_NEGATIVE = RangeDomain("non_negative", "Non-negative", "非负数", 0, 1e12)
LANES = RangeDomain("lane_count", "Lanes", "车道数", 1, 16)

ALL_DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        CONDITION, ROAD_CLASS, PAVEMENT, PCI_GRADE, BRIDGE_STRUCTURE, BRIDGE_MAINTENANCE_CLASS,
        GREEN_CATEGORY, GREEN_LEVEL, BIN_TYPE, BIN_MOUNT, BIN_MATERIAL, ASSET_CLASS, RECORD_TYPE,
        WORK_ORDER_STATE, WORK_ORDER_PRIORITY, WORK_ORDER_SOURCE, PCI, BCI, BIN_CAPACITY,
        NON_NEGATIVE, LANES,
    )
}


def coded_domains() -> dict[str, CodedDomain]:
    """The domains whose values are a list of codes (enum constraints, lookup tables), read
    from ``ALL_DOMAINS`` each time: it is the one list."""
    return {n: d for n, d in ALL_DOMAINS.items() if isinstance(d, CodedDomain)}


# PCI grade thresholds per road class (CJJ 36-2016, table 5.2.x style): higher classes need
# a higher PCI for the same grade.
_PCI_THRESHOLDS = {
    "expressway": (90, 75, 65),
    "arterial": (90, 75, 65),
    "secondary": (85, 70, 60),
    "branch": (85, 70, 60),
}


def pci_grade(pci: float | None, road_class: str | None = None) -> str | None:
    """The pavement grade (excellent/good/fair/poor) that a PCI value earns."""
    if pci is None or pci != pci:  # None or NaN
        return None
    a, b, c = _PCI_THRESHOLDS.get(road_class or "", _PCI_THRESHOLDS["secondary"])
    if pci >= a:
        return "excellent"
    if pci >= b:
        return "good"
    if pci >= c:
        return "fair"
    return "poor"
