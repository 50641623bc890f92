"""OpenStreetMap sources (.osm, .pbf through GDAL's OSM driver) made mappable.

GDAL keeps a few tags as columns and packs the rest into ``other_tags`` (hstore text such as
``"bridge"=>"yes","lanes"=>"2"``); here every tag becomes its own field, so ``surface`` or
``lanes`` can be mapped like any attribute, and ``osm_key`` (``node/123``, ``way/456``,
``relation/789``) gives each feature an id that is unique across element types: a node and a
way may share a number.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_ELEMENT_BY_LAYER = {"points": "node", "lines": "way", "multilinestrings": "relation",
                     "other_relations": "relation"}


def parse_hstore(text: Any) -> dict[str, str]:
    """``"a"=>"1","b"=>"x"`` -> {"a": "1", "b": "x"}; anything else -> {}."""
    if not isinstance(text, str) or "=>" not in text:
        return {}
    return {_unescape(k): _unescape(v) for k, v in _PAIR.findall(text)}


def _unescape(s: str) -> str:
    return s.replace('\\"', '"').replace("\\\\", "\\")


def _id(value: Any) -> str | None:
    """An OSM id as text; None for a missing one (None, NaN or blank)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def osm_key(row: dict[str, Any], layer: str) -> str | None:
    """The feature's OSM element, e.g. ``way/4305``."""
    if layer == "multipolygons":
        way = _id(row.get("osm_way_id"))
        if way:
            return f"way/{way}"
        rel = _id(row.get("osm_id"))
        return f"relation/{rel}" if rel else None
    element = _ELEMENT_BY_LAYER.get(layer, "element")
    oid = _id(row.get("osm_id"))
    return f"{element}/{oid}" if oid else None


def expand(attrs: pd.DataFrame, layer: str) -> pd.DataFrame:
    """Add ``osm_key`` and one column per tag found in ``other_tags`` (which is dropped)."""
    out = attrs.copy()
    # records, not iterrows(): a row Series would turn a missing id into NaN
    out.insert(0, "osm_key", [osm_key(row, layer) for row in attrs.to_dict("records")])
    if "other_tags" not in attrs.columns:
        return out
    parsed = [parse_hstore(v) for v in attrs["other_tags"]]
    keys: list[str] = []
    seen = set(out.columns)  # GDAL puts a tag either in a column or in other_tags
    for tags in parsed:
        for k in tags:
            if k not in seen:
                seen.add(k)
                keys.append(k)
    extra = pd.DataFrame({k: [t.get(k) for t in parsed] for k in keys}, index=attrs.index,
                         dtype=object)
    out = out.drop(columns=["other_tags"])
    return pd.concat([out, extra], axis=1)
