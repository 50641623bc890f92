"""The base maps and reference layers kept in a project, listed in its QGIS project:
rasters and tiles (XYZ, WMTS) in a group under the assets, reference vectors over them, with
their visibility, opacity and CRS, as the app draws them. ElementTree, no Qt."""

from __future__ import annotations

import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from citymgr_desktop.core.qgis import styles as qs
from citymgr_desktop.core.qgis.symbols import option, spatialrefsys, sub
from citymgr_desktop.core.qgis.wmts_location import split_location

MAP_LAYER_PREFIX = "citymgr_map_"  # ids of the kept base map / reference layers in a project
MAP_LAYER_COLUMNS = ("name", "kind", "location", "position", "opacity", "visible")


def _map_layer_source(row: dict) -> tuple[str, str]:
    """(provider, datasource) of a kept map layer as QGIS reads it from the embedded
    project (file paths relative to the GeoPackage's folder)."""
    from urllib.parse import quote

    if row["kind"] == "xyz":
        return "wms", f"type=xyz&url={quote(row['location'], safe='')}&zmax=19&zmin=0"
    if row["kind"] == "wmts":  # QGIS's WMS provider reads the capabilities itself
        url, choice = split_location(row["location"])
        return "wms", "&".join([
            "contextualWMSLegend=0", f"crs={row['crs']}", "dpiMode=7", "featureCount=10",
            f"format={choice.get('format', '')}", f"layers={quote(choice.get('layer', ''))}",
            f"styles={quote(choice.get('style', ''))}",
            f"tileMatrixSet={quote(choice.get('tilematrixset', ''))}",
            f"url={quote(url, safe='')}"])
    location = str(row["location"]).replace(os.sep, "/")
    if not (location.startswith("/") or re.match(r"^[A-Za-z]:", location)):
        location = f"./{location}"
    return ("gdal" if row["kind"] == "raster" else "ogr"), location


def with_map_layers(qgs: str, rows: Sequence[dict]) -> str:
    """The project ``qgs`` with the kept map layers ``rows`` (bottom first): rasters and
    tiles in a group under the assets, reference vectors over them (as the app draws them);
    map layers added before are replaced. A WMTS layer is listed when its CRS and choice of
    layer and set were kept (``make_layer`` keeps them) and its address needs no key kept
    outside the project (``{key}``): QGIS would ask the server without it."""
    rows = [row for row in rows if row["kind"] != "wmts" or (
        row.get("crs") and "{key}" not in row["location"]
        and set(split_location(row["location"])[1]) >= {"layer", "tilematrixset"})]
    root = ET.fromstring(qgs.split("\n", 1)[1] if qgs.startswith("<!DOCTYPE") else qgs)
    tree, layers, order = root.find("layer-tree-group"), root.find("projectlayers"), \
        root.find("layerorder")
    if tree is None or layers is None or order is None:
        return qgs
    for parent in (tree, layers, order):
        for child in list(parent):
            ident = child.get("id") or (child.findtext("id") or "")
            if child.get("name", "").startswith("citymgr ") or ident.startswith(MAP_LAYER_PREFIX):
                parent.remove(child)
    groups = {}
    for position, title, index in (("over", "citymgr 参考图层 Reference layers", 0),
                                   ("under", "citymgr 底图 Base maps", None)):
        if any(r["position"] == position for r in rows):
            group = ET.Element("layer-tree-group", name=title, checked="Qt::Checked",
                               expanded="1")
            option(sub(group, "customproperties"), None)
            if index is None:
                tree.append(group)
            else:  # after the root's customproperties: the top of the tree
                tree.insert(1, group)
            groups[position] = group
    for i, row in enumerate(reversed(list(rows))):  # top first, as in the layer tree
        provider, source = _map_layer_source(row)
        lid = f"{MAP_LAYER_PREFIX}{i}"
        node = sub(groups[row["position"]], "layer-tree-layer", id=lid, name=row["name"],
                   source=source, providerKey=provider,
                   checked="Qt::Checked" if row["visible"] else "Qt::Unchecked", expanded="0")
        option(sub(node, "customproperties"), None)
        ml = sub(layers, "maplayer", type="vector" if row["kind"] == "vector" else "raster",
                 autoRefreshEnabled="0", autoRefreshTime="0", refreshOnNotifyEnabled="0",
                 refreshOnNotifyMessage="")
        sub(ml, "id", lid)
        sub(ml, "datasource", source)
        sub(ml, "layername", row["name"])
        crs_text = "EPSG:3857" if row["kind"] == "xyz" else row.get("crs_wkt") or row.get("crs")
        if crs_text:  # without it QGIS 3.22 takes the project's CRS for the layer
            from pyproj import CRS

            spatialrefsys(sub(ml, "srs"), CRS.from_user_input(crs_text))
        sub(ml, "provider", provider)
        sub(ml, "layerOpacity", str(row["opacity"]))
        sub(order, "layer", id=lid)
    ET.indent(root, "  ")
    return qs.DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def kept_map_layers(conn: sqlite3.Connection) -> list[dict]:
    try:
        found = conn.execute(f"SELECT {', '.join(MAP_LAYER_COLUMNS)}, crs FROM "
                             "citymgr_map_layers ORDER BY sort_order, name").fetchall()
    except sqlite3.OperationalError:
        return []
    rows = [dict(zip((*MAP_LAYER_COLUMNS, "crs"), row, strict=True)) for row in found]
    folder = Path(conn.execute("PRAGMA database_list").fetchone()[2] or ".").parent
    for row in rows:
        if row["kind"] not in ("xyz", "wmts") and not row["crs"]:
            row["crs_wkt"] = _file_crs_wkt(folder / str(row["location"]).split("|")[0],
                                           row["kind"])
    return rows


def _file_crs_wkt(path: Path, kind: str) -> str | None:
    """The CRS a reference file says it has (None when it cannot be read)."""
    try:
        if kind == "raster":
            import rasterio

            with rasterio.open(path) as src:
                return src.crs.to_wkt() if src.crs else None
        import pyogrio

        return pyogrio.read_info(path).get("crs")
    except Exception:  # a file that went away is listed without a CRS
        return None
