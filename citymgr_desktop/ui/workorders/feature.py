"""Work orders in the main window: a dock listing orders (filter by state, assignee,
overdue), the order's detail view (timeline, assets, photos), and the Work order menu: new
from selection or expression, move, show on map, export (in a worker with progress and
Cancel). Every change is a pending edit of the window's one edit session: one undo step,
saved with Ctrl+S together with the asset edits, shown everywhere as if saved."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import shapely
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.core.workorders import deadlines as dl
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.extend import check_open, plan_extend
from citymgr_desktop.core.workorders.query import assignees, list_orders, load_report
from citymgr_desktop.export.workorders.exporter import export_orders
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.district_limits import refuse_others
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import run_task, show_error
from citymgr_desktop.ui.workorders.calendar_dialog import WorkCalendarDialog
from citymgr_desktop.ui.workorders.create_dialog import WorkOrderDialog
from citymgr_desktop.ui.workorders.detail_dialog import WorkOrderDetailDialog
from citymgr_desktop.ui.workorders.export_dialog import WorkOrderExportDialog
from citymgr_desktop.ui.workorders.extend_dialog import WorkOrderExtendDialog
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
        self.extend_action = self._action(self.tr("Extend deadline…"), self.extend_order,
                                          QKeySequence())
        self.show_action = self._action(self.tr("Show order's assets on map"),
                                        self.show_on_map, QKeySequence("Ctrl+Shift+M"))
        self.detail_action = self._action(self.tr("Work order details…"), self.show_details,
                                          QKeySequence("Ctrl+Shift+O"))
        self.calendar_action = self._action(self.tr("Working calendar…"), self.edit_calendar,
                                            QKeySequence())
        self.export_action = self._action(self.tr("Export work orders…"), self.export,
                                          QKeySequence("Ctrl+Shift+E"))
        for a, name in ((self.new_action, "action_new_work_order"),
                        (self.move_action, "action_move_work_order"),
                        (self.extend_action, "action_extend_work_order"),
                        (self.detail_action, "action_work_order_details"),
                        (self.show_action, "action_show_work_order"),
                        (self.export_action, "action_export_work_orders")):
            a.setObjectName(name)
        for a in (self.new_action, self.move_action, self.extend_action, self.detail_action,
                  self.show_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.addAction(self.calendar_action)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())
        window.toolbar().addAction(self.new_action)
        self.list.chosen.connect(lambda _c: self._update_actions())
        self.list.activated.connect(lambda _c: self.show_details())
        window.storeChanged.connect(self._store_changed)
        window.selection.changed.connect(lambda _l: self._update_actions())
        self.task = None
        self._session = None
        self._store_changed(window.store)

    def _store_changed(self, _store: Any) -> None:
        if self._session is not None:
            self._session.unsubscribe(self._session_changed)
        self._session = self.window.edit_session
        if self._session is not None:
            self._session.subscribe(self._session_changed)
        self._update_actions()

    def _session_changed(self, event: Any) -> None:
        if TABLES & set(event.tables):
            self.list.reload_assignees()
        self._update_actions()

    @property
    def pending(self) -> Any:
        session = self.window.edit_session
        return session.pending if session is not None else None

    def _action(self, text: str, slot: Any, shortcut: QKeySequence) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _update_actions(self) -> None:
        project = self.window.store is not None and self.window.is_project
        writable = self.window.edit_session is not None
        cases = self.list.selected_cases()
        self.new_action.setEnabled(writable)
        self.move_action.setEnabled(writable and len(cases) == 1)
        self.extend_action.setEnabled(writable and len(cases) == 1)
        self.detail_action.setEnabled(project and len(cases) == 1)
        self.show_action.setEnabled(project and bool(cases))
        self.export_action.setEnabled(project)
        self.calendar_action.setEnabled(writable)

    def edit_calendar(self) -> None:
        """The working calendar dialog; OK stores it as one undo step (written at once: it
        is the file's setting, not an edit of its data)."""
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

    # -- actions ----------------------------------------------------------------------------
    def new_order(self) -> WorkOrderDialog | None:
        store = self.window.store
        if store is None or self.window.edit_session is None:
            return None
        chosen = self.window.selection.all()
        if self._others_assets((c, u) for c, uuids in chosen.items() for u in uuids):
            return None
        dlg = WorkOrderDialog(self.window, store, chosen, self.window.current_layer(),
                              self.pending)
        if not dlg.exec() or dlg.spec() is None:
            return dlg
        self.create(dlg.spec())
        return dlg

    def _others_assets(self, assets: Iterable[tuple[str, str]]) -> bool:
        """True, and the refusal naming them, when some of ``assets`` ((class, uuid)) are
        saved assets of a 街道 this database login may not change: the database refuses
        an order's links to them (``postgis/rules.py``)."""
        session, by_class = self.window.edit_session, {}
        for cls, uuid in assets:
            if cls in sc.ASSET_TABLES_BY_NAME:
                by_class.setdefault(cls, []).append(uuid)
        return session is not None and any(
            refuse_others(self.window, session, cls, uuids, self.tr("New work order"))
            for cls, uuids in by_class.items())

    def create(self, spec: wo.OrderSpec) -> str | None:
        session = self.window.edit_session
        if session is None or self._others_assets(spec.assets):
            return None
        try:
            deltas = wo.plan_create(self.window.store, spec, self.window.user_name(),
                                    pending=session.pending)
            case = next(d.new["case_no"] for d in deltas if d.table == "work_order" and d.new)
            session.push_deltas(deltas, self.tr("Create work order %1").replace("%1", case))
        except CitymgrError as exc:
            show_error(self.window, self.tr("New work order"), exc)
            return None
        self.list.select_case(case)
        self.window.status(self.tr("Work order %1 created").replace("%1", case))
        return case

    def move_order(self, case: str | None = None) -> None:
        cases = [case] if case else self.list.selected_cases()
        store = self.window.store
        if len(cases) != 1 or store is None or self.window.edit_session is None:
            return
        order = wo.get_order(store, cases[0], self.pending)
        if self._refused(order, self.tr("Move work order")):
            return
        dlg = WorkOrderMoveDialog(self.window, order, self.window.user_name(),
                                  assignees(store, self.pending))
        if not dlg.exec():
            return
        self.move(cases[0], *dlg.result_values())

    def _refused(self, order: dict[str, Any], title: str) -> bool:
        """True, and a message naming the order and its 街道 (its assets'), for a saved order
        a 街道-limited database login may not change (the database's rule: every asset of
        the order in the login's 街道, ``Store.unchangeable``; as the asset form is read-only
        for other 街道's assets): refused before it becomes an edit only the save refuses."""
        store, session = self.window.store, self.window.edit_session
        uuid = order["work_order_uuid"]
        if store is None or session is None or not store.is_database or \
                session.is_new("work_order", uuid) or not store.unchangeable("work_order", [uuid]):
            return False
        districts: set[str] = set()  # an order is its assets' (the database's rule)
        for cls, asset in wo.assets_of(store, uuid, session.pending):
            row = store.get_rows(cls, [asset], ["district"]).get(asset) or {}
            districts.add(str(row.get("district") or "?"))
        where = "、".join(sorted(districts)) if districts else order.get("district")
        QMessageBox.warning(self.window, title, self.tr(
            "Work order %1 belongs to %2: the database lets you change only the work orders "
            "of the sub-districts (街道) granted to you. Nothing was changed.").replace(
            "%1", str(order["case_no"])).replace(
            "%2", str(where or self.tr("the district bureau"))))
        return True

    def move(self, case: str, to: str, by: str, note: str | None,
             close: wo.CloseOptions | None = None, unit: str | None = None) -> bool:
        session = self.window.edit_session
        if session is None:
            return False
        label = self.tr("Move %1 to %2").replace("%1", case).replace(
            "%2", wf.label(to, label_language()) if to in {s.value for s in wf.WorkOrderState} else to)
        try:
            deltas = wo.plan_move(self.window.store, case, to, by, note, close=close,
                                  pending=session.pending, unit=unit)
            session.push_deltas(deltas, label)
        except CitymgrError as exc:
            show_error(self.window, self.tr("Move work order"), exc)
            return False
        self.list.select_case(case)
        self.window.status(label)
        return True

    def extend_order(self, case: str | None = None) -> None:
        """The extension dialog (延期) for one order; OK is one undo step."""
        cases = [case] if case else self.list.selected_cases()
        store, session = self.window.store, self.window.edit_session
        if len(cases) != 1 or store is None or session is None:
            return
        try:
            order = wo.get_order(store, cases[0], session.pending)
            check_open(order)  # said before asking anything
        except CitymgrError as exc:
            show_error(self.window, self.tr("Extend deadline"), exc)
            return
        if self._refused(order, self.tr("Extend deadline")):
            return

        def plan(due: Any, by: str, reason: str) -> DeltaSet:
            return plan_extend(store, cases[0], due, by, reason, pending=session.pending)

        dlg = WorkOrderExtendDialog(self.window, order, self.window.user_name(), plan,
                                    dl.calendar_of(store), dl.calendar_years(store))
        if not dlg.exec():
            return
        try:
            session.push_deltas(plan(*dlg.result_values()),
                                self.tr("Extend the deadline of %1").replace("%1", cases[0]))
        except CitymgrError as exc:
            show_error(self.window, self.tr("Extend deadline"), exc)
            return
        self.list.select_case(cases[0])

    def show_details(self, case: str | None = None) -> WorkOrderDetailDialog | None:
        """The order's detail view: its timeline, assets and photos (non-modal)."""
        cases = [case] if case else self.list.selected_cases()
        if len(cases) != 1 or self.window.store is None or not self.window.is_project:
            return None
        dialog = WorkOrderDetailDialog(self.window, cases[0], self.move_order,
                                       self.extend_order)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        return dialog

    def show_on_map(self) -> None:
        store = self.window.store
        cases = self.list.selected_cases()
        if store is None or not cases:
            return
        reports = load_report(store, cases, pending=self.pending)
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
            self.window.canvas.zoom_to_features(*shapely.total_bounds(geoms))

    def export(self, values: dict[str, Any] | None = None) -> None:
        store = self.window.store
        if store is None:
            return
        scopes = {"selected": self.list.selected_cases(),
                  "filtered": [r["case_no"] for r in self.list.rows],
                  "all": [r["case_no"] for r in list_orders(store, pending=self.pending)]}
        if not scopes["all"]:
            show_error(self.window, self.tr("Export work orders"),
                       CitymgrError("No work order is listed: change the filter."))
            return
        if values is None:
            names = {k: v[0] if len(v) == 1 else f"workorders-{len(v)}"  # the file's name
                     for k, v in scopes.items()}  # for the scope chosen
            folder = None if store.is_database else store.path.parent  # a database: home
            dlg = WorkOrderExportDialog(self.window, {k: len(v) for k, v in scopes.items()},
                                        names, folder)
            if not dlg.exec():
                return
            values = dlg.values()
        scope = values.get("scope")
        cases = (scopes[scope] if scope in scopes  # type: ignore[index]
                 else scopes["selected"] or scopes["filtered"])
        if not cases:
            show_error(self.window, self.tr("Export work orders"),
                       CitymgrError("No work order is listed: change the filter."))
            return
        pending = DeltaSet(self.pending or ())  # a copy: the worker reads it, the UI edits on
        self.task = run_task(
            self.window, self.tr("Exporting work orders…"), export_orders, store,
            values["path"], values["format"], cases=cases, lang=values["lang"],
            with_map=values["map"], with_photos=bool(values.get("photos", False)),
            pending=pending, uses=store,
            on_done=lambda s: self.window.status(
                self.tr("Exported %1 work order(s) to %2").replace("%1", str(s["orders"]))
                .replace("%2", str(s["out"])), 8000))


def install(window: Window) -> WorkOrdersFeature:
    return WorkOrdersFeature(window)
