"""QGIS map symbology as XML: the condition-categorised renderer of each asset class and the
road-name labels, from ``symbology`` (the same colours and symbols as our own renderer), plus
the small helpers that write QGIS's XML (``<Option>`` trees, colours).

Element names and option keys are those QGIS 3.22 writes itself; built with ElementTree, no Qt.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model import symbology as sy

if TYPE_CHECKING:  # pyproj loads when a project is written, not when a store opens
    from pyproj import CRS


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    """Append a child element; attribute values are turned into strings."""
    el = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def option(parent: ET.Element, value: Any, name: str | None = None) -> ET.Element:
    """Write a value as QGIS's ``<Option>`` tree (QgsXmlUtils::writeVariant)."""
    attrs = {} if name is None else {"name": name}
    if value is None:
        return sub(parent, "Option", **attrs)
    if isinstance(value, dict):
        el = sub(parent, "Option", type="Map", **attrs)
        for k, v in value.items():
            option(el, v, k)
        return el
    if isinstance(value, list | tuple):
        el = sub(parent, "Option", type="List", **attrs)
        for v in value:
            option(el, v)
        return el
    if isinstance(value, bool):
        return sub(parent, "Option", type="bool", value="true" if value else "false", **attrs)
    if isinstance(value, int):
        return sub(parent, "Option", type="int", value=value, **attrs)
    if isinstance(value, float):
        return sub(parent, "Option", type="double", value=repr(value), **attrs)
    return sub(parent, "Option", type="QString", value=value, **attrs)


def rgba(hex_colour: str, alpha: int = 255) -> str:
    """'#rrggbb' -> QGIS's 'r,g,b,a'."""
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def empty_properties(parent: ET.Element, tag: str = "data_defined_properties") -> None:
    option(sub(parent, tag), {"name": "", "properties": None, "type": "collection"})


def symbol(name: str, table_name: str, colour: str) -> ET.Element:
    """One symbol of an asset class (``symbology.CLASS_SYMBOLS``) in ``colour``."""
    cs = sy.CLASS_SYMBOLS[table_name]
    if cs.kind == "line":
        kind, cls = "line", "SimpleLine"
        props = {
            "line_color": rgba(colour),
            "line_width": cs.size_mm,
            "line_width_unit": "MM",
            "line_style": "solid",
            "capstyle": "round",
            "joinstyle": "round",
        }
    elif cs.kind == "point":
        kind, cls = "marker", "SimpleMarker"
        props = {
            "name": cs.marker,
            "color": rgba(colour),
            "size": cs.size_mm,
            "size_unit": "MM",
            "outline_color": rgba(cs.outline),
            "outline_style": "solid",
            "outline_width": 0.2,
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "joinstyle": "bevel",
            "angle": 0,
        }
    else:
        kind, cls = "fill", "SimpleFill"
        props = {
            "color": rgba(colour, cs.fill_alpha),
            "style": "solid",
            "outline_color": rgba(cs.outline),
            "outline_style": "solid",
            "outline_width": cs.size_mm,
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
        }
    sym = ET.Element("symbol", name=name, type=kind, alpha="1", clip_to_extent="1", force_rhr="0")
    empty_properties(sym)
    layer = sub(sym, "layer", **{"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    option(layer, {k: _text(v) for k, v in props.items()})
    for k, v in props.items():  # the older <prop> form too, as QGIS 3.22 writes both
        sub(layer, "prop", k=k, v=v)
    empty_properties(layer)
    return sym


def renderer(table: sc.Table,
             categories: list[tuple[Any, str, str]] | None = None) -> ET.Element:
    """A categorised renderer on ``condition``: one category per grade plus 'not assessed'
    (``categories``: (value, label, colour) when the values are not the codes)."""
    r = ET.Element(
        "renderer-v2",
        type="categorizedSymbol",
        attr="condition",
        forceraster="0",
        symbollevels="0",
        enableorderby="0",
        referencescale="-1",
    )
    cats, syms = sub(r, "categories"), sub(r, "symbols")
    for i, (value, label, colour) in enumerate(categories or sy.condition_categories("zh")):
        sub(
            cats,
            "category",
            value="" if value is None else value,
            label=label,
            symbol=i,
            render="true",
        )
        syms.append(symbol(str(i), table.name, colour))
    source = sub(r, "source-symbol")
    source.append(symbol("0", table.name, sy.CONDITION_COLOURS[None]))
    sub(r, "rotation")
    sub(r, "sizescale")
    return r


def labeling(field: str = "name") -> ET.Element:
    """Road names along the line, haloed, from 1:``symbology.LABEL_MAX_SCALE`` inwards."""
    lab = ET.Element("labeling", type="simple")
    settings = sub(lab, "settings", calloutType="simple")
    style = sub(
        settings,
        "text-style",
        fieldName=field,
        isExpression="0",
        fontSize="9",
        fontSizeUnit="Point",
        fontFamily=sy.LABEL_FONTS[0],
        namedStyle="Regular",
        fontWeight="50",
        textColor="40,40,40,255",
        textOpacity="1",
        multilineHeight="1",
        blendMode="0",
        previewBkgrdColor="255,255,255,255",
    )
    families = sub(style, "families")
    for fam in sy.LABEL_FONTS:
        sub(families, "family", name=fam)
    sub(
        style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.9",
        bufferNoFill="1",
        bufferJoinStyle="128",
        bufferBlendMode="0",
    )
    sub(settings, "text-format", wrapChar="", multilineAlign="3", formatNumbers="0")
    sub(
        settings,
        "placement",
        placement="2",
        placementFlags="10",
        dist="0",
        distUnits="MM",
        repeatDistance="0",
        priority="5",
        overrunDistance="0",
        maxCurvedCharAngleIn="25",
        maxCurvedCharAngleOut="-25",
        layerType="LineGeometry",
    )
    # QGIS 3.22 keeps the 2.x names: scaleMax holds the minimum (most zoomed-out) scale.
    sub(
        settings,
        "rendering",
        drawLabels="1",
        scaleVisibility="1",
        scaleMin="0",
        scaleMax=sy.LABEL_MAX_SCALE,
        obstacle="1",
        obstacleFactor="1",
        obstacleType="1",
        mergeLines="1",
        upsidedownLabels="0",
        labelPerPart="0",
        displayAll="0",
        limitNumLabels="0",
        maxNumLabels="2000",
        minFeatureSize="0",
        zIndex="0",
    )
    empty_properties(settings, "dd_properties")
    return lab


def spatialrefsys(parent: ET.Element, crs: CRS) -> None:
    """A ``<spatialrefsys>`` under ``parent`` for a pyproj ``crs``."""
    srs = sub(parent, "spatialrefsys")
    epsg = crs.to_epsg()
    sub(srs, "wkt", crs.to_wkt())
    sub(srs, "srid", str(epsg or 0))
    sub(srs, "authid", f"EPSG:{epsg}" if epsg else "")
    sub(srs, "description", crs.name)
    sub(srs, "geographicflag", "true" if crs.is_geographic else "false")
