"""The same print layout built in QGIS 3.22 (PyQGIS, headless), for side-by-side comparison.

:func:`qgis_print` writes a JSON spec (sheet, map frame, boxes and page extents taken from our
own layout plan), runs :data:`SCRIPT` under Debian's system Python (``/usr/bin/python3`` with
``python3-qgis``), and returns QGIS's timings. The QGIS layout uses the QGIS project embedded in
the GeoPackage (its styles are the same as ours), a map item at the same frame, extent and
scale, a coordinate grid with annotations, a legend filtered to the map content, a scale bar,
a north arrow to true north, an overview map with the frame, title, and a footer label; with
several extents it becomes an atlas over a coverage layer of those extents.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"

SCRIPT = r'''
import json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import *
from qgis.PyQt.QtCore import QRectF, QVariant
from qgis.PyQt.QtGui import QColor, QFont
app = QgsApplication([], False)
app.initQgis()
spec = json.load(open(sys.argv[1], encoding="utf-8"))
MM = QgsUnitTypes.LayoutMillimeters
t0 = time.perf_counter()
project = QgsProject.instance()
assert project.read(f"geopackage:{spec['gpkg']}?projectName=citymgr")
crs = QgsCoordinateReferenceSystem(spec["crs"])
t_open = time.perf_counter() - t0

def font(size, bold=False):
    f = QFont("Noto Sans CJK SC")
    f.setPointSizeF(size)
    f.setBold(bold)
    return f

def place(item, box):
    layout.addLayoutItem(item)
    item.attemptMove(QgsLayoutPoint(box[0], box[1], MM))
    item.attemptResize(QgsLayoutSize(box[2], box[3], MM))

layout = QgsPrintLayout(project)
layout.initializeDefaults()
layout.pageCollection().page(0).setPageSize(QgsLayoutSize(spec["page"][0], spec["page"][1], MM))
spatial = [l for l in project.mapLayers().values() if l.type() == QgsMapLayerType.VectorLayer
           and l.isSpatial() and l.source().split("layername=")[-1] in spec["layers"]]

m = QgsLayoutItemMap(layout)
m.setCrs(crs)
m.setLayers(spatial)
m.setKeepLayerSet(True)
place(m, spec["frame"])
m.setFrameEnabled(True)
first = spec["extents"][0]
m.setExtent(QgsRectangle(*first))
m.setScale(spec["scales"][0])
grid = QgsLayoutItemMapGrid("grid", m)
m.grids().addGrid(grid)
grid.setIntervalX(spec["grid_interval"])
grid.setIntervalY(spec["grid_interval"])
grid.setGridLineColor(QColor(40, 40, 40, 150))
grid.setGridLineWidth(0.15)
grid.setAnnotationEnabled(True)
grid.setAnnotationPrecision(0)
grid.setAnnotationFont(font(6.5))
for side in (QgsLayoutItemMapGrid.Left, QgsLayoutItemMapGrid.Right):
    grid.setAnnotationDirection(QgsLayoutItemMapGrid.Vertical, side)
grid.setFrameStyle(QgsLayoutItemMapGrid.ExteriorTicks)

if "title" in spec["boxes"]:
    title = QgsLayoutItemLabel(layout)
    title.setText(spec["title"])
    title.setFont(font(18, True))
    title.setHAlign(4)  # Qt.AlignHCenter
    place(title, spec["boxes"]["title"])
if "legend" in spec["boxes"]:
    legend = QgsLayoutItemLegend(layout)
    legend.setTitle(spec["legend_title"])
    legend.setLinkedMap(m)
    legend.setLegendFilterByMapEnabled(True)
    legend.setAutoUpdateModel(False)
    root = legend.model().rootGroup()
    root.removeAllChildren()
    for lyr in sorted(spatial, key=lambda l: spec["layers"].index(
            l.source().split("layername=")[-1])):
        root.addLayer(lyr)
    legend.setColumnCount(2)
    legend.setSplitLayer(True)
    place(legend, spec["boxes"]["legend"])
    legend.setResizeToContents(False)
if "scale_bar" in spec["boxes"]:
    sb = QgsLayoutItemScaleBar(layout)
    sb.setStyle("Single Box")
    sb.setLinkedMap(m)
    sb.applyDefaultSize()
    sb.setUnits(QgsUnitTypes.DistanceMeters)
    sb.setUnitLabel("m")
    sb.setNumberOfSegmentsLeft(0)
    sb.setSegmentSizeMode(QgsScaleBarSettings.SegmentSizeFitWidth)
    sb.setMinimumBarWidth(30)
    sb.setMaximumBarWidth(spec["boxes"]["scale_bar"][2] * 0.8)
    layout.addLayoutItem(sb)
    sb.attemptMove(QgsLayoutPoint(spec["boxes"]["scale_bar"][0], spec["boxes"]["scale_bar"][1] + 8, MM))
    num = QgsLayoutItemScaleBar(layout)
    num.setStyle("Numeric")
    num.setLinkedMap(m)
    layout.addLayoutItem(num)
    num.attemptMove(QgsLayoutPoint(spec["boxes"]["scale_bar"][0], spec["boxes"]["scale_bar"][1], MM))
if "north_arrow" in spec["boxes"]:
    arrow = QgsLayoutItemPicture(layout)
    arrow.setPicturePath(":/images/north_arrows/layout_default_north_arrow.svg")
    arrow.setLinkedMap(m)
    arrow.setNorthMode(QgsLayoutItemPicture.TrueNorth)
    place(arrow, spec["boxes"]["north_arrow"])
if "overview" in spec["boxes"]:
    ov = QgsLayoutItemMap(layout)
    ov.setCrs(crs)
    ov.setLayers([l for l in spatial if l.geometryType() != QgsWkbTypes.PointGeometry])
    ov.setKeepLayerSet(True)
    place(ov, spec["boxes"]["overview"])
    ov.setFrameEnabled(True)
    ov.setExtent(QgsRectangle(*spec["overview_extent"]))
    ov.zoomToExtent(QgsRectangle(*spec["overview_extent"]))  # keeps the box's aspect
    item = QgsLayoutItemMapOverview("frame", ov)
    ov.overviews().addOverview(item)
    item.setLinkedMap(m)
if "footer" in spec["boxes"]:
    foot = QgsLayoutItemLabel(layout)
    foot.setText(spec["footer"])
    foot.setFont(font(6.5))
    place(foot, spec["boxes"]["footer"])

settings = QgsLayoutExporter.PdfExportSettings()
settings.dpi = 300
settings.rasterizeWholeImage = False
settings.forceVectorOutput = True
t1 = time.perf_counter()
if len(spec["extents"]) == 1:
    result = QgsLayoutExporter(layout).exportToPdf(spec["out_pdf"], settings)
    error = ""
else:
    cov = QgsVectorLayer(f"Polygon?crs={spec['crs']}", "pages", "memory")
    feats = []
    for ext in spec["extents"]:
        f = QgsFeature()
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(*ext)))
        feats.append(f)
    cov.dataProvider().addFeatures(feats)
    project.addMapLayer(cov, False)
    atlas = layout.atlas()
    atlas.setCoverageLayer(cov)
    atlas.setEnabled(True)
    m.setAtlasDriven(True)
    m.setAtlasScalingMode(QgsLayoutItemMap.Auto)
    m.setAtlasMargin(0.0)
    result, error = QgsLayoutExporter.exportToPdf(atlas, spec["out_pdf"], settings)
t_pdf = time.perf_counter() - t1
t_png = None
if spec.get("out_png") and len(spec["extents"]) == 1:
    img = QgsLayoutExporter.ImageExportSettings()
    img.dpi = spec.get("png_dpi", 100)
    t2 = time.perf_counter()
    QgsLayoutExporter(layout).exportToImage(spec["out_png"], img)
    t_png = time.perf_counter() - t2
print("@@RESULT@@ " + json.dumps({"result": int(result), "error": error, "open_s": t_open,
                                   "pdf_s": t_pdf, "png_s": t_png,
                                   "scale": m.scale()}))
sys.stdout.flush()
os._exit(0)
'''


def qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    env = _env(tempfile.gettempdir())
    return subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], env=env,
                          capture_output=True).returncode == 0


def _env(tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=tmp, QGIS_CUSTOM_CONFIG_PATH=tmp,
               PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    return env


def spec_from_plans(gpkg: Path, plans: list, layers: list[str], title: str, legend_title: str,
                    footer: str, out_pdf: Path, out_png: Path | None = None,
                    png_dpi: int = 100) -> dict:
    """A QGIS layout spec with the geometry of our plans (same sheet, frame, extents)."""
    g = plans[0].geometry
    boxes = {k: [b.x, b.y, b.w, b.h] for k, b in g.boxes.items()}
    if g.title is not None:
        boxes["title"] = [g.title.x, g.title.y, g.title.w, g.title.h]
    if g.footer is not None:
        boxes["footer"] = [g.footer.x, g.footer.y, g.footer.w, g.footer.h]
    return {
        "gpkg": str(gpkg), "crs": "EPSG:4547", "page": [g.page.w, g.page.h],
        "frame": [g.map.x, g.map.y, g.map.w, g.map.h], "boxes": boxes,
        "extents": [list(p.extent) for p in plans], "scales": [p.scale for p in plans],
        "grid_interval": plans[0].grid_interval, "overview_extent": list(plans[0].district_extent),
        "layers": layers, "title": title, "legend_title": legend_title, "footer": footer,
        "out_pdf": str(out_pdf), "out_png": str(out_png) if out_png else None,
        "png_dpi": png_dpi,
    }


def qgis_print(spec: dict, timeout: float = 1800) -> dict:
    """Run the QGIS layout for ``spec``; returns its timings (seconds) and the scale."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        script = Path(tmp) / "layout.py"
        script.write_text(SCRIPT, encoding="utf-8")
        proc = subprocess.run([SYSTEM_PYTHON, str(script), str(spec_path)], env=_env(tmp),
                              capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@ "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"QGIS layout failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
