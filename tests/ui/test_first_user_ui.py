"""What a first-time user tripped on in the app, driven through the real main window: the
notes the app writes are shown in the interface language, ..."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QTableWidget

from tests.ui.driver import answer, choose_file, menu_item, pick, press, type_into


def _open_detail(qtbot, w, case: str) -> QDialog:
    """Double-click the order's row in the work-order dock: its detail view."""
    w.dock("workorders_dock").show()
    w.dock("workorders_dock").raise_()
    table = w.findChild(QTableWidget, "workOrderTable")
    qtbot.waitUntil(table.isVisible)
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == case)
    table.scrollToItem(table.item(row, 0))
    pos = table.visualItemRect(table.item(row, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: w.findChild(QDialog, "workOrderDetail") is not None)
    return w.findChild(QDialog, "workOrderDetail")


def test_the_created_note_is_chinese_in_the_detail_view(chinese, qtbot, small_window):
    w = small_window
    feat = w.installed_features["workorders"]
    uid = w.edit_session.select("litter_bin", "condition >= 1")[0]
    w.selection.set_selection("litter_bin", [uid])

    def fill(dialog) -> None:
        assert dialog.from_selection.isChecked()
        type_into(qtbot, dialog.title, "垃圾箱清洗")

    with answer(qtbot, QDialogButtonBox.StandardButton.Ok, fill=fill):
        qtbot.mouseClick(w.toolbar().widgetForAction(feat.new_action),
                         Qt.MouseButton.LeftButton)
    case = feat.list.selected_cases()[0]
    detail = _open_detail(qtbot, w, case)
    note = detail.timeline.topLevelItem(0).text(4)
    assert note and "asset(s)" not in note and "选" in note, note
    # one term each for the same field: the detail view says what the list's headers say
    shown = " ".join(label.text() for label in detail.findChildren(QLabel))
    table = w.findChild(QTableWidget, "workOrderTable")
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    for term in ("紧急程度", "处置单位"):
        assert term in headers and f"{term}：" in shown, (term, headers, shown[:300])
    assert "优先级" not in shown and "处置人" not in shown
    qtbot.mouseClick(detail.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Close), Qt.MouseButton.LeftButton)


def test_chinese_status_bar_and_expression_example(chinese, qtbot, small_window):
    w = small_window
    assert "高斯-克吕格投影" in w.status_bar.crs.toolTip(), w.status_bar.crs.toolTip()
    assert "Gauss-Kruger" not in w.status_bar.crs.toolTip()
    feat = w.installed_features["workorders"]
    w.selection.clear()

    def fill(dialog) -> None:
        assert "技术状况" in dialog.expression.placeholderText()
        assert "condition" not in dialog.expression.placeholderText()

    with answer(qtbot, QDialogButtonBox.StandardButton.Cancel, fill=fill):
        qtbot.mouseClick(w.toolbar().widgetForAction(feat.new_action),
                         Qt.MouseButton.LeftButton)


# -- the print dialog: the sheet's language is the interface's; PDF metadata ---------------------
def _print_dialog(qtbot, w):
    from citymgr_desktop.ui.printing.dialog import PrintDialog

    press(qtbot, w, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.findChild(PrintDialog) is not None)
    dlg = w.findChild(PrintDialog)
    qtbot.waitUntil(lambda: dlg.preview_report is not None or bool(dlg.last_error),
                    timeout=20_000)
    dlg.activateWindow()  # as on a desktop: the dialog that opened is the active window
    qtbot.waitUntil(dlg.isActiveWindow)
    return dlg


def _close(qtbot, w, dlg) -> None:
    from citymgr_desktop.ui.printing.dialog import PrintDialog

    qtbot.mouseClick(dlg.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.findChild(PrintDialog) is None)  # deleted on close


def _export_pdf(qtbot, dlg, out: Path) -> None:
    with qtbot.waitSignal(dlg.exported, timeout=60_000), \
            answer(qtbot, None, fill=choose_file(qtbot, out), kind=QFileDialog):
        qtbot.mouseClick(dlg.pdf_button, Qt.MouseButton.LeftButton)


def test_print_sheet_language_follows_a_new_sessions_interface(qtbot, small_window, window_in,
                                                               tmp_path):
    w = small_window
    dlg = _print_dialog(qtbot, w)
    assert dlg.options.lang.currentData() == "en"  # the interface's
    # the dialog's file chooser starts in the project's folder (here tmp_path)
    assert Path(w.store.path).parent == tmp_path
    type_into(qtbot, dlg.options.author, "Li Si")
    out = tmp_path / "english.pdf"
    _export_pdf(qtbot, dlg, out)
    meta = PdfReader(str(out)).metadata
    assert meta.author == "Li Si" and meta.title == "Maintenance map"
    pick(qtbot, dlg.options.lang, "zh_CN")
    _close(qtbot, w, dlg)
    again = _print_dialog(qtbot, w)  # the choice holds for this session
    assert again.options.lang.currentData() == "zh_CN"
    pick(qtbot, again.options.lang, "en")
    _close(qtbot, w, again)
    w.edit_session is None or w.edit_session.discard()
    path = w.store.path
    w.close()

    chinese = window_in("zh_CN", path)  # the next start, with --lang zh_CN
    dlg = _print_dialog(qtbot, chinese)
    assert dlg.options.lang.currentData() == "zh_CN"
    pick(qtbot, dlg.options.atlas, "district")
    out = tmp_path / "atlas.pdf"
    _export_pdf(qtbot, dlg, out)
    meta = PdfReader(str(out)).metadata
    assert meta.title == "维修图 – 街道图集", meta.title
    _close(qtbot, chinese, dlg)


