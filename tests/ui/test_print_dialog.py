"""The print dialog and the File > Print map… action in the real main window: the preview
follows the settings, the current view and the whole district, bad scales are shown, PDF
and atlas exports run in workers, settings are remembered, Chinese."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox
from shapely.geometry import Point

from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.printing.dialog import AREA_ALL, AREA_VIEW, PrintDialog
from citymgr_desktop.ui.printing.options_widget import AREA_DISTRICT
from tests.tools import needs_poppler
from tests.ui.driver import CTRL, answer, press
from tests.ui.pdf_reading import ink_in_thirds, pdf_pages, pdf_text


@pytest.fixture
def window(qtbot, main_window, district):
    """The real window on the district, the canvas showing a 600 m x 450 m view, the
    inspector's name in the settings."""
    QSettings().setValue("user/name", "检查员")
    with qtbot.waitSignal(main_window.mapLoaded, timeout=30_000):
        main_window.open_file(district)
    ext = main_window.store.layer("road_segment").extent
    main_window.canvas.zoom_to_bbox(ext[0] + 1000, ext[1] + 1000, ext[0] + 1600, ext[1] + 1450)
    yield main_window
    i18n.install("en")


def _dialog(window, qtbot) -> PrintDialog:
    dlg = PrintDialog(window)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.preview_report is not None or bool(dlg.last_error), timeout=10_000)
    return dlg


def _refresh(dlg, qtbot):
    dlg.preview_report = None
    dlg.update_preview()
    assert dlg.preview_report is not None, dlg.last_error


def test_print_action_in_file_menu_with_ctrl_p(main_window, qtbot, district):
    window = main_window
    action = window.findChild(QAction, "action_print_map")
    assert action in window.menu("file").actions()
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    assert action.shortcut().toString() == "Ctrl+P"
    assert not action.isEnabled()
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        window.open_file(district)
    assert action.isEnabled()
    action.trigger()
    dlg = window.findChild(PrintDialog)
    assert dlg is not None and dlg.isVisible()
    action.trigger()  # a second Ctrl+P brings the same dialog forward
    assert len(window.findChildren(PrintDialog)) == 1
    dlg.close()


def test_preview_follows_the_settings(window, qtbot):
    dlg = _dialog(window, qtbot)
    assert not dlg.preview.pixmap().isNull()
    dlg.options.paper.setCurrentIndex(dlg.options.paper.findData("A4"))
    dlg.options.orientation.setCurrentIndex(dlg.options.orientation.findData("portrait"))
    dlg.options.scale.setCurrentText("1:2000")
    _refresh(dlg, qtbot)
    plan = dlg.preview_report.plan
    assert (plan.settings.paper, plan.settings.orientation, plan.scale) == ("A4", "portrait",
                                                                            2000)
    assert "1:2000" in dlg.info.text()
    # centred on the current view of the canvas
    v = window.canvas.extent()
    cx, cy = (plan.extent[0] + plan.extent[2]) / 2, (plan.extent[1] + plan.extent[3]) / 2
    assert cx == pytest.approx((v[0] + v[2]) / 2) and cy == pytest.approx((v[1] + v[3]) / 2)


def test_current_view_fitted_and_whole_district(window, qtbot):
    dlg = _dialog(window, qtbot)
    dlg.options.area.setCurrentIndex(dlg.options.area.findData(AREA_VIEW))
    dlg.options.scale.setCurrentIndex(0)  # fit
    _refresh(dlg, qtbot)
    e, v = dlg.preview_report.plan.extent, window.canvas.extent()
    assert e[0] <= v[0] and e[1] <= v[1] and e[2] >= v[2] and e[3] >= v[3]
    view_scale = dlg.preview_report.plan.scale
    dlg.options.area.setCurrentIndex(dlg.options.area.findData(AREA_ALL))
    _refresh(dlg, qtbot)
    assert dlg.preview_report.plan.scale > view_scale


def test_bad_typed_scale_is_shown_not_raised(window, qtbot):
    dlg = _dialog(window, qtbot)
    dlg.options.scale.setCurrentText("1:100")
    dlg.update_preview()
    assert "between 1:500 and 1:50,000" in dlg.preview.text()


