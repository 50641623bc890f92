"""The dashboard panel: condition by class and by 街道 (stacked bars), records and cost per
month (lines), work orders by state (bars), the evaluation of the assignees (table) and the
orders behind the last click. Figures are computed in a worker thread on a reader store;
every chart part and table cell can be clicked (``picked``) to select what is behind it.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.clock import format_local, office_today, utcnow
from citymgr_desktop.core.stats import DashboardFigures, Period
from citymgr_desktop.core.stats.dashboard import twelve_months_to
from citymgr_desktop.export.report import charts
from citymgr_desktop.export.report.text import assignee_name, state_name
from citymgr_desktop.ui.dashboard.chart_canvas import ChartCanvas
from citymgr_desktop.ui.dashboard.evaluation_model import EvaluationModel
from citymgr_desktop.ui.dashboard.figures_thread import FiguresThread
from citymgr_desktop.ui.dashboard.report_dialog import recent_months
from citymgr_desktop.ui.widgets.elided_label import ElidedLabel

CHART_WIDTH = 290  # pixels a chart needs across for its names and legend (one row of four)
PERIODS = ("this_month", "last_month", "last_3_months", "this_year", "last_12_months", "all")
PERIOD_KEY = "dashboard/period"  # the last choice (a key of PERIODS or a month, YYYY-MM)


def period_for(key: str, today: dt.date) -> Period:
    """The period a choice of the combo box means on ``today`` (office time): a key of
    ``PERIODS`` or one calendar month (``2026-10``, the months listed after them)."""
    if key not in PERIODS and key is not None:
        return Period.month(key)
    month = Period.month(today.strftime("%Y-%m"))
    if key == "this_month":
        return month
    if key == "last_month":
        return month.previous_month()
    if key == "last_3_months":
        first = month.previous_month().previous_month().first
        return Period(first, month.last)
    if key == "this_year":
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if key == "last_12_months":
        return twelve_months_to(today)
    return Period()


class DashboardWidget(QWidget):
    """The figures of the open file; ``picked(Pick, index)`` after a click on a chart part,
    ``figurePicked(assignee, figure)`` after a click on the evaluation table."""

    picked = Signal(object, int)
    figurePicked = Signal(object, str)
    orderActivated = Signal(str)  # work_order_uuid of a double-clicked order
    refreshed = Signal(object)  # DashboardFigures

    def __init__(self, lang: str = "en", parent: QWidget | None = None,
                 now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.lang, self.now = lang, now
        self.path: Any = None
        self.figures: DashboardFigures | None = None
        self._thread: FiguresThread | None = None
        self._again = False
        self._started = 0.0
        self.last_seconds = 0.0

        self.period = QComboBox(objectName="dashboardPeriod")
        for key, text in zip(PERIODS, (self.tr("This month"), self.tr("Last month"),
                                       self.tr("Last 3 months"), self.tr("This year"),
                                       self.tr("Last 12 months"), self.tr("All time")),
                             strict=True):
            self.period.addItem(text, key)
        self.period.insertSeparator(len(PERIODS))
        for month in recent_months(office_today(now or utcnow())):  # as the monthly report's
            self.period.addItem(month, month)
        self.period.setMaxVisibleItems(len(PERIODS) + 13)
        remembered = self.period.findData(QSettings().value(PERIOD_KEY, PERIODS[0]))
        self.period.setCurrentIndex(max(remembered, 0))
        self.period.currentIndexChanged.connect(self._period_chosen)
        self.refresh_button = QPushButton(self.tr("Refresh"), objectName="dashboardRefresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.info = ElidedLabel()
        self.info.setObjectName("dashboardInfo")
        self.info.setStyleSheet("color: #555555")
        # a width of its own, the text elided in it (whole in the tooltip): the corner's
        # width stays the same, so the period list and Refresh do not move as it changes
        self.info.setMinimumWidth(self.info.fontMetrics().averageCharWidth() * 44)
        top_box = QWidget(objectName="dashboardTop")
        top = QHBoxLayout(top_box)
        top.setContentsMargins(12, 0, 0, 2)
        top.addWidget(QLabel(self.tr("Period:")))
        top.addWidget(self.period)
        top.addWidget(self.refresh_button)
        top.addWidget(self.info, 1)

        self.by_class = ChartCanvas("chartConditionByClass", self)
        self.by_district = ChartCanvas("chartConditionByDistrict", self)
        self.records = ChartCanvas("chartRecords", self)
        self.orders = ChartCanvas("chartOrders", self)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        for chart in self.charts():
            chart.picked.connect(self.picked)
        self.columns = 0  # the charts per row (:meth:`_arrange`)
        charts_box = QWidget()
        charts_box.setLayout(self.grid)

        self.model = EvaluationModel(lang, self)
        self.table = QTableView(objectName="evaluationTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.clicked.connect(self._table_clicked)
        self.order_title = QLabel(self.tr("Click a chart or a figure of the table to list "
                                          "what is behind it."))
        self.order_title.setWordWrap(True)
        self.order_list = QTableWidget(0, 5, objectName="dashboardOrders")
        self.order_list.setHorizontalHeaderLabels([
            self.tr("Case No."), self.tr("Title"), self.tr("State"), self.tr("Disposal unit"),
            self.tr("Deadline")])
        self.order_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.order_list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.order_list.verticalHeader().setVisible(False)
        self.order_list.horizontalHeader().setStretchLastSection(True)
        self.order_list.cellDoubleClicked.connect(self._order_double_clicked)
        self.side = QWidget(objectName="dashboardEvaluation")
        side_layout = QVBoxLayout(self.side)
        side_layout.addWidget(self.table, 2)
        side_layout.addWidget(self.order_title)
        side_layout.addWidget(self.order_list, 3)

        # the charts in a scroll area (the dock may be made small, and its minimum size
        # never holds the main window open wider than the screen); the height they need is
        # their layout's (a fixed minimum squeezed the sub-district chart under the row
        # below). The evaluation table and the orders behind a click are the second page:
        # beside the charts they left each chart too narrow, or a row a scroll away.
        scroll = QScrollArea(objectName="dashboardScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(charts_box)
        self.scroll = scroll
        self.pages = QTabWidget(objectName="dashboardPages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(scroll, self.tr("Charts"))
        self.pages.addTab(self.side, self.tr("Evaluation of the disposal units"))
        self.pages.setCornerWidget(top_box, Qt.Corner.TopRightCorner)  # beside the tabs
        self.pages.setMinimumHeight(120)  # not the evaluation page's: the dock stays small
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)  # the height is the charts'
        layout.addWidget(self.pages, 1)
        self._arrange()
        self._show_empty()

    def charts(self) -> tuple[ChartCanvas, ...]:
        return (self.by_class, self.by_district, self.records, self.orders)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """The four charts in one row where they have the width (docked below the map, the
        default), else two rows of two (a floating or side dock): each chart whole in its
        cell, its legend and names inside it."""
        columns = 4 if self.width() >= 4 * CHART_WIDTH else 2
        if columns == self.columns:
            return
        self.columns = columns
        for chart in self.charts():
            self.grid.removeWidget(chart)
        for k, chart in enumerate(self.charts()):
            self.grid.addWidget(chart, k // columns, k % columns)
        stretch = (5, 5, 6, 5) if columns == 4 else (1, 1, 0, 0)
        for column, factor in enumerate(stretch):
            self.grid.setColumnStretch(column, factor)

    def top_row_shortfall(self) -> int:
        """How many pixels the scroll area lacks to show the top row of charts whole (the
        names under the left chart's bars are at its bottom); 0 when it shows them."""
        content = self.scroll.widget()
        bottom = max(c.mapTo(content, QPoint(0, max(c.height(), c.minimumHeight()))).y()
                     for c in (self.by_class, self.by_district))
        return max(0, bottom - self.scroll.viewport().height())

    # -- the file and the period -------------------------------------------------------------
    def current_period(self) -> Period:
        return period_for(self.period.currentData(), office_today(self.now or utcnow()))

    def _say(self, text: str) -> None:
        self.info.setText(text)
        self.info.setToolTip(text)

    def _period_chosen(self, _index: int) -> None:
        QSettings().setValue(PERIOD_KEY, self.period.currentData())
        self.refresh()

    def set_store(self, store: Any, period: Period | None = None) -> None:
        """Show the figures of ``store`` (None: nothing); ``period`` fixes the period (the
        combo box stays as it is; for the benchmark and tests)."""
        self.path = None if store is None else store.path
        self._open_reader = None if store is None else store.reader
        self._fixed = period
        self.figures = None
        if store is None:
            self._show_empty()
        else:
            self.refresh()

    def refresh(self) -> None:
        """Compute the figures again in the worker thread (one at a time; a request while
        one runs is done right after it)."""
        if self.path is None:
            self._show_empty()  # the orders chart's title follows the period
            return
        if self._thread is not None:
            self._again = True
            return
        self._started = time.perf_counter()
        period = getattr(self, "_fixed", None) or self.current_period()
        self._say(self.tr("Computing…"))
        self._thread = FiguresThread(self._open_reader, period, self.now)
        self._thread.done.connect(self._done)
        self._thread.failed.connect(self._failed)
        self._thread.start()

    def is_refreshing(self) -> bool:
        return self._thread is not None or self._again

    def shutdown(self) -> None:
        """Wait for the worker (before the widget or the file goes away)."""
        if self._thread is not None:
            self._thread.wait(30_000)

    def _next(self) -> None:
        self._thread = None
        if self._again:
            self._again = False
            self.refresh()

    def _failed(self, thread: FiguresThread, message: str) -> None:
        if thread is not self._thread:
            return
        self._say(self.tr("The figures could not be computed: %1").replace(
            "%1", message))
        self._next()

    def _done(self, thread: FiguresThread, figs: DashboardFigures) -> None:
        if thread is not self._thread:
            return
        if self._again or self.path is None:  # stale: a newer request or no file any more
            self._next()
            return
        self.show_figures(figs)
        self.last_seconds = time.perf_counter() - self._started  # computed and drawn
        label = figs.period.label
        today = office_today(self.now or utcnow())
        first, last = figs.period.first, figs.period.last
        if first is not None and last is not None and first <= today <= last:
            label = self.tr("%1 (to %2)").replace("%1", label).replace(
                "%2", today.isoformat())
        text = self.tr("%1 · ready in %2 s").replace("%1", label).replace(
            "%2", f"{self.last_seconds:.1f}")
        if not any(r.due for r in figs.evaluation):
            text += " · " + self.tr("no work orders due in this period")
        self._say(text)
        self._next()
        self.refreshed.emit(figs)

    # -- showing ------------------------------------------------------------------------------
    def show_figures(self, figs: DashboardFigures) -> None:
        self.figures = figs
        lang = self.lang
        self.by_class.show_chart(charts.condition_chart, figs.condition_by("layer"), "layer",
                                 lang)
        districts = figs.condition_by("district")
        self.by_district.setMinimumHeight(charts.district_chart_height(len(districts)))
        self._arrange()
        self.by_district.show_chart(charts.condition_chart, districts, "district", lang)
        months = figs.month_labels()
        running = office_today(self.now or utcnow()).strftime("%Y-%m")
        self.records.show_chart(charts.records_chart, figs.records_by_month, months, lang,
                                running if months and months[-1] == running else None)
        self.orders.show_chart(charts.orders_chart, figs.orders_by_state, lang,
                               figs.orders_on())
        self.model.set_rows(figs.evaluation)

    def _show_empty(self) -> None:
        """No figures: charts that show some are emptied (blank ones are left alone, so an
        unused dashboard costs nothing when files are opened and closed). Each says "no
        data", under the title it has for the chosen period."""
        period = self.current_period()
        on = period.last if period.ended_utc(self.now) is not None else None
        lang = self.lang
        for chart, fn, args in (
                (self.by_class, charts.condition_chart, ([], "layer", lang)),
                (self.by_district, charts.condition_chart, ([], "district", lang)),
                (self.records, charts.records_chart, ([], [], lang)),
                (self.orders, charts.orders_chart, ([], lang, on))):
            if chart.has_chart():
                chart.show_chart(fn, *args)
        self.model.set_rows([])
        self._say(self.tr("No file is open.") if self.path is None else "")

    def _table_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        row = self.model.rows[index.row()]
        figure = self.model.figure_at(index)
        self.figurePicked.emit("*" if self.model.is_total(index.row()) else row.assignee,
                               figure)

    def show_orders(self, title: str, rows: list[dict[str, Any]]) -> None:
        """List orders (from ``core.stats.orders.orders_by_uuid``) under ``title``, on the
        page of the evaluation (brought forward)."""
        self.pages.setCurrentWidget(self.side)
        self.order_title.setText(title)
        self.order_list.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = [r["case_no"], r["title"] or "", state_name(r["state"], self.lang),
                      assignee_name(r["assignee"], self.lang), format_local(r["deadline"])]
            for j, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setData(Qt.ItemDataRole.UserRole, r["work_order_uuid"])
                if r.get("overdue"):
                    item.setForeground(QColor("#c0392b"))
                self.order_list.setItem(i, j, item)

    def _order_double_clicked(self, row: int, _col: int) -> None:
        item = self.order_list.item(row, 0)
        if item is not None:
            self.orderActivated.emit(item.data(Qt.ItemDataRole.UserRole))
