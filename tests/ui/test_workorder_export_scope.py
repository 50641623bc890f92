"""工单 › 导出工单 exports the selected orders, those the list's filter shows, or all of
them, as the person chooses in the real dialog; the choice is remembered for the next time.
Read back from the CSV written."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt

from citymgr_desktop.ui.workorders.export_dialog import WorkOrderExportDialog
from tests.ui.driver import answer, menu_item, pick, type_into


def _cases(path) -> set[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return {r[0] for r in rows[1:] if r}


def _export(qtbot, window, scope, out, seen):
    def fill(dialog):
        seen.append({dialog.scope.itemData(i): dialog.scope.itemText(i)
                     for i in range(dialog.scope.count())} | {
                         "current": dialog.scope.currentData()})
        if scope is None:
            return
        pick(qtbot, dialog.scope, scope)
        seen[-1]["summary"] = dialog.summary.text()
        pick(qtbot, dialog.format, "csv")
        type_into(qtbot, dialog.path, str(out))

    feat = window.installed_features["workorders"]
    with answer(qtbot, "OK" if scope else "Cancel", fill=fill, kind=WorkOrderExportDialog):
        menu_item(qtbot, window, "workorder", "Export work orders")
    if scope:
        qtbot.waitUntil(lambda: feat.task is not None and not feat.task.is_running(),
                        timeout=60_000)
        qtbot.waitUntil(lambda: out.exists(), timeout=5000)


def test_export_all_filtered_or_selected_and_remembered(small_window, qtbot, tmp_path):
    window = small_window
    lst = window.installed_features["workorders"].list
    store = window.store
    everything = {r[0] for r in store.conn.execute("SELECT case_no FROM work_order")}
    closed = {r[0] for r in store.conn.execute(
        "SELECT case_no FROM work_order WHERE state = 'closed'")}
    assert len(everything) > len(closed) > 1
    pick(qtbot, lst.state, "closed")
    qtbot.mouseClick(lst.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=lst.table.visualItemRect(lst.table.item(0, 0)).center())
    assert len(lst.selected_cases()) == 1
    seen: list[dict] = []

    _export(qtbot, window, "all", tmp_path / "all.csv", seen)
    assert seen[0]["current"] == "selected"  # nothing remembered yet: the selection
    assert seen[0]["all"].endswith(f"({len(everything)})")
    assert seen[0]["filtered"].endswith(f"({len(closed)})")
    assert seen[0]["selected"].endswith("(1)")
    assert str(len(everything)) in seen[0]["summary"]
    assert _cases(tmp_path / "all.csv") == everything

    _export(qtbot, window, None, None, seen)  # the choice is remembered
    assert seen[1]["current"] == "all"

    _export(qtbot, window, "filtered", tmp_path / "closed.csv", seen)
    assert _cases(tmp_path / "closed.csv") == closed
    _export(qtbot, window, "selected", tmp_path / "one.csv", seen)
    assert _cases(tmp_path / "one.csv") == set(lst.selected_cases())


def test_the_suggested_name_follows_the_scope_until_one_is_typed(small_window, qtbot):
    """Trial 6: one order selected and "All orders (41)" chosen, the file was still named
    after the selected order. The name follows the scope chosen; a name typed stays."""
    from pathlib import Path

    window = small_window
    lst = window.installed_features["workorders"].list
    everything = window.store.conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    qtbot.mouseClick(lst.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=lst.table.visualItemRect(lst.table.item(0, 0)).center())
    (one,) = lst.selected_cases()
    stems: list[str] = []

    def fill(dialog):
        def stem() -> str:
            return Path(dialog.path.text()).stem
        stems.append(stem())
        pick(qtbot, dialog.scope, "all")
        stems.append(stem())
        pick(qtbot, dialog.scope, "selected")
        stems.append(stem())
        type_into(qtbot, dialog.path, str(Path(dialog.path.text()).with_name("我的工单.csv")))
        pick(qtbot, dialog.scope, "all")
        stems.append(stem())

    with answer(qtbot, "Cancel", fill=fill, kind=WorkOrderExportDialog):
        menu_item(qtbot, window, "workorder", "Export work orders")
    assert stems == [one, f"workorders-{everything}", one, "我的工单"]
