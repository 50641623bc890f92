"""What a source layer holds, said one way: ``citymgr import --list`` (the CLI process) prints
the words the import wizard's layer list shows (点/多面/三维线/无几何 in Chinese, "points",
"multi-polygons", "3D lines", "no geometry" in English), not GDAL's names ("MultiPolygon",
"LineString Z")."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QPushButton, QWizard

from citymgr_desktop.ui.importing import source_page
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.faults.support import run
from tests.ui.driver import LEFT, answer, choose_file, menu_item

EXPECTED = {
    "zh_CN": {"bins": "点", "parks": "多面", "roads3d": "三维线", "register": "无几何"},
    "en": {"bins": "points", "parks": "multi-polygons", "roads3d": "3D lines",
           "register": "no geometry"},
}
IMPORT = {"zh_CN": "导入数据…", "en": "Import data…"}
BROWSE = {"zh_CN": "浏览…", "en": "Browse…"}


def _source(path):
    """A GeoPackage with a point layer, a multi-polygon layer, a 3D line layer and a table."""
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(src.xy(0, 0)),
                     shapely.Point(src.xy(1, 1))], crs="EPSG:4547").to_file(
        path, layer="bins", driver="GPKG", engine="pyogrio")
    square = shapely.Polygon([src.xy(0, 0), src.xy(1, 0), src.xy(1, 1), src.xy(0, 1)])
    gpd.GeoDataFrame({"name": ["p"]}, geometry=[shapely.MultiPolygon([square])],
                     crs="EPSG:4547").to_file(path, layer="parks", driver="GPKG",
                                              engine="pyogrio")
    (x0, y0), (x1, y1) = src.xy(0, 0), src.xy(2, 0)
    gpd.GeoDataFrame({"name": ["r"]}, geometry=[shapely.LineString([(x0, y0, 20), (x1, y1, 21)])],
                     crs="EPSG:4547").to_file(path, layer="roads3d", driver="GPKG",
                                              engine="pyogrio")
    gpd.GeoDataFrame(pd.DataFrame({"name": ["x"]})).to_file(
        path, layer="register", driver="GPKG", engine="pyogrio")
    return path


def _cli_words(source, lang):
    env = {"LANG": "zh_CN.UTF-8"} if lang == "zh_CN" else {"LANG": "en_GB.UTF-8"}
    out = run(["import", source.parent / "none.gpkg", source, "--list"], env=env).ok()
    rows = dict(re.findall(r"^  (\w+) +(\S.*)$", out.split("\n\n")[0], re.M))
    return rows, out


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_cli_lists_geometry_in_words(tmp_path, lang):
    source = _source(tmp_path / "source.gpkg")
    rows, out = _cli_words(source, lang)
    assert rows == EXPECTED[lang], out
    layer_line = out.split("\n\n")[1].splitlines()[0]  # the first spatial layer described
    assert ("图层 bins：点，" if lang == "zh_CN" else "layer bins: points, ") in layer_line


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_wizard_says_what_the_cli_says(qtbot, window_in, tmp_path, lang):
    source = _source(tmp_path / "source.gpkg")
    rows, _ = _cli_words(source, lang)
    window = window_in(lang, src.new_project(tmp_path / "project.gpkg"))
    QSettings().setValue(source_page.SETTINGS_DIR, str(source.parent))
    menu_item(qtbot, window, "file", IMPORT[lang])
    qtbot.waitUntil(lambda: window.findChild(ImportWizard) is not None, timeout=10_000)
    wiz = window.findChild(ImportWizard)
    qtbot.waitExposed(wiz)
    browse = next(b for b in wiz.source_page.findChildren(QPushButton)
                  if b.text() == BROWSE[lang])
    with answer(qtbot, fill=choose_file(qtbot, source), kind=QFileDialog):
        qtbot.mouseClick(browse, LEFT)
    layers = wiz.source_page.layer_combo
    qtbot.waitUntil(lambda: layers.count() == 4, timeout=10_000)
    shown = {layers.itemData(i): layers.itemText(i) for i in range(4)}
    brackets = "（{}）" if lang == "zh_CN" else " ({})"
    assert shown == {name: name + brackets.format(word) for name, word in rows.items()}
    wiz.button(QWizard.WizardButton.CancelButton).click()
