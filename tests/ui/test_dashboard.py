"""The dashboard in the real main window: its figures are the core's, computed off the UI
thread and refreshed after a change; a click on a chart part (a real mouse event on the
matplotlib canvas) or on a figure of the evaluation table selects the assets behind it on
the map and in the attribute table and lists the orders; hot-spot themes on the canvas; the
monthly report from the File menu; both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolButton

from citymgr_desktop.core import stats
from citymgr_desktop.export.report.charts import Pick
from citymgr_desktop.export.report.text import layer_name
from citymgr_desktop.ui.dashboard.dashboard_widget import PERIODS, period_for
from tests.ui.driver import pick, press, type_into

NOW = dt.datetime(2026, 11, 20, 12, 0)


def show_dashboard(qtbot, window, now: dt.datetime = NOW):
    """The window's dashboard shown at ``now``, its first figures computed."""
    feat = window.installed_features["dashboard"]
    feat.widget.now = now
    feat.dock.show()
    feat.dock.raise_()
    qtbot.waitUntil(lambda: feat.widget.figures is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=30_000)
    return feat


@pytest.fixture
def dashboard(qtbot, opened_window):
    window = opened_window
    feat = show_dashboard(qtbot, window)
    yield window, feat
    feat._before_close()


def test_figures_are_the_cores(dashboard):
    window, feat = dashboard
    figs = feat.widget.figures
    period = feat.widget.current_period()
    assert period == stats.Period.month("2026-11")
    store = window.store
    assert figs.condition_by("district") == stats.condition_table(store, ("district",))
    assert figs.evaluation == stats.evaluation(store, period, now=NOW)
    model = feat.widget.model
    assert model.rowCount() == len(figs.evaluation) + 1
    total = stats.evaluation_total(figs.evaluation)
    assert model.index(model.rowCount() - 1, 1).data() == str(total.due)
    for k, row in enumerate(figs.evaluation):
        assert model.index(k, 0).data() == row.assignee
        rate = model.index(k, 6).data()
        assert rate == ("—" if row.on_time_rate is None else f"{row.on_time_rate * 100:.1f}%")
    assert feat.widget.by_district.picks and feat.widget.orders.picks


def _click(qtbot, canvas, pick, index=0):
    x, y = canvas.artist_centre(pick, index)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))


def test_click_a_bar_selects_its_assets(qtbot, dashboard):
    window, feat = dashboard
    district = window.store.districts()[0]
    pick = Pick("condition", {"district": district, "condition": 4})
    with qtbot.waitSignal(window.selection.changed, timeout=5000):
        _click(qtbot, feat.widget.by_district, pick)
    want = stats.condition_members(window.store, district=district, condition=4)
    assert window.selection.all() == want
    row = next(r for r in feat.widget.figures.condition_by("district") if r.district == district)
    assert window.selection.count() == row.conditions[3]


def test_click_a_state_lists_its_orders_and_selects_their_assets(qtbot, dashboard):
    window, feat = dashboard
    pick = Pick("orders", {"state": "dispatched"})
    _click(qtbot, feat.widget.orders, pick)
    ids = stats.order_members(window.store, state="dispatched")
    assert feat.widget.order_list.rowCount() == len(ids) > 0
    assets = stats.orders.order_assets(window.store, ids)
    assert window.selection.all() == assets


def test_click_a_month_of_records(qtbot, dashboard):
    window, feat = dashboard
    months = feat.widget.figures.month_labels()
    pick = Pick("records", {"months": months})
    _click(qtbot, feat.widget.records, pick, index=months.index("2026-10"))
    assert window.selection.all() == stats.record_members(window.store, month="2026-10")


def test_evaluation_table_click(qtbot, dashboard):
    window, feat = dashboard
    view, model = feat.widget.table, feat.widget.model
    row = next(k for k, r in enumerate(model.rows[:-1]) if r.overdue)
    rect = view.visualRect(model.index(row, 3))  # the overdue column
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    r = model.rows[row]
    ids = stats.evaluation_members(window.store, "overdue", assignee=r.assignee,
                                   period=feat.widget.figures.period, now=NOW)
    assert feat.widget.order_list.rowCount() == len(ids) == r.overdue
    cases = {feat.widget.order_list.item(i, 0).text() for i in range(len(ids))}
    assert cases == {o["case_no"] for o in stats.orders.orders_by_uuid(window.store, ids)}


