"""Editing in the main window: the Edit menu (Undo Ctrl+Z, Redo Ctrl+Y / Ctrl+Shift+Z with the
command's label, Save edits Ctrl+S, Discard edits), map tools to add and move point assets,
delete-or-retire, the asset form, bulk edit and field calculator, the attribute table dock
(F6), a "*" in the title while edits are unsaved, a prompt on close, the field-by-field merge
when another program changed what you edit, and the offer to restore the unsaved edits of a
crashed session when a file is opened (docs/editing.md).

The window is known only by its contract (:class:`~citymgr_desktop.ui.shell.window.Window`);
the open file's one :class:`EditSession` is the window's (``window.edit_session``): this
feature gives it its actions, prompts and dialogs, and the map draws its pending edits.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QDockWidget, QMessageBox

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.editing import EditEvent, EditSession, Recovery, SaveResult
from citymgr_desktop.core.errors import CitymgrError, ConflictError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.actions import EditingActions
from citymgr_desktop.ui.editing.attribute_table_widget import AttributeTableWidget
from citymgr_desktop.ui.editing.merge_dialog import MergeDialog
from citymgr_desktop.ui.editing.wording import edits_text, recovery_text, when_text
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.database import store_name
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import Task, run_task, show_error

ORDER = 30
BIG_SAVE = 500  # pending edits above which saving runs in a worker with progress (a save
# of 500 edits takes ~30 ms on the UI thread; 15,000 would stall it for half a second)


class EditingFeature(EditingActions):
    """Owns the open file's edit session and everything that edits it."""

    def __init__(self, window: Window) -> None:
        QObject.__init__(self, window)
        self.window = window
        self.lang = label_language()
        self.session: EditSession | None = None
        self._stack: CommandStack | None = None
        self._title_busy = False
        self._name_asked = False
        self.task: Task | None = None
        self._make_actions()
        self.table = AttributeTableWidget(window.selection, self.lang)
        self.table.key_map = MapKeys(window)
        self.dock = window.add_dock(self.table, Qt.DockWidgetArea.BottomDockWidgetArea,
                                    "attribute_table_dock")
        self.dock.setWindowTitle(self.tr("Attribute table"))
        self.dock.hide()
        for action in (self.form_action, self.bulk_action, self.calc_action,
                       self.delete_action):
            self.table.toolbar.addAction(action)
        self.table.zoomRequested.connect(self.zoom_to)
        self.table.view.doubleClicked.connect(self._table_double_clicked)
        self.table.layerChosen.connect(window.selection.set_current_layer)
        window.storeChanged.connect(self._store_changed)
        window.dataChanged.connect(self._data_changed)
        window.selection.changed.connect(lambda _layer: self.update_actions())
        window.selection.drillDown.connect(lambda _name, _assets: self._drill_down_shown())
        window.selection.currentLayerChanged.connect(self._current_layer_changed)
        window.windowTitleChanged.connect(lambda _t: self.update_title())
        window.add_close_guard(self.may_close)
        self._store_changed(window.store)

    # -- the session of the open file ------------------------------------------------------------
    def _store_changed(self, store: Store | None) -> None:
        if self.session is not None:
            self.session.unsubscribe(self._session_changed)
        self.session = self.window.edit_session  # the window's one session
        self._name_asked = False  # another file or login may want another name
        if self.session is not None:
            self.session.subscribe(self._session_changed)
        if self._stack is not None:
            self._stack.unsubscribe(self.update_actions)
        self._stack = self.window.commands
        self._stack.subscribe(self.update_actions)
        layer = self.window.current_layer() if store is not None else None
        self.table.set_store(store if self.window.is_project else None, self.session, layer)
        self.update_actions()
        session = self.session
        if session is not None and (session.recovery is not None or session.elsewhere):
            # after the window is shown and the file opened: a prompt inside open_file
            # would come before the map
            QTimer.singleShot(0, lambda: self._after_open(session))

    def _after_open(self, session: EditSession) -> None:
        if session is not self.session:
            return
        if session.recovery is not None:
            self.offer_restore(session.recovery)
        for found in session.elsewhere:
            self.window.status(self.tr(
                "%1 unsaved edit(s) of this project are kept next to %2 (another copy of it): "
                "open that file to restore them").replace("%1", f"{found.edits:,}").replace(
                "%2", str(found.project_file)), 15000)
            QMessageBox.information(self.window, self.tr("Unsaved edits elsewhere"), self.tr(
                "This file is a copy of a project that has %1 unsaved edit(s), last made at "
                "%2, in a recovery journal next to\n%3\n\nOpen that file to restore them; "
                "they are not in this copy.").replace("%1", f"{found.edits:,}").replace(
                "%2", when_text(found.when)).replace("%3", str(found.project_file)))

    def offer_restore(self, recovery: Recovery) -> None:
        """Ask whether to restore a crashed session's edits, merged with the file as it is
        now; conflicts with later changes are decided field by field."""
        session = self.session
        if session is None:
            return
        labels = recovery.labels()
        text = recovery_text(recovery, session.store.is_database)
        names = self._names(recovery.conflicts)
        dialog = MergeDialog(self.window, self.tr("Restore unsaved edits"), text,
                             recovery.conflicts, names, ok_text=self.tr("Restore"),
                             cancel_text=self.tr("Do not restore"),
                             on_database=session.store.is_database,
                             changed_by=self._changed_by(recovery.conflicts))
        dialog.setToolTip("\n".join(f"• {i18n.render(label)}" for label in labels[-8:]))
        dialog.table.setVisible(bool(recovery.conflicts))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            session.restore(dialog.choices())
            self.window.status(self.tr("Restored the unsaved edits (%1)").replace(
                "%1", self.pending_text()))
        else:
            session.drop_recovery()

    def _names(self, conflicts: list) -> dict[tuple[str, str], str]:
        out = {}
        if self.session is None:
            return out
        for c in conflicts:
            if c.table in sc.ASSET_TABLES_BY_NAME:
                row = self.session.rows(c.table, [c.uuid], ["name", "obj_code"]).get(c.uuid, {})
                out[(c.table, c.uuid)] = str(row.get("name") or row.get("obj_code") or "")
        return out

    def _changed_by(self, conflicts: list) -> dict[tuple[str, str], str]:
        """Who saved each conflicting row in the file (or database) and when, as the row
        records it (``updated_by``, ``updated_at``); rows without them are left out."""
        store = self.session.store if self.session is not None else None
        out: dict[tuple[str, str], str] = {}
        for table in {c.table for c in conflicts} if store is not None else ():
            if table not in sc.ASSET_TABLES_BY_NAME:
                continue
            rows = store.get_rows(table, {c.uuid for c in conflicts if c.table == table},
                                  ["updated_by", "updated_at"])
            for uuid, row in rows.items():
                who = str(row.get("updated_by") or "")
                when = format_local_or_text(row.get("updated_at"))
                if who or when:
                    out[(table, uuid)] = f"{who}  {when}".strip()
        return out

    def _session_changed(self, event: EditEvent) -> None:
        self.update_actions()
        if not (event.saved or event.reset) and self.session is not None and \
                self.session.dirty and not self._name_asked:
            # the name (修改人) is asked at the first change, as the guide says, not at the
            # first save (trial 10); after the change is made, outside its command
            self._name_asked = True
            QTimer.singleShot(0, self, self._ask_name)

    def _ask_name(self) -> None:
        self.window.user_name()

    def _current_layer_changed(self, layer: str | None) -> None:
        if layer in sc.ASSET_TABLES_BY_NAME:
            self.table.set_layer(layer)
        self.update_actions()

    def _data_changed(self, tables: set[str]) -> None:
        model = self.table.model
        if model is not None and model.layer in set(tables or ()):
            model.reload()  # the file changed (a save, an import, a sync)

    # -- saving --------------------------------------------------------------------------------
    def save(self, *, force: bool = False, background: bool = True) -> bool:
        """Save the pending edits (in a worker with progress when there are many, unless
        ``background`` is False); False when it failed or still runs."""
        session = self.session
        if session is None or not session.dirty:
            return True
        session.user = self.window.user_name()  # asked at the first change unless given
        if background and len(session.pending) > BIG_SAVE:
            session.hold_events()
            self.task = run_task(self.window, self.tr("Saving edits"),
                                 lambda progress: session.save(progress, force=force),
                                 uses=session.store, on_done=lambda r: self._saved(r),
                                 on_error=lambda exc: self._save_failed(exc, force))
            return False
        try:
            result = session.save(force=force)
        except CitymgrError as exc:
            return self._save_failed(exc, force)
        self._saved(result)
        return True

    def _saved(self, result: SaveResult) -> None:
        if self.session is not None:
            self.session.release_events()
        # who the rows are written as: on a shared login the kept name may be someone else's
        who = self.session.user if self.session is not None else ""
        self.window.status(self.tr("Saved: %1 row(s) written (editor: %2)").replace(
            "%1", f"{result.rows:,}").replace("%2", who or "—"))
        if result.retired_instead:
            self.window.status(self.tr("%1 asset(s) gained history meanwhile and were retired "
                                       "instead of deleted").replace(
                "%1", str(result.retired_instead)))
        self.update_actions()

    def _save_failed(self, exc: BaseException, force: bool) -> bool:
        session = self.session
        if session is not None:
            session.release_events()
        conflicts = getattr(exc, "conflicts", None)
        if isinstance(exc, ConflictError) and conflicts and session is not None:
            on_database = self.window.store is not None and self.window.store.is_database
            text = self.tr(
                "Another user saved changes to the database since you made these edits. "
                "Their other changes are kept; for these %1 field(s) you both changed, "
                "choose which value to keep, then save.") if on_database else self.tr(
                "Another program (QGIS, citymgr edit, another copy of the app) changed the "
                "file since you made these edits. Its other changes are kept; for these %1 "
                "field(s) you both changed, choose which value to keep, then save.")
            dialog = MergeDialog(self.window, self.tr("Save edits"),
                                 text.replace("%1", str(len(conflicts))), conflicts,
                                 self._names(conflicts), ok_text=self.tr("Merge and save"),
                                 on_database=on_database,
                                 changed_by=self._changed_by(conflicts))
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return False
            session.resolve(dialog.choices(), shown=conflicts)
            return self.save()
        show_error(self.window, self.tr("Save edits"), exc)
        return False

    def discard(self, *, ask: bool = True) -> None:
        session = self.session
        if session is None or not session.dirty:
            return
        if ask:
            answer = QMessageBox.question(
                self.window, self.tr("Discard edits"),
                self.tr("Discard the unsaved edits (%1)? Assets, maintenance records, work "
                        "orders and attachments not saved yet are all dropped. This cannot "
                        "be undone.").replace("%1", self.pending_text()))
            if answer != QMessageBox.StandardButton.Yes:
                return
        session.discard()
        self.window.status(self.tr("Unsaved edits discarded"))

    def ask_close(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self.window, self.tr("Unsaved edits"),
            self.tr("%1 has unsaved edits (%2). Save them before closing?").replace(
                "%1", store_name(self.window.store) if self.window.store else "").replace(
                "%2", self.pending_text()),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)

    def pending_text(self) -> str:
        """The unsaved edits per table and kind (:func:`edits_text`)."""
        return edits_text(self.session.pending) if self.session is not None else ""

    def may_close(self) -> bool:
        """Before the file is closed (another opened, the app quit): save, discard or stay."""
        if self.session is None or not self.session.dirty:
            return True
        answer = self.ask_close()
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save(background=False) and not self.session.dirty
        self.session.discard()
        return True

    # -- title ------------------------------------------------------------------------------------
    def update_title(self) -> None:
        """A "*" before the title while edits are unsaved (Qt's [*] when the title has it)."""
        if self._title_busy:
            return
        dirty = self.session is not None and self.session.dirty
        title = self.window.windowTitle()
        self._title_busy = True
        try:
            if "[*]" in title:
                self.window.setWindowModified(dirty)
                return
            base = title[2:] if title.startswith("* ") else title
            want = f"* {base}" if dirty else base
            if want != title:
                self.window.setWindowTitle(want)
        finally:
            self._title_busy = False

    def _table_double_clicked(self, index: QModelIndex) -> None:
        model = self.table.model
        if model is not None and not model.flags(index) & Qt.ItemFlag.ItemIsEditable:
            uuid = model.uuid_at(index.row())
            if uuid:
                self.open_form(model.layer, uuid)

    def show_table(self, layer: str | None = None) -> None:
        if layer is None:
            layer = self.window.current_layer()
        if layer in sc.ASSET_TABLES_BY_NAME:
            self.table.set_layer(layer)
        self._bring_forward()

    def _bring_forward(self) -> None:
        if not self.dock.isVisible() and not self.dock.isFloating():
            self._tab_with_bottom_docks()
        self.dock.show()
        self.dock.raise_()

    def _drill_down_shown(self) -> None:
        """A dashboard drill-down lists its rows in the table, so the table comes to the front
        when it is closed or behind another tab (as QGIS's "Show selected features" opens
        it); where it is already in view, beside the dashboard, it stays put."""
        if not (self.dock.isVisible() and not self.dock.visibleRegion().isEmpty()):
            self._bring_forward()

    def _tab_with_bottom_docks(self) -> None:
        """A table needs the window's width: share the bottom area as a tab, not a column."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        if self.window.dockWidgetArea(self.dock) != bottom or \
                self.window.tabifiedDockWidgets(self.dock):
            return
        for other in self.window.findChildren(QDockWidget):
            if other is not self.dock and other.isVisible() and not other.isFloating() \
                    and self.window.dockWidgetArea(other) == bottom:
                self.window.tabifyDockWidget(other, self.dock)
                return


class MapKeys:
    """fid <-> asset_uuid from the window's map in memory (the attribute table asks this
    before the file: mapping 15,000 selected rows costs milliseconds, not a query)."""

    def __init__(self, window: Window) -> None:
        self.window = window

    def keys_of_fids(self, layer: str, fids) -> dict[int, str]:
        data = self.window.map_data
        if data is None or layer not in data.names():
            return {}
        return data.layer(layer).keys_of_fids(fids)

    def fids_of_keys(self, layer: str, keys: list[str]) -> dict[str, int]:
        data = self.window.map_data
        if data is None or layer not in data.names():
            return {}
        return data.layer(layer).fids_of_keys(keys)


def install(window: Window) -> EditingFeature:
    return EditingFeature(window)