def test_export_pdf_in_a_worker_with_progress(window, qtbot, tmp_path):
    dlg = _dialog(window, qtbot)
    dlg.options.scale.setCurrentText("1:2500")
    dlg.options.title.setText("试印")
    out = tmp_path / "map.pdf"
    with qtbot.waitSignal(dlg.exported, timeout=30_000) as sig:
        task = dlg.export_to(str(out), ".pdf")
        assert task is not None
    assert sig.args == [str(out)]
    assert out.exists() and len(PdfReader(str(out)).pages) == 1
    assert str(out) in window.status_bar.currentMessage()


def test_export_atlas_then_cancel_leaves_nothing(window, qtbot, tmp_path):
    dlg = _dialog(window, qtbot)
    dlg.options.atlas.setCurrentIndex(dlg.options.atlas.findData("district"))
    assert not dlg.png_button.isEnabled()  # an atlas is one PDF
    out = tmp_path / "atlas.pdf"
    with qtbot.waitSignal(dlg.exported, timeout=60_000):
        dlg.export_to(str(out), ".pdf")
    assert len(PdfReader(str(out)).pages) == len(window.store.districts())

    dlg.options.atlas.setCurrentIndex(dlg.options.atlas.findData("grid"))
    cancelled = tmp_path / "cancelled.pdf"
    task = dlg.export_to(str(cancelled), ".pdf")
    errors = []
    task.error.connect(errors.append)
    task.cancel()
    qtbot.waitUntil(lambda: not task.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert type(errors[0]).__name__ == "CancelledError"
    assert not cancelled.exists()
    assert not list(tmp_path.glob(".cancelled*"))


def test_last_settings_are_remembered(window, qtbot):
    dlg = _dialog(window, qtbot)
    assert dlg.options.author.text() == "检查员"  # the window's user by default
    dlg.options.paper.setCurrentIndex(dlg.options.paper.findData("A2"))
    dlg.options.orientation.setCurrentIndex(dlg.options.orientation.findData("portrait"))
    dlg.options.scale.setCurrentText("1:5000")
    dlg.options.title.setText("桥梁维修图")
    dlg.options.element_boxes["overview"].setChecked(False)
    dlg.options.labels_box.setChecked(False)
    dlg.options.lang.setCurrentIndex(dlg.options.lang.findData("en"))
    dlg.options.atlas.setCurrentIndex(dlg.options.atlas.findData("workorder"))
    dlg.close()
    again = _dialog(window, qtbot)
    assert again.options.paper.currentData() == "A2"
    assert again.options.orientation.currentData() == "portrait"
    assert again.options.scale_value() == 5000
    assert again.options.title.text() == "桥梁维修图"
    assert not again.options.element_boxes["overview"].isChecked()
    assert again.options.element_boxes["legend"].isChecked()
    assert not again.options.labels_box.isChecked()
    assert again.options.lang.currentData() == "en"
    assert again.options.atlas.currentData() == "workorder"


def test_dialog_in_chinese(window, qtbot):
    i18n.install("zh_CN")
    dlg = _dialog(window, qtbot)
    assert dlg.windowTitle() == "打印地图"
    assert dlg.pdf_button.text() == "导出 PDF…"
    assert dlg.options.area.itemText(0) == "当前视图"


def test_every_printing_string_has_a_translation():
    import json
    import re

    root = Path(__file__).resolve().parents[2]
    catalogue = json.loads((root / "citymgr_desktop/resources/i18n/zh_CN/printing.json").read_text("utf-8"))
    sources = ""
    for rel in ("citymgr_desktop/ui/printing/dialog.py", "citymgr_desktop/ui/printing/options_widget.py",
                "citymgr_desktop/ui/printing/feature.py",
                "citymgr_desktop/export/print_map/layout.py", "citymgr_desktop/export/print_map/atlas.py",
                "citymgr_desktop/export/print_map/map_frame.py"):
        sources += (root / rel).read_text("utf-8")
    used = set(re.findall(r'tr\("((?:[^"\\]|\\.)*)"\)', sources))
    assert used, "no tr() strings found"
    assert sorted(used - set(catalogue)) == []


def test_in_the_real_main_window_the_loaded_map_is_shared(opened_window, qtbot):
    """Ctrl+P in the real window: the dialog prints the map the window has loaded (no second
    read), framed on the canvas's current view, with the window's visible layers."""
    from PySide6.QtGui import QAction

    win = opened_window
    action = win.findChild(QAction, "action_print_map")
    assert action is not None and action.isEnabled()
    assert action in win.menu("file").actions()
    action.trigger()
    dlg = win.findChild(PrintDialog)
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.preview_report is not None or bool(dlg.last_error),
                    timeout=30_000)
    assert dlg.preview_report is not None, dlg.last_error
    assert dlg.source.shared is win.map_data
    assert set(dlg.options.visible_layers()) == {n for n in win.layer_panel.visible_layers()
                                         if n in dlg.source.layers}
    e, v = dlg.preview_report.plan.extent, win.canvas.extent()
    assert e[0] <= v[0] + 1e-6 and e[2] >= v[2] - 1e-6
    dlg.close()


