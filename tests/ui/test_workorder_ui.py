"""The work-order and history features in a window that honours the main-window contract
(docs/ui-architecture.md): list and filters, create from selection and expression, moves
offered only where legal, undo through ``window.commands``, export in a worker, the history
dock with add/edit/delete and thumbnails."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from citymgr_desktop.core import history
from citymgr_desktop.core.store import Store
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.ui.history import feature as history_feature
from citymgr_desktop.ui.workorders import feature as workorders_feature
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog
from tests.ui._edit_window import ContractWindow


@pytest.fixture
def window(qtbot, small_district):
    store = Store.open(small_district)
    win = ContractWindow(store)
    qtbot.addWidget(win)
    win.install(workorders_feature)
    win.install(history_feature)
    yield win
    store.close()


def _bins(store, n):
    return [r[0] for r in store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 ORDER BY fid LIMIT ?", (n,))]


def test_list_filters_by_state_assignee_and_overdue(window):
    feat = window.installed_features["workorders"]
    lst = feat.list
    total = window.store.conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    lst.state.setCurrentIndex(lst.state.findData(None))
    lst.overdue.setChecked(False)
    assert lst.table.rowCount() == total
    lst.state.setCurrentIndex(lst.state.findData("closed"))
    states = {r["state"] for r in lst.rows}
    assert states <= {"closed"}
    assert lst.table.rowCount() == window.store.conn.execute(
        "SELECT count(*) FROM work_order WHERE state='closed'").fetchone()[0]
    lst.state.setCurrentIndex(lst.state.findData("open"))
    lst.overdue.setChecked(True)
    assert lst.rows and all(r["overdue"] for r in lst.rows)
    assert lst.table.item(0, 0).foreground().color() == QColor("#c0392b")
    lst.overdue.setChecked(False)
    lst.state.setCurrentIndex(0)
    a = lst.assignee.findText("区市政设施养护中心")
    assert a > 0
    lst.assignee.setCurrentIndex(a)
    assert lst.rows and {r["assignee"] for r in lst.rows} == {"区市政设施养护中心"}


def test_create_from_selection_undo_redo(window, qtbot):
    feat = window.installed_features["workorders"]
    ids = _bins(window.store, 3)
    window.selection.set_selection("litter_bin", ids)
    dlg = WorkOrderDialog(window, window.store, window.selection.all(), "litter_bin")
    qtbot.addWidget(dlg)
    assert dlg.from_selection.isChecked() and "3" in dlg.from_selection.text()
    assert dlg.deadline.text()
    dlg.title.setText("箱体破损")
    dlg.accept()
    assert dlg.result() == 1
    case = feat.create(dlg.spec())
    assert case and case in [r["case_no"] for r in feat.list.rows]
    assert feat.list.selected_cases() == [case]
    order = wo.get_order(window.store, case)
    assert wo.assets_of(window.store, order["work_order_uuid"]) == [("litter_bin", u)
                                                                    for u in ids]
    assert "work_order" in window.changed[-1]
    window.commands.undo()
    assert case not in [r["case_no"] for r in feat.list.rows]
    window.commands.redo()
    assert case in [r["case_no"] for r in feat.list.rows]


def test_create_from_expression_and_bad_expression(window, qtbot):
    dlg = WorkOrderDialog(window, window.store, {}, "litter_bin")
    qtbot.addWidget(dlg)
    assert dlg.from_expression.isChecked() and not dlg.from_selection.isEnabled()
    dlg.title.setText("危险垃圾箱")
    dlg.expression.setText("condition = 5")
    n = window.store.conn.execute("SELECT count(*) FROM litter_bin WHERE condition = 5 AND "
                                  "retired_at IS NULL").fetchone()[0]
    assert dlg.count() == n and str(n) in dlg.count_label.text()
    dlg.expression.setText("conditon = 5")
    dlg.accept()
    assert dlg.result() == 0 and "conditon" in dlg.error.text()
    dlg.expression.setText("condition = 5")
    dlg.accept()
    assert dlg.result() == 1 and len(dlg.spec().assets) == n


def test_move_dialog_offers_only_legal_targets_and_move_is_undoable(window, qtbot):
    feat = window.installed_features["workorders"]
    case = feat.create(wo.OrderSpec("t", 3, [("litter_bin", _bins(window.store, 1)[0])]))
    order = wo.get_order(window.store, case)
    dlg = WorkOrderMoveDialog(window, order, "王五")
    qtbot.addWidget(dlg)
    offered = [dlg.target.itemData(i) for i in range(dlg.target.count())]
    assert offered == ["filed", "cancelled"]
    assert not dlg.record_type.isVisibleTo(dlg)
    assert feat.move(case, "filed", "王五", "立案")
    assert wo.get_order(window.store, case)["state"] == "filed"
    # an illegal move is refused (message box suppressed) and changes nothing
    import citymgr_desktop.ui.workorders.feature as mod

    errors = []
    orig = mod.show_error
    mod.show_error = lambda parent, title, exc: errors.append(str(exc))
    try:
        assert not feat.move(case, "closed", "王五", None)
    finally:
        mod.show_error = orig
    assert "cannot move" in errors[0]
    assert wo.get_order(window.store, case)["state"] == "filed"
    window.commands.undo()
    assert wo.get_order(window.store, case)["state"] == "reported"
    closed = next(r for r in window.store.conn.execute(
        "SELECT case_no FROM work_order WHERE state='checked'"))
    dlg2 = WorkOrderMoveDialog(window, wo.get_order(window.store, closed[0]), "x")
    qtbot.addWidget(dlg2)
    dlg2.target.setCurrentIndex(dlg2.target.findData("closed"))
    assert dlg2.record_type.isVisibleTo(dlg2)


def test_show_on_map_selects_and_zooms(window):
    feat = window.installed_features["workorders"]
    ids = _bins(window.store, 2)
    case = feat.create(wo.OrderSpec("t", 3, [("litter_bin", u) for u in ids]))
    feat.list.select_case(case)
    feat.show_on_map()
    assert window.selection.all() == {"litter_bin": ids}
    assert window.canvas.zoomed is not None


@pytest.mark.parametrize(("fmt", "with_map"), [("xlsx", False), ("pdf", True)])
def test_export_runs_in_worker(window, qtbot, tmp_path, fmt, with_map):
    feat = window.installed_features["workorders"]
    out = tmp_path / f"orders.{fmt}"
    feat.list.state.setCurrentIndex(0)
    feat.list.table.selectRow(0)
    feat.list.table.selectRow(1)
    feat.export({"path": str(out), "format": fmt, "lang": "zh", "map": with_map})
    qtbot.waitUntil(lambda: not feat.task.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: any("Exported" in m for m in window.messages), timeout=5000)
    assert out.exists() and out.stat().st_size > 1000


def test_history_panel_follows_selection_and_edits_undoably(window, qtbot, monkeypatch):
    panel = window.installed_features["history"].panel
    uid = _bins(window.store, 1)[0]
    cond0 = window.store.get_row("litter_bin", uid)["condition"]
    window.selection.set_selection("litter_bin", [uid])
    assert panel.asset == ("litter_bin", uid)
    n0 = panel.tree.topLevelItemCount()
    assert n0 == len(history.records(window.store, uid))
    assert panel.add_btn.isEnabled() and window.installed_features["history"].add_action.isEnabled()

    from citymgr_desktop.ui.history import panel as hp

    class FakeDialog:
        def __init__(self, *a, **k):
            self.update_condition = type("C", (), {"isChecked": lambda self: True})()

        def exec(self):
            return True

        def values(self):
            return {"record_date": "2099-01-01", "record_type": "inspection",
                    "condition_after": 1, "crew": "巡查组", "observation": "完好"}

    monkeypatch.setattr(hp, "HistoryRecordDialog", FakeDialog)
    panel.add_record()
    assert panel.tree.topLevelItemCount() == n0 + 1
    assert panel.tree.topLevelItem(0).text(0) == "2099-01-01"
    assert window.store.get_row("litter_bin", uid)["condition"] == 1
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    img = QImage(40, 30, QImage.Format.Format_RGB32)
    img.fill(QColor("red"))
    photo = window.store.path.parent / "照片.png"
    img.save(str(photo))
    panel.attach([str(photo)])
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.thumbs.count() == 1
    assert not panel.thumbs.item(0).icon().isNull()
    panel.delete_record()
    assert panel.tree.topLevelItemCount() == n0
    window.commands.undo()  # delete
    window.commands.undo()  # attach
    window.commands.undo()  # add
    assert panel.tree.topLevelItemCount() == n0
    assert window.store.get_row("litter_bin", uid)["condition"] == cond0
    window.selection.clear()
    assert panel.asset is None and not panel.add_btn.isEnabled()


def test_translations_cover_the_feature():
    """Every self.tr("...") source string of the feature has a Chinese translation."""
    import ast
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    zh = json.loads((root / "citymgr_desktop/resources/i18n/zh_CN/workorders.json").read_text("utf-8"))
    sources = set()
    for name in ("workorders/feature.py", "history/feature.py", "history/panel.py",
                 "history/record_dialog.py", "workorders/create_dialog.py",
                 "workorders/move_dialog.py", "workorders/list_widget.py",
                 "workorders/export_dialog.py", "workorders/calendar_dialog.py"):
        tree = ast.parse((root / "citymgr_desktop/ui" / name).read_text("utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "tr" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                sources.add(node.args[0].value)
    missing = sorted(s for s in sources if s not in zh)
    assert not missing, missing
    assert all(zh[s].strip() for s in sources)


def test_working_calendar_dialog_edits_the_calendar_as_one_undo_step(window, qtbot):
    """Work order ▸ Working calendar…: the official holidays of the year are listed; a day
    added with the buttons is stored on OK and undone with one Undo."""
    import datetime as dt

    from PySide6.QtCore import QDate, Qt, QTimer
    from PySide6.QtWidgets import QDialogButtonBox

    from citymgr_desktop.core.workorders.deadlines import calendar_of

    feat = window.installed_features["workorders"]
    assert feat.calendar_action.isEnabled()
    seen = {}

    def interact() -> None:
        dialog = feat.calendar_dialog
        dialog.year.setValue(2026)
        seen["holidays"] = [dialog.holiday_list.item(i).text()
                            for i in range(dialog.holiday_list.count())]
        seen["workdays"] = [dialog.workday_list.item(i).text()
                            for i in range(dialog.workday_list.count())]
        dialog.date.setDate(QDate(2026, 12, 31))
        qtbot.mouseClick(dialog.add_holiday, Qt.MouseButton.LeftButton)
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOT))
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, interact)
    feat.calendar_action.trigger()
    assert "2026-10-01" in seen["holidays"] and "2026-10-10" in seen["workdays"]
    assert dt.date(2026, 12, 31) in calendar_of(window.store).holidays
    assert window.commands.undo_label() == "Edit the working calendar"
    window.commands.undo()
    assert dt.date(2026, 12, 31) not in calendar_of(window.store).holidays
    assert dt.date(2026, 10, 1) in calendar_of(window.store).holidays


SHOT = __import__("pathlib").Path("/tmp/citymgr-shots/workorder_calendar_dialog.png")