def _table_rows(qtbot, table) -> tuple[set[str], str]:
    """The uuids of the attribute table's rows and its count, once loaded."""
    qtbot.waitUntil(lambda: table.model is not None and any(
        c.isdigit() for c in table.count.text()), timeout=20_000)  # not "Loading…"
    return set(table.model.uuids_of(list(range(table.model.rowCount())))), table.count.text()


def test_a_drill_down_lists_its_rows_and_keeps_the_users_filters(qtbot, dashboard, shots):
    window, feat = dashboard
    table = window.installed_features["editing"].table
    press(qtbot, window, Qt.Key.Key_F6)  # the attribute table, the bridges filtered
    pick(qtbot, table.layer_box, "bridge")
    type_into(qtbot, table.filter, "condition >= 3")
    qtbot.keyClick(table.filter, Qt.Key.Key_Return)
    bridges = _table_rows(qtbot, table)
    assert bridges[1].endswith(" of 60") and not bridges[1].startswith("60 ")

    feat.dock.raise_()  # a click on the litter bins' share in condition 4
    _click(qtbot, feat.widget.by_class, Pick("condition", {"layer": "litter_bin",
                                                           "condition": 4}))
    bins = stats.condition_members(window.store, layers=["litter_bin"], condition=4)
    assert window.selection.all() == bins
    press(qtbot, window, Qt.Key.Key_F6)
    name = f"Dashboard: {layer_name('litter_bin', 'en')}, condition 4"
    assert table.layer == "litter_bin" and table.filter.text() == name
    rows, count = _table_rows(qtbot, table)
    assert rows == set(bins["litter_bin"]) and count == f"{len(rows)} of 2,388"
    shots("drill-down", window)

    pick(qtbot, table.layer_box, "bridge")  # the user's filter, as they left it
    assert table.filter.text() == "condition >= 3" and _table_rows(qtbot, table) == bridges
    pick(qtbot, table.layer_box, "litter_bin")  # the drill-down until it is cleared
    assert table.filter.text() == name and _table_rows(qtbot, table)[0] == rows

    clear = next(b for b in table.filter.findChildren(QToolButton) if b.isVisible())
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)  # the box's clear button
    assert table.drill_down() is None and table.filter.text() == ""
    assert _table_rows(qtbot, table)[1] == "2,388 of 2,388"
    shots("drill-down-cleared", window)
    pick(qtbot, table.layer_box, "bridge")
    assert table.filter.text() == "condition >= 3" and _table_rows(qtbot, table) == bridges


def test_typing_over_a_drill_down_makes_it_the_users_filter(qtbot, dashboard):
    window, feat = dashboard
    table = window.installed_features["editing"].table
    _click(qtbot, feat.widget.by_class, Pick("condition", {"layer": "litter_bin",
                                                           "condition": 5}))
    press(qtbot, window, Qt.Key.Key_F6)
    assert table.drill_down() and _table_rows(qtbot, table)[1] == "113 of 2,388"
    type_into(qtbot, table.filter, "condition = 1")
    qtbot.keyClick(table.filter, Qt.Key.Key_Return)
    assert table.drill_down() is None and _table_rows(qtbot, table)[1] == "970 of 2,388"


def test_refreshed_after_a_change(qtbot, dashboard):
    window, feat = dashboard
    before = {r["state"]: r["orders"] for r in feat.widget.figures.orders_by_state}
    case = stats.orders.orders_by_uuid(
        window.store, stats.order_members(window.store, state="reported"))[0]["case_no"]
    workorders = window.installed_features["workorders"]
    assert workorders.move(case, "filed", "测试员", "dashboard test")  # an unsaved edit
    with qtbot.waitSignal(feat.widget.refreshed, timeout=30_000):  # the figures are the file's
        press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    after = {r["state"]: r["orders"] for r in feat.widget.figures.orders_by_state}
    assert after["reported"] == before["reported"] - 1
    assert after.get("filed", 0) == before.get("filed", 0) + 1


