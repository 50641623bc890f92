"""QGIS's side of ``run_all.py``'s render rows: one whole process that opens the project
embedded in a citymgr GeoPackage, or the one ``citymgr publish`` stored in a database
(``qgis_projects``), and draws it (or a box of it) to a PNG, as ``citymgr render`` does.
Runs under the system Python with PyQGIS (QGIS 3.22):

    /usr/bin/python3 benchmarks/_qgis_render.py FILE|postgresql://USER@HOST:PORT/DB OUT.png \
        WIDTH HEIGHT [minx,miny,maxx,maxy]
"""

import sys

from qgis.core import (
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

path, out, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
if path.startswith("postgresql://"):  # QGIS's own project storage URI of the database
    server, dbname = path[len("postgresql://"):].rsplit("/", 1)
    uri = f"postgresql://{server}?dbname={dbname}&schema=public&project=citymgr"
else:
    uri = f"geopackage:{path}?projectName=citymgr"
if not project.read(uri):
    sys.exit(f"QGIS could not read the project in {path}")
layers = [layer for layer in project.layerTreeRoot().layerOrder() if layer.isValid()]
if len(sys.argv) > 5:
    extent = QgsRectangle(*(float(v) for v in sys.argv[5].split(",")))
else:
    extent = QgsRectangle()
    for layer in layers:
        extent.combineExtentWith(layer.extent())
settings = QgsMapSettings()
settings.setLayers(layers)
settings.setDestinationCrs(project.crs())
settings.setOutputSize(QSize(width, height))
settings.setOutputDpi(96)
settings.setBackgroundColor(QColor("white"))
settings.setExtent(extent)
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
if not job.renderedImage().save(out, "PNG"):
    sys.exit(f"QGIS could not write {out}")
app.exitQgis()
