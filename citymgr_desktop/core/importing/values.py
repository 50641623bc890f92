"""Value words -> domain codes: "good"/"好"/"完好" -> condition 1, "primary"/"主干路" -> arterial.

A source value matches a code by the code itself (``1``, ``asphalt``), by its English or
Chinese label, or by a synonym from the tables below (English, Chinese, OpenStreetMap tag
values, Roman and Chinese class numerals). Words that say "nothing" ("-", "无", "未知",
"unknown") are empty, not unmatched: a condition nobody assessed stays empty.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from citymgr_desktop.core.model import domains as dm

NULL_WORDS = frozenset({
    "", "-", "--", "---", "—", "/", "\\", "?", "n/a", "na", "none", "null", "nil", "nan",
    "unknown", "not assessed", "unassessed", "无", "空", "暂无", "未知", "不详", "未评定",
    "未评估", "未检测", "待定", "待评定",
})
_NEGATIONS = ("不", "非", "未", "无", "not ", "non")

# Synonyms per domain and code, lower case; the codes' own value and labels match anyway.
SYNONYMS: dict[str, dict[Any, tuple[str, ...]]] = {
    "condition_grade": {
        1: ("good", "excellent", "very good", "new", "as new", "intact", "ok", "好", "完好",
            "优", "优良", "优秀", "新", "全新", "正常", "一类", "1类", "i类", "ⅰ类", "a",
            "a级"),
        # 良好 is the second grade of 优/良/中/差 (and reads as 较好, not 完好)
        2: ("fair", "satisfactory", "minor damage", "较好", "良", "良好", "基本完好", "二类",
            "2类", "ii类", "ⅱ类", "b", "b级"),
        3: ("mediocre", "moderate", "average", "intermediate", "中", "中等", "一般", "较差",
            "三类", "3类", "iii类", "ⅲ类", "c", "c级"),
        4: ("poor", "bad", "damaged", "broken", "差", "坏", "损坏", "破损", "四类", "4类", "iv类",
            "ⅳ类", "d", "d级"),
        5: ("critical", "dangerous", "very poor", "very bad", "very_bad", "horrible",
            "very_horrible", "impassable", "failed", "危险", "危", "严重", "报废", "五类", "5类",
            "v类", "ⅴ类", "e", "e级"),
    },
    "road_class": {
        "expressway": ("motorway", "motorway_link", "trunk", "trunk_link", "freeway",
                       "快速路", "城市快速路", "快速", "高速", "高速公路"),
        "arterial": ("primary", "primary_link", "main", "major", "main road", "主干路", "主干道",
                     "主路", "干道", "主干"),
        "secondary": ("secondary", "secondary_link", "collector", "次干路", "次干道", "次干"),
        "branch": ("tertiary", "tertiary_link", "residential", "unclassified", "living_street",
                   "service", "minor", "local", "支路", "小路", "街巷", "巷道", "胡同"),
    },
    "pavement_type": {
        "asphalt": ("asphalt", "bitumen", "tarmac", "沥青", "沥青混凝土", "沥青路面", "柏油"),
        "concrete": ("concrete", "cement", "concrete:plates", "concrete:lanes", "水泥",
                     "水泥混凝土", "混凝土", "水泥路面"),
        "block": ("paving_stones", "paving stones", "sett", "cobblestone", "unhewn_cobblestone",
                  "brick", "bricks", "pavers", "block paving", "砌块", "砖", "石材", "彩砖",
                  "透水砖", "花岗岩", "石板"),
        "other": ("gravel", "fine_gravel", "unpaved", "dirt", "ground", "compacted", "earth",
                  "sand", "wood", "metal", "其他", "其它", "砂石", "土路"),
    },
    "bridge_structure": {
        "beam": ("beam", "girder", "slab", "梁", "梁桥", "梁式桥", "板桥", "简支梁", "连续梁",
                 "空心板"),
        "arch": ("arch", "拱", "拱桥", "拱式桥"),
        "cable_stayed": ("cable-stayed", "cable stayed", "cable_stayed", "斜拉", "斜拉桥"),
        "suspension": ("suspension", "simple-suspension", "悬索", "悬索桥", "吊桥"),
        "footbridge": ("footbridge", "pedestrian", "foot", "pedestrian bridge", "人行天桥",
                       "人行桥", "天桥", "步行桥"),
        "culvert": ("culvert", "涵洞", "涵", "箱涵"),
    },
    "bridge_maint_class": {
        "I": ("1", "一类", "1类", "i类", "ⅰ", "ⅰ类", "class i"),
        "II": ("2", "二类", "2类", "ii类", "ⅱ", "ⅱ类", "class ii"),
        "III": ("3", "三类", "3类", "iii类", "ⅲ", "ⅲ类", "class iii"),
        "IV": ("4", "四类", "4类", "iv类", "ⅳ", "ⅳ类", "class iv"),
        "V": ("5", "五类", "5类", "v类", "ⅴ", "ⅴ类", "class v"),
    },
    "green_category": {
        "park": ("park", "garden", "公园", "公园绿地", "游园", "街头游园", "社区公园"),
        "protective": ("protective", "buffer", "防护", "防护绿地", "防护林"),
        "roadside": ("roadside", "verge", "street", "道路绿地", "道路绿化", "行道树", "隔离带",
                     "分车绿带"),
        "attached": ("attached", "附属", "附属绿地", "小区绿地", "单位绿地", "居住区绿地"),
        "plaza": ("plaza", "square", "广场", "广场用地", "广场绿地"),
    },
    "green_maint_level": {
        1: ("一级", "一级养护", "1级", "i级", "ⅰ级", "level 1", "特级"),
        2: ("二级", "二级养护", "2级", "ii级", "ⅱ级", "level 2"),
        3: ("三级", "三级养护", "3级", "iii级", "ⅲ级", "level 3"),
    },
    "bin_type": {
        "recyclable": ("recyclable", "recycling", "recyclables", "可回收", "可回收物", "可回收垃圾"),
        "kitchen": ("kitchen", "food", "organic", "wet", "food waste", "厨余", "厨余垃圾",
                    "湿垃圾", "餐厨", "餐厨垃圾"),
        "hazardous": ("hazardous", "有害", "有害垃圾"),
        "other": ("other", "residual", "general", "dry", "trash", "litter", "其他", "其它", "其他垃圾",
                  "干垃圾"),
    },
    "bin_mount": {
        "freestanding": ("freestanding", "free-standing", "free standing", "floor", "ground",
                         "落地", "落地式", "立式"),
        "pole": ("pole", "post", "street_lamp", "挂杆", "挂杆式", "杆式", "立杆", "抱杆"),
        "wall": ("wall", "wall_mounted", "wall-mounted", "挂墙", "挂墙式", "壁挂", "壁挂式"),
        "underground": ("underground", "buried", "地埋", "地埋式"),
    },
    "bin_material": {
        "steel": ("steel", "stainless", "stainless steel", "metal", "不锈钢", "钢", "钢制", "金属"),
        "plastic": ("plastic", "pe", "hdpe", "塑料", "塑胶"),
        "wood": ("wood", "wooden", "木", "木塑", "木质"),
        "cast_iron": ("cast iron", "iron", "铸铁", "铁"),
    },
}


def normalise_word(value: Any) -> str:
    """A comparable form: NFKC (full-width -> ASCII), lower case, single spaces."""
    # " ".join(split()) is re.sub(r"\s+", " ", ...) of the stripped text (the same
    # whitespace), at a third of the cost: every distinct value of a column passes here
    return " ".join(unicodedata.normalize("NFKC", str(value)).lower().split())


def is_null_word(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return normalise_word(value) in NULL_WORDS


def _number_key(text: str) -> float | None:
    try:
        f = float(text)
    except ValueError:
        return None
    return f if math.isfinite(f) else None


def _index(domain: dm.CodedDomain) -> dict[str, Any]:
    idx: dict[str, Any] = {}
    for code in domain.codes:
        for word in (str(code.value), code.en, code.zh):
            idx.setdefault(normalise_word(word), code.value)
    for value, words in SYNONYMS.get(domain.name, {}).items():
        for word in words:
            idx.setdefault(normalise_word(word), value)
    return idx


_INDEX_CACHE: dict[str, dict[str, Any]] = {}


def word_index(domain: dm.CodedDomain) -> dict[str, Any]:
    if domain.name not in _INDEX_CACHE:
        _INDEX_CACHE[domain.name] = _index(domain)
    return _INDEX_CACHE[domain.name]


def match_code(domain: dm.CodedDomain, value: Any) -> Any | None:
    """The code ``value`` stands for, or None when nothing matches."""
    text = normalise_word(value_key(value))
    idx = word_index(domain)
    if text in idx:
        return idx[text]
    num = _number_key(text)
    if num is not None:
        for code in domain.codes:
            if isinstance(code.value, int) and num == code.value:
                return code.value
    # "沥青混凝土路面" contains "沥青混凝土": the longest Chinese label or synonym found inside
    # wins; never when the text negates ("不好", "非机动车道").
    if any(ord(ch) > 0x2E80 for ch in text) and not any(n in text for n in _NEGATIONS):
        best: tuple[int, Any] | None = None
        for word, code_value in idx.items():
            if (len(word) >= 2 and any(ord(ch) > 0x2E80 for ch in word) and word in text
                    and (best is None or len(word) > best[0])):
                best = (len(word), code_value)
        if best is not None:
            return best[1]
    return None


def suggest_values(domain: dm.CodedDomain, words: list[Any]) -> dict[str, Any]:
    """{source word: code or None} for the distinct non-empty words of a source field."""
    out: dict[str, Any] = {}
    for w in words:
        if is_null_word(w):
            continue
        key = value_key(w)
        if key not in out:
            out[key] = match_code(domain, w)
    return out


def value_key(value: Any) -> str:
    """How a source value is written in a value map: 3.0 -> "3", " 好 " -> "好"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                        r"(?:[ T].*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_date_text(value: Any) -> tuple[str, bool] | None:
    """Dates as offices write them -> (ISO date, partial?).

    2019-05-01, 2019/5/1, 2019.05.01, 2019年5月1日, 20190501 are full dates; 2019-05,
    2019年5月, 2019 and 2019年 are completed to the first day (partial=True). None otherwise.
    """
    import datetime as dt

    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern, partial in ((_DATE_FULL, False), (_DATE_COMPACT, False), (_DATE_MONTH, True),
                             (_DATE_YEAR, True)):
        m = pattern.match(text)
        if m:
            parts = [int(g) for g in m.groups()] + [1, 1]
            try:
                return dt.date(parts[0], parts[1], parts[2]).isoformat(), partial
            except ValueError:
                return None
    return None