@needs_poppler
def test_codes_switch_leaves_the_red_codes_out_and_is_remembered(window, qtbot, tmp_path):
    """The dialog's "Codes of assets needing work" box is `print-map --no-codes`: clicked
    off, the sheet has no object codes and no legend line for them; the next dialog keeps
    the choice."""
    dlg = _dialog(window, qtbot)
    options = dlg.options
    options.area.setCurrentIndex(options.area.findData(AREA_DISTRICT))
    options.district.setCurrentText("粮道街道")
    assert options.codes_box.isChecked()  # on by default, as the command line

    def export(name: str) -> str:
        out = tmp_path / name
        with qtbot.waitSignal(dlg.exported, timeout=60_000):
            dlg.export_to(str(out), ".pdf")
        return pdf_text(out)

    with_codes = export("with.pdf")
    assert re.findall(r"\b\d{16}\b", with_codes)
    assert "Red codes" in with_codes  # the legend (the sheet is in English here)
    qtbot.mouseClick(options.codes_box, Qt.MouseButton.LeftButton,
                     pos=options.codes_box.rect().center())
    assert not options.codes_box.isChecked()
    without = export("without.pdf")
    assert not re.findall(r"\b\d{16}\b", without)
    assert "Red codes" not in without
    dlg.close()
    again = _dialog(window, qtbot)
    assert not again.options.codes_box.isChecked()


def test_the_sub_district_of_the_selected_asset_is_offered(window, qtbot):
    """A complaint's bin selected on the map: the print dialog's 街道 is the bin's, not the
    one remembered from the last print; several 街道 selected leave the remembered one."""
    dlg = _dialog(window, qtbot)
    districts = window.store.districts()
    dlg.options.area.setCurrentIndex(dlg.options.area.findData(AREA_DISTRICT))
    dlg.options.district.setCurrentText(districts[0])
    dlg.close()
    df = window.store.read("litter_bin", columns=["asset_uuid", "district"])
    other = df[df["district"] == districts[-1]]["asset_uuid"].iloc[0]
    window.selection.set_selection("litter_bin", [other])
    again = _dialog(window, qtbot)
    assert again.options.district.currentText() == districts[-1]
    again.options.district.setCurrentText(districts[1])
    again.close()
    first = df[df["district"] == districts[0]]["asset_uuid"].iloc[0]
    window.selection.set_selection("litter_bin", [other, first])
    third = _dialog(window, qtbot)
    assert third.options.district.currentText() == districts[1]


@needs_poppler
def test_a_sub_district_at_the_edge_fills_the_sheet(window, qtbot, tmp_path):
    """The dialog's area "Sub-district" on the 街道 at the district's west edge: the preview's
    frame and the exported PDF show the district beside it, not the void beyond its edge
    (centred on the 街道, a third of the frame was empty)."""
    from citymgr_desktop.export.print_map import geometry as lg
    from citymgr_desktop.export.print_map.areas import district_bbox, full_extent

    store = window.store
    boxes = {name: district_bbox(store, name) for name in store.districts()}
    west = min(boxes, key=lambda name: boxes[name][0])
    whole = full_extent(store)
    dlg = _dialog(window, qtbot)
    options = dlg.options
    options.area.setCurrentIndex(options.area.findData(AREA_DISTRICT))
    options.district.setCurrentText(west)
    options.scale.setCurrentIndex(0)  # fit
    options.paper.setCurrentIndex(options.paper.findData("A3"))
    options.orientation.setCurrentIndex(options.orientation.findData("landscape"))
    _refresh(dlg, qtbot)
    e, street = dlg.preview_report.plan.extent, boxes[west]
    assert e[0] <= street[0] and e[2] >= street[2]
    assert e[0] >= whole[0] - 0.05 * (street[2] - street[0])
    out = tmp_path / "street.pdf"
    with qtbot.waitSignal(dlg.exported, timeout=60_000):
        dlg.export_to(str(out), ".pdf")
    (page,) = pdf_pages(out, tmp_path)
    ink = ink_in_thirds(page, lg.page_geometry("A3", "landscape").map)
    assert min(ink) > 0.1, ink
    dlg.close()


