"""The file name the print dialog proposes (trial 9): with a 街道 chosen it names it
(维修图-粮道街道.pdf; maintenance-map-粮道街道.pdf for an English sheet), the whole district is
维修图.pdf, and a title the user typed is the name as typed. In the real window: Ctrl+P, the
area and 街道 picked, "导出 PDF…" clicked and the file dialog's name field read."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLineEdit

from citymgr_desktop.ui.printing.dialog import PrintDialog
from citymgr_desktop.ui.printing.options_widget import AREA_ALL, AREA_DISTRICT
from tests.ui.driver import CTRL, answer, pick, press, type_into

LEFT = Qt.MouseButton.LeftButton


def _proposed_name(qtbot, dlg: PrintDialog, shot=None) -> str:
    """Click Export PDF…, read the name the file dialog proposes, cancel it."""
    seen: dict[str, str] = {}

    def read(files: QFileDialog) -> None:
        seen["name"] = files.findChild(QLineEdit, "fileNameEdit").text()
        if shot:
            shot(files)

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=read, kind=QFileDialog):
        qtbot.mouseClick(dlg.pdf_button, LEFT)
    return seen["name"]


def test_the_proposed_pdf_name_says_the_subdistrict(chinese, window_in, small_district,
                                                      qtbot, shots):
    window = window_in(None, small_district)
    press(qtbot, window, Qt.Key.Key_P, CTRL)
    dlg = window.findChild(PrintDialog)
    qtbot.waitUntil(lambda: dlg is not None and dlg.isVisible(), timeout=10_000)
    options = dlg.options
    pick(qtbot, options.area, AREA_DISTRICT)
    pick(qtbot, options.district, text="粮道街道")
    dlg.preview_report = None
    qtbot.waitUntil(lambda: dlg.preview_report is not None, timeout=30_000)  # drawn: the shot
    shots("print-subdistrict", dlg)
    assert _proposed_name(qtbot, dlg, lambda files: shots("save-as", files)) == \
        "维修图-粮道街道.pdf"
    pick(qtbot, options.lang, "en")  # the sheet's language names it, as it titles it
    assert _proposed_name(qtbot, dlg) == "maintenance-map-粮道街道.pdf"
    pick(qtbot, options.lang, "zh_CN")
    pick(qtbot, options.area, AREA_ALL)
    assert _proposed_name(qtbot, dlg) == "维修图.pdf"
    pick(qtbot, options.area, AREA_DISTRICT)
    type_into(qtbot, options.title, "粮道街道垃圾箱分布")
    assert _proposed_name(qtbot, dlg) == "粮道街道垃圾箱分布.pdf"  # typed: kept as it is
    dlg.close()
