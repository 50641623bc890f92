"""Trial 9 in the real window, both languages: a colleague's Shapefile of bins imported once
(on the command line, with a field and a word mapped by hand), an engineer's inspection sets
one bin's condition 2 -> 4, then the same, unchanged file through File > Import
data….

- the wizard proposed the suggestions again (RL -> 容量 unmapped, 特别差 unmatched, 良好 as
  1 完好): it now proposes the mapping of the previous import of this source, and 良好 is 2;
- its report said only "Updated assets 8" and the import put the delivered 2 back over the
  inspection's 4: the bin keeps 4, and the report lists it under the values the project keeps;
- a skipped feature was "要素 3" for the 4th row: now "第 4 个要素".
"""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QFileDialog, QPushButton, QWizard

from citymgr_desktop.ui.importing import source_page
from citymgr_desktop.ui.importing.mapping_page import COL_FIELD, COL_SOURCE
from citymgr_desktop.ui.importing.values_page import COL_CODE, COL_WORD
from citymgr_desktop.ui.importing.wizard import ImportWizard
from tests.core import import_sources as src
from tests.core.test_import_redelivery import conditions, trial9_bins
from tests.faults.support import run
from tests.ui.driver import LEFT, answer, choose_file, menu_item

WORDS = {
    "zh_CN": {"import": "导入数据…", "browse": "浏览…", "fair": "较好", "critical": "危险",
              "previous": "沿用该数据源上次导入时的设置", "kept": "保留项目中的值",
              "row": "第 4 个要素（编号 HW-LD-0004）", "keeps": "项目值"},
    "en": {"import": "Import data…", "browse": "Browse…", "fair": "Fair", "critical": "Critical",
           "previous": "as at the previous import of this source", "kept": "values kept",
           "row": "feature no. 4 (id HW-LD-0004)", "keeps": "project"},
}


def _next(qtbot, wiz: ImportWizard) -> None:
    page = wiz.currentId()
    qtbot.mouseClick(wiz.button(QWizard.WizardButton.NextButton), LEFT)
    qtbot.waitUntil(lambda: wiz.currentId() != page and not wiz.busy(), timeout=30_000)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_trial9_redelivery_through_the_wizard(qtbot, window_in, tmp_path, shots, lang):
    words = WORDS[lang]
    project = src.new_project(tmp_path / "district.gpkg")
    source = trial9_bins(tmp_path / "colleague")
    run(["import", project, source, "--as", "litter_bin", "--map", "RL=capacity_l",
         "--values", "ZK:特别差=5"]).ok()
    with sqlite3.connect(project) as conn:
        code = conn.execute("SELECT obj_code FROM litter_bin WHERE source_id = 'HW-LD-0002'"
                            ).fetchone()[0]
    run(["history", "add", project, "--asset", code, "--type", "inspection",
         "--date", "2026-12-07", "--condition-after", "4"]).ok()

    window = window_in(lang, project)
    QSettings().setValue(source_page.SETTINGS_DIR, str(source.parent))
    menu_item(qtbot, window, "file", words["import"])
    qtbot.waitUntil(lambda: window.findChild(ImportWizard) is not None, timeout=10_000)
    wiz = window.findChild(ImportWizard)
    qtbot.waitExposed(wiz)
    wiz.resize(1200, 760)
    browse = next(b for b in wiz.source_page.findChildren(QPushButton)
                  if b.text() == words["browse"])
    with answer(qtbot, fill=choose_file(qtbot, source), kind=QFileDialog):
        qtbot.mouseClick(browse, LEFT)
    qtbot.waitUntil(lambda: wiz.source_page.layer_combo.count() == 1, timeout=10_000)

    _next(qtbot, wiz)  # the fields: as the previous import of this file had them
    table = wiz.mapping_page.table
    chosen = {table.item(r, COL_FIELD).data(256): table.cellWidget(r, COL_SOURCE).currentData()
              for r in range(table.rowCount())}
    assert chosen["capacity_l"] == "RL" and chosen["condition"] == "ZK", chosen
    assert words["previous"] in wiz.mapping_page.info_label.text()
    shots("fields", wiz)

    _next(qtbot, wiz)  # the words: 良好 is 较好 (2), 特别差 as chosen before (5)
    table = wiz.values_page.table
    codes = {table.item(r, COL_WORD).text(): table.cellWidget(r, COL_CODE)
             for r in range(table.rowCount())}
    assert isinstance(codes["良好"], QComboBox) and codes["良好"].currentData() == 2
    assert words["fair"] in codes["良好"].currentText()
    assert codes["特别差"].currentData() == 5 and words["critical"] in codes["特别差"].currentText()
    shots("values", wiz)

    _next(qtbot, wiz)  # the report
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None and not wiz.busy(), timeout=30_000)
    text = wiz.report_page.text.toPlainText()
    assert words["kept"] in text and code in text and "HW-LD-0002" in text, text
    assert words["row"] in text, text
    assert not wiz.report_page.prefer_delivery.isVisible()  # nothing changed on both sides
    report = wiz.state.dry_run.report
    assert report.updated == 0 and dict(report.kept_edited) == {"condition": 1}
    shots("report", wiz)

    with qtbot.waitSignal(wiz.imported, timeout=30_000):
        qtbot.mouseClick(wiz.button(QWizard.WizardButton.FinishButton), LEFT)
    qtbot.waitUntil(lambda: not wiz.isVisible(), timeout=10_000)
    assert conditions(project) == {"HW-LD-0001": 1, "HW-LD-0002": 4, "HW-LD-0003": 2,
                                   "HW-LD-0005": 5, "HW-LD-0006": 1}


