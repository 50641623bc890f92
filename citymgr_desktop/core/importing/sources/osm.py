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

from citymgr_desktop.core.importing.sources.base import Columns

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


def expand(attrs: Columns, layer: str) -> Columns:
    """Add ``osm_key`` and one column per tag found in ``other_tags`` (which is dropped)."""
    names = attrs.columns
    rows = [{k: attrs.data[k][i] for k in ("osm_id", "osm_way_id") if k in attrs}
            for i in range(len(attrs))]
    out = {"osm_key": [osm_key(row, layer) for row in rows]}
    out.update({k: v for k, v in attrs.data.items() if k != "other_tags"})
    if "other_tags" not in attrs:
        return Columns(out, attrs.index)
    parsed = [parse_hstore(v) for v in attrs["other_tags"]]
    seen = {"osm_key", *names}  # GDAL puts a tag either in a column or in other_tags
    for tags in parsed:
        for k in tags:
            if k not in seen:
                seen.add(k)
                out[k] = [t.get(k) for t in parsed]
    return Columns(out, attrs.index)