def _opened_with_ctrl_p(window, qtbot) -> PrintDialog:
    press(qtbot, window, Qt.Key.Key_P, CTRL)
    qtbot.waitUntil(lambda: window.findChild(PrintDialog) is not None, timeout=10_000)
    dlg = window.findChild(PrintDialog)
    qtbot.waitUntil(lambda: dlg.preview_report is not None or bool(dlg.last_error),
                    timeout=10_000)
    return dlg


def _closed(window, dlg, qtbot) -> None:
    dlg.close()  # deleted on close: the next Ctrl+P builds the dialog anew
    qtbot.waitUntil(lambda: window.findChild(PrintDialog) is None, timeout=5000)


def test_the_sub_district_offered_is_the_one_the_unsaved_edits_give(window, qtbot):
    """The 街道 of the selection as the map shows it: a bin moved to another 街道 (not saved
    yet), a new bin not saved yet; and a selection of more than a thousand bins over two 街道
    is two 街道 (the dialog read the saved file, and only the first thousand keys)."""
    session = window.edit_session
    districts = window.store.districts()
    dlg = _opened_with_ctrl_p(window, qtbot)
    dlg.options.area.setCurrentIndex(dlg.options.area.findData(AREA_DISTRICT))
    dlg.options.district.setCurrentText(districts[0])  # the one remembered
    _closed(window, dlg, qtbot)

    bin_uuid = session.select("litter_bin", f"district = '{districts[1]}'")[0]
    session.set_value("litter_bin", bin_uuid, "district", districts[2])  # not saved
    window.selection.set_selection("litter_bin", [bin_uuid])
    dlg = _opened_with_ctrl_p(window, qtbot)
    assert dlg.options.district.currentText() == districts[2]
    _closed(window, dlg, qtbot)

    x0, y0, x1, y1 = window.store.layer("litter_bin").extent
    new = session.add_point("litter_bin", Point((x0 + x1) / 2, (y0 + y1) / 2),
                            {"district": districts[3]})
    window.selection.set_selection("litter_bin", [new])
    dlg = _opened_with_ctrl_p(window, qtbot)
    assert dlg.options.district.currentText() == districts[3]
    dlg.options.district.setCurrentText(districts[0])  # remembered again
    _closed(window, dlg, qtbot)

    many = session.select("litter_bin", "true")[:1000]  # all of them in one 街道, saved
    session.bulk_set("litter_bin", many, {"district": districts[4]})
    session.save()
    other = session.select("litter_bin", f"district = '{districts[5]}'")[0]
    window.selection.set_selection("litter_bin", [*many, other])
    dlg = _opened_with_ctrl_p(window, qtbot)
    assert dlg.options.district.currentText() == districts[0]  # two 街道: the remembered one
    _closed(window, dlg, qtbot)


def test_a_file_name_that_is_only_the_ending_is_called_empty(window, qtbot, tmp_path):
    """Trial 6: the Chinese typed before ".pdf" was dropped by the input method; the message
    said the name must end in .pdf, "got '.pdf'". It says the name is empty, nothing is
    written."""
    i18n.install("zh_CN")
    dlg = _dialog(window, qtbot)
    out = tmp_path / "maps"
    out.mkdir()
    shots = os.environ.get("CITYMGR_SCREENSHOTS")
    with answer(qtbot, QMessageBox.StandardButton.Ok, kind=QMessageBox,
                fill=(lambda box: box.grab().save(f"{shots}/only-ending.png")) if shots
                else None) as box:
        dlg.export_to(str(out / ".pdf"), ".pdf")
    assert "文件名为空" in box.text and ".pdf" in box.text, box.text
    assert "必须以" not in box.text, box.text
    assert list(out.iterdir()) == []
