"""The dashboard in the main window: a dock with the charts and the evaluation table (View >
Dashboard, Ctrl+Shift+D), the hot-spot map themes (View > Map theme), and File > Monthly
report… (Ctrl+Shift+R). A click on a chart or a table figure selects the assets behind it on
the map (the window's selection), lists them in the attribute table under the figure's name
(a drill-down the user clears; their own filters are kept) and lists the orders behind it.
The figures are recomputed off the UI thread after every change of the data (save, sync,
work-order moves), while the dock is visible. The dock's charts and table (matplotlib) are
built the first time the dock is shown: a start with the dashboard closed does not import
matplotlib (a second or more on a busy office PC)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from PySide6.QtCore import QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QTabBar, QWidget

from citymgr_desktop.core import stats
from citymgr_desktop.core.clock import office_today, utcnow
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.stats.dashboard import reported_by
from citymgr_desktop.core.stats.orders import order_assets, orders_by_uuid
from citymgr_desktop.core.store import Store
from citymgr_desktop.export.report.text import assignee_name, layer_name, state_name
from citymgr_desktop.ui.dashboard.hotspot_overlay import HotspotOverlayWidget
from citymgr_desktop.ui.dashboard.report_dialog import ReportDialog
from citymgr_desktop.ui.i18n import language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import run_task, show_error

if TYPE_CHECKING:
    from citymgr_desktop.export.report.charts import Pick
    from citymgr_desktop.ui.dashboard.dashboard_widget import DashboardWidget

ORDER = 75
TABLES = {t.name for t in sc.ASSET_TABLES} | {"maintenance_record", "work_order",
                                               "work_order_asset", "work_order_event"}
MAX_SELECTION = 200_000


def _counted(store: Any) -> bool:
    """Whether the dashboard counts this project: an asset project, in a file or a
    database (the statistics ask the store, docs/statistics.md)."""
    return store is not None and store.is_asset_project()


def _hotspot_grid(open_reader: Callable[[], Any], kind: str, progress: Any
                  ) -> stats.HotspotGrid:
    progress.update(0, 1)
    with open_reader() as reader:  # the worker's own connection (store.reader())
        return stats.hotspot_grid(reader, kind)


def _write_report(open_reader: Callable[[], Any], month: str, out: str, lang: str, data: Any,
                  author: str, progress: Any) -> dict[str, Any]:
    from citymgr_desktop.export.report.pdf import export_monthly_report

    with open_reader() as reader:
        return export_monthly_report(reader, month, out, lang=lang, data=data, author=author,
                                     progress=progress)


class DashboardFeature(QObject):
    """Dock, map themes and the monthly report for one main window."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self._widget: DashboardWidget | None = None  # built when first needed (``widget``)
        self._lang = language()
        self.dock = window.add_dock(QWidget(), Qt.DockWidgetArea.BottomDockWidgetArea,
                                    "dashboard_dock")
        self.dock.setWindowTitle(self.tr("Dashboard"))
        orders_dock = window.dock("workorders_dock")
        if orders_dock is not None and window.dockWidgetArea(orders_dock) == \
                window.dockWidgetArea(self.dock) and not window.tabifiedDockWidgets(self.dock):
            window.tabifyDockWidget(orders_dock, self.dock)
            orders_dock.raise_()
        settings = QSettings()
        if not settings.value("dashboard/installed", False, type=bool):
            # closed until asked for the first time (View > Dashboard): it costs nothing
            # then, and its charts never crowd a small screen; later runs restore the layout
            self.dock.hide()
            settings.setValue("dashboard/installed", True)
        toggle = self.dock.toggleViewAction()
        toggle.setText(self.tr("Dashboard"))
        toggle.setShortcut(QKeySequence("Ctrl+Shift+D"))
        window.menu("view").addAction(toggle)
        toggle.triggered.connect(self._opened_by_the_user)
        self.theme_menu = window.menu("view").addMenu(self.tr("Map theme"))
        self.themes = QActionGroup(self)
        self.theme_actions: dict[str | None, QAction] = {}
        for key, text in ((None, self.tr("Condition (no theme)")),
                          ("open_cases", self.tr("Hot spots: open cases")),
                          ("poor_assets", self.tr("Hot spots: assets in condition 4-5"))):
            action = QAction(text, self.window, checkable=True)
            action.setData(key)
            action.triggered.connect(lambda _c=False, k=key: self.set_theme(k))
            self.themes.addAction(action)
            self.theme_menu.addAction(action)
            self.theme_actions[key] = action
        self.theme_actions[None].setChecked(True)
        self.report_action = QAction(self.tr("Monthly report…"), self.window)
        self.report_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.report_action.triggered.connect(lambda _c=False: self.monthly_report())
        window.menu("file").addAction(self.report_action)

        self.overlay = HotspotOverlayWidget(window.canvas)
        self.theme: str | None = None
        self.task = None
        self._dirty = True
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self._refresh_if_visible)
        self.dock.visibilityChanged.connect(self._visibility_changed)
        window.storeChanged.connect(self._store_changed)
        window.dataChanged.connect(self._data_changed)
        window.add_close_guard(self._before_close)
        self._fit_when_drawn = self._whole_when_drawn = False
        self._store_changed(window.store)

    @property
    def widget(self) -> DashboardWidget:
        """The dock's charts and table, built (and put in the dock) the first time they
        are needed: the dock shown, or the report dialog's date."""
        if self._widget is None:
            from citymgr_desktop.ui.dashboard.dashboard_widget import DashboardWidget

            widget = DashboardWidget(lang=self._lang)
            widget.picked.connect(self.select_pick)
            widget.figurePicked.connect(self.select_figure)
            widget.orderActivated.connect(lambda u: self._select_orders([u], zoom=True))
            widget.refreshed.connect(self._drawn)
            placeholder = self.dock.widget()
            self.dock.setWidget(widget)
            if placeholder is not None:
                placeholder.deleteLater()
            self._widget = widget
        return self._widget

    def _visibility_changed(self, visible: bool) -> None:
        if visible and self._widget is None:
            # after the window's first paint: the dock restored open at start-up (or its
            # tab raised), at a height remembered from an earlier run: once drawn, the
            # charts are made whole if it is too low for them (:meth:`_whole_charts`)
            self._whole_when_drawn = True
            QTimer.singleShot(0, self._build_and_refresh)
            return
        self._refresh_if_visible()

    def _build_and_refresh(self) -> None:
        if self.dock.isVisible():
            _ = self.widget
            QTimer.singleShot(0, self._refresh_if_visible)  # once the widget is laid out

    # -- keeping up with the file ---------------------------------------------------------------
    def _opened_by_the_user(self, shown: bool) -> None:
        """View > Dashboard brings it to the front (it shares a tab with the work orders) at
        a height its charts can be read at, not the few rows a bottom dock starts with."""
        if not shown:
            return
        self.dock.raise_()
        self._fit_when_drawn = True  # again once the charts are drawn (the sub-district
        # chart's height depends on how many sub-districts there are)
        QTimer.singleShot(0, self._readable_height)  # once the dock is laid out

    def _drawn(self, _figures: object) -> None:
        fit = self._readable_height if self._fit_when_drawn else \
            self._whole_charts if self._whole_when_drawn else None
        self._fit_when_drawn = self._whole_when_drawn = False
        if fit is not None:  # and once more after the dock's new height is laid out
            for ms in (0, 150, 500):  # the charts' layout settles over a few passes (later
                QTimer.singleShot(ms, fit)  # on a busy machine)

    def _whole_charts(self) -> None:
        """A remembered height lower than the charts need (a layout saved by an older
        version: the charts scrolled) grows by what they lack, within 3/5 of the window; a
        height that holds them is the person's and is kept."""
        if not self.dock.isVisible():
            return
        short = self.widget.top_row_shortfall()
        if short > 0:
            wanted = min(self.dock.height() + short + self._group_tabs(),
                         self.window.height() * 3 // 5)
            self.window.resizeDocks([self.dock], [wanted], Qt.Orientation.Vertical)

    def _readable_height(self) -> None:
        """Tall enough for the top row of charts, the names under their bars included (a
        docked height of ~300 px at 1600 × 1000 cut them off), within 3/5 of the window."""
        if not self.dock.isVisible():
            return
        short = self.widget.top_row_shortfall()
        if self.dock.height() < 300 or short > 0:
            wanted = max(360, self.window.height() * 2 // 5,
                         self.dock.height() + short + self._group_tabs())
            wanted = min(wanted, self.window.height() * 3 // 5)
            self.window.resizeDocks([self.dock], [wanted], Qt.Orientation.Vertical)

    def _group_tabs(self) -> int:
        """The height of the tabs under the dock where it shares its place with other docks
        (the work orders'): ``resizeDocks`` counts them in the height it gives."""
        if not self.window.tabifiedDockWidgets(self.dock):
            return 0
        bottom = self.dock.geometry().bottom()
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is self.window and bar.isVisible() and \
                    abs(bar.geometry().top() - bottom) <= 8:
                return bar.height()
        return 0

    def _store_changed(self, store: Store | None) -> None:
        if self._widget is not None:
            self._widget.set_store(None)
        self.overlay.set_grid(None)
        self._dirty = True
        self.report_action.setEnabled(_counted(store))
        if self.theme is not None and _counted(store):
            self.set_theme(self.theme)
        self._refresh_if_visible()

    def _data_changed(self, tables: set[str]) -> None:
        if set(tables or ()) & TABLES:
            self._dirty = True
            self._timer.start()
            if self.theme is not None and _counted(self.window.store):
                self.set_theme(self.theme)

    def _refresh_if_visible(self) -> None:
        store = self.window.store
        if not _counted(store) or not self._dirty or self._widget is None \
                or self._widget.visibleRegion().isEmpty():
            return
        self._dirty = False
        if self.widget.path != store.path:
            self.widget.set_store(store)
        else:
            self.widget.refresh()

    def _before_close(self) -> bool:
        if self._widget is not None:
            self._widget.shutdown()
        if self.task is not None:
            self.task.wait(30_000)
        if self._widget is not None:
            self._widget.set_store(None)
        return True

    # -- clicks: what is behind a figure ------------------------------------------------------
    def select_pick(self, pick: Pick, index: int) -> None:
        store, figs = self.window.store, self.widget.figures
        if store is None or figs is None:
            return
        v, lang = pick.values, self.widget.lang
        if pick.kind == "condition":
            layer, district = v.get("layer"), v.get("district")
            assets = stats.condition_members(
                store, layers=[layer] if layer else None, district=district,
                condition=v["condition"], period=figs.period, now=self.widget.now,
                limit=MAX_SELECTION)
            what = layer_name(layer, lang) if layer else (district or "")
            self._select_assets(assets, self.tr("%1, condition %2").replace("%1", what)
                                .replace("%2", str(v["condition"] or self.tr("not assessed"))))
        elif pick.kind == "records" and 0 <= index < len(v["months"]):
            month = v["months"][index]
            assets = stats.record_members(store, month=month)
            self._select_assets(assets, self.tr("assets with records in %1").replace(
                "%1", month))
        elif pick.kind == "orders":
            ids = stats.order_members(store, state=v["state"],
                                      period=reported_by(figs.period),
                                      as_of=figs.orders_as_of)
            self._select_orders(ids, title=self.tr("Work orders: %1").replace(
                "%1", state_name(v["state"], lang)))
        elif pick.kind == "evaluation":
            self.select_figure(v["assignee"], v.get("figure", "due"))

    def select_figure(self, assignee: str | None, figure: str) -> None:
        store, figs = self.window.store, self.widget.figures
        if store is None or figs is None:
            return
        ids = stats.evaluation_members(store, figure, assignee=None if assignee == "*"
                                       else assignee, any_assignee=assignee == "*",
                                       period=figs.period, now=self.widget.now)
        who = self.tr("all assignees") if assignee == "*" else \
            assignee_name(assignee, self.widget.lang)
        self._select_orders(ids, title=self.tr("%1: %2 (%3)").replace("%1", who).replace(
            "%2", self.widget.model.headings[1 + ("due", "on_time", "overdue", "closed",
                                                  "rework").index(figure)])
            .replace("%3", figs.period.label))

    def _select_orders(self, ids: list[str], title: str = "", zoom: bool = False) -> None:
        store = self.window.store
        if store is None:
            return
        rows = orders_by_uuid(store, ids, self.widget.now)
        if title:
            self.widget.show_orders(f"{title} — {len(rows)}", rows)
        elif len(rows) == 1:  # a double-clicked order, named by its case number
            title = self.tr("work order %1").replace("%1", str(rows[0]["case_no"]))
        self._select_assets(order_assets(store, ids), title or self.tr("work order"), zoom)

    def _select_assets(self, assets: dict[str, list[str]], what: str,
                       zoom: bool = False) -> None:
        self.window.selection.show_figure(assets, self.tr("Dashboard: %1").replace("%1", what))
        n = sum(len(v) for v in assets.values())
        self.window.status(self.tr("Selected %1 asset(s): %2").replace("%1", f"{n:,}")
                           .replace("%2", what), 8000)
        store = self.window.store
        if zoom and store is not None and n:
            boxes = [b for layer, ids in assets.items()
                     for _d, b in store.asset_boxes(layer, ids).values()]
            if boxes:
                self.window.canvas.zoom_to_features(
                    *shapely.total_bounds(shapely.box(*zip(*boxes, strict=True))))

    # -- map themes -----------------------------------------------------------------------------
    def set_theme(self, key: str | None) -> None:
        self.theme = key
        self.theme_actions[key].setChecked(True)
        store = self.window.store
        if key is None or not _counted(store):
            self.overlay.set_grid(None)
            return
        title = self.theme_actions[key].text().split(": ", 1)[-1]
        self.task = run_task(self.window, self.tr("Counting hot spots…"), _hotspot_grid,
                             store.reader, key, uses=None, show_dialog=False,
                             on_done=lambda grid: self.overlay.set_grid(
                                 grid if self.theme == key else self.overlay.grid, title))

    # -- the monthly report ---------------------------------------------------------------------
    def monthly_report(self, values: dict[str, str] | None = None) -> None:
        store = self.window.store
        if store is None:
            return
        settings = QSettings()
        folder = str(settings.value("dashboard/folder", "")
                     or (Path.home() if store.is_database else store.path.parent))
        if values is None:
            dlg = ReportDialog(self.window, office_today(self.widget.now or utcnow()), folder,
                               language())
            if not dlg.exec():
                return
            values = dlg.values()
        if not values.get("path"):
            return
        settings.setValue("dashboard/folder", str(Path(values["path"]).parent))
        self.task = run_task(
            self.window, self.tr("Writing the monthly report…"), _write_report, store.reader,
            values["month"], values["path"], values["lang"], self.window.map_data,
            self.window.user_name(), uses=None,
            on_done=lambda r: self.window.status(
                self.tr("Wrote %1 (%2 pages)").replace("%1", str(r["out"]))
                .replace("%2", str(r["pages"])), 8000),
            on_error=lambda exc: show_error(self.window, self.tr("Monthly report"), exc))


def install(window: Window) -> DashboardFeature:
    return DashboardFeature(window)
