"""The dashboard's charts and table are built the first time its dock is shown, not at
start-up (issue 18: matplotlib is not read while the dashboard is closed): View > Dashboard
after the file is open shows the file's figures in a dock of readable height, and a click
on a chart part selects the assets behind it, as when the dashboard was built at start."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from citymgr_desktop.core import stats
from citymgr_desktop.export.report.charts import Pick
from citymgr_desktop.ui.dashboard.dashboard_widget import DashboardWidget
from tests.ui.driver import menu_item


def test_view_dashboard_builds_the_charts_when_first_shown(qtbot, opened_window):
    window = opened_window
    feat = window.installed_features["dashboard"]
    assert not feat.dock.isVisible()
    assert not isinstance(feat.dock.widget(), DashboardWidget)  # nothing built yet
    menu_item(qtbot, window, "view", "Dashboard")
    qtbot.waitUntil(lambda: isinstance(feat.dock.widget(), DashboardWidget), timeout=10_000)
    widget = feat.dock.widget()
    qtbot.waitUntil(lambda: widget.figures is not None and not widget.is_refreshing(),
                    timeout=30_000)
    assert widget.isVisible() and feat.dock.height() >= 300
    district = window.store.districts()[0]
    x, y = widget.by_district.artist_centre(Pick("condition", {"district": district,
                                                               "condition": 4}), 0)
    with qtbot.waitSignal(window.selection.changed, timeout=5000):
        qtbot.mouseClick(widget.by_district, Qt.MouseButton.LeftButton,
                         pos=QPoint(round(x), round(y)))
    assert window.selection.all() == stats.condition_members(window.store, district=district,
                                                              condition=4)
    feat._before_close()
