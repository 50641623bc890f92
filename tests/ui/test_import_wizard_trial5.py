"""What a fresh user (trial 5) tripped on in the import wizard, walked through the real
window in both languages: File > Import data…, the file chosen in the file dialog, a sheet
without coordinates, the fields and value pages, the import, then Ctrl+Shift+I again on the
map.

- the sheet without coordinate columns was listed as "Sheet（点）": it is a table without
  coordinate columns (going on still gives the wizard's error);
- a column named 类型 was not suggested for the bins' 垃圾分类 (``bin_type``);
- coded values read "recyclable – 可回收物": the label only, the code in the tooltip;
- the user's name was asked when the wizard opened: now when the import needs it;
- after the import, a click on the map and Ctrl+Shift+I did nothing (no window was active
  any more: the window's shortcuts reach the active window only).
"""

from __future__ import annotations

import pandas as pd
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWizard,
)

from citymgr_desktop.core.store import Store
from citymgr_desktop.ui.importing import source_page
from citymgr_desktop.ui.importing.values_page import COL_CODE, COL_WORD
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.ui.driver import CTRL, LEFT, SHIFT, answer, choose_file, menu_item, pick, type_into

WORDS = {
    "zh_CN": {"import": "导入数据…", "browse": "浏览…", "table": "无坐标列的表格",
              "points": "点", "error": "找不到坐标", "recyclable": "可回收物"},
    "en": {"import": "Import data…", "browse": "Browse…",
           "table": "a table without coordinate columns", "points": "points",
           "error": "no coordinates found", "recyclable": "Recyclable"},
}


def _workbook(path):
    """A register sheet without coordinates (first) and the bins' sheet with 经度/纬度."""
    kinds = ["可回收物", "A类", "B类", "A类", "玻璃"]  # by its name, not its words
    register = pd.DataFrame({"编号": [f"B{i}" for i in range(5)], "类型": kinds})
    points = pd.DataFrame({"编号": [f"B{i}" for i in range(5)],
                           "名称": [f"垃圾箱{i}" for i in range(5)], "类型": kinds,
                           "经度": [src.ll(i, 1)[0] for i in range(5)],
                           "纬度": [src.ll(i, 1)[1] for i in range(5)]})
    with pd.ExcelWriter(path) as book:
        register.to_excel(book, sheet_name="台账", index=False)
        points.to_excel(book, sheet_name="点位", index=False)
    return path


def _next(qtbot, wiz: ImportWizard) -> None:
    page = wiz.currentId()
    qtbot.mouseClick(wiz.button(QWizard.WizardButton.NextButton), LEFT)
    qtbot.waitUntil(lambda: wiz.currentId() != page and not wiz.busy(), timeout=30_000)


