"""The import wizard in the Chinese interface says nothing in English: every page, opened
from the real File menu and walked with the Next button, shows Chinese words only, apart from
what is the data's own (the file's and layer's names, its values and column names, the asset
field names the file stores, EPSG codes, encodings, numbers). A fresh user found "Point" and
"CRS (none)" on the fields page."""

from __future__ import annotations

import re

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTextEdit,
    QWizard,
)

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.domains import CodedDomain
from citymgr_desktop.ui.importing import source_page
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.ui.driver import LEFT, answer, choose_file, menu_item

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]+")
# technical words a Chinese GIS user reads as they are
TECHNICAL = {"EPSG", "WKT", "CSV", "GeoPackage", "gpkg", "csv", "UTF", "GB18030", "GBK",
             "Big5", "ISO", "CGCS2000", "WGS", "UTM", "OSM", "osm", "PROJ", "make_valid",
             "FileGDB", "GDAL", "OGR", "SQL", "Shapefile", "GeoJSON", "KML", "OpenStreetMap",
             "Excel", "ITRF", "ETRS89",
             "lon", "lat"}  # the column names the wizard recognises, as they are spelled
# the page's own examples of expression syntax (a filter the user types in English)
EXAMPLES = {"highway IS NOT NULL"}


def _shown_texts(wiz: QWizard) -> list[tuple[str, str]]:
    """(where, text) of everything visible on the wizard's current page and its buttons."""
    out: list[tuple[str, str]] = []
    for w in wiz.findChildren(QLabel) + wiz.findChildren(QAbstractButton):
        if w.isVisible():
            out.append((type(w).__name__, w.text()))
    for w in wiz.findChildren(QGroupBox):
        if w.isVisible():
            out.append(("group", w.title()))
    for w in wiz.findChildren(QComboBox):
        if w.isVisible():
            out += [("combo", w.itemText(i)) for i in range(w.count())]
    for w in wiz.findChildren(QLineEdit):
        if w.isVisible() and w.placeholderText() not in EXAMPLES:
            out.append(("placeholder", w.placeholderText()))
    for w in wiz.findChildren(QTableWidget):
        if not w.isVisible():
            continue
        for c in range(w.columnCount()):
            head = w.horizontalHeaderItem(c)
            out.append(("header", head.text() if head else ""))
            for r in range(w.rowCount()):
                item = w.item(r, c)
                if item is not None:
                    out.append((f"cell {r},{c}", item.text()))
    for w in wiz.findChildren(QTextEdit):
        if w.isVisible():
            out.append(("text", w.toPlainText()))
    return [(where, text) for where, text in out if text]


def _transformations(wiz: ImportWizard) -> list[str]:
    crs = wiz.state.dry_run.report.crs or {}
    return [str(crs.get("transformation"))] + [
        str(alt.get("description")) for alt in crs.get("alternatives", [])]


def _english_words(text: str, data_words: set[str]) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text)  # markup
    return [w for w in WORD.findall(text) if w not in TECHNICAL and w not in data_words]


def test_the_import_wizard_shows_no_english_in_chinese(chinese, qtbot, main_window, tmp_path,
                                                       shots):
    project = src.new_project(tmp_path / "project.gpkg")
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(project)
    source = src.csv_bridges(tmp_path)
    menu_item(qtbot, main_window, "file", "导入数据…")
    qtbot.waitUntil(lambda: main_window.findChild(ImportWizard) is not None, timeout=10_000)
    wiz = main_window.findChild(ImportWizard)
    wiz.resize(1100, 720)
    QSettings().setValue(source_page.SETTINGS_DIR, str(source.parent))  # the last folder
    browse = next(b for b in wiz.source_page.findChildren(QPushButton)
                  if b.text() == "浏览…")
    with answer(qtbot, fill=choose_file(qtbot, source), kind=QFileDialog):
        qtbot.mouseClick(browse, LEFT)
    qtbot.waitUntil(lambda: wiz.source_page.layer_combo.count() > 0, timeout=10_000)
    data_words = set(WORD.findall(str(source))) | {"bridges", "Q1", "Q2", "Q3", "Q4", "Q5",
                                                   "Q6", "II", "abc"}
    data_words |= {t.name for t in sc.ASSET_TABLES}
    data_words |= {f.name for t in sc.ASSET_TABLES for f in t.fields}
    data_words |= {str(code) for t in sc.ASSET_TABLES for f in t.fields  # coded values
                   if isinstance(f.get_domain(), CodedDomain) for code in f.get_domain().values()}
    found: dict[str, list[str]] = {}
    for step in ("source", "fields", "values", "report"):
        qtbot.waitUntil(lambda: not wiz.busy(), timeout=30_000)
        if step == "report":
            qtbot.waitUntil(lambda: wiz.state.dry_run is not None, timeout=30_000)
        shots(step, wiz)
        for where, text in _shown_texts(wiz):
            if step == "report":  # PROJ's own words stay, as the detail under "PROJ:"
                for proj_text in _transformations(wiz):
                    text = text.replace("PROJ: " + proj_text, "")
            words = _english_words(text, data_words)
            if words:
                found.setdefault(step, []).append(f"{where}: {text[:120]!r} ({words})")
        if step != "report":
            page = wiz.currentId()
            qtbot.mouseClick(wiz.button(QWizard.WizardButton.NextButton), LEFT)
            qtbot.waitUntil(lambda p=page: wiz.currentId() != p, timeout=30_000)
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=30_000)
    # a lon/lat CSV into CGCS2000: PROJ's "Ballpark geographic offset" said in Chinese
    assert "无基准转换参数，按同一基准近似（误差可达数米）" in wiz.report_page.text.toPlainText()
    bar = wiz.report_page.text.verticalScrollBar()
    bar.setValue(bar.maximum())
    shots("report-coordinates", wiz)
    qtbot.mouseClick(wiz.button(QWizard.WizardButton.CancelButton), LEFT)
    assert not found, "English in the Chinese import wizard:\n" + "\n".join(
        f"{step}: {line}" for step, lines in found.items() for line in lines)
