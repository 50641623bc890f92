"""图层 › 导出图层… in the real window, in Chinese: the attribute table's filter with an
unsaved edit exported as the window shows it (GeoJSON in WGS 84), the layer's context menu
(GeoPackage in the project's CRS, codes), the table's tool bar with the map's selection
(CSV, its name from the 街道); the choices remembered. The files read back by GDAL."""

from __future__ import annotations

import csv
import sqlite3

import pyogrio
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from citymgr_desktop.ui.exporting.layer_export_dialog import LayerExportDialog
from tests.ui.driver import LEFT, answer, menu_item, pick, press, type_into


def _bins(path, where: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT asset_uuid, district FROM litter_bin WHERE retired_at IS "
                            f"NULL AND ({where}) ORDER BY fid").fetchall()


def _choose(qtbot, combo, data) -> None:
    """``pick``, unless the item is chosen already (a disabled item above it, the selection's
    when nothing is selected, makes Home land below it)."""
    if combo.currentData() != data:
        pick(qtbot, combo, data)
    assert combo.currentData() == data


def _wait_done(qtbot, feat, out):
    qtbot.waitUntil(lambda: feat.task is not None and not feat.task.is_running(),
                    timeout=60_000)
    qtbot.waitUntil(out.exists, timeout=5000)


