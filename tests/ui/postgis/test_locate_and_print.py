"""Finding and printing on a database: the locate box by object code and 街道, the print
dialog's preview, a PDF and an atlas."""

from __future__ import annotations

import subprocess

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from tests.ui.driver import answer, choose_file, press, type_into
from tests.ui.scenarios.test_records_and_orders import CTRL

pytestmark = pytest.mark.slow


def test_locate_by_object_code_and_sub_district_on_a_database(qtbot, db_window):
    w = db_window
    uuid = w.edit_session.select("litter_bin", "true")[7]
    values = w.store.get_row("litter_bin", uuid)
    box = w.property("locate_box")
    press(qtbot, w, Qt.Key.Key_F, CTRL)
    qtbot.waitUntil(box.hasFocus)
    type_into(qtbot, box, values["obj_code"])
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert w.selection.all() == {"litter_bin": [uuid]}
    ext = w.canvas.extent()
    geom = values["geom"]
    assert ext[0] < geom.x < ext[2] and ext[1] < geom.y < ext[3] and ext[2] - ext[0] < 500
    type_into(qtbot, box, values["district"])
    qtbot.keyClick(box, Qt.Key.Key_Return)
    (bbox, _n), = w.store.asset_extents_by("district", w.map_data.names(),
                                           district=values["district"]).values()
    ext = w.canvas.extent()
    assert ext[0] <= bbox[0] and ext[2] >= bbox[2] and ext[1] <= bbox[1] and ext[3] >= bbox[3]


def test_print_map_on_a_database_previews_and_writes_a_pdf_and_an_atlas(qtbot, db_window,
                                                                        tmp_path, shots):
    from pypdf import PdfReader
    from PySide6.QtGui import QAction

    from citymgr_desktop.ui.printing.dialog import PrintDialog

    w = db_window
    action = w.findChild(QAction, "action_print_map")
    assert action.isEnabled()
    press(qtbot, w, Qt.Key.Key_P, CTRL)
    dialog = w.findChild(PrintDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.preview_report is not None or bool(dialog.last_error),
                    timeout=30_000)
    assert dialog.preview_report is not None, dialog.last_error
    shots("print-dialog", dialog)
    out = tmp_path / "map.pdf"
    QSettings().setValue("printing/folder", str(tmp_path))  # the folder chosen last time
    with qtbot.waitSignal(dialog.exported, timeout=60_000), \
            answer(qtbot, None, fill=choose_file(qtbot, out), kind=QFileDialog):
        qtbot.mouseClick(dialog.pdf_button, Qt.MouseButton.LeftButton)
    assert len(PdfReader(str(out)).pages) == 1
    dialog.options.atlas.setCurrentIndex(dialog.options.atlas.findData("district"))
    atlas = tmp_path / "atlas.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=120_000):
        dialog.export_to(str(atlas), ".pdf")
    assert len(PdfReader(str(atlas)).pages) == len(w.store.districts())
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(atlas),
                    str(shots.folder / "atlas-page")], check=True)  # to look at
    dialog.close()
