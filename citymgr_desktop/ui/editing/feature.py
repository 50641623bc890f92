"""Editing in the main window: the Edit menu (Undo Ctrl+Z, Redo Ctrl+Y / Ctrl+Shift+Z with the
command's label, Save edits Ctrl+S, Discard edits), map tools to add and move point assets,
delete-or-retire, the asset form, bulk edit and field calculator, the attribute table dock
(F6), a "*" in the title while edits are unsaved, a prompt on close, and the offer to
restore the unsaved edits of a crashed session when a file is opened (docs/editing.md).

The window is known only by its contract (:class:`~citymgr_desktop.ui.shell.window.Window`);
the open file's :class:`EditSession` is published there as ``window.edit_session`` for other
features, and its pending edits are drawn over the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMessageBox

from citymgr_desktop.core.commands import CommandStack
from citymgr_desktop.core.editing import EditEvent, EditSession, Recovery, SaveResult
from citymgr_desktop.core.errors import CitymgrError, ConflictError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import Store
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.editing.actions import EditingActions
from citymgr_desktop.ui.editing.attribute_table_widget import AttributeTableWidget
from citymgr_desktop.ui.editing.edit_overlay_widget import EditOverlayWidget
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import Task, run_task, show_error

ORDER = 30
BIG_SAVE = 20_000  # pending edits above which saving runs in a worker with progress


class EditingFeature(EditingActions):
    """Owns the open file's edit session and everything that edits it."""

    def __init__(self, window: Window) -> None:
        QObject.__init__(self, window)
        self.window = window
        self.lang = label_language()
        self.session: EditSession | None = None
        self._stack: CommandStack | None = None
        self._title_busy = False
        self.task: Task | None = None
        self._make_actions()
        self.table = AttributeTableWidget(window.selection, self.lang)
        self.dock = window.add_dock(self.table, Qt.DockWidgetArea.BottomDockWidgetArea,
                                    "attribute_table_dock")
        self.dock.setWindowTitle(self.tr("Attribute table"))
        self.dock.hide()
        for action in (self.form_action, self.bulk_action, self.calc_action,
                       self.delete_action):
            self.table.toolbar.addAction(action)
        self.table.zoomRequested.connect(self.zoom_to)
        self.table.view.doubleClicked.connect(self._table_double_clicked)
        window.storeChanged.connect(self._store_changed)
        window.dataChanged.connect(self._data_changed)
        window.selection.changed.connect(lambda _layer: self.update_actions())
        window.canvas.clicked.connect(self.canvas_clicked)
        window.canvas.toolChanged.connect(self._canvas_tool_changed)
        window.windowTitleChanged.connect(lambda _t: self.update_title())
        self.overlay = EditOverlayWidget(window.canvas)
        self._own_notify = False
        window.add_close_guard(self.may_close)
        self._store_changed(window.store)

    # -- the session of the open file ------------------------------------------------------------
    def _store_changed(self, store: Store | None) -> None:
        if self.session is not None:
            self.session.unsubscribe(self._session_changed)
            self.session.close()  # unsaved edits stay in the journal, offered on reopen
            self.session = None
        self.set_tool(None)
        if store is not None and not store.read_only and store.is_asset_project():
            try:
                self.session = EditSession(store, self.window.user_name(),
                                           self.window.commands)
            except CitymgrError as exc:
                show_error(self.window, self.tr("Editing is not possible"), exc)
        if self.session is not None:
            self.session.lang = self.lang
            self.session.subscribe(self._session_changed)
        self.window.edit_session = self.session  # published for other features (contract)
        self.overlay.set_session(self.session)
        if self._stack is not None:
            self._stack.unsubscribe(self.update_actions)
        self._stack = self.window.commands
        self._stack.subscribe(self.update_actions)
        layer = self.window.current_layer() if store is not None else None
        self.table.set_store(store, self.session, layer)
        self.update_actions()
        if self.session is not None and self.session.recovery is not None:
            self.offer_restore(self.session.recovery)

    def offer_restore(self, recovery: Recovery) -> None:
        if self.ask_restore(recovery):
            count = self.session.restore() if self.session else 0
            self.window.status(self.tr("Restored %1 unsaved edit(s)").replace("%1",
                                                                                f"{count:,}"))
        elif self.session is not None:
            self.session.drop_recovery()

    def ask_restore(self, recovery: Recovery) -> bool:
        labels = recovery.labels()
        shown = "\n".join(f"• {i18n.render(label)}" for label in labels[-8:])
        more = "\n…" if len(labels) > 8 else ""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Restore unsaved edits"))
        box.setText(self.tr("%1 unsaved edit(s) of this file were found, last made at %2 "
                            "(citymgr did not close normally). Restore them?").replace(
            "%1", f"{recovery.count:,}").replace("%2", (recovery.when or "?")[:19]
                                                  .replace("T", " ")))
        box.setInformativeText(self.tr("If you do not restore them they are kept in a file "
                                       "next to the project ending in .discarded."))
        box.setDetailedText(shown + more)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _session_changed(self, event: EditEvent) -> None:
        if event.saved:  # the file changed: the map and the panels read it again
            self._own_notify = True
            try:
                self.window.notify_data_changed(set(event.tables))
            finally:
                self._own_notify = False
        self.overlay.refresh()  # pending edits are marked over the map until saved
        self.update_actions()

    def _data_changed(self, tables: set[str]) -> None:
        model = self.table.model
        if not self._own_notify and model is not None and model.layer in set(tables or ()):
            model.reload()  # another feature wrote to the layer

    # -- saving --------------------------------------------------------------------------------
    def save(self, *, force: bool = False) -> bool:
        """Save the pending edits (in a worker with progress when there are many)."""
        session = self.session
        if session is None or not session.dirty:
            return True
        if len(session.pending) > BIG_SAVE:
            session.hold_events()
            self.task = run_task(self.window, self.tr("Saving edits"),
                                 lambda progress: session.save(progress, force=force),
                                 on_done=lambda r: self._saved(r),
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
        self.window.status(self.tr("Saved: %1 row(s) written").replace("%1",
                                                                          f"{result.rows:,}"))
        if result.retired_instead:
            self.window.status(self.tr("%1 asset(s) gained history meanwhile and were retired "
                                       "instead of deleted").replace(
                "%1", str(result.retired_instead)))
        self.update_actions()

    def _save_failed(self, exc: BaseException, force: bool) -> bool:
        if self.session is not None:
            self.session.release_events()
        if isinstance(exc, ConflictError) and not force:
            answer = QMessageBox.question(
                self.window, self.tr("Save edits"),
                self.tr("Another program changed values you edited:\n%1\n\nOverwrite them "
                        "with your edits?").replace("%1", i18n.render(exc)))
            if answer == QMessageBox.StandardButton.Yes:
                return self.save(force=True)
            return False
        show_error(self.window, self.tr("Save edits"), exc)
        return False

    def discard(self, *, ask: bool = True) -> None:
        session = self.session
        if session is None or not session.dirty:
            return
        if ask:
            answer = QMessageBox.question(
                self.window, self.tr("Discard edits"),
                self.tr("Discard %1 unsaved edit(s)? This cannot be undone.").replace(
                    "%1", f"{len(session.pending):,}"))
            if answer != QMessageBox.StandardButton.Yes:
                return
        session.discard()
        self.window.status(self.tr("Unsaved edits discarded"))

    def ask_close(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self.window, self.tr("Unsaved edits"),
            self.tr("%1 has %2 unsaved edit(s). Save them before closing?").replace(
                "%1", self.window.store.path.name if self.window.store else "").replace(
                "%2", f"{len(self.session.pending):,}" if self.session else "0"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)

    def may_close(self) -> bool:
        """Before the file is closed (another opened, the app quit): save, discard or stay."""
        if self.session is None or not self.session.dirty:
            return True
        answer = self.ask_close()
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save() and not self.session.dirty
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
        if not self.dock.isVisible() and not self.dock.isFloating():
            self._tab_with_bottom_docks()
        self.dock.show()
        self.dock.raise_()

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


def install(window: Window) -> EditingFeature:
    return EditingFeature(window)