def test_the_wizard_lets_the_delivery_win_where_both_changed(qtbot, window_in, tmp_path,
                                                              shots):
    project = src.new_project(tmp_path / "district.gpkg")
    run(["import", project, trial9_bins(tmp_path / "a"), "--as", "litter_bin"]).ok()
    with sqlite3.connect(project) as conn:
        code = conn.execute("SELECT obj_code FROM litter_bin WHERE source_id = 'HW-LD-0001'"
                            ).fetchone()[0]
    run(["history", "add", project, "--asset", code, "--type", "inspection",
         "--date", "2026-12-07", "--condition-after", "4"]).ok()
    changed = trial9_bins(tmp_path / "b", ["危险", "良好", "良好", "一般", "特别差", "完好"])

    window = window_in("en", project)
    QSettings().setValue(source_page.SETTINGS_DIR, str(changed.parent))
    menu_item(qtbot, window, "file", "Import data…")
    qtbot.waitUntil(lambda: window.findChild(ImportWizard) is not None, timeout=10_000)
    wiz = window.findChild(ImportWizard)
    qtbot.waitExposed(wiz)
    wiz.resize(1200, 760)
    browse = next(b for b in wiz.source_page.findChildren(QPushButton) if b.text() == "Browse…")
    with answer(qtbot, fill=choose_file(qtbot, changed), kind=QFileDialog):
        qtbot.mouseClick(browse, LEFT)
    qtbot.waitUntil(lambda: wiz.source_page.layer_combo.count() == 1, timeout=10_000)
    for _ in range(3):
        _next(qtbot, wiz)
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None and not wiz.busy(), timeout=30_000)
    box = wiz.report_page.prefer_delivery
    assert box.isVisible() and not box.isChecked()
    assert "Changed both in the project and in the delivery" in \
        wiz.report_page.text.toPlainText()
    box.click()  # as a person ticks it: the check runs again, the delivery's values win
    qtbot.waitUntil(lambda: wiz.state.dry_run is not None and not wiz.busy(), timeout=30_000)
    assert wiz.state.dry_run.report.updated == 1 and box.isChecked()
    shots("delivery-wins", wiz)
    with qtbot.waitSignal(wiz.imported, timeout=30_000):
        qtbot.mouseClick(wiz.button(QWizard.WizardButton.FinishButton), LEFT)
    qtbot.waitUntil(lambda: not wiz.isVisible(), timeout=10_000)
    assert conditions(project)["HW-LD-0001"] == 5