def test_hotspot_themes_on_the_canvas(qtbot, dashboard):
    window, feat = dashboard
    feat.theme_actions["poor_assets"].trigger()
    qtbot.waitUntil(lambda: feat.overlay.grid is not None, timeout=30_000)
    assert feat.overlay.grid == stats.hotspot_grid(window.store, "poor_assets")
    image = feat.overlay.grab().toImage()
    assert image.width() == window.canvas.width()
    feat.theme_actions[None].trigger()
    assert feat.overlay.grid is None


def test_monthly_report_from_the_app(qtbot, dashboard, tmp_path):
    window, feat = dashboard
    assert feat.report_action in window.menu("file").actions()
    out = tmp_path / "月报.pdf"
    feat.monthly_report({"month": "2026-11", "lang": "zh_CN", "path": str(out)})
    qtbot.waitUntil(lambda: out.exists(), timeout=60_000)
    feat.task.wait(30_000)
    assert out.stat().st_size > 10_000


def test_periods():
    today = dt.date(2026, 1, 15)
    assert period_for("last_month", today) == stats.Period.month("2025-12")
    assert period_for("last_3_months", today) == stats.Period(dt.date(2025, 11, 1),
                                                              dt.date(2026, 1, 31))
    assert period_for("all", today) == stats.Period()
    assert len(PERIODS) == 6


def test_translations_cover_the_feature():
    import ast
    import json
    from pathlib import Path

    from citymgr_desktop.core.resources import translations_dir
    from tests.core.source_support import call_name

    root = Path(__file__).resolve().parents[2]
    zh = json.loads((translations_dir("zh_CN") / "dashboard.json").read_text("utf-8"))
    report = json.loads((translations_dir("zh_CN") / "report.json").read_text("utf-8"))
    ui_sources, report_sources = set(), set()
    for folder, sources in (("ui/dashboard", ui_sources), ("export/report", report_sources)):
        for path in (root / "citymgr_desktop" / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.Call) and call_name(node.func) == "tr" and node.args \
                        and isinstance(node.args[0], ast.Constant) \
                        and isinstance(node.args[0].value, str):
                    sources.add(node.args[0].value)
    from citymgr_desktop.export.report.pdf import KEY_LABELS
    from citymgr_desktop.export.report.tables import HEADINGS

    report_sources |= set(KEY_LABELS.values()) | set(HEADINGS.values())
    assert not sorted(s for s in ui_sources if s not in zh)
    assert not sorted(s for s in report_sources if s not in report)


def test_chinese_interface(qtbot, window_in, district, shots):
    w = window_in("zh_CN")
    feat = w.installed_features["dashboard"]
    assert feat.dock.windowTitle() == "统计看板"
    assert feat.report_action.text() == "月报…"
    with qtbot.waitSignal(w.mapLoaded, timeout=30_000):
        w.open_file(district)
    feat.widget.now = NOW
    feat.dock.show()
    feat.dock.raise_()
    qtbot.waitUntil(lambda: feat.widget.figures is not None, timeout=30_000)
    assert feat.widget.model.headerData(6, Qt.Orientation.Horizontal) == "按期处置率"
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=30_000)
    _click(qtbot, feat.widget.by_class, Pick("condition", {"layer": "litter_bin",
                                                           "condition": 4}))
    press(qtbot, w, Qt.Key.Key_F6)
    table = w.installed_features["editing"].table
    assert table.filter.text() == "统计看板：垃圾箱，技术状况 4"
    assert _table_rows(qtbot, table)[1] == "209 / 共 2,388"
    shots("drill-down-zh", w)
    feat._before_close()


