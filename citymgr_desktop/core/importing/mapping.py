"""The mapping of a source layer onto an asset class, and automatic suggestions for it.

An :class:`ImportMapping` says which source field fills which asset field (``source_id``
included), constants for fields the source lacks, value maps (source word -> domain code),
and the geometry and CRS choices. :func:`suggest_mapping` pre-fills it from field names in
English and Chinese (名称/name, 状况/condition, OpenStreetMap tags) and from content (a field
whose values are domain words, a field of unique ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from citymgr_desktop.core.errors import NotFoundError, ValidationError
from citymgr_desktop.core.importing import values as iv
from citymgr_desktop.core.importing.geometry import GeometryOptions
from citymgr_desktop.core.importing.sources import SourceField, SourceLayer
from citymgr_desktop.core.importing.sources.table import norm_name
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc

# Fields the app maintains itself; a source never fills them.
DISTRICT = "district"  # 街道: a text whose value map names a known (or new) 街道
NOT_MAPPABLE = frozenset({"asset_uuid", "updated_at", "updated_by", "retired_at", "pci_grade"})

_COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("name", "名称", "名字", "mc", "objname", "部件名称", "name:zh", "namezh", "title",
             "道路名称", "路名", "桥名", "桥梁名称", "绿地名称", "公园名称", "设施名称"),
    "district": ("district", "街道", "所属街道", "街道办", "jd", "subdistrict", "镇街", "乡镇街道",
                 "streetoffice"),
    "bgid": ("bgid", "单元网格", "网格", "网格编码", "网格号", "grid", "gridcode"),
    "owner_dept": ("owner", "ownerdept", "主管部门", "权属单位", "权属", "产权单位", "所属单位",
                   "zgbm"),
    "maintainer_dept": ("maintainer", "maintainerdept", "养护单位", "维护单位", "管理单位", "yhdw",
                        "operator", "maintainedby"),
    "condition": ("condition", "状况", "技术状况", "完好程度", "完好状况", "完好率等级", "zk",
                  "cond", "conditiongrade", "smoothness", "状况等级"),
    "install_date": ("installdate", "建成日期", "建设日期", "建成时间", "安装日期", "竣工日期",
                     "built", "yearbuilt", "datebuilt", "startdate", "constructiondate",
                     "建成年份", "jcrq"),
    "remarks": ("remarks", "备注", "note", "notes", "comment", "comments", "description",
                "说明", "bz", "desc"),
    "source_id": ("sourceid", "osmkey", "objectid", "id", "fid", "gid", "uid", "featureid",
                  "编号", "原编号", "来源编号", "bh", "osmid"),
    "obj_code": ("objcode", "部件编码", "部件编号", "bjbm"),
}
_CLASS_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "road_segment": {
        "road_class": ("roadclass", "道路等级", "等级", "highway", "fclass", "class", "dldj"),
        "pavement": ("pavement", "路面类型", "路面材料", "路面结构", "surface", "lmlx"),
        "lanes": ("lanes", "车道数", "车道", "lanecount"),
        "width_m": ("widthm", "width", "路宽", "宽度", "道路宽度", "路面宽度", "kd"),
        "pci": ("pci", "路面状况指数"),
    },
    "bridge": {
        "structure": ("structure", "结构类型", "结构形式", "bridgestructure", "桥型", "桥梁类型"),
        "maint_class": ("maintclass", "养护类别", "养护类型"),
        "length_m": ("lengthm", "length", "桥长", "长度", "全长"),
        "width_m": ("widthm", "width", "桥宽", "宽度"),
        "spans": ("spans", "跨数", "孔数", "spancount"),
        "bci": ("bci", "桥梁状况指数"),
        "next_inspection": ("nextinspection", "下次检测日期", "下次检测"),
    },
    "green_space": {
        "category": ("category", "绿地类别", "绿地类型", "类别", "leisure"),
        "maint_level": ("maintlevel", "养护等级", "养护级别", "level", "等级"),
        "main_species": ("mainspecies", "主要植物", "species", "树种", "植物", "主要树种"),
    },
    "litter_bin": {
        "bin_type": ("bintype", "垃圾分类", "分类", "类型", "垃圾类型", "分类类型", "recyclingtype",
                     "waste", "type"),
        "capacity_l": ("capacityl", "capacity", "容量", "容积"),
        "mount": ("mount", "安装方式", "安装形式", "support"),
        "material": ("material", "材质", "材料"),
    },
}
# Computed from the geometry unless a person maps it on purpose (units of a source's area
# column are a guess: m², hectares or 亩).
_NOT_SUGGESTED = frozenset({"area_m2"})
# Geometry bookkeeping columns that look like measures but are not (units unknown).
_NEVER_SUGGEST = frozenset({"shapeleng", "shapelength", "shapearea", "shapelen", "ogcfid",
                            "zorder"})
THRESHOLD = 0.5


@dataclass
class ImportMapping:
    """Everything needed to turn a source layer into assets of one class."""

    table: str
    fields: dict[str, str] = field(default_factory=dict)  # asset field -> source field
    constants: dict[str, Any] = field(default_factory=dict)  # asset field -> value
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {word: code}
    id_prefix: str = ""
    on_unmatched: str = "empty"  # "empty": leave the field empty; "skip": skip the feature
    # a field changed both in the project and in the delivery since the previous delivery:
    # "project" keeps the project's value (listed in the report), "delivery" takes the new one
    on_conflict: str = "project"
    geometry: GeometryOptions = field(default_factory=GeometryOptions)
    accept_ballpark: bool = False
    transformation: int | None = None  # which of PROJ's candidates (1-based); None: the best

    def target(self) -> sc.Table:
        if self.table not in sc.ASSET_TABLES_BY_NAME:
            raise NotFoundError("unknown asset class {table!r}; choose one of {classes}",
                                table=self.table, classes=', '.join(sc.ASSET_TABLES_BY_NAME))
        return sc.ASSET_TABLES_BY_NAME[self.table]

    def check(self, source_fields: list[str]) -> None:
        """Refuse unknown or app-maintained asset fields and missing source fields."""
        table = self.target()
        names = table.field_names()
        if self.on_unmatched not in ("empty", "skip"):
            raise ValidationError("on_unmatched must be 'empty' or 'skip', got {on_unmatched!r}",
                                  on_unmatched=self.on_unmatched)
        if self.on_conflict not in ("project", "delivery"):
            raise ValidationError("on_conflict must be 'project' or 'delivery', got "
                                  "{on_conflict!r}", on_conflict=self.on_conflict)
        for where in (self.fields, self.constants, self.values):
            for f in where:
                if f not in names:
                    raise ValidationError("{table} has no field {field!r}; fields: {fields}",
                                          table=table.name, field=f,
                                          fields=', '.join(editable_fields(table)))
                if f in NOT_MAPPABLE:
                    raise ValidationError("{table}.{field} is maintained by the app and cannot "
                                          "be imported", table=table.name, field=f)
        for dst, src in self.fields.items():
            if src not in source_fields:
                raise NotFoundError("the source has no field {src!r} (mapped to {dst}); fields: "
                                    "{fields}", src=src, dst=dst, fields=', '.join(source_fields))
        for f in self.values:
            if f == DISTRICT:  # 街道: a source name -> a known (or deliberately new) name
                continue
            if table.field(f).get_domain() is None or \
                    not isinstance(table.field(f).get_domain(), dm.CodedDomain):
                raise ValidationError("{table}.{field} has no list of codes; value maps apply "
                                      "to coded fields only", table=table.name, field=f)

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.transformation is None else {"transformation": self.transformation}
        return {
            "target": self.table, "fields": dict(self.fields),
            "constants": dict(self.constants),
            "values": {k: dict(v) for k, v in self.values.items()},
            "id_prefix": self.id_prefix, "on_unmatched": self.on_unmatched,
            "on_conflict": self.on_conflict,
            "geometry": {"multipart": self.geometry.multipart, "repair": self.geometry.repair,
                         "to_point": self.geometry.to_point},
            "accept_ballpark": self.accept_ballpark, **extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportMapping:
        try:
            geom = GeometryOptions(**data.get("geometry", {}))
        except (TypeError, ValueError) as exc:
            raise ValidationError("bad geometry options in the profile: {reason}",
                                  reason=exc) from None
        return cls(table=str(data["target"]), fields=dict(data.get("fields", {})),
                   constants=dict(data.get("constants", {})),
                   values={k: {str(w): c for w, c in v.items()}
                           for k, v in data.get("values", {}).items()},
                   id_prefix=str(data.get("id_prefix", "")),
                   on_unmatched=str(data.get("on_unmatched", "empty")),
                   on_conflict=str(data.get("on_conflict", "project")), geometry=geom,
                   accept_ballpark=bool(data.get("accept_ballpark", False)),
                   transformation=(int(data["transformation"])
                                   if data.get("transformation") is not None else None))


def editable_fields(table: sc.Table) -> list[str]:
    return [f for f in table.field_names() if f not in NOT_MAPPABLE]


@dataclass
class FieldSuggestion:
    target: str
    source: str
    score: float
    why: str  # "name" or "content"


def _name_score(target: str, table: sc.Table, source: str) -> float:
    n = norm_name(source)
    if n in _NEVER_SUGGEST or not n:
        return 0.0
    words = (norm_name(target), *_COMMON_NAMES.get(target, ()),
             *_CLASS_NAMES.get(table.name, {}).get(target, ()))
    f = table.field(target)
    words = (*words, norm_name(f.en), norm_name(f.zh))
    if n in words:
        # earlier synonyms are stronger: "osm_key" beats "id" for source_id
        return 1.0 - 0.01 * min(words.index(n), 20)
    if len(n) >= 2 and any(len(w) >= 2 and (w in n) for w in words if not w.isascii()):
        return 0.6
    return 0.0


def _content_score(target: str, table: sc.Table, sf: SourceField) -> float:
    f = table.field(target)
    domain = f.get_domain()
    samples = [s for s in sf.samples if not iv.is_null_word(s)]
    if not samples:
        return 0.0
    if isinstance(domain, dm.CodedDomain) and not _all_numeric(samples):
        # single letters ("D" of a track class) and numbers say too little about content
        words = [s for s in samples if len(iv.normalise_word(s)) > 1]
        hits = [s for s in words if iv.match_code(domain, s) is not None]
        if len(hits) < 2 or len(hits) / len(samples) < 0.6:
            return 0.0
        return 0.5 + 0.3 * len(hits) / len(samples)
    if target == "obj_code":
        ok = sum(_is_obj_code(s, table) for s in samples)
        return 0.9 if ok == len(samples) else 0.0
    return 0.0


def _all_numeric(samples: list[Any]) -> bool:
    return all(iv._number_key(iv.normalise_word(s)) is not None for s in samples)


def _is_obj_code(value: Any, table: sc.Table) -> bool:
    text = str(value)
    return (len(text) == 16 and text.isdigit()
            and text[6:10] == f"{table.major_code}{table.minor_code}")


def suggest_fields(layer: SourceLayer, table: sc.Table) -> list[FieldSuggestion]:
    """The best source field for each asset field (one source field each), best first."""
    cands: list[FieldSuggestion] = []
    for target in editable_fields(table):
        if target in _NOT_SUGGESTED:
            continue
        for sf in layer.fields:
            s_name = _name_score(target, table, sf.name)
            s_content = _content_score(target, table, sf)
            if target == "obj_code" and s_content == 0.0:
                continue  # a code column of another scheme would be refused anyway
            if target == "source_id" and not sf.mostly_unique:
                continue  # an id that repeats cannot tell features apart
            score, why = (s_name, "name") if s_name >= s_content else (s_content, "content")
            if score >= THRESHOLD:
                cands.append(FieldSuggestion(target, sf.name, score, why))
    cands.sort(key=lambda c: -c.score)
    used_t: set[str] = set()
    used_s: set[str] = set()
    out: list[FieldSuggestion] = []
    for c in cands:
        if c.target in used_t or c.source in used_s:
            continue
        used_t.add(c.target)
        used_s.add(c.source)
        out.append(c)
    return out


def suggest_mapping(layer: SourceLayer, table_name: str,
                    distinct_values: dict[str, list[Any]] | None = None) -> ImportMapping:
    """A mapping pre-filled with field and value suggestions for ``layer`` -> ``table_name``.

    ``distinct_values`` ({source field: its distinct values}) widens the value suggestions
    beyond the layer's sample values.
    """
    mapping = ImportMapping(table_name)
    table = mapping.target()
    by_name = {f.name: f for f in layer.fields}
    for s in suggest_fields(layer, table):
        mapping.fields[s.target] = s.source
    for target, src in mapping.fields.items():
        domain = table.field(target).get_domain()
        if isinstance(domain, dm.CodedDomain):
            words = (distinct_values or {}).get(src) or by_name[src].samples
            suggested = iv.suggest_values(domain, list(words))
            mapping.values[target] = {w: c for w, c in suggested.items() if c is not None}
    return mapping
