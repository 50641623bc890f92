"""Coordinate reference systems named as a person reads them, in English or Chinese.

PROJ names CRSs in English ("CGCS2000 / 3-degree Gauss-Kruger CM 114E"); a Chinese map
footer says "CGCS2000 3度带高斯-克吕格投影 中央经线114°E". The systems Chinese city data
comes in (CGCS2000, Xi'an 1980, Beijing 1954 Gauss-Kruger zones, WGS 84, UTM, Web Mercator)
are named from their parts; any other CRS is named by its EPSG code in Chinese text, so no
English sentence is printed on a Chinese page.
"""

from __future__ import annotations

import re
from typing import Protocol

from citymgr_desktop.core.messages import is_chinese

DATUMS = {"CGCS2000": "CGCS2000", "China Geodetic Coordinate System 2000": "CGCS2000",
          "Xian 1980": "西安1980", "Beijing 1954": "北京1954", "New Beijing": "新北京54",
          "WGS 84": "WGS 84"}
_GAUSS = re.compile(r"(?P<datum>.+?) / (?:(?P<width>[36])-degree )?Gauss-Kruger "
                    r"(?:CM (?P<cm>\d+)E|zone (?P<zone>\d+))")
_UTM = re.compile(r"(?P<datum>.+?) / UTM zone (?P<zone>\d+[NS])")


class NamedCrs(Protocol):
    """What is needed of a pyproj ``CRS``."""

    @property
    def name(self) -> str: ...

    def to_epsg(self) -> int | None: ...


def crs_label(crs: NamedCrs, lang: str = "en", *, with_code: bool = True) -> str:
    """The CRS's name in ``lang``, with its EPSG code when it has one (and ``with_code``)."""
    code = crs.to_epsg() if with_code else None
    suffix = f" (EPSG:{code})" if code else ""
    if not is_chinese(lang):
        return crs.name + suffix
    zh = chinese_name(crs.name)
    if zh is None:
        code = code or crs.to_epsg()
        return f"坐标系 EPSG:{code}" if code else "未知坐标系"
    return zh + (f"（EPSG:{code}）" if code else "")


def chinese_name(name: str) -> str | None:
    """The Chinese name of a CRS called ``name`` by PROJ (None when it has no Chinese
    form here)."""
    m = _GAUSS.fullmatch(name)
    if m and m["datum"] in DATUMS:
        width = f"{m['width']}度带" if m["width"] else ""
        where = f"中央经线{m['cm']}°E" if m["cm"] else f"第{m['zone']}带"
        return f"{DATUMS[m['datum']]} {width}高斯-克吕格投影 {where}"
    m = _UTM.fullmatch(name)
    if m and m["datum"] in DATUMS:
        return f"{DATUMS[m['datum']]} UTM投影 第{m['zone']}带"
    if name == "WGS 84 / Pseudo-Mercator":
        return "WGS 84 Web墨卡托投影"
    if name in DATUMS:
        return f"{DATUMS[name]} 经纬度"
    return None
