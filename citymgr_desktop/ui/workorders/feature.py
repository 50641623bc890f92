"""Work orders in the main window: a dock listing orders (filter by state, assignee,
overdue), and the Work order menu: new from selection or expression, move, show on map,
export (in a worker with progress and Cancel), the working calendar. Every change is an undoable command."""

from __future__ import annotations

from typing import Any

import shapely
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.workorders import deadlines as dl
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.query import load_report
from citymgr_desktop.export.workorders.exporter import export_orders
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import run_task, show_error
from citymgr_desktop.ui.workorders.calendar_dialog import WorkCalendarDialog
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from citymgr_desktop.ui.workorders.export_dialog import WorkOrderExportDialog
from citymgr_desktop.ui.workorders.list_widget import WorkOrderListWidget
from citymgr_desktop.ui.workorders.move_dialog import WorkOrderMoveDialog

ORDER = 60
TABLES = {"work_order", "work_order_event", "work_order_asset", "maintenance_record"}


class WorkOrdersFeature(QObject):
    """Actions and dock of the work-order feature for one main window."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.list = WorkOrderListWidget(window)
        self.dock = window.add_dock(self.list, Qt.DockWidgetArea.BottomDockWidgetArea,
                                    "workorders_dock")
        self.dock.setWindowTitle(self.tr("Work orders"))
        menu = window.menu("workorder")
        self.new_action = self._action(self.tr("New work order…"), self.new_order,
                                       QKeySequence("Ctrl+Shift+N"))
        self.move_action = self._action(self.tr("Move work order…"), self.move_order,
                                        QKeySequence("Ctrl+M"))
        self.show_action = self._action(self.tr("Show order's assets on map"),
                                        self.show_on_map, QKeySequence("Ctrl+Shift+M"))
        self.export_action = self._action(self.tr("Export work orders…"), self.export,
                                          QKeySequence("Ctrl+Shift+E"))
        self.calendar_action = self._action(self.tr("Working calendar…"), self.edit_calendar,
                                            QKeySequence())
        for a in (self.new_action, self.move_action, self.show_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.addAction(self.calendar_action)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())
        window.toolbar().addAction(self.new_action)
        self.list.chosen.connect(lambda _c: self._update_actions())
        self.list.activated.connect(lambda _c: self.move_order())
        window.storeChanged.connect(lambda _s: self._update_actions())
        self.task = None
        self._update_actions()

    def _action(self, text: str, slot: Any, shortcut: QKeySequence) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _update_actions(self) -> None:
        store = self.window.store
        writable = store is not None and not store.read_only
        chosen = bool(self.list.selected_cases())
        self.new_action.setEnabled(writable)
        self.move_action.setEnabled(writable and len(self.list.selected_cases()) == 1)
        self.show_action.setEnabled(store is not None and chosen)
        self.export_action.setEnabled(store is not None)
        self.calendar_action.setEnabled(writable)

    def edit_calendar(self) -> None:
        """The working calendar dialog; OK stores it as one undo step."""
        store = self.window.store
        if store is None:
            return
        dialog = WorkCalendarDialog(self.window, dl.calendar_of(store),
                                    dl.calendar_source(store)["source"])
        self.calendar_dialog = dialog  # tests reach the open dialog here
        if dialog.exec() != WorkCalendarDialog.DialogCode.Accepted:
            return
        try:
            self.window.commands.push(dl.CalendarCommand(
                store, dialog.holidays, dialog.workdays,
                self.tr("Edit the working calendar")))
        except CitymgrError as exc:
            show_error(self.window, self.tr("Working calendar"), exc)
            return
        self.window.status(self.tr("Working calendar saved; new orders' deadlines use it"),
                           5000)

    def _changed(self) -> None:
        self.window.notify_data_changed(set(TABLES))
        self.list.refresh()

    # -- actions ----------------------------------------------------------------------------
    def new_order(self) -> WorkOrderDialog | None:
        store = self.window.store
        if store is None:
            return None
        dlg = WorkOrderDialog(self.window, store, self.window.selection.all(),
                              self.window.current_layer())
        if not dlg.exec() or dlg.spec() is None:
            return dlg
        self.create(dlg.spec())
        return dlg

    def create(self, spec: wo.OrderSpec) -> str | None:
        cmd = wo.CreateOrderCommand(self.window.store, spec, self.window.user_name(),
                                    on_change=self._changed)
        try:
            self.window.commands.push(cmd)
        except CitymgrError as exc:
            show_error(self.window, self.tr("New work order"), exc)
            return None
        assert cmd.row is not None
        case = cmd.row["case_no"]
        self.list.select_case(case)
        self.window.status(self.tr("Work order %1 created").replace("%1", case))
        return case

    def move_order(self) -> None:
        cases = self.list.selected_cases()
        store = self.window.store
        if len(cases) != 1 or store is None:
            return
        order = wo.get_order(store, cases[0])
        dlg = WorkOrderMoveDialog(self.window, order, self.window.user_name())
        if not dlg.exec():
            return
        self.move(cases[0], *dlg.result_values())

    def move(self, case: str, to: str, by: str, note: str | None,
             close: wo.CloseOptions | None = None) -> bool:
        label = self.tr("Move %1 to %2").replace("%1", case).replace(
            "%2", wf.label(to, label_language()) if to in {s.value for s in wf.WorkOrderState} else to)
        try:
            deltas = wo.plan_move(self.window.store, case, to, by, note, close=close)
            self.window.commands.push(wo.DeltaCommand(self.window.store, deltas, label, by,
                                                      on_change=self._changed))
        except CitymgrError as exc:
            show_error(self.window, self.tr("Move work order"), exc)
            return False
        self.window.status(label)
        return True

    def show_on_map(self) -> None:
        store = self.window.store
        cases = self.list.selected_cases()
        if store is None or not cases:
            return
        reports = load_report(store, cases)
        by_layer: dict[str, list[str]] = {}
        geoms = []
        for rep in reports:
            for a in rep.assets:
                by_layer.setdefault(a.asset_class, []).append(a.asset_uuid)
                if a.geometry is not None:
                    geoms.append(a.geometry)
        self.window.selection.clear()
        for layer, ids in by_layer.items():
            self.window.selection.set_selection(layer, ids, add=True)
        if geoms:
            minx, miny, maxx, maxy = shapely.total_bounds(geoms)
            pad = max(maxx - minx, maxy - miny, 50.0) * 0.15
            self.window.canvas.zoom_to_bbox(minx - pad, miny - pad, maxx + pad, maxy + pad)

    def export(self, values: dict[str, Any] | None = None) -> None:
        store = self.window.store
        if store is None:
            return
        cases = self.list.selected_cases() or [r["case_no"] for r in self.list.rows]
        if not cases:
            show_error(self.window, self.tr("Export work orders"),
                       CitymgrError("No work order is listed: change the filter."))
            return
        if values is None:
            name = cases[0] if len(cases) == 1 else f"workorders-{len(cases)}"
            dlg = WorkOrderExportDialog(self.window, len(cases), name)
            if not dlg.exec():
                return
            values = dlg.values()
        self.task = run_task(
            self.window, self.tr("Exporting work orders…"), export_orders, store,
            values["path"], values["format"], cases=cases, lang=values["lang"],
            with_map=values["map"], with_photos=bool(values.get("photos", False)),
            on_done=lambda s: self.window.status(
                self.tr("Exported %1 work order(s) to %2").replace("%1", str(s["orders"]))
                .replace("%2", str(s["out"])), 8000))


def install(window: Window) -> WorkOrdersFeature:
    return WorkOrdersFeature(window)
