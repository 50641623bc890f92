"""File › 外业同步… while the window has unsaved edits (a fresh user's trial, issue of
session 27): the sync asks to save first (保存后同步 / 取消) and never runs under unsaved
edits; saved first, the office's edit and the surveyor's value meet as a conflict in the
sync's list (and the status bar counts it), and the file holds what the user chooses
there. After the sync the identify panel shows the file's values, its outline on the
feature the user looked at.

In Chinese, through the real window: menus and buttons clicked, the question answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.ui.sync.conflict_model import CHOICE_COL
from citymgr_desktop.ui.sync.dialog import SyncDialog
from tests.core.sync_support import checkout, edit, row, uuids
from tests.ui.driver import CTRL, LEFT, answer, click_map, menu_item, pick, press, type_into
from tests.ui.scenarios.helpers import lonely_bin, zoom_to

ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def field_and_office(qtbot, chinese, window_in, district, tmp_path):
    """A package of 中华路街道 whose surveyor set one bin's condition to 4; the window (in
    Chinese) with that bin selected and its condition edited to 2 in the form, not saved."""
    pkg = tmp_path / "field" / "粮道.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, district="中华路街道", surveyor="张三")
    in_package = set(uuids(pkg, "litter_bin", "condition = 1", limit=10_000))
    w = window_in(None, district)
    bins = w.map_data.layer("litter_bin")
    xs, ys = zip(*(bins.geometries(bins.indices_of([u]))[0].coords[0] for u in in_package),
                 strict=True)
    w.canvas.zoom_to_bbox(min(xs), min(ys), max(xs), max(ys))
    uuid, x, y = lonely_bin(w, where=lambda u: u in in_package)
    zoom_to(qtbot, w, x, y)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (uuid,))
    press(qtbot, w, Qt.Key.Key_S, CTRL | ALT)  # the select tool
    click_map(qtbot, w, x, y)
    assert w.selection.selected("litter_bin") == [uuid]
    with answer(qtbot, "确定", fill=lambda form: pick(qtbot, form.editors["condition"].inner, 2)):
        press(qtbot, w, Qt.Key.Key_E, CTRL)
    assert w.edit_session.dirty and row(district, "litter_bin", uuid)["condition"] == 1
    return w, pkg, uuid, (x, y)


def sync_dialog(qtbot, w, pkg: Path) -> SyncDialog:
    menu_item(qtbot, w, "file", "外业同步…")
    dialog = w.findChild(SyncDialog)
    assert dialog is not None and dialog.isVisible()
    type_into(qtbot, dialog.package, str(pkg))
    return dialog


def test_save_then_sync_lists_the_conflict_and_keeps_the_choice(qtbot, field_and_office,
                                                                 shots):
    w, pkg, uuid, (x, y) = field_and_office
    press(qtbot, w, Qt.Key.Key_I, CTRL | ALT)  # identify the bin: its panel shows 2 较好
    click_map(qtbot, w, x, y)
    assert panel_hit(w) == ("litter_bin", uuid)
    dialog = sync_dialog(qtbot, w, pkg)

    def look(box):
        shots("save-before-sync", box)

    with answer(qtbot, "保存后同步", kind=QMessageBox, fill=look) as asked, \
            qtbot.waitSignal(dialog.synced, timeout=60_000):
        qtbot.mouseClick(dialog.sync_button, LEFT)
    assert "有未保存的编辑（垃圾箱：修改 1）" in asked.text and "冲突" in asked.text
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    assert not w.edit_session.dirty
    assert row(w.store.path, "litter_bin", uuid)["condition"] == 2  # saved; the master's kept
    conflicts = [r for r in dialog.model.records if r.uuid == uuid]
    assert len(conflicts) == 1 and conflicts[0].field == "condition"
    assert dialog.tabs.currentIndex() == 1 and dialog.tabs.tabText(1) == "冲突（1）"
    shots("conflict", dialog)
    # the main window says so too, and takes the user back to the list
    button = w.status_bar.findChild(QPushButton, "openConflicts")
    assert button.isVisible() and button.text() == "未解决冲突 1"
    shots("status-bar", w.status_bar)
    dialog.tabs.setCurrentIndex(0)
    qtbot.mouseClick(button, LEFT)
    assert w.findChild(SyncDialog) is dialog and dialog.tabs.currentIndex() == 1

    dialog.model.setData(dialog.model.index(dialog.model.records.index(conflicts[0]),
                                            CHOICE_COL), "field")
    with qtbot.waitSignal(dialog.resolved, timeout=60_000):
        qtbot.mouseClick(dialog.apply_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    assert row(w.store.path, "litter_bin", uuid)["condition"] == 4  # the surveyor's, chosen
    assert dialog.model.rowCount() == 0 and not w.edit_session.dirty
    assert not button.isVisible()
    # the identify panel reads the file again: 4 差, the outline still on this bin
    qtbot.waitUntil(lambda: "4 差" in identified_condition(w), timeout=30_000)
    assert panel_hit(w) == ("litter_bin", uuid)
    assert [g.coords[0] for g in w.canvas.highlight] == [(x, y)]
    dialog.close()


def test_cancel_writes_nothing(qtbot, field_and_office):
    w, pkg, _uuid, _ = field_and_office
    before = Path(w.store.path).read_bytes()
    dialog = sync_dialog(qtbot, w, pkg)
    with answer(qtbot, "取消", kind=QMessageBox) as asked:
        qtbot.mouseClick(dialog.sync_button, LEFT)
    assert "保存后同步" in [b.text() for b in asked.dialog.buttons()]
    assert not dialog.busy() and dialog.report is None
    assert Path(w.store.path).read_bytes() == before
    assert w.edit_session.dirty and not reg.packages_and_runs(w.store)[1]
    dialog.close()


def test_undo_of_a_sync_under_unsaved_edits_asks_too(qtbot, field_and_office):
    """A sync on the undo stack writes the file itself: Ctrl+Z over it, with an edit
    saved after it undone (unsaved now), asks first; Cancel leaves the sync applied."""
    w, pkg, uuid, _ = field_and_office
    dialog = sync_dialog(qtbot, w, pkg)
    with answer(qtbot, "保存后同步", kind=QMessageBox), \
            qtbot.waitSignal(dialog.synced, timeout=60_000):
        qtbot.mouseClick(dialog.sync_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    dialog.close()
    w.edit_session.set_value("litter_bin", uuid, "remarks", "办公室备注")
    press(qtbot, w, Qt.Key.Key_S, CTRL)
    press(qtbot, w, Qt.Key.Key_Z, CTRL)  # the saved remark undone: unsaved now
    assert w.edit_session.dirty
    with answer(qtbot, "取消", kind=QMessageBox) as asked:
        press(qtbot, w, Qt.Key.Key_Z, CTRL)  # the sync next: asks, Cancel writes nothing
    assert "保存后撤销" in [b.text() for b in asked.dialog.buttons()]
    assert reg.packages_and_runs(w.store)[1][0].state == "applied"
    assert w.edit_session.dirty


def test_the_identify_panel_shows_what_the_sync_wrote(qtbot, field_and_office):
    """No edit pending (discarded): the sync takes the surveyor's 4; the identify panel,
    open on the bin, shows 4 差 without another click (it kept 2 较好), and the bin stays
    the one outlined."""
    w, pkg, uuid, (x, y) = field_and_office
    w.edit_session.discard()
    press(qtbot, w, Qt.Key.Key_I, CTRL | ALT)
    click_map(qtbot, w, x, y)
    assert panel_hit(w) == ("litter_bin", uuid) and "1 完好" in identified_condition(w)
    dialog = sync_dialog(qtbot, w, pkg)
    pick(qtbot, dialog.prefer, "field")
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        qtbot.mouseClick(dialog.sync_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)
    assert row(w.store.path, "litter_bin", uuid)["condition"] == 4
    qtbot.waitUntil(lambda: "4 差" in identified_condition(w), timeout=30_000)
    assert panel_hit(w) == ("litter_bin", uuid)
    assert [g.coords[0] for g in w.canvas.highlight] == [(x, y)]
    dialog.close()


def test_import_and_a_field_package_ask_first_too(qtbot, field_and_office, tmp_path):
    """The same rule, the same question, for the app's other writes of the file."""
    from PySide6.QtWidgets import QWizard

    from citymgr_desktop.ui.sync.field_package_dialog import FieldPackageDialog

    w, _pkg, _uuid, _ = field_and_office
    before = Path(w.store.path).read_bytes()
    with answer(qtbot, "取消", kind=QMessageBox) as asked:
        menu_item(qtbot, w, "file", "导入数据…")
    assert "保存后导入" in [b.text() for b in asked.dialog.buttons()]
    assert w.findChild(QWizard) is None
    menu_item(qtbot, w, "file", "新建外业数据包…")
    dialog = w.findChild(FieldPackageDialog)
    type_into(qtbot, dialog.out, str(tmp_path / "again.gpkg"))
    with answer(qtbot, "取消", kind=QMessageBox) as asked:
        qtbot.mouseClick(dialog.create_button, LEFT)
    assert "保存后生成数据包" in [b.text() for b in asked.dialog.buttons()]
    assert not (tmp_path / "again.gpkg").exists() and w.edit_session.dirty
    assert Path(w.store.path).read_bytes() == before
    dialog.close()


def panel_hit(w) -> tuple[str, str] | None:
    """(layer, key) of the identify panel's current feature."""
    item = w.identify_panel.currentItem()
    while item is not None and item.parent() is not None:
        item = item.parent()
    data = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
    return tuple(data) if data else None


def identified_condition(w) -> str:
    top = w.identify_panel.topLevelItem(0)
    children = [top.child(i) for i in range(top.childCount())] if top else []
    return next((c.text(1) for c in children if c.text(0) == "技术状况"), "")
