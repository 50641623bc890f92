"""The dashboard and the hot-spot themes on a PostGIS database (issue 14): the figures in the
dock are those of the file the database was published from, a real click on a bar selects
the assets behind it, the hot-spot theme draws the database's grid, and File > Monthly
report writes the PDF from the database. Runs on the throwaway cluster of ``tests/pg``."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt

from citymgr_desktop.core import stats
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.report.charts import Pick
from tests.pg.conftest import pg_cluster, pg_url, published  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow
NOW = dt.datetime(2026, 11, 20, 12, 0)


@pytest.fixture
def db_dashboard(qtbot, main_window, published):  # noqa: F811
    with qtbot.waitSignal(main_window.mapLoaded, timeout=60_000):
        assert main_window.open_file(published)
    qtbot.waitUntil(main_window.canvas.is_settled, timeout=30_000)
    feat = main_window.installed_features["dashboard"]
    feat.widget.now = NOW
    feat.dock.toggleViewAction().trigger()  # View > Dashboard
    feat.dock.raise_()
    qtbot.waitUntil(lambda: feat.widget.figures is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not feat.widget.is_refreshing(), timeout=60_000)
    yield main_window, feat
    feat._before_close()


def test_the_dashboard_on_a_database_shows_the_files_figures(qtbot, db_dashboard,
                                                              small_district, shots):
    window, feat = db_dashboard
    assert window.store.is_database and feat.report_action.isEnabled()
    figs = feat.widget.figures
    period = feat.widget.current_period()
    with Store.open(small_district, read_only=True) as file_store:
        assert figs.condition_by("district") == stats.condition_table(file_store,
                                                                      ("district",))
        assert figs.evaluation == stats.evaluation(file_store, period, now=NOW)
        assert figs.orders_by_state == stats.order_counts(file_store, ("state",))
    shots("dashboard", window)
    district = "粮道街道"
    pick = Pick("condition", {"district": district, "condition": 4})
    x, y = feat.widget.by_district.artist_centre(pick, 0)
    with qtbot.waitSignal(window.selection.changed, timeout=5000):
        qtbot.mouseClick(feat.widget.by_district, Qt.MouseButton.LeftButton,
                         pos=QPoint(round(x), round(y)))
    assert window.selection.all() == stats.condition_members(window.store, district=district,
                                                             condition=4)
    row = next(r for r in figs.condition_by("district") if r.district == district)
    assert window.selection.count() == row.conditions[3] > 0


def test_hotspot_themes_and_the_monthly_report_on_a_database(qtbot, db_dashboard, tmp_path,
                                                             shots):
    window, feat = db_dashboard
    assert feat.theme_actions["poor_assets"].isEnabled()
    feat.theme_actions["poor_assets"].trigger()  # View > Map theme > Poor assets
    qtbot.waitUntil(lambda: feat.overlay.grid is not None, timeout=30_000)
    assert feat.overlay.grid == stats.hotspot_grid(window.store, "poor_assets")
    assert feat.overlay.grid.total > 0
    shots("hotspots", window)
    feat.theme_actions[None].trigger()
    assert feat.overlay.grid is None
    out = tmp_path / "月报.pdf"
    feat.monthly_report({"month": "2026-10", "lang": "zh_CN", "path": str(out)})
    qtbot.waitUntil(lambda: out.exists(), timeout=90_000)
    feat.task.wait(30_000)
    assert out.stat().st_size > 10_000
