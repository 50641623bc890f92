"""Printing with real input (issue 12 item 7): the print dialog (Ctrl+P), Enter in its scale
box applies the scale and never opens a save dialog, a scale that is not valid is shown and
not remembered, and a sheet goes straight to a printer through the system's print dialog
(here Qt's "Print to File (PDF)", the printer CI has)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QLineEdit

from tests.ui.driver import CTRL, answer, open_dialogs, press, type_into


def print_dialog(qtbot, w):
    press(qtbot, w, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: any(d.objectName() == "" and d.windowTitle() == "Print map"
                                for d in open_dialogs()))
    dialog = next(d for d in open_dialogs() if d.windowTitle() == "Print map")
    qtbot.waitUntil(lambda: dialog.preview.pixmap() is not None
                    and not dialog.preview.pixmap().isNull(), timeout=20_000)
    return dialog


def close(qtbot, dialog):
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_enter_in_the_scale_box_applies_it_and_a_bad_scale_is_not_remembered(
        qtbot, opened_window, shots):
    w = opened_window
    dialog = print_dialog(qtbot, w)
    box = dialog.options.scale.lineEdit()
    type_into(qtbot, box, "1:500")
    qtbot.keyClick(box, Qt.Key.Key_Return)  # applies it: no "Export map" file dialog
    qtbot.waitUntil(lambda: "1:500 " in dialog.info.text(), timeout=10_000)
    qtbot.wait(300)
    assert not [d for d in open_dialogs() if isinstance(d, QFileDialog)]
    assert dialog.isVisible()
    shots("scale-applied", dialog)
    type_into(qtbot, box, "1:abc")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(dialog.last_error), timeout=10_000)
    assert "scale" in dialog.last_error.lower()
    shots("scale-refused", dialog)
    close(qtbot, dialog)
    again = print_dialog(qtbot, w)
    assert again.options.scale.currentText() == "1:500"  # the last good one, not 1:abc
    close(qtbot, again)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_print_straight_to_a_printer(qtbot, opened_window, tmp_path, shots):
    w = opened_window
    dialog = print_dialog(qtbot, w)
    out = tmp_path / "printed.pdf"

    def fill(printing: QDialog) -> None:
        printers = printing.findChild(QComboBox, "printers")
        assert printers.currentText() == "Print to File (PDF)"
        type_into(qtbot, printing.findChild(QLineEdit, "filename"), str(out))
        shots("print-dialog", printing)

    with answer(qtbot, "Print", fill=fill, title="Print map"):
        qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    assert out.exists() and out.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "1:" in text  # the scale printed on the sheet
    assert dialog.info.text() == "Sent 1 page(s) to the printer"
    close(qtbot, dialog)
