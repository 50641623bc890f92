"""处置单位 is the disposal unit in English too, not an "assignee" (trial 9): in the English
window (the new-order dialog's label, the work-order list's column and filter) and in the
English exports the ``citymgr`` process writes (CSV and XLSX headings, PDF), read back as
files. The field keeps its name ``assignee`` (QGIS, ``--by assignee``)."""

from __future__ import annotations

import csv

from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from tests.faults.support import run
from tests.ui.driver import answer
from tests.ui.pdf_reading import pdf_text

LEFT = Qt.MouseButton.LeftButton


def test_the_english_window_says_disposal_unit(window_in, small_district, qtbot, shots):
    window = window_in("en", small_district)
    feat = window.installed_features["workorders"]
    table = feat.list.table
    headings = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert "Disposal unit" in headings and "Assignee" not in headings
    assert feat.list.assignee.itemText(0) == "All disposal units"
    window.selection.set_selection("litter_bin", [r[0] for r in window.store.conn.execute(
        "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 1")])
    labels: list[str] = []

    def read(dlg: WorkOrderDialog) -> None:
        labels.extend(w.text() for w in dlg.findChildren(QLabel) if w.isVisible())
        shots("new-order-bin-en", dlg)
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Cancel), LEFT)

    with answer(qtbot, fill=read, kind=WorkOrderDialog):
        qtbot.mouseClick(window.toolbar().widgetForAction(feat.new_action), LEFT)
    assert "Disposal unit" in labels and not any("Assignee" in t for t in labels)
    assert "Litter bin: proposed from the class's last order" in labels


def test_the_english_exports_head_the_column_disposal_unit(small_district, tmp_path):
    out = tmp_path / "orders.csv"
    run(["workorders", "export", str(small_district), "--format", "csv", "--out", str(out),
         "--lang", "en"]).ok()
    with out.open(encoding="utf-8-sig", newline="") as f:
        heading = next(csv.reader(f))
    assert "Disposal unit" in heading and "Assignee" not in heading
    xlsx = tmp_path / "orders.xlsx"
    run(["workorders", "export", str(small_district), "--format", "xlsx", "--out", str(xlsx),
         "--lang", "en"]).ok()
    for sheet in load_workbook(xlsx).worksheets:
        row = next(sheet.iter_rows(values_only=True))
        assert "Disposal unit" in row and "Assignee" not in row, sheet.title
    pdf = tmp_path / "orders.pdf"
    case = next(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))["Case number"]
    run(["workorders", "export", str(small_district), "--case", case, "--format", "pdf",
         "--out", str(pdf), "--lang", "en", "--no-map"]).ok()
    text = pdf_text(pdf)
    assert "Disposal unit" in text and "Assignee" not in text
    help_text = run(["workorders", "create", "--help"]).ok()
    assert "the disposal unit (处置单位)" in " ".join(help_text.split())
