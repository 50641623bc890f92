"""The dashboard's period (trial 11): any of the recent months can be chosen, as in the
monthly report, and the choice is kept; the orders chart of a past period reads "on DAY";
with no file open all four charts say "no data" under the period's titles; the period list
and Refresh stay put as the status text beside them changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QAction

from citymgr_desktop.core.stats import Period
from tests.ui.driver import menu_item, pick
from tests.ui.test_dashboard import NOW, show_dashboard


def _title(chart) -> str:
    return chart.figure.axes[0].get_title()


def _texts(chart) -> list[str]:
    return [t.get_text() for ax in chart.figure.axes for t in ax.texts]


def _choose(qtbot, widget, key: str) -> None:
    pick(qtbot, widget.period, key)
    qtbot.waitUntil(lambda: not widget.is_refreshing() and widget.figures is not None
                    and widget.figures.period == widget.current_period(), timeout=30_000)


def test_an_earlier_month_can_be_chosen_and_is_kept(qtbot, window_in, district):
    w = window_in("en", district)
    feat = show_dashboard(qtbot, w)
    widget = feat.widget
    _choose(qtbot, widget, "2026-09")
    assert widget.figures.period == Period.month("2026-09")
    assert widget.info.text().startswith("2026-09 · ready in")
    assert _title(widget.orders) == "Work orders by state on 2026-09-30"
    assert widget.figures.month_labels()[-1] == "2026-09"
    assert QSettings().value("dashboard/period") == "2026-09"
    feat._before_close()

    again = window_in("en")  # a new window (as after a restart) shows the month chosen
    assert again.installed_features["dashboard"].widget.period.currentData() == "2026-09"


@pytest.mark.parametrize("lang, empty, title", [
    ("en", "No data for this period", "Work orders by state on 2026-10-31"),
    ("zh_CN", "本期无数据", "截至2026-10-31各状态工单数")])
def test_with_no_file_the_four_charts_say_no_data_under_the_periods_titles(
        qtbot, window_in, district, lang, empty, title):
    w = window_in(lang, district)
    feat = show_dashboard(qtbot, w)
    widget = feat.widget
    _choose(qtbot, widget, "last_month")
    menu_item(qtbot, w, "file", w.findChild(QAction, "action_close").text())
    qtbot.waitUntil(lambda: w.store is None, timeout=10_000)
    for chart in widget.charts():
        assert _texts(chart) == [empty], chart.objectName()
    assert _title(widget.orders) == title


def test_the_period_list_and_refresh_stay_put_as_the_status_changes(qtbot, window_in,
                                                                    district):
    w = window_in("en", district, size=(1400, 900))
    feat = show_dashboard(qtbot, w)
    widget = feat.widget
    texts, places = [], []
    for key in ("this_month", "all", "last_month", "last_12_months"):
        if widget.period.currentData() != key:
            _choose(qtbot, widget, key)
        qtbot.wait(50)  # the layout after the text changed
        texts.append(widget.info.text())
        places.append(tuple(c.mapTo(w, QPoint(0, 0)).x() for c in
                            (widget.period, widget.refresh_button, widget.info)))
    assert len({len(t) for t in texts}) > 1, texts
    assert len(set(places)) == 1, list(zip(texts, places, strict=True))
    assert widget.info.toolTip() == texts[-1]  # whole, where it is elided
    feat._before_close()


def test_the_month_is_the_figures_of_that_month_at_its_end(qtbot, window_in, district):
    """A chosen month is the same period as the report's month (its figures as of its end),
    not the running one."""
    w = window_in("en", district)
    feat = show_dashboard(qtbot, w, now=NOW)
    widget = feat.widget
    _choose(qtbot, widget, "2026-10")
    assert widget.figures.orders_on().isoformat() == "2026-10-31"
    assert "to 2026" not in widget.info.text()
    feat._before_close()
