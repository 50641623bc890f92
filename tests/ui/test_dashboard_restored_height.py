"""A dashboard dock height remembered from an older version, lower than the charts need
(they scrolled: the 街道 chart's names and the classes under the bars a scroll away), grows on
the next start until the four charts are whole; a height that holds them is kept. The real
window, its layout saved in the (test's own) QSettings by closing it, then a new window."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from citymgr_desktop.ui.shell.main_window import MainWindow

NOW = dt.datetime(2026, 11, 20, 12, 0)


def _remember_dashboard_height(qtbot, height: int) -> None:
    """Close a window whose dashboard is docked ``height`` px high: its state is saved."""
    first = MainWindow()
    first.resize(1600, 1000)
    first.show()
    qtbot.waitExposed(first)
    feat = first.installed_features["dashboard"]
    feat.dock.show()
    feat.dock.raise_()
    qtbot.waitUntil(feat.dock.isVisible)
    qtbot.wait(200)  # the dock layout follows the resize
    first.resizeDocks([feat.dock], [height], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: abs(feat.dock.height() - height) <= 30, timeout=5000)
    first.close()


def _whole(chart) -> bool:
    return chart.visibleRegion().boundingRect() == chart.rect()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_low_remembered_dashboard_grows_until_its_charts_are_whole(qtbot, window_in,
                                                                     district, lang):
    from citymgr_desktop.ui import i18n

    i18n.install(lang)
    _remember_dashboard_height(qtbot, 190)
    window = window_in(lang, district, size=(1600, 1000))
    feat = window.installed_features["dashboard"]
    qtbot.waitUntil(feat.dock.isVisible, timeout=10_000)
    qtbot.waitUntil(lambda: feat._widget is not None and feat.widget.figures is not None,
                    timeout=30_000)
    w = feat.widget
    qtbot.waitUntil(lambda: not w.is_refreshing() and all(c.has_chart() for c in w.charts()),
                    timeout=30_000)
    qtbot.waitUntil(lambda: all(_whole(c) for c in w.charts()), timeout=5000)
    assert w.scroll.verticalScrollBar().value() == 0
    assert feat.dock.height() <= window.height() * 3 // 5
    feat._before_close()


def test_a_remembered_height_that_holds_the_charts_is_kept(qtbot, window_in, district):
    _remember_dashboard_height(qtbot, 450)
    window = window_in("zh_CN", district, size=(1600, 1000))
    feat = window.installed_features["dashboard"]
    qtbot.waitUntil(lambda: feat._widget is not None and feat.widget.figures is not None,
                    timeout=30_000)
    w = feat.widget
    qtbot.waitUntil(lambda: not w.is_refreshing() and all(c.has_chart() for c in w.charts()),
                    timeout=30_000)
    qtbot.wait(700)  # past the fits after drawing
    assert all(_whole(c) for c in w.charts())
    assert abs(feat.dock.height() - 450) <= 30, feat.dock.height()
    feat._before_close()
