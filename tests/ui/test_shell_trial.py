"""What a fresh user's trial found in the window shell, through the real window: a file that
cannot be opened throws nothing away, the attribute table's filter belongs to its file, the
table opens tall enough to read and keeps its height after a restart, the Open dialog starts
in a useful folder and recent files with the same name are told apart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWizard

from citymgr_desktop.ui.shell.main_window import MainWindow
from tests.ui.driver import answer, choose_file, menu_item, press, type_into


def _open_from_menu(qtbot, w, path: Path) -> None:
    QSettings().setValue("files/lastDir", str(path.parent))
    with answer(qtbot, None, fill=choose_file(qtbot, path), kind=QFileDialog):
        menu_item(qtbot, w, "file", "Open")


def test_a_file_that_is_no_geopackage_keeps_the_unsaved_edits(qtbot, small_window, tmp_path,
                                                              shots):
    """File > Open of a PDF renamed .gpkg: the error, and nothing else (the trial was first
    asked to save, then lost the edit after Discard)."""
    w = small_window
    uid = w.edit_session.select("litter_bin", "true")[0]
    w.edit_session.set_value("litter_bin", uid, "condition", 5)
    before = w.store.path
    fake = tmp_path / "fake.gpkg"
    fake.write_bytes(b"%PDF-1.4\n" + b"\0" * 4000)
    with answer(qtbot, "OK", kind=QMessageBox) as told:
        _open_from_menu(qtbot, w, fake)
    assert told.dialog.windowTitle() == "Open"  # no "Unsaved edits" question came first
    assert "not a GeoPackage" in told.text
    assert w.store is not None and w.store.path == before
    assert w.edit_session.dirty and len(w.edit_session.pending) == 1
    shots("after-fake", w)


def test_the_table_filter_stays_with_its_file(qtbot, small_window, district, shots):
    """A filter typed for one file is not applied to another (the trial read "0 of 179,340");
    it comes back with its own file."""
    w = small_window
    small = w.store.path
    press(qtbot, w, Qt.Key.Key_F6)
    table = w.installed_features["editing"].table
    qtbot.waitUntil(lambda: table.model is not None and table.model.rowCount() > 0, timeout=10_000)
    with qtbot.waitSignal(table.model.loaded, timeout=10_000):
        type_into(qtbot, table.filter, "condition >= 5")
        qtbot.keyClick(table.filter, Qt.Key.Key_Return)
    filtered = table.model.rowCount()
    assert 0 < filtered < table.model.total
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        _open_from_menu(qtbot, w, district)
    qtbot.waitUntil(lambda: table.model is not None and table.model.total > 0, timeout=10_000)
    qtbot.waitUntil(lambda: table.model.rowCount() == table.model.total, timeout=10_000)
    assert table.filter.text() == ""
    shots("other-file", w)
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        _open_from_menu(qtbot, w, small)
    qtbot.waitUntil(lambda: table.filter.text() == "condition >= 5", timeout=10_000)
    qtbot.waitUntil(lambda: table.model.rowCount() == filtered, timeout=10_000)


def test_the_table_opens_tall_and_keeps_its_height(qtbot, small_window, small_district, shots):
    w = small_window
    press(qtbot, w, Qt.Key.Key_F6)
    dock = w.dock("attribute_table_dock")
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: dock.height() >= w.height() // 3 - 40, timeout=5000)  # a tab bar
    table = w.installed_features["editing"].table
    qtbot.waitUntil(lambda: table.model is not None and table.model.rowCount() > 0, timeout=10_000)
    usable = dock.height()
    rows = table.view.viewport().height() // table.view.verticalHeader().defaultSectionSize()
    assert rows >= 5, rows  # one row in the trial
    shots("table", w)
    # the person drags the splitter up (Qt's offscreen platform does not move a main
    # window's separator for synthetic mouse events: its own call does the same)
    w.resizeDocks([dock], [usable + 150], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: dock.height() > usable + 100, timeout=5000)
    chosen = dock.height()
    w.close()  # the layout is kept; a new window (a restart) shows it again
    again = MainWindow()
    again.resize(1200, 800)
    again.show()
    qtbot.waitExposed(again)
    try:
        with qtbot.waitSignal(again.mapLoaded, timeout=30_000):
            assert again.open_file(small_district)
        dock = again.dock("attribute_table_dock")
        qtbot.waitUntil(dock.isVisible, timeout=5000)
        qtbot.wait(300)
        assert abs(dock.height() - chosen) < 30, (dock.height(), chosen)
        shots("restarted", again)
    finally:
        again.close()


def test_open_starts_in_a_useful_folder_and_recent_names_are_told_apart(
        qtbot, main_window, district, tmp_path):
    w = main_window
    other = tmp_path / "copy" / district.name
    other.parent.mkdir()
    shutil.copyfile(district, other)
    for path in (district, other):
        with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
            assert w.open_file(path)
    texts = [a.text() for a in w.recent_menu.actions() if a.text()][:2]
    assert texts[0] == f"&1 {district.name} — copy", texts
    assert texts[1] == f"&2 {district.name} — {district.parent.name}", texts
    QSettings().remove("files/lastDir")  # never opened through the dialog: not /root
    seen: list[str] = []
    with answer(qtbot, None, kind=QFileDialog,
                fill=lambda d: (seen.append(d.directory().absolutePath()), d.reject())):
        menu_item(qtbot, w, "file", "Open")
    assert Path(seen[0]).resolve() == other.parent.resolve()


def test_print_dialog_checks_remembered_choices_against_the_file(qtbot, opened_window, shots):
    """A sub-district the file does not have is the whole district; an atlas of an earlier
    session is not the first choice; the layer list speaks the interface's language."""
    import json

    from citymgr_desktop.core.model import schema as sc
    from citymgr_desktop.ui.printing.dialog import PrintDialog
    from citymgr_desktop.ui.printing.options_widget import AREA_ALL, AREA_DISTRICT

    w = opened_window
    QSettings().setValue("printing/last", json.dumps(
        {"settings": {"district": "无此街道", "paper": "A3"}, "area": "district",
         "atlas": "workorder"}, ensure_ascii=False))
    menu_item(qtbot, w, "file", "Print map")
    dialog = w.findChild(PrintDialog)
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=10_000)
    options = dialog.options
    assert options.area.currentData() == AREA_ALL
    assert options.atlas_kind() == ""
    assert not options.district.isEnabled()
    labels = [options.layer_list.item(i).text() for i in range(options.layer_list.count())]
    assert labels and all(" / " not in t for t in labels)
    assert set(labels) <= {t.label("en") for t in sc.ASSET_TABLES}
    # a sub-district of this file, an atlas chosen now: both kept for this file
    options.area.setCurrentIndex(options.area.findData(AREA_DISTRICT))
    options.district.setCurrentText("南湖街道")
    options.atlas.setCurrentIndex(options.atlas.findData("grid"))
    assert options.atlas_district() == "南湖街道"
    dialog.preview_report = None
    qtbot.waitUntil(lambda: dialog.preview_report is not None, timeout=20_000)
    shots("print-dialog", dialog)
    dialog.close()
    qtbot.waitUntil(lambda: w.findChild(PrintDialog) is None, timeout=5000)
    menu_item(qtbot, w, "file", "Print map")
    qtbot.waitUntil(lambda: w.findChild(PrintDialog) is not None, timeout=10_000)
    again = w.findChild(PrintDialog).options
    assert again.area.currentData() == AREA_DISTRICT and again.atlas_district() == "南湖街道"
    assert again.atlas_kind() == "grid"
    w.findChild(PrintDialog).close()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_opening_a_geojson_offers_the_import_wizard(qtbot, small_window, tmp_path, shots, lang):
    """File > Open of a GeoJSON: "import it into the open file?", then the wizard on it (the
    trial was told only "not a GeoPackage")."""
    import json

    from citymgr_desktop.ui import i18n
    from citymgr_desktop.ui.importing.wizard import ImportWizard

    w = small_window
    i18n.install(lang)
    x, y = w.store.layer("litter_bin").extent[:2]
    source = tmp_path / "bins.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "EPSG:4547"}}, "features": [
        {"type": "Feature", "properties": {"name": "新垃圾箱"},
         "geometry": {"type": "Point", "coordinates": [x + 5, y + 5]}}]}), encoding="utf-8")
    try:
        with answer(qtbot, QMessageBox.StandardButton.Yes, kind=QMessageBox,
                    title="Import data|导入数据") as offered:
            _open_from_menu(qtbot, w, source)  # the window was built in English
    finally:
        i18n.install("en")
    assert ("bins.geojson is a GeoJSON file" if lang == "en"
            else "bins.geojson 是 GeoJSON 文件") in offered.text
    qtbot.waitUntil(lambda: w.findChild(ImportWizard) is not None, timeout=10_000)
    wizard = w.findChild(ImportWizard)
    qtbot.waitUntil(lambda: wizard.source_page.path_edit.text() == str(source), timeout=10_000)
    assert w.store.path.name == "small.gpkg"  # the project stays open
    shots("wizard", wizard)
    wizard.reject()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_text_table_without_coordinates_names_the_wizards_fields(qtbot, small_window,
                                                                    tmp_path, shots, lang):
    """A .txt opened as a project goes to the import wizard; a table without coordinate
    columns is refused naming the wizard's own column fields, not the command line's
    ``--x/--y`` (the trial was told to give options the app has not)."""
    from citymgr_desktop.ui import i18n
    from citymgr_desktop.ui.importing.wizard import ImportWizard

    w = small_window
    source = tmp_path / "patrol.txt"
    source.write_text("编号\t东\t北\nA\t530010\t3380010\n", encoding="utf-8")
    i18n.install(lang)
    try:
        with answer(qtbot, QMessageBox.StandardButton.Yes, kind=QMessageBox,
                    title="Import data|导入数据"):
            _open_from_menu(qtbot, w, source)
        qtbot.waitUntil(lambda: w.findChild(ImportWizard) is not None, timeout=10_000)
        wizard = w.findChild(ImportWizard)
        qtbot.waitUntil(lambda: wizard.source_page.path_edit.text() == str(source),
                        timeout=10_000)
        assert wizard.source_page.x_edit.isEnabled()  # a table: its column fields are on
        with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox) as refused:
            qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                             Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not wizard.busy(), timeout=20_000)
    finally:
        i18n.install("en")
    assert "--x" not in refused.text and "--wkt" not in refused.text
    if lang == "en":
        assert refused.text.startswith("no coordinates found in the table's columns (编号, 东, 北)")
        assert "the X and Y fields, or WKT, of Table columns above" in refused.text
    else:
        assert refused.text.startswith("表格的列（编号, 东, 北）中找不到坐标")
        assert "上方“表格坐标列”的 X、Y 栏或 WKT 栏" in refused.text
    shots("refused", wizard)
    wizard.reject()
