"""Names, dates, conditions and uuids for the synthetic district (vectorised, seeded)."""

from __future__ import annotations

import datetime as dt

import numpy as np

SUBDISTRICTS = (
    "积玉桥街道", "杨园街道", "徐家棚街道", "粮道街道", "中华路街道", "黄鹤楼街道",
    "紫阳街道", "白沙洲街道", "首义路街道", "中南路街道", "水果湖街道", "南湖街道",
)

_STEMS = (
    "和平", "中山", "解放", "友谊", "民主", "建设", "胜利", "人民", "新华", "光明", "团结",
    "幸福", "长江", "楚河", "东湖", "南湖", "江汉", "晴川", "珞珈", "洪山", "武珞", "中北",
    "徐东", "积玉", "杨园", "紫阳", "首义", "粮道", "水果湖", "白沙", "临江", "沙湖", "秦园",
    "才林", "彭刘杨", "复兴", "青年", "工农", "丁字", "八一",
)
_SUFFIXES = ("路", "街", "大道", "一路", "二路", "三路", "巷", "东路", "西路", "北路", "南路")

# condition 1..5 probabilities (most good, a tail of poor) and the share not yet assessed
CONDITION_P = np.array([0.42, 0.30, 0.15, 0.09, 0.04])
UNASSESSED_SHARE = 0.03


def street_names(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct street names (和平路, 中山大道, 解放二路, ...)."""
    combos = [s + x for x in _SUFFIXES for s in _STEMS]
    if count > len(combos):
        combos += [f"{s}{n}路" for n in range(1, count // len(_STEMS) + 2) for s in _STEMS]
    order = rng.permutation(len(combos))[:count]
    return np.array(combos, dtype=object)[order]


def condition_draw(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Conditions 1..5 and a mask of the assets that have been assessed."""
    cond = rng.choice(np.arange(1, 6), size=n, p=CONDITION_P)
    assessed = rng.random(n) >= UNASSESSED_SHARE
    return cond, assessed


def dates_between(rng: np.random.Generator, n: int, start: dt.date, end: dt.date) -> list[str]:
    """``n`` ISO dates drawn uniformly between ``start`` and ``end``."""
    days = rng.integers(0, (end - start).days + 1, size=n)
    base = np.datetime64(start.isoformat())
    return np.datetime_as_string(base + days.astype("timedelta64[D]")).tolist()


def uuids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random (version 4) UUID strings drawn from ``rng``, so samples are reproducible."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = raw.tobytes().hex()
    out = []
    for i in range(n):
        h = hexes[32 * i : 32 * i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out
