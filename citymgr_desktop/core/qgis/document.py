"""The QGIS project document: the ``.qgs`` XML of a project's layers (groups, forms,
styles, relations, CRS, extent, variables) for given data sources, and the ``.qgz`` archive
that holds it. Where the sources point and where the document is kept is ``project.py``'s
(a GeoPackage's ``qgis_projects``, a ``.qgz`` beside a file) and ``store/postgis``'s."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.qgis import styles as qs
from citymgr_desktop.core.qgis.embedded import PROJECT_NAME
from citymgr_desktop.core.qgis.forms import CHILD_TABLES, VIRTUAL_CLASS, layer_id, relation_id
from citymgr_desktop.core.qgis.symbols import option, spatialrefsys, sub
from citymgr_desktop.core.user import login_name

if TYPE_CHECKING:  # pyproj loads when a project is written, not when a store opens
    from pyproj import CRS

# Layers of the project, top of the layer tree first (points drawn over lines over areas).
ASSET_LAYERS = ("litter_bin", "bridge", "road_segment", "green_space")
RECORD_LAYERS = ("maintenance_record", "work_order", "work_order_asset", "work_order_event")
DEFAULT_LAYERS = ASSET_LAYERS + RECORD_LAYERS
_GROUPS = (("资产 Assets", ASSET_LAYERS), ("养护与工单 Records and work orders", RECORD_LAYERS))


def relations(layers: Iterable[str]) -> list[tuple[str, str, str, str, tuple[str, ...]]]:
    """(id, name, referencing table, referenced table, fields) for the layers present; each
    field has the same name on both sides.

    One relation per asset layer stands in for the polymorphic link ``asset_class`` +
    ``asset_uuid``, pairing both (the asset layer's ``asset_class`` is a constant virtual
    field): each asset's form lists its history and work orders, and a record added there
    gets its asset's class and uuid together, whatever order QGIS fills fields in.
    """
    present = set(layers)
    rels: list[tuple[str, str, str, str, tuple[str, ...]]] = []
    for asset in ASSET_LAYERS:
        t = sc.table(asset)
        for child, what in zip(CHILD_TABLES, ("养护记录 history", "工单 work orders"),
                               strict=True):
            rels.append((relation_id(child, asset), f"{t.zh}{what}", child, asset,
                         ("asset_uuid", VIRTUAL_CLASS)))
    for child, what in (
        ("work_order_asset", "工单资产 assets"),
        ("maintenance_record", "养护记录 records"),
        ("work_order_event", "流转记录 events"),
    ):
        rels.append((relation_id(child, "work_order"), f"工单{what}", child, "work_order",
                     ("work_order_uuid",)))
    return [r for r in rels if r[2] in present and r[3] in present]


def _maplayer(parent: ET.Element, table: sc.Table, source: str, crs: CRS,
              children: tuple[str, ...], assets: tuple[str, ...], provider: str = "ogr"
              ) -> None:
    geometry, wkb_type, _ = qs.geometry_info(table)
    ml = sub(
        parent,
        "maplayer",
        type="vector",
        geometry=geometry,
        wkbType=wkb_type,
        autoRefreshEnabled="0",
        autoRefreshTime="0",
        refreshOnNotifyEnabled="0",
        refreshOnNotifyMessage="",
        **qs.layer_attributes(table),
    )
    sub(ml, "id", layer_id(table.name))
    sub(ml, "datasource", source)
    sub(ml, "layername", table.zh)
    if table.is_asset:
        spatialrefsys(sub(ml, "srs"), crs)
    sub(ml, "provider", provider, encoding="UTF-8")
    style_manager = sub(ml, "map-layer-style-manager", current="default")
    sub(style_manager, "map-layer-style", name="default")
    flags = sub(ml, "flags")
    for flag, value in (
        ("Identifiable", "1"),
        ("Removable", "1"),
        ("Searchable", "1"),
        ("Private", "0"),
    ):
        sub(flags, flag, value)
    ml.extend(qs.style_elements(table, children, assets))


def project_xml(
    crs: CRS,
    sources: dict[str, str],
    *,
    title: str = "城市管理资产 City assets",
    extent: tuple[float, float, float, float] | None = None,
    variables: dict[str, str] | None = None,
    provider: str = "ogr",
) -> str:
    """The .qgs XML of a project whose layers are the tables in ``sources`` (table -> source)
    of the QGIS data ``provider`` (``ogr`` for a GeoPackage, ``postgres`` for PostGIS).

    ``variables``: project variables (``citymgr_surveyor``, ``citymgr_district`` of a field
    package), which the forms' default values read."""
    now = datetime.now().replace(microsecond=0).isoformat()
    user = login_name("citymgr")
    root = ET.Element(
        "qgis",
        projectname=title,
        version=qs.QGIS_VERSION,
        saveUser=user,
        saveUserFull=user,
        saveDateTime=now,
    )
    sub(root, "homePath", path="")
    sub(root, "title", title)
    sub(root, "autotransaction", active="0")
    sub(root, "evaluateDefaultValues", active="0")
    sub(root, "trust", active="0")
    spatialrefsys(sub(root, "projectCrs"), crs)

    tree = sub(root, "layer-tree-group")
    option(sub(tree, "customproperties"), None)
    for group_name, tables in _GROUPS:
        present = [t for t in tables if t in sources]
        if not present:
            continue
        group = sub(tree, "layer-tree-group", name=group_name, checked="Qt::Checked", expanded="1")
        option(sub(group, "customproperties"), None)
        for t in present:
            node = sub(
                group,
                "layer-tree-layer",
                id=layer_id(t),
                name=sc.table(t).zh,
                source=sources[t],
                providerKey=provider,
                checked="Qt::Checked",
                expanded="1" if sc.table(t).is_asset else "0",
            )
            option(sub(node, "customproperties"), None)

    rels = sub(root, "relations")
    for rel_id, name, child, parent, field in relations(sources):
        rel = sub(
            rels,
            "relation",
            id=rel_id,
            name=name,
            strength="Association",
            referencingLayer=layer_id(child),
            referencedLayer=layer_id(parent),
        )
        for name in field:
            sub(rel, "fieldRef", referencingField=name, referencedField=name)
    sub(root, "polymorphicRelations")

    layers = sub(root, "projectlayers")
    ordered = [t for t in DEFAULT_LAYERS if t in sources] + [
        t for t in sources if t not in DEFAULT_LAYERS
    ]
    children = tuple(c for c in CHILD_TABLES if c in sources)
    assets = tuple(t for t in ASSET_LAYERS if t in sources)
    for t in ordered:
        _maplayer(layers, sc.table(t), sources[t], crs, children, assets, provider)
    order = sub(root, "layerorder")
    for t in ordered:
        sub(order, "layer", id=layer_id(t))

    props = sub(root, "properties")
    sub(sub(props, "Paths"), "Absolute", "false", type="bool")
    sub(sub(props, "SpatialRefSys"), "ProjectionsEnabled", "1", type="int")
    if variables:
        var = sub(props, "Variables")
        names = sub(var, "variableNames", type="QStringList")
        values = sub(var, "variableValues", type="QStringList")
        for k, v in variables.items():
            sub(names, "value", k)
            sub(values, "value", v)
    measurement = sub(props, "Measurement")
    sub(measurement, "DistanceUnits", "meters", type="QString")
    sub(measurement, "AreaUnits", "m2", type="QString")

    meta = sub(root, "projectMetadata")
    sub(meta, "title", title)
    sub(meta, "author", user)
    sub(meta, "creation", now)
    sub(meta, "abstract", "citymgr-desktop")
    view = sub(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    sub(view, "Scales")
    if extent is not None:
        xmin, ymin, xmax, ymax = extent
        default = sub(
            view,
            "DefaultViewExtent",
            xmin=repr(xmin),
            ymin=repr(ymin),
            xmax=repr(xmax),
            ymax=repr(ymax),
        )
        spatialrefsys(default, crs)
    ET.indent(root, "  ")
    return qs.DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def qgz_bytes(qgs: str, stem: str = PROJECT_NAME) -> bytes:
    """A .qgz archive (zip) holding one .qgs document."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{stem}.qgs", qgs.encode("utf-8"))
    return buf.getvalue()
