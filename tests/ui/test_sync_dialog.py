"""The field sync dialog and the File > Field sync… action: preview, sync in a worker,
conflicts with a per-field choice, the history with undo/redo, and the window's undo stack,
in the real main window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.ui.sync import feature as sync_feature
from citymgr_desktop.ui.sync.conflict_model import CHOICE_COL, VALUE_COL
from citymgr_desktop.ui.sync.dialog import SyncDialog
from tests.core.sync_support import checkout, edit, row, uuids
from tests.faults.support import run
from tests.ui.driver import menu_item


@pytest.fixture
def setup(qtbot, main_window, district, tmp_path):
    """A master with a package: the field changed two bins, one of them also in the office."""
    pkg = tmp_path / "field" / "巡查.gpkg"
    pkg.parent.mkdir()
    checkout(district, pkg, district="中华路街道", surveyor="张三")
    a, b = uuids(pkg, "litter_bin", limit=2)
    with edit(pkg) as c:
        c.execute("UPDATE litter_bin SET condition = 5, remarks = '桶身破损' WHERE asset_uuid=?",
                  (a,))
        c.execute("UPDATE litter_bin SET name = '现场改名' WHERE asset_uuid = ?", (b,))
    with edit(district) as c:
        c.execute("UPDATE litter_bin SET condition = 4 WHERE asset_uuid = ?", (a,))
    QSettings().setValue("user/name", "办公室")
    window = main_window
    with qtbot.waitSignal(window.mapLoaded, timeout=30_000):
        window.open_file(district)
    window.changed = []  # the tables each dataChanged named (read by the tests)
    window.dataChanged.connect(lambda tables: window.changed.append(set(tables)))
    yield window, pkg, (a, b)


def wait_idle(qtbot, dialog: SyncDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=60_000)


@pytest.fixture
def dialog(qtbot, setup):
    window, pkg, _ = setup
    d = SyncDialog(window)
    d.show()
    qtbot.waitExposed(d)
    d.package.setText(str(pkg))
    yield d
    wait_idle(qtbot, d)
    d.close()


def test_preview_shows_the_summary_and_writes_nothing(qtbot, setup, dialog):
    window, _, _ = setup
    before = Path(window.store.path).read_bytes()
    dialog.preview_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.report is not None and dialog.report.status == "dry-run"
    assert "Preview" in dialog.message.text() or "预览" in dialog.message.text()
    assert dialog.summary.counts.rowCount() == 1
    assert dialog.summary.counts.item(0, 1).text() == "2"  # changed
    assert dialog.summary.counts.item(0, 4).text() == "1"  # conflict
    assert any("Condition" in dialog.summary.notes.item(i).text() or "技术状况" in
               dialog.summary.notes.item(i).text() for i in range(dialog.summary.notes.count()))
    # the conflict names its bin as people know it: object code and name, not a uuid's start
    a = setup[2][0]
    bin_a = window.store.get_row("litter_bin", a)
    conflict = next(dialog.summary.notes.item(i).text()
                    for i in range(dialog.summary.notes.count())
                    if "Condition" in dialog.summary.notes.item(i).text()
                    or "技术状况" in dialog.summary.notes.item(i).text())
    assert f"{bin_a['obj_code']} {bin_a['name']}" in conflict and a[:8] not in conflict
    assert Path(window.store.path).read_bytes() == before
    assert len(window.commands) == 0 and dialog.model.rowCount() == 0


def test_sync_then_resolve_then_undo_through_the_window_stack(qtbot, setup, dialog):
    window, _, (a, b) = setup
    dialog.prefer.setCurrentIndex(0)  # leave conflicts open
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        dialog.sync_button.click()
    wait_idle(qtbot, dialog)
    assert row(window.store.path, "litter_bin", b)["name"] == "现场改名"
    assert row(window.store.path, "litter_bin", a)["condition"] == 4  # master kept
    assert dialog.tabs.currentIndex() == 1 and dialog.model.rowCount() == 1
    assert window.changed and "litter_bin" in window.changed[-1]
    assert window.commands.undo_label() == "Sync 巡查.gpkg"
    assert dialog.history_model.rowCount() == 1

    m = dialog.model
    # the Conflicts tab names the bin as people know it, as the preview did (not its uuid)
    bin_a = window.store.get_row("litter_bin", a)
    assert m.data(m.index(0, 1)) == f"{bin_a['obj_code']} {bin_a['name']}"
    assert a in m.data(m.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    assert m.data(m.index(0, 5)).startswith("4 · ") and m.data(m.index(0, 6)).startswith("5 · ")
    assert m.setData(m.index(0, CHOICE_COL), "edit")
    assert m.flags(m.index(0, VALUE_COL)) & Qt.ItemFlag.ItemIsEditable
    assert m.setData(m.index(0, VALUE_COL), "3")
    with qtbot.waitSignal(dialog.resolved, timeout=60_000):
        dialog.apply_button.click()
    wait_idle(qtbot, dialog)
    assert row(window.store.path, "litter_bin", a)["condition"] == 3
    assert dialog.model.rowCount() == 0 and dialog.history_model.rowCount() == 2
    assert len(window.commands) == 2

    window.commands.undo()  # the resolution
    assert row(window.store.path, "litter_bin", a)["condition"] == 4
    assert dialog.model.rowCount() == 1
    window.commands.undo()  # the sync
    assert row(window.store.path, "litter_bin", b)["name"] != "现场改名"
    assert dialog.model.rowCount() == 0
    window.commands.redo()
    assert row(window.store.path, "litter_bin", b)["name"] == "现场改名"
    assert dialog.model.rowCount() == 1


def test_history_undo_and_redo_buttons(qtbot, setup, dialog):
    window, _, (_, b) = setup
    dialog.prefer.setCurrentIndex(2)  # take the field's value
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        dialog.sync_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.model.rowCount() == 0  # settled by the preference
    dialog.tabs.setCurrentIndex(2)
    dialog.history.selectRow(0)
    assert dialog.undo_button.isEnabled() and not dialog.redo_button.isEnabled()
    with qtbot.waitSignal(dialog.undone, timeout=60_000):
        dialog.undo_button.click()
    wait_idle(qtbot, dialog)
    assert row(window.store.path, "litter_bin", b)["name"] != "现场改名"
    assert dialog.history_model.run(0).state == "undone"
    dialog.history.selectRow(0)
    with qtbot.waitSignal(dialog.undone, timeout=60_000):
        dialog.redo_button.click()
    wait_idle(qtbot, dialog)
    assert row(window.store.path, "litter_bin", b)["name"] == "现场改名"
    window.commands.undo()  # the stack's step follows what the history did
    assert row(window.store.path, "litter_bin", b)["name"] != "现场改名"


def test_errors_show_in_the_dialog_and_settings_are_remembered(qtbot, setup, dialog,
                                                               tmp_path):
    dialog.package.setText(str(tmp_path / "missing.gpkg"))
    dialog.sync_button.click()
    wait_idle(qtbot, dialog)
    assert "no such file" in dialog.message.text()
    dialog.package.clear()
    dialog.sync_button.click()
    assert dialog.message.text()  # asks for a package
    dialog.prefer.setCurrentIndex(1)
    dialog.backup.setChecked(False)
    dialog.close()
    again = SyncDialog(setup[0])
    assert again.prefer.currentData() == "master" and not again.backup.isChecked()
    again.close()


def test_feature_adds_the_action_and_opens_one_dialog(qtbot, setup):
    window, _, _ = setup
    action = window.findChild(QAction, "action_field_sync")
    assert action in window.menu("file").actions()
    assert action.shortcut() == QKeySequence("Ctrl+Shift+Y") and action.isEnabled()
    d1 = sync_feature.open_dialog(window)
    d2 = sync_feature.open_dialog(window)
    assert d1 is d2 and d1.isVisible()
    d1.close()
    menu_item(qtbot, window, "file", "Close")
    assert not action.isEnabled()
    assert sync_feature.open_dialog(window) is None and window.status_bar.currentMessage()


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_screenshot_with_a_conflict(qtbot, setup, tmp_path, lang):
    """Renders the dialog with an open conflict, in English and in Chinese (PNG files in
    $CITYMGR_SCREENSHOTS or tmp_path)."""
    from citymgr_desktop.ui import i18n

    window, pkg, _ = setup
    i18n.install(lang)
    try:
        dialog = SyncDialog(window)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.package.setText(str(pkg))
        with qtbot.waitSignal(dialog.synced, timeout=60_000):
            dialog.sync_button.click()
        wait_idle(qtbot, dialog)
        dialog.model.setData(dialog.model.index(0, CHOICE_COL), "field")
        dialog.resize(1200, 560)
        qtbot.wait(50)
        out = Path(os.environ.get("CITYMGR_SCREENSHOTS", tmp_path)) / f"sync_dialog_{lang}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(out))
        assert out.stat().st_size > 10_000
        if lang == "zh_CN":
            assert dialog.tabs.tabText(1) == "冲突（1）"
            assert dialog.model.headerData(6, Qt.Orientation.Horizontal) == "外业值"
        dialog.close()
    finally:
        i18n.install("en")
    conn = sqlite3.connect(window.store.path)
    assert conn.execute("SELECT count(*) FROM sync_conflict WHERE state='open'").fetchone()[0]


def test_in_the_real_main_window(qtbot, opened_window):
    action = opened_window.findChild(type(opened_window.menu("file").actions()[0]),
                                     "action_field_sync")
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = opened_window.findChild(SyncDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.history_model.rowCount() == 0
    dialog.close()


def test_cancel_leaves_the_master_as_it_was(qtbot, setup, dialog):
    window, _, _ = setup
    before = Path(window.store.path).read_bytes()
    dialog.sync_button.click()
    dialog.task.cancel()  # the Cancel button of the progress dialog does this
    wait_idle(qtbot, dialog)
    qtbot.waitUntil(lambda: bool(dialog.message.text()), timeout=10_000)
    assert "Cancelled" in dialog.message.text()
    assert Path(window.store.path).read_bytes() == before
    assert len(window.commands) == 0
    assert not list((window.store.path.parent / (window.store.path.name + ".sync")
                     / "backups").glob("*.gpkg"))


def test_check_out_from_the_app_then_sync_it_back(qtbot, setup, tmp_path):
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_DISTRICT, FieldPackageDialog

    window, _, _ = setup
    names = [a.objectName() for a in window.menu("file").actions()]
    assert "action_field_package" in names and "action_field_sync" in names
    d = FieldPackageDialog(window)
    d.show()
    out = tmp_path / "app" / "水果湖.gpkg"
    out.parent.mkdir()
    d.out.setText(str(out))
    d.area.setCurrentIndex(d.area.findData(AREA_DISTRICT))
    d.district.setCurrentText("水果湖街道")
    d.layers["road_segment"].setChecked(False)
    d.surveyor.setText("李四")
    with qtbot.waitSignal(d.created, timeout=60_000):
        d.create_button.click()
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    assert out.exists() and out.with_suffix(".qgz").exists()
    assert d.result.counts["road_segment"] == 0 and d.result.counts["litter_bin"] > 0
    assert "水果湖.gpkg" in d.message.text()
    d.close()
    u = uuids(out, "litter_bin", limit=1)[0]
    with edit(out) as c:
        c.execute("UPDATE litter_bin SET remarks = 'app' WHERE asset_uuid = ?", (u,))
    s = SyncDialog(window)
    s.show()
    s.package.setText(str(out))
    with qtbot.waitSignal(s.synced, timeout=60_000):
        s.sync_button.click()
    qtbot.waitUntil(lambda: not s.busy(), timeout=60_000)
    assert row(window.store.path, "litter_bin", u)["remarks"] == "app"
    assert row(window.store.path, "litter_bin", u)["updated_by"] == "李四"
    s.close()


def test_check_out_of_the_map_view(qtbot, setup, tmp_path):
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_VIEW, FieldPackageDialog

    window, _, _ = setup
    conn = sqlite3.connect(window.store.path)
    minx, miny, maxx, maxy = conn.execute(
        "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name='litter_bin'"
    ).fetchone()
    window.canvas.zoom_to_bbox(minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    d = FieldPackageDialog(window)
    d.show()
    d.out.setText(str(tmp_path / "view.gpkg"))
    d.area.setCurrentIndex(d.area.findData(AREA_VIEW))
    with qtbot.waitSignal(d.created, timeout=60_000):
        d.create_button.click()
    qtbot.waitUntil(lambda: not d.busy(), timeout=60_000)
    total = conn.execute("SELECT count(*) FROM litter_bin").fetchone()[0]
    assert 0 < d.result.counts["litter_bin"] < total
    d.close()


def test_the_preview_names_the_assets_the_field_deleted(qtbot, setup, dialog):
    """A bin deleted on the tablet leaves the master with the sync: the preview names it (by
    code and name, not a count alone) and says it is removed. (A bin with history cannot
    be deleted in the package: its trigger refuses, so QField keeps it.)"""
    window, pkg, (a, b) = setup
    with edit(pkg) as c:
        kept = {r[0] for r in c.execute("SELECT asset_uuid FROM maintenance_record "
                                        "UNION SELECT asset_uuid FROM work_order_asset")}
        bins = [r[0] for r in c.execute("SELECT asset_uuid FROM litter_bin")]
        fresh = next(u for u in bins if u not in kept and u not in (a, b))
        c.execute("DELETE FROM litter_bin WHERE asset_uuid = ?", (fresh,))
    dialog.preview_button.click()
    wait_idle(qtbot, dialog)
    assert dialog.report.removed == [("litter_bin", fresh, "delete")]
    notes = [dialog.summary.notes.item(i).text() for i in range(dialog.summary.notes.count())]
    bin_ = window.store.get_row("litter_bin", fresh)
    line = next(n for n in notes if "will be removed from the master" in n)
    assert f"{bin_['obj_code']} {bin_['name']}" in line and fresh[:8] not in line


def test_edited_value_of_a_coded_field_is_the_forms_drop_down(qtbot, setup, dialog):
    """Choosing "Edit…" for a 技术状况 conflict edits the value with the attribute form's
    drop-down (the grades as words), not a text box holding the raw code."""
    from PySide6.QtWidgets import QComboBox

    from citymgr_desktop.ui.widgets.field_editors import FieldEditor

    window, _, (a, _) = setup
    dialog.prefer.setCurrentIndex(0)
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        dialog.sync_button.click()
    wait_idle(qtbot, dialog)
    m, view = dialog.model, dialog.conflicts
    assert m.setData(m.index(0, CHOICE_COL), "edit")
    assert m.data(m.index(0, VALUE_COL)).startswith("4 · ")  # the master's grade, as words
    cell = m.index(0, VALUE_COL)
    view.setCurrentIndex(cell)
    view.edit(cell)
    qtbot.waitUntil(lambda: view.indexWidget(cell) is not None
                    or bool(view.findChildren(FieldEditor)), timeout=5_000)
    editor = view.findChildren(FieldEditor)[0]
    combo = editor.findChild(QComboBox)
    assert combo is not None and combo.currentData() == 4
    assert [combo.itemData(i) for i in range(combo.count())][-5:] == [1, 2, 3, 4, 5]
    combo.setCurrentIndex(combo.findData(3))
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: m.data(cell, Qt.ItemDataRole.EditRole) == 3, timeout=5_000)
    with qtbot.waitSignal(dialog.resolved, timeout=60_000):
        dialog.apply_button.click()
    wait_idle(qtbot, dialog)
    assert row(window.store.path, "litter_bin", a)["condition"] == 3


def test_package_name_follows_the_sub_district_and_the_sync_remembers_it(qtbot, setup):
    """The suggested file name names the 街道 chosen (a name the person typed is kept), and the
    sync dialog opens with the package synced last."""
    from citymgr_desktop.ui.sync.field_package_dialog import AREA_DISTRICT, FieldPackageDialog

    window, pkg, _ = setup
    d = FieldPackageDialog(window)
    d.show()
    stem = window.store.path.stem
    assert Path(d.out.text()).name == f"{stem}-field.gpkg"
    d.area.setCurrentIndex(d.area.findData(AREA_DISTRICT))
    d.district.setCurrentText("水果湖街道")
    assert Path(d.out.text()).name == f"{stem}-水果湖街道.gpkg"
    d.district.setCurrentText("中华路街道")
    assert Path(d.out.text()).name == f"{stem}-中华路街道.gpkg"
    d.out.setText(str(Path(d.out.text()).with_name("我的包.gpkg")))
    d.district.setCurrentText("水果湖街道")
    assert Path(d.out.text()).name == "我的包.gpkg"
    d.close()
    s = SyncDialog(window)
    s.show()
    assert s.package.text() == ""
    s.package.setText(str(pkg))
    s.preview_button.click()
    wait_idle(qtbot, s)
    s.close()
    again = SyncDialog(window)
    again.show()
    assert again.package.text() == str(pkg)
    again.close()


def test_a_conflict_resolved_elsewhere_is_refused_naming_its_asset(qtbot, setup, dialog):
    """Resolved by ``citymgr sync-resolve`` while the window lists it: Apply is refused with
    the asset's code and name, as the list shows it (not only the conflict's uuid)."""
    window, _, (a, _b) = setup
    dialog.prefer.setCurrentIndex(0)  # leave conflicts open
    with qtbot.waitSignal(dialog.synced, timeout=60_000):
        dialog.sync_button.click()
    wait_idle(qtbot, dialog)
    m = dialog.model
    conflict_id = m.records[0].conflict_uuid
    run(["sync-resolve", window.store.path, "--all", "--take", "field"]).ok()
    assert m.setData(m.index(0, CHOICE_COL), "master")
    dialog.apply_button.click()
    wait_idle(qtbot, dialog)
    bin_a = window.store.get_row("litter_bin", a)
    text = dialog.message.text()
    assert conflict_id in text and f"{bin_a['obj_code']} {bin_a['name']}" in text, text
    assert row(window.store.path, "litter_bin", a)["condition"] == 5  # the field's, kept
