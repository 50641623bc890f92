"""Locating a feature identifies it (as QGIS's zoom to feature and identify): the locate box
and a row of the attribute table fill the identify panel with the feature located, its dock
brought forward and the feature outlined on the map (the trial found the panel empty)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit

from citymgr_desktop.ui.map.identify import KEY_ROLE
from tests.ui.driver import answer, press, type_into


def identified(w) -> list[tuple[str, str]]:
    panel = w.identify_panel
    return [panel.topLevelItem(i).data(0, KEY_ROLE) for i in range(panel.topLevelItemCount())]


def test_the_locate_box_identifies_the_asset_it_finds(qtbot, small_window):
    w = small_window
    w.dock("identifyDock").hide()
    uuid, code = w.store.conn.execute(
        "SELECT asset_uuid, obj_code FROM litter_bin ORDER BY fid LIMIT 1 OFFSET 7").fetchone()
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, code)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert identified(w) == [("litter_bin", uuid)]
    top = w.identify_panel.topLevelItem(0)
    values = {top.child(k).text(0): top.child(k).text(1) for k in range(top.childCount())}
    assert values["Object code"] == code
    assert w.dock("identifyDock").isVisible()
    assert len(w.canvas.highlight) == 1  # outlined
    assert w.selection.selected("litter_bin") == [uuid]
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_a_row_located_from_the_table_is_identified(qtbot, small_window):
    w = small_window
    w.dock("identifyDock").hide()
    feature = w.installed_features["editing"]
    feature.show_table("road_segment")
    model = feature.table.model
    qtbot.waitUntil(lambda: model.rowCount() > 5, timeout=10_000)
    uuid = model.uuid_at(5)
    header = feature.table.view.verticalHeader()
    pos = QPoint(header.width() // 2, header.sectionViewportPosition(5)
                 + header.sectionSize(5) // 2)
    qtbot.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert identified(w) == [("road_segment", uuid)]
    assert w.dock("identifyDock").isVisible()
    assert len(w.canvas.highlight) == 1
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_after_locating_the_keys_act_on_the_map_not_the_box(qtbot, small_window):
    """Enter shows the answer and gives the keys back: Ctrl+E opens the located asset's form
    (the locate box, a line edit, kept Ctrl+E as "end of line"); Escape in the box does the
    same without an answer."""
    w = small_window
    code = w.store.conn.execute(
        "SELECT obj_code FROM litter_bin ORDER BY fid LIMIT 1 OFFSET 3").fetchone()[0]
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, code)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    seen: list[str] = []

    def read(form) -> None:
        seen.extend(e.text() for e in form.findChildren(QLineEdit))
        form.reject()

    with answer(qtbot, fill=read):
        press(qtbot, w, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert code in seen

    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=5000)
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert not box.hasFocus() and w.canvas.hasFocus()
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)


def test_the_locate_box_is_emptied_when_another_file_opens(qtbot, small_window, district):
    """The box kept the last file's search after another was opened (trial 10)."""
    w = small_window
    box = w.findChild(QLineEdit, "locateBox")
    type_into(qtbot, box, "4201")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.text() == "4201"
    with qtbot.waitSignal(w.mapLoaded, timeout=60_000):
        assert w.open_file(district)
    assert box.text() == ""
    qtbot.waitUntil(w.canvas.is_settled, timeout=20_000)
