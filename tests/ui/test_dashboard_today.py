"""The first-time user's trial in the real window (Chinese): an order opened today, repaired
and closed today shows at once in the dashboard's evaluation table of this month (due, on
time, closed), not only after its deadline has passed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from citymgr_desktop.core.clock import OFFICE_TZ, office_today, parse_iso
from citymgr_desktop.core.workorders import orders as wo
from tests.ui.driver import pick


def test_an_order_closed_today_shows_on_the_dashboard(window_in, district, qtbot):
    window = window_in("zh_CN", district)
    store = window.store
    with store.session():
        bin_uuid = store.conn.execute(
            "SELECT asset_uuid FROM litter_bin ORDER BY fid LIMIT 1").fetchone()[0]
    done = wo.create_order(store, wo.OrderSpec("箱体破损", 3, [("litter_bin", bin_uuid)],
                                               assignee="试用一队"), "trial")
    for to in ("filed", "dispatched", "in_progress", "resolved", "checked", "closed"):
        wo.move_order(store, done["case_no"], to, "trial", "修复")
    feat = window.installed_features["dashboard"]
    feat.dock.show()
    feat.dock.raise_()
    qtbot.waitUntil(lambda: feat.widget.figures is not None, timeout=30_000)
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=30_000)
    # 本月, as the user had it; at a month's end the deadline may fall in the next month
    deadline_month = parse_iso(done["deadline"]).astimezone(OFFICE_TZ).strftime("%Y-%m")
    if deadline_month == office_today().strftime("%Y-%m"):
        qtbot.mouseClick(feat.widget.refresh_button, Qt.MouseButton.LeftButton)
    else:
        pick(qtbot, feat.widget.period, "all")
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=30_000)
    model = feat.widget.model
    rows = {model.index(r, 0).data(): [model.index(r, c).data() for c in range(1, 5)]
            for r in range(model.rowCount())}
    # 应处置数, 按期处置数, 超期数, 结案数
    assert rows.get("试用一队") == ["1", "1", "0", "1"], rows
    assert "本期没有到期的工单" not in feat.widget.info.text()
    feat._before_close()