def test_print_dialog_says_when_the_scale_cuts_the_area(qtbot, small_window):
    from citymgr_desktop.ui.printing.options_widget import AREA_DISTRICT

    w = small_window
    dlg = _print_dialog(qtbot, w)
    pick(qtbot, dlg.options.area, AREA_DISTRICT)
    scale = dlg.options.scale.lineEdit()
    type_into(qtbot, scale, "1:500")
    qtbot.keyClick(scale, Qt.Key.Key_Return)

    def says() -> str:
        dlg.update_preview()
        return dlg.info.text()

    qtbot.waitUntil(lambda: "1:500" in says())
    assert "shows only" in says() and "Fit to area" in says()
    type_into(qtbot, scale, "Fit to area")
    qtbot.keyClick(scale, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "1:500" not in says())
    assert "shows only" not in says()
    _close(qtbot, w, dlg)


def test_export_work_orders_suggests_the_projects_folder(qtbot, small_window):
    w = small_window
    seen = {}

    def fill(dlg) -> None:
        seen["path"] = Path(dlg.path.text())

    with answer(qtbot, "Cancel", fill=fill, title="Export work orders"):
        menu_item(qtbot, w, "workorder", "Export work orders")
    assert seen["path"].parent == Path(w.store.path).parent  # not the home folder


# -- the main window's size and docks -------------------------------------------------------------
def test_a_cramped_saved_layout_is_repaired(qtbot, isolated_settings, user_named):
    """A first start fills most of the screen; a saved layout with a 70 px layer panel and
    a work-order dock of two rows (what a first-time user was left with) is repaired on the
    next start."""
    from citymgr_desktop.ui.shell.main_window import MainWindow

    first = MainWindow()
    first.show()
    qtbot.waitExposed(first)
    screen = first.screen().availableGeometry()
    assert first.width() >= min(1440, int(screen.width() * 0.9)) - 1
    layers, orders = first.dock("layersDock"), first.dock("workorders_dock")
    first.resize(1024, 700)  # the offscreen screen is 800 px wide: a window as on a laptop
    qtbot.waitUntil(lambda: first.width() == 1024 and layers.isVisible())
    qtbot.wait(200)  # the dock layout follows the resize
    first.resizeDocks([layers], [70], Qt.Orientation.Horizontal)
    first.resizeDocks([orders], [60], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: layers.width() < 100 and orders.height() < 150)
    first.close()

    again = MainWindow()
    try:
        again.show()
        qtbot.waitExposed(again)
        layers, orders = again.dock("layersDock"), again.dock("workorders_dock")
        # (the offscreen screen is 800 px wide: the window comes back 798 px wide, the
        # right-hand docks' minimum leaves the layer panel 206 px, not the 260 px asked)
        qtbot.waitUntil(lambda: layers.width() >= 200 and orders.height() >= 150,
                        timeout=5000)
    finally:
        again.close()


# -- the record dialog's remembered crew ----------------------------------------------------------
def test_typing_into_the_prefilled_crew_replaces_it(qtbot, small_window):
    from PySide6.QtCore import QSettings

    w = small_window
    QSettings().setValue("history/last_crew", "Team 1")
    panel = w.installed_features["history"].panel
    uid = w.edit_session.select("litter_bin", "condition >= 1")[0]
    w.selection.set_selection("litter_bin", [uid])
    w.dock("history_dock").show()
    typed = {}

    def fill(dlg) -> None:
        assert dlg.crew.text() == "Team 1"  # the last crew, suggested
        dlg.activateWindow()  # as on a desktop: the dialog that opened is the active window
        qtbot.waitUntil(dlg.isActiveWindow)
        qtbot.mouseClick(dlg.crew, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dlg.crew, "Team 2")
        typed["first"] = dlg.crew.text()
        qtbot.mouseClick(dlg.crew, Qt.MouseButton.LeftButton)  # now edited: a cursor
        qtbot.keyClick(dlg.crew, Qt.Key.Key_End)
        qtbot.keyClicks(dlg.crew, "b")
        typed["then"] = dlg.crew.text()

    with answer(qtbot, "Cancel", fill=fill, title="Add maintenance record"):
        qtbot.mouseClick(panel.add_btn, Qt.MouseButton.LeftButton)
    assert typed == {"first": "Team 2", "then": "Team 2b"}