@pytest.mark.dialog_patience(5)  # the old wizard asked the name at once: fail soon
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_trial5_through_the_import_wizard(qtbot, window_in, tmp_path, shots, lang):
    words = WORDS[lang]
    project = src.new_project(tmp_path / "project.gpkg")
    source = _workbook(tmp_path / "bins.xlsx")
    window = window_in(lang, project)
    QSettings().remove("user/name")  # a fresh user: nobody named yet
    QSettings().setValue(source_page.SETTINGS_DIR, str(source.parent))

    menu_item(qtbot, window, "file", words["import"])
    qtbot.waitUntil(lambda: window.findChild(ImportWizard) is not None, timeout=10_000)
    wiz = window.findChild(ImportWizard)
    qtbot.waitExposed(wiz)
    assert not [d for d in QApplication.topLevelWidgets()
                if isinstance(d, QInputDialog) and d.isVisible()], "name asked at open"
    wiz.resize(1100, 720)
    browse = next(b for b in wiz.source_page.findChildren(QPushButton)
                  if b.text() == words["browse"])
    with answer(qtbot, fill=choose_file(qtbot, source), kind=QFileDialog):
        qtbot.mouseClick(browse, LEFT)
    layers = wiz.source_page.layer_combo
    qtbot.waitUntil(lambda: layers.count() == 2, timeout=10_000)
    texts = [layers.itemText(i) for i in range(2)]
    brackets = "（{}）" if lang == "zh_CN" else " ({})"
    assert texts == [f"台账{brackets.format(words['table'])}",
                     f"点位{brackets.format(words['points'])}"], texts
    assert layers.currentData() == "点位"  # the sheet with coordinates comes first
    pick(qtbot, layers, "台账")
    shots("sheet-without-coordinates", wiz)
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox) as box:
        qtbot.mouseClick(wiz.button(QWizard.WizardButton.NextButton), LEFT)
    assert words["error"] in box.text
    qtbot.waitUntil(lambda: not wiz.busy(), timeout=10_000)
    assert wiz.currentId() == ImportWizard.PAGE_SOURCE
    pick(qtbot, layers, "点位")

    _next(qtbot, wiz)  # the fields
    mapping = wiz.mapping_page.current_mapping()
    assert mapping.table == "litter_bin" and mapping.fields.get("bin_type") == "类型", mapping
    constant = _row_widget(wiz.mapping_page.table, "bin_type", 2)
    assert isinstance(constant, QComboBox)
    items = [constant.itemText(i) for i in range(constant.count())]
    assert words["recyclable"] in items and not any("recyclable" in t for t in items), items
    i = constant.findData("recyclable")
    assert constant.itemData(i, Qt.ItemDataRole.ToolTipRole).startswith("recyclable · ")
    shots("fields", wiz)

    _next(qtbot, wiz)  # the value words
    table = wiz.values_page.table
    chosen = {table.item(r, COL_WORD).text(): table.cellWidget(r, COL_CODE).currentText()
              for r in range(table.rowCount())}
    assert chosen["可回收物"] == words["recyclable"], chosen
    shown = [table.cellWidget(r, COL_CODE).itemText(i) for r in range(table.rowCount())
             for i in range(table.cellWidget(r, COL_CODE).count())]
    assert not any(code in t for t in shown for code in ("recyclable", "kitchen", "other")), \
        shown
    shots("values", wiz)

    _next(qtbot, wiz)  # the report; Import asks the name now, the first time it is needed
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None and not wiz.busy(), timeout=30_000)

    def name(dialog) -> None:
        shots("name-at-import", dialog)
        type_into(qtbot, dialog.findChild(QLineEdit), "王五")

    with qtbot.waitSignal(wiz.imported, timeout=30_000), answer(
            qtbot, QDialogButtonBox.StandardButton.Ok, fill=name, kind=QInputDialog):
        qtbot.mouseClick(wiz.button(QWizard.WizardButton.FinishButton), LEFT)
    qtbot.waitUntil(lambda: not wiz.isVisible(), timeout=10_000)
    with Store.open(project, read_only=True) as store:
        by = {r[0] for r in store.conn.execute("SELECT updated_by FROM litter_bin")}
    assert by == {"王五"}

    # back on the map: a click on it, then the keys
    qtbot.mouseClick(window.canvas, LEFT)
    assert QApplication.focusWidget() is window.canvas
    qtbot.keyClick(window.canvas, Qt.Key.Key_I, CTRL | SHIFT)
    qtbot.waitUntil(lambda: any(w.isVisible() for w in window.findChildren(ImportWizard)),
                    timeout=5_000)
    again = next(w for w in window.findChildren(ImportWizard) if w.isVisible())
    qtbot.mouseClick(again.button(QWizard.WizardButton.CancelButton), LEFT)


def _row_widget(table, field_name: str, column: int):
    for r in range(table.rowCount()):
        if table.item(r, 0).data(Qt.ItemDataRole.UserRole) == field_name:
            return table.cellWidget(r, column)
    raise KeyError(field_name)
