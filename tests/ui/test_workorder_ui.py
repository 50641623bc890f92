"""The work-order and history features in the real main window: list and filters, create
from the selection and from an expression, moves offered only where legal (an illegal one
refused in a message box that is clicked away), undo through the one edit session, export
in a worker, the history dock with add/edit/delete and thumbnails."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.core import history
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog
from tests.ui.driver import answer, pick, type_into


@pytest.fixture
def window(small_window):
    return small_window


def _bins(store, n):
    return [r[0] for r in store.conn.execute(
        "SELECT asset_uuid FROM litter_bin WHERE condition >= 4 ORDER BY fid LIMIT ?", (n,))]


def _create(window, title, uuids):
    feat = window.installed_features["workorders"]
    return feat.create(wo.OrderSpec(title, 3, [("litter_bin", u) for u in uuids]))


def test_list_filters_by_state_assignee_and_overdue(window, qtbot):
    lst = window.installed_features["workorders"].list
    total = window.store.conn.execute("SELECT count(*) FROM work_order").fetchone()[0]
    pick(qtbot, lst.state, None)
    if lst.overdue.isChecked():
        qtbot.mouseClick(lst.overdue, Qt.MouseButton.LeftButton)
    assert lst.table.rowCount() == total
    pick(qtbot, lst.state, "closed")
    assert {r["state"] for r in lst.rows} <= {"closed"}
    assert lst.table.rowCount() == window.store.conn.execute(
        "SELECT count(*) FROM work_order WHERE state='closed'").fetchone()[0]
    pick(qtbot, lst.state, "open")
    qtbot.mouseClick(lst.overdue, Qt.MouseButton.LeftButton)
    assert lst.rows and all(r["overdue"] for r in lst.rows)
    assert lst.table.item(0, 0).foreground().color() == QColor("#c0392b")
    qtbot.mouseClick(lst.overdue, Qt.MouseButton.LeftButton)
    pick(qtbot, lst.state, None)
    pick(qtbot, lst.assignee, "区市政设施养护中心")
    assert lst.rows and {r["assignee"] for r in lst.rows} == {"区市政设施养护中心"}


def test_create_from_selection_undo_redo(window, qtbot):
    feat = window.installed_features["workorders"]
    ids = _bins(window.store, 3)
    window.selection.set_selection("litter_bin", ids)

    def fill(dlg: WorkOrderDialog) -> None:
        assert dlg.from_selection.isChecked() and "3" in dlg.from_selection.text()
        assert dlg.deadline.text()
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)  # no title yet: said under the form
        assert dlg.isVisible() and dlg.error.text() == "Give the order a title."
        type_into(qtbot, dlg.title, "箱体破损")
        assert dlg.error.text() == ""  # gone once the title is typed

    with answer(qtbot, "OK", fill=fill, title="New work order"):
        qtbot.mouseClick(window.toolbar().widgetForAction(feat.new_action),
                         Qt.MouseButton.LeftButton)
    case = feat.list.selected_cases()[0]
    assert case in [r["case_no"] for r in feat.list.rows]
    order = wo.get_order(window.store, case, window.edit_session.pending)
    assert wo.assets_of(window.store, order["work_order_uuid"], window.edit_session.pending) \
        == [("litter_bin", u) for u in ids]
    window.commands.undo()
    assert case not in [r["case_no"] for r in feat.list.rows]
    window.commands.redo()
    assert case in [r["case_no"] for r in feat.list.rows]


def test_create_from_expression_and_bad_expression(window, qtbot):
    n = window.store.conn.execute("SELECT count(*) FROM litter_bin WHERE condition = 5 AND "
                                  "retired_at IS NULL").fetchone()[0]
    seen = {}

    def fill(dlg: WorkOrderDialog) -> None:
        assert dlg.from_expression.isChecked() and not dlg.from_selection.isEnabled()
        type_into(qtbot, dlg.title, "危险垃圾箱")
        type_into(qtbot, dlg.expression, "condition = 5")
        qtbot.mouseClick(dlg.count_btn, Qt.MouseButton.LeftButton)
        assert str(n) in dlg.count_label.text()
        type_into(qtbot, dlg.expression, "conditon = 5")
        qtbot.mouseClick(dlg.buttons.button(dlg.buttons.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
        assert dlg.isVisible() and "conditon" in dlg.error.text()
        type_into(qtbot, dlg.expression, "condition = 5")
        seen["dialog"] = dlg

    with answer(qtbot, "OK", fill=fill, title="New work order"):
        window.installed_features["workorders"].new_order()
    assert len(seen["dialog"].spec().assets) == n


def test_move_dialog_offers_only_legal_targets_and_move_is_undoable(window, qtbot):
    feat = window.installed_features["workorders"]
    case = _create(window, "t", _bins(window.store, 1))
    order = wo.get_order(window.store, case, window.edit_session.pending)
    dlg = WorkOrderMoveDialog(window, order, "王五")
    qtbot.addWidget(dlg)
    assert [dlg.target.itemData(i) for i in range(dlg.target.count())] == ["filed",
                                                                            "cancelled"]
    assert not dlg.record_type.isVisibleTo(dlg)
    assert feat.move(case, "filed", "王五", "立案")
    assert wo.get_order(window.store, case, window.edit_session.pending)["state"] == "filed"
    with answer(qtbot, "OK", kind=QMessageBox, title="Move work order") as refused:
        assert not feat.move(case, "closed", "王五", None)  # illegal: refused, explained
    assert "cannot move" in refused.text
    assert wo.get_order(window.store, case, window.edit_session.pending)["state"] == "filed"
    window.commands.undo()
    assert wo.get_order(window.store, case, window.edit_session.pending)["state"] == "reported"
    (checked,) = next(window.store.conn.execute(
        "SELECT case_no FROM work_order WHERE state='checked'"))
    dlg2 = WorkOrderMoveDialog(window, wo.get_order(window.store, checked), "x")
    qtbot.addWidget(dlg2)
    dlg2.show()
    pick(qtbot, dlg2.target, "closed")
    assert dlg2.record_type.isVisibleTo(dlg2)
    dlg2.close()


def test_show_on_map_selects_and_zooms(window):
    feat = window.installed_features["workorders"]
    ids = _bins(window.store, 2)
    case = _create(window, "t", ids)
    feat.list.select_case(case)
    before = window.canvas.extent()
    feat.show_action.trigger()
    assert window.selection.all() == {"litter_bin": ids}
    assert window.canvas.extent() != before


@pytest.mark.parametrize(("fmt", "with_map"), [("xlsx", False), ("pdf", True)])
def test_export_runs_in_worker(window, qtbot, tmp_path, fmt, with_map):
    feat = window.installed_features["workorders"]
    out = tmp_path / f"orders.{fmt}"
    pick(qtbot, feat.list.state, None)
    feat.list.table.selectRow(0)
    feat.export({"path": str(out), "format": fmt, "lang": "zh", "map": with_map})
    qtbot.waitUntil(lambda: not feat.task.is_running(), timeout=60_000)
    qtbot.waitUntil(lambda: "Exported" in window.status_bar.currentMessage(), timeout=5000)
    assert out.exists() and out.stat().st_size > 1000


def test_history_panel_follows_selection_and_edits_undoably(window, qtbot):
    hist = window.installed_features["history"]
    panel = hist.panel
    uid = _bins(window.store, 1)[0]
    cond0 = window.store.get_row("litter_bin", uid)["condition"]
    window.selection.set_selection("litter_bin", [uid])
    assert panel.asset == ("litter_bin", uid)
    n0 = panel.tree.topLevelItemCount()
    assert n0 == len(history.records(window.store, uid))
    assert panel.add_btn.isEnabled() and hist.add_action.isEnabled()

    def fill(dlg) -> None:
        pick(qtbot, dlg.after, 1)
        type_into(qtbot, dlg.crew, "xunchazu")

    window.dock("history_dock").show()
    with answer(qtbot, "OK", fill=fill, title="Add maintenance record"):
        qtbot.mouseClick(panel.add_btn, Qt.MouseButton.LeftButton)
    assert panel.tree.topLevelItemCount() == n0 + 1
    assert window.edit_session.row("litter_bin", uid)["condition"] == 1
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    img = QImage(40, 30, QImage.Format.Format_RGB32)
    img.fill(QColor("red"))
    photo = window.store.path.parent / "照片.png"
    img.save(str(photo))
    panel.attach([str(photo)])
    assert panel.thumbs.count() == 1 and not panel.thumbs.item(0).icon().isNull()
    qtbot.mouseClick(panel.del_btn, Qt.MouseButton.LeftButton)
    assert panel.tree.topLevelItemCount() == n0
    for _ in range(3):  # delete, attach, add
        window.commands.undo()
    assert panel.tree.topLevelItemCount() == n0
    assert window.edit_session.row("litter_bin", uid)["condition"] == cond0
    assert not window.edit_session.dirty
    window.selection.clear()
    assert panel.asset is None and not panel.add_btn.isEnabled()


def test_translations_cover_the_feature():
    """Every self.tr("...") source string of the feature has a Chinese translation."""
    import ast
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    zh = json.loads((root / "citymgr_desktop/resources/i18n/zh_CN/workorders.json"
                     ).read_text("utf-8"))
    sources = set()
    for name in ("workorders/feature.py", "history/feature.py", "history/panel.py",
                 "history/record_dialog.py", "workorders/create_dialog.py",
                 "workorders/move_dialog.py", "workorders/list_widget.py",
                 "workorders/export_dialog.py", "workorders/calendar_dialog.py",
                 "workorders/detail_dialog.py"):
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

    from PySide6.QtCore import QDate

    from citymgr_desktop.core.workorders.deadlines import calendar_of

    feat = window.installed_features["workorders"]
    assert feat.calendar_action.isEnabled()
    seen = {}

    def interact(dialog) -> None:
        dialog.year.setValue(2026)
        seen["holidays"] = [dialog.holiday_list.item(i).text()
                            for i in range(dialog.holiday_list.count())]
        seen["workdays"] = [dialog.workday_list.item(i).text()
                            for i in range(dialog.workday_list.count())]
        dialog.date.setDate(QDate(2026, 12, 31))
        qtbot.mouseClick(dialog.add_holiday, Qt.MouseButton.LeftButton)
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOT))

    with answer(qtbot, "OK", fill=interact):
        feat.calendar_action.trigger()
    assert "2026-10-01" in seen["holidays"] and "2026-10-10" in seen["workdays"]
    assert dt.date(2026, 12, 31) in calendar_of(window.store).holidays
    assert window.commands.undo_label() == "Edit the working calendar"
    window.commands.undo()
    assert dt.date(2026, 12, 31) not in calendar_of(window.store).holidays
    assert dt.date(2026, 10, 1) in calendar_of(window.store).holidays


SHOT = __import__("pathlib").Path("/tmp/citymgr-shots/workorder_calendar_dialog.png")