def test_view_dashboard_brings_it_to_the_front_at_a_readable_height(qtbot, opened_window):
    """Opened by its shortcut (View > Dashboard) it is the tab shown, not behind the work
    orders' tab, and tall enough for its charts (it came up ~100 px tall, cut off)."""
    window = opened_window
    window.resize(1440, 900)
    feat = window.installed_features["dashboard"]
    orders = window.dock("workorders_dock")
    feat.dock.hide()
    orders.show()
    orders.raise_()
    press(qtbot, window, Qt.Key.Key_D,
          Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(feat.dock.isVisible)
    qtbot.waitUntil(lambda: not feat.dock.visibleRegion().isEmpty())
    qtbot.waitUntil(lambda: feat.dock.height() >= 300)
    qtbot.waitUntil(lambda: feat.widget.figures is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=30_000)
    feat._before_close()


def test_a_running_month_and_small_classes_read_truly(qtbot, dashboard):
    """The month under way is marked "to date" (a month 20 days old is not a collapse), a
    click on its point still picks it; each class is shown as shares of itself with its
    count under its name, so 60 bridges are as readable as 2,400 bins; the period line says
    how long the figures took to show and when no order is due."""
    window, feat = dashboard
    widget = feat.widget
    ax = widget.records.figure.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[-1] == "26-11\nto date" and ticks[-2] == "26-10"
    months = widget.figures.month_labels()
    _click(qtbot, widget.records, Pick("records", {"months": months}), index=len(months) - 1)
    assert window.selection.all() == stats.record_members(window.store, month="2026-11")

    rows = widget.figures.condition_by("layer")
    bars = widget.by_class.figure.axes[0].patches
    for k, row in enumerate(rows):
        heights = [b.get_height() for b in bars[k::len(rows)]]
        assert sum(heights) == pytest.approx(100.0)
        assert heights[0] == pytest.approx(100 * row.conditions[0] / row.assets)
    names = [t.get_text() for t in widget.by_class.figure.axes[0].get_xticklabels()]
    assert all(n.endswith(f"({r.assets:,})") for n, r in zip(names, rows, strict=True))

    info = widget.info.text()
    assert "2026-11 (to 2026-11-20)" in info and "ready in" in info
    widget.period.setCurrentIndex(PERIODS.index("last_month"))  # a month that is over
    qtbot.waitUntil(lambda: not widget.is_refreshing() and "to 2026" not in
                    widget.info.text(), timeout=30_000)
    ticks = [t.get_text() for t in widget.records.figure.axes[0].get_xticklabels()]
    assert widget.info.text().startswith("2026-10") and ticks[-1] == "26-10"
    assert widget.orders.figure.axes[0].get_title() == "Work orders by state on 2026-10-31"


def _in_view(dock) -> bool:
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def test_a_drill_down_brings_the_table_forward_and_esc_ends_it(qtbot, dashboard, shots):
    """A click on a figure lists its assets in the attribute table, so the table comes to the
    front from behind the dashboard's tab (it stayed hidden there); beside the dashboard it
    stays put; Esc in its filter box ends the drill-down as the clear button does."""
    window, feat = dashboard
    table = window.installed_features["editing"].table
    table_dock = window.dock("attribute_table_dock")
    press(qtbot, window, Qt.Key.Key_F6)
    assert table_dock in window.tabifiedDockWidgets(feat.dock)  # one tab each
    feat.dock.raise_()
    qtbot.waitUntil(lambda: not _in_view(table_dock))
    bins = Pick("condition", {"layer": "litter_bin", "condition": 4})
    _click(qtbot, feat.widget.by_class, bins)
    qtbot.waitUntil(lambda: _in_view(table_dock))
    assert table.filter.text() == f"Dashboard: {layer_name('litter_bin', 'en')}, condition 4"
    assert _table_rows(qtbot, table)[1] == "209 of 2,388"
    shots("table-in-front", window)

    table.filter.setFocus()
    qtbot.keyClick(table.filter, Qt.Key.Key_Escape)
    assert table.drill_down() is None and table.filter.text() == ""
    assert _table_rows(qtbot, table)[1] == "2,388 of 2,388"

    window.removeDockWidget(table_dock)  # side by side: both in view
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, table_dock)
    table_dock.show()
    qtbot.waitUntil(lambda: _in_view(table_dock) and _in_view(feat.dock))
    _click(qtbot, feat.widget.by_class, bins)
    assert table.drill_down() and _in_view(table_dock) and _in_view(feat.dock)
    shots("side-by-side", window)


def test_a_double_clicked_order_is_named_by_its_case_number(qtbot, dashboard):
    window, feat = dashboard
    table = window.installed_features["editing"].table
    _click(qtbot, feat.widget.orders, Pick("orders", {"state": "dispatched"}))
    orders = feat.widget.order_list
    case_no = orders.item(0, 0).text()
    pos = orders.visualItemRect(orders.item(0, 0)).center()
    qtbot.mouseClick(orders.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(orders.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert table.filter.text() == f"Dashboard: work order {case_no}"
    assert window.statusBar().currentMessage().endswith(f": work order {case_no}")