def test_layer_export_from_menu_context_menu_and_table(window_in, small_district, qtbot,
                                                       tmp_path, shots):
    window = window_in("zh_CN", small_district)
    feat = window.installed_features["exporting"]
    bad = _bins(small_district, "condition >= 4")
    fair = _bins(small_district, "condition = 2")
    assert bad and fair

    press(qtbot, window, Qt.Key.Key_F6)  # the attribute table, its filter typed and applied
    table = window.findChild(QWidget, "attribute_table")
    qtbot.waitUntil(table.isVisible, timeout=5000)
    pick(qtbot, table.layer_box, "litter_bin")
    type_into(qtbot, table.filter, "condition >= 4")
    qtbot.keyClick(table.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.model.rowCount() == len(bad), timeout=20_000)
    # unsaved: a fair bin turns critical (now in the filter), a bad one is renamed
    window.edit_session.set_value("litter_bin", fair[0][0], "condition", 5)
    window.edit_session.set_value("litter_bin", bad[0][0], "name", "未保存的新名字")
    qtbot.keyClick(table.filter, Qt.Key.Key_Return)  # the filter applied again
    qtbot.waitUntil(lambda: table.model.rowCount() == len(bad) + 1, timeout=20_000)

    seen: dict = {}
    out = tmp_path / "bad.geojson"

    def fill_filtered(dialog):
        qtbot.waitUntil(lambda: "…" not in "".join(  # counted in a worker
            dialog.scope.itemText(i) for i in range(dialog.scope.count())), timeout=20_000)
        seen["scopes"] = [dialog.scope.itemText(i) for i in range(dialog.scope.count())]
        seen["title"] = dialog.windowTitle()
        _choose(qtbot, dialog.scope, "filtered")
        pick(qtbot, dialog.format, "geojson")
        seen["note"] = dialog.note.text()
        shots("layer-export-dialog", dialog)
        type_into(qtbot, dialog.path, str(out))

    with answer(qtbot, "确定", fill=fill_filtered, kind=LayerExportDialog):
        menu_item(qtbot, window, "layer", "导出图层")
    _wait_done(qtbot, feat, out)
    assert seen["title"] == "导出图层 — 垃圾箱"
    assert seen["scopes"][1] == f"属性表当前筛选的资产（{len(bad) + 1}）"
    assert "WGS 84" in seen["note"] and "未保存的编辑" in seen["note"]
    assert "。 " not in seen["note"] and seen["note"].count("。") == 2  # no space between
    frame = pyogrio.read_dataframe(out)
    assert pyogrio.read_info(out)["geometry_type"] == "Point"
    assert set(frame["asset_uuid"]) == {u for u, _ in bad} | {fair[0][0]}
    assert frame.set_index("asset_uuid").loc[bad[0][0], "name"] == "未保存的新名字"
    assert set(frame["condition"]) <= {"差", "危险"}
    assert 113 < frame.total_bounds[0] < 115  # longitude

    # the layer's context menu in the layer panel: GeoPackage with the stored codes
    panel = window.layer_panel
    item = next(panel.topLevelItem(i) for i in range(panel.topLevelItemCount())
                if panel.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == "litter_bin"
                or "垃圾箱" in panel.topLevelItem(i).text(0))
    rect = panel.visualItemRect(item)
    gpkg = tmp_path / "all.gpkg"

    def click_export_in_popup():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, click_export_in_popup)
            return
        action = next(a for a in menu.actions() if a.text().startswith("导出图层"))
        qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())

    def fill_all(dialog):
        seen["remembered"] = (dialog.scope.currentData(), dialog.format.currentData())
        _choose(qtbot, dialog.scope, "all")
        pick(qtbot, dialog.format, "gpkg")
        pick(qtbot, dialog.codes, True)
        type_into(qtbot, dialog.path, str(gpkg))

    with answer(qtbot, "确定", fill=fill_all, kind=LayerExportDialog):
        qtbot.mouseClick(panel.viewport(), LEFT, pos=rect.center())
        QTimer.singleShot(20, click_export_in_popup)
        # a right click: the press, then the context-menu event the window system sends
        # after it (QTest's clicks make no such event)
        qtbot.mouseClick(panel.viewport(), Qt.MouseButton.RightButton, pos=rect.center())
        QApplication.sendEvent(panel.viewport(), QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, rect.center(),
            panel.viewport().mapToGlobal(rect.center())))
    _wait_done(qtbot, feat, gpkg)
    assert seen["remembered"] == ("filtered", "geojson")
    info = pyogrio.read_info(gpkg, layer="litter_bin")
    assert info["features"] == len(_bins(small_district, "1"))
    assert "4547" in str(info["crs"])
    stored = pyogrio.read_dataframe(gpkg, layer="litter_bin").set_index("asset_uuid")
    assert stored.loc[fair[0][0], "condition"] == 5  # the unsaved edit, as a code

    # the table's tool bar, with bins selected on the map: CSV named after their 街道
    district = bad[0][1]
    chosen = [u for u, d in bad if d == district][:3]
    window.selection.set_selection("litter_bin", chosen)
    button = table.toolbar.widgetForAction(feat.action)
    assert button is not None and button.isVisible()
    shots("attribute-table-tool-bar", window)

    def fill_selected(dialog):
        _choose(qtbot, dialog.scope, "selected")
        pick(qtbot, dialog.format, "csv")
        seen["codes"] = dialog.codes.currentData()
        pick(qtbot, dialog.codes, False)  # words: the headings are the fields' labels
        seen["name"] = dialog.path.text()

    with answer(qtbot, "确定", fill=fill_selected, kind=LayerExportDialog):
        qtbot.mouseClick(button, LEFT)
    chosen_file = tmp_path / f"垃圾箱-{district}.csv"
    assert seen["name"] == str(chosen_file)  # the folder remembered, the name suggested
    _wait_done(qtbot, feat, chosen_file)
    with open(chosen_file, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert seen["codes"] is True  # remembered from the GeoPackage
    assert rows[0][0] == "资产唯一标识" and {r[0] for r in rows[1:]} == set(chosen)
    assert "技术状况" in rows[0] and "condition" not in rows[0]



def test_the_dialog_opens_before_the_assets_are_counted(window_in, small_district, qtbot,
                                                       monkeypatch):
    """The counts of "all" and of the filter come from a worker: the dialog opens at once
    (on a 120,000-bin layer it waited a second for them on the UI thread)."""
    import threading

    from citymgr_desktop.ui.exporting import feature as exporting

    window = window_in("en", small_district)
    feat = window.installed_features["exporting"]
    counted_on_ui_thread: list[bool] = []
    go_on = threading.Event()
    real = exporting.select_assets

    def slow_count(*args, **kwargs):
        counted_on_ui_thread.append(threading.current_thread() is threading.main_thread())
        go_on.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting, "select_assets", slow_count)
    press(qtbot, window, Qt.Key.Key_F6)
    table = window.findChild(QWidget, "attribute_table")
    qtbot.waitUntil(table.isVisible, timeout=5000)
    pick(qtbot, table.layer_box, "litter_bin")
    seen: dict = {}

    def look(dialog):
        seen["opened"] = dialog.scope.itemText(2)
        go_on.set()
        qtbot.waitUntil(lambda: "…" not in dialog.scope.itemText(2), timeout=20_000)
        seen["counted"] = dialog.scope.itemText(2)
        seen["chosen"] = dialog.scope.currentData()

    with answer(qtbot, "Cancel", fill=look, kind=LayerExportDialog):
        qtbot.mouseClick(table.toolbar.widgetForAction(feat.action), LEFT)
    go_on.set()
    assert seen["opened"] == "All assets (…)"
    assert seen["counted"] == f"All assets ({len(_bins(small_district, '1')):,})"
    assert seen["chosen"] == "all"  # nothing selected, no filter: the one with assets
    assert counted_on_ui_thread and not any(counted_on_ui_thread)
    qtbot.waitUntil(lambda: not feat.counting.is_running(), timeout=20_000)


def test_the_suggested_name_has_no_space_in_english(window_in, small_district, qtbot):
    """Trial 10: "Litter bins_selected.csv". Words are joined by "-" in lower case, as the
    work orders' export (workorders-12) and the monthly report (monthly-report-2026-11)."""
    window = window_in("en", small_district)
    bins = _bins(small_district, "1")
    districts = {d for _u, d in bins}
    assert len(districts) > 1  # bins of two 街道: the scope, not the 街道, names the file
    two = [next(u for u, d in bins if d == name) for name in sorted(districts)[:2]]
    window.selection.set_current_layer("litter_bin")
    window.selection.set_selection("litter_bin", two)
    seen: dict = {}

    def fill(dialog):
        _choose(qtbot, dialog.scope, "selected")
        pick(qtbot, dialog.format, "csv")
        seen["selected"] = dialog.path.text()
        _choose(qtbot, dialog.scope, "all")
        seen["all"] = dialog.path.text()

    with answer(qtbot, "Cancel", fill=fill, kind=LayerExportDialog):
        menu_item(qtbot, window, "layer", "Export layer")
    assert seen["selected"].endswith("/litter-bins-selected.csv"), seen
    assert seen["all"].endswith("/litter-bins.csv"), seen
