"""The field sync dialog: choose a package brought back from the field, preview or apply the
three-way merge (in a worker, with progress and Cancel), see the summary per layer, settle
the conflicts one by one (ancestor / master / field / an edited value), and undo or redo
syncs from the history. Every sync and every resolution is one step of the window's undo
stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.errors import CancelledError, CitymgrError
from citymgr_desktop.core.messages import msg
from citymgr_desktop.core.sync import (
    list_conflicts,
    redo_sync,
    resolve_conflicts,
    sync_package,
    undo_sync,
)
from citymgr_desktop.core.sync import registry as reg
from citymgr_desktop.core.sync.commands import SyncRunCommand
from citymgr_desktop.core.sync.database import sync_into_database
from citymgr_desktop.core.sync.report import SyncReport
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.sync.conflict_model import (
    CHOICE_COL,
    VALUE_COL,
    ChoiceDelegate,
    SyncConflictModel,
    choice_text,
)
from citymgr_desktop.ui.sync.history_model import SyncHistoryModel
from citymgr_desktop.ui.sync.summary_widget import SyncSummaryWidget
from citymgr_desktop.ui.widgets.field_editors import FieldEditorDelegate
from citymgr_desktop.ui.worker import run_task

KEY = "sync/"
PREFER = (None, "master", "field")


class SyncDialog(QDialog):
    """Sync field packages into the window's open file (``window`` follows the contract)."""

    synced = Signal(object)  # SyncReport of an applied sync
    resolved = Signal(object)  # result of an applied resolution
    undone = Signal(str)  # sync id undone (or redone)

    def __init__(self, window: Window, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.window, self.store = window, window.store
        # on a database: one transaction, no backup copy; the conflicts are in the summary
        # (not stored for resolving) and undo is 'citymgr sync-undo URL SYNC_ID'
        self.on_database = bool(self.store.is_database)
        self.task: Any = None
        self.report: SyncReport | None = None
        self.last_error = ""
        name = str(self.store.path) if self.on_database else self.store.path.name
        self.setWindowTitle(self.tr("Field sync — %1").replace("%1", name))
        self._build()
        self._restore()
        self.reload()
        window.dataChanged.connect(self._data_changed)  # dropped by Qt when deleted

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.package = QLineEdit(placeholderText=self.tr(
            "Field package (.gpkg) brought back from QField, Mergin Maps or QGIS"))
        self.package.setClearButtonEnabled(True)
        browse = QPushButton(self.tr("&Browse…"))
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.package, 1)
        row.addWidget(browse)
        self.prefer = QComboBox()
        self.prefer.addItem(self.tr("Leave them open for me to decide"), None)
        self.prefer.addItem(self.tr("Keep the master's value"), "master")
        self.prefer.addItem(self.tr("Take the field's value"), "field")
        self.backup = QCheckBox(self.tr("Copy the master to the backup folder first"))
        form = QFormLayout()
        form.addRow(self.tr("Package:"), row)
        form.addRow(self.tr("Same value changed on both sides:"), self.prefer)
        form.addRow("", self.backup)
        self.preview_button = QPushButton(self.tr("&Preview"))
        self.preview_button.setToolTip(self.tr("Show what the sync would change; write nothing"))
        self.sync_button = QPushButton(self.tr("&Sync"))
        self.sync_button.setDefault(True)
        self.preview_button.clicked.connect(self.preview)
        self.sync_button.clicked.connect(self.sync)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.sync_button)
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget()
        self.summary = SyncSummaryWidget()
        self.tabs.addTab(self.summary, self.tr("Summary"))
        self.tabs.addTab(self._conflicts_tab(), self.tr("Conflicts"))
        self.tabs.addTab(self._history_tab(), self.tr("History"))
        if self.on_database:
            self.backup.hide()
            self.tabs.setTabEnabled(1, False)
            self.tabs.setTabEnabled(2, False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.sync)

    def _conflicts_tab(self) -> QWidget:
        self.model = SyncConflictModel(self)
        self.conflicts = QTableView()
        self.conflicts.setModel(self.model)
        self.conflicts.setItemDelegateForColumn(CHOICE_COL, ChoiceDelegate(self.conflicts))
        self.conflicts.setItemDelegateForColumn(  # the attribute form's editor per field
            VALUE_COL, FieldEditorDelegate(i18n.label_language(), self.conflicts))
        self.conflicts.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflicts.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.conflicts.verticalHeader().setVisible(False)
        self.conflicts.setWordWrap(False)
        head = self.conflicts.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        head.setStretchLastSection(True)
        self.all_master = QPushButton(self.tr("Master for all"))
        self.all_field = QPushButton(self.tr("From the field for all"))
        self.apply_button = QPushButton(self.tr("&Apply choices"))
        self.all_master.clicked.connect(lambda: self.model.choose_all("master"))
        self.all_field.clicked.connect(lambda: self.model.choose_all("field"))
        self.apply_button.clicked.connect(self.apply_choices)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Choose per row: ancestor, master, field or edit; "
                                     "nothing is written until you apply.")), 1)
        for b in (self.all_master, self.all_field, self.apply_button):
            row.addWidget(b)
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(self.conflicts, 1)
        lay.addLayout(row)
        return page

    def _history_tab(self) -> QWidget:
        self.history_model = SyncHistoryModel(self)
        self.history = QTableView()
        self.history.setModel(self.history_model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.undo_button = QPushButton(self.tr("&Undo sync"))
        self.redo_button = QPushButton(self.tr("&Redo sync"))
        self.undo_button.clicked.connect(lambda: self.undo_selected(redo=False))
        self.redo_button.clicked.connect(lambda: self.undo_selected(redo=True))
        self.history.selectionModel().selectionChanged.connect(self._history_selection)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.undo_button)
        row.addWidget(self.redo_button)
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.addWidget(self.history, 1)
        lay.addLayout(row)
        return page

    # -- settings ---------------------------------------------------------------------------
    def _restore(self) -> None:
        s = QSettings()
        prefer = s.value(KEY + "prefer", "") or None
        self.prefer.setCurrentIndex(PREFER.index(prefer) if prefer in PREFER else 0)
        self.backup.setChecked(str(s.value(KEY + "backup", "true")).lower() == "true")
        last = str(s.value(KEY + "package", "") or "")
        if last and Path(last).is_file():  # the package synced last, while it is there
            self.package.setText(last)
        geometry = s.value(KEY + "geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 620)

    def _save(self) -> None:
        s = QSettings()
        s.setValue(KEY + "prefer", self.prefer.currentData() or "")
        s.setValue(KEY + "backup", "true" if self.backup.isChecked() else "false")
        s.setValue(KEY + "geometry", self.saveGeometry())
        if self.package.text().strip():
            s.setValue(KEY + "folder", str(Path(self.package.text().strip()).parent))
            s.setValue(KEY + "package", self.package.text().strip())

    def done(self, result: int) -> None:
        if self.busy():
            return  # the worker is writing: Cancel it first
        self._save()
        super().done(result)

    # -- state ------------------------------------------------------------------------------
    def busy(self) -> bool:
        return self.task is not None and self.task.is_running()

    def reload(self) -> None:
        """Read the open conflicts and the history of the file again."""
        if self.on_database:
            self._enable()
            return
        self.model.load(self.store, list_conflicts(self.store))
        self.conflicts.resizeColumnsToContents()
        for col in (4, 5, 6):
            self.conflicts.setColumnWidth(col, min(self.conflicts.columnWidth(col), 220))
        metrics = self.conflicts.fontMetrics()
        widest = max(metrics.horizontalAdvance(f"{choice_text(c)} ▾")
                     for c in ("ancestor", "master", "field", "edit", None))
        self.conflicts.setColumnWidth(CHOICE_COL, widest + 24)
        packages, runs = reg.packages_and_runs(self.store)
        self.history_model.load(runs, packages)
        self.history.resizeColumnsToContents()
        n = self.model.rowCount()
        self.tabs.setTabText(1, self.tr("Conflicts (%1)").replace("%1", str(n)) if n
                             else self.tr("Conflicts"))
        self._history_selection()
        self._enable()

    def _enable(self) -> None:
        idle = not self.busy() and not self.store.read_only
        for w in (self.sync_button, self.apply_button, self.all_master, self.all_field):
            w.setEnabled(idle)
        self.preview_button.setEnabled(not self.busy())
        self._history_selection()

    def _history_selection(self, *_: Any) -> None:
        run = self.selected_run()
        idle = not self.busy() and not self.store.read_only
        self.undo_button.setEnabled(idle and run is not None and run.state == "applied")
        self.redo_button.setEnabled(idle and run is not None and run.state == "undone")

    def selected_run(self) -> reg.RunRecord | None:
        rows = self.history.selectionModel().selectedRows()
        return self.history_model.run(rows[0].row()) if rows else None

    def say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    # -- actions ----------------------------------------------------------------------------
    def browse(self) -> None:
        start = self.package.text().strip() or str(QSettings().value(KEY + "folder", ""))
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Field package"), start,
                                              self.tr("GeoPackage (*.gpkg)"))
        if path:
            self.package.setText(path)

    def preview(self) -> None:
        self._start(dry_run=True)

    def sync(self) -> None:
        self._start(dry_run=False)

    def _start(self, dry_run: bool) -> None:
        path = self.package.text().strip()
        if self.busy():
            return
        if not path:
            self.say(self.tr("Choose the field package to bring in first."), error=True)
            return
        if not dry_run and not self.window.may_write(self, self.tr(
                "The sync writes the field's changes into this file. Save your edits first: "
                "then a value changed both here and in the field is listed as a conflict "
                "for you to decide."), self.tr("Save and sync")):
            return
        self._save()
        title = self.tr("Comparing %1") if dry_run else self.tr("Syncing %1")
        self.say("")
        fn, extra = (sync_into_database, {}) if self.on_database else \
            (sync_package, {"backup": self.backup.isChecked()})
        self.task = run_task(self, title.replace("%1", Path(path).name), fn,
                             self.store, path, prefer=self.prefer.currentData(),
                             dry_run=dry_run, user=self.window.user_name(), uses=self.store,
                             on_done=self._on_report, on_error=self._on_error, **extra)
        self._enable()

    def _on_report(self, report: SyncReport) -> None:
        self.task = None
        self.report = report
        self.show_report(report)
        if report.status == "applied" and report.sync_uuid:
            tables = set(report.counts) or {"litter_bin"}
            name = Path(report.package).name
            if not self.on_database:
                self.window.commands.push(SyncRunCommand(
                    self.store, report.sync_uuid, msg("Sync {name}", name=name), tables,
                    self.window.user_name(), on_change=self.window.notify_data_changed))
            self.window.notify_data_changed(tables)  # reloads this dialog too
            self.synced.emit(report)
        else:
            self.reload()
        if report.status == "applied" and report.open_conflicts and not self.on_database:
            self.tabs.setCurrentIndex(1)
        else:
            self.tabs.setCurrentIndex(0)

    def _on_error(self, exc: BaseException) -> None:
        self.task = None
        self.last_error = i18n.render(exc)
        if isinstance(exc, CancelledError):
            self.say(self.tr("Cancelled: nothing was changed."))
        elif isinstance(exc, CitymgrError):
            self.say(i18n.render(exc), error=True)
        else:
            self.say(self.tr("Unexpected error: %1").replace("%1", str(exc)), error=True)
        self._enable()

    def _data_changed(self, _tables: set[str]) -> None:
        """The window wrote its file (a step of its undo stack, a sync here): re-read."""
        if self.isVisible() and not self.busy() and self.window.store is self.store:
            self.reload()

    def show_report(self, r: SyncReport) -> None:
        """Fill the summary with ``r`` (an applied sync or a preview)."""
        s = self.window.edit_session  # a preview says what unsaved edits it leaves out
        self.say(self.summary.headline(r, len(s.pending) if s is not None and s.dirty else 0))
        self.summary.show_report(r, self.store)

    def apply_choices(self) -> None:
        chosen = self.model.resolutions()
        if self.busy():
            return
        if not chosen or (refused := self.model.first_problem()):  # the asset form's words
            self.say(refused if chosen else self.tr("Choose ancestor, master, field or edit "
                                                    "for at least one conflict."), error=True)
            return
        if not self.window.may_write(self, self.tr(
                "Applying the choices writes them into this file. Save your edits first."),
                self.tr("Save and apply")):
            return
        tables = {self.model.records[i].table for i in self.model.choices}
        self.task = run_task(self, self.tr("Resolving conflicts"), resolve_conflicts,
                             self.store, chosen, user=self.window.user_name(), uses=self.store,
                             on_done=lambda out: self._on_resolved(out, tables),
                             on_error=self._on_error)
        self._enable()

    def _on_resolved(self, out: dict[str, Any], tables: set[str]) -> None:
        self.task = None
        n = out["resolved"]
        self.window.commands.push(SyncRunCommand(
            self.store, out["sync_uuid"], msg("Resolve {count} conflict(s)", count=n),
            tables, self.window.user_name(), on_change=self.window.notify_data_changed))
        self.window.notify_data_changed(tables)
        self.say(self.tr("%1 conflict(s) resolved (%2); Edit ▸ Undo takes it back.")
                 .replace("%1", str(n)).replace("%2", out["sync_id"]))
        self.resolved.emit(out)

    def undo_selected(self, redo: bool = False) -> None:
        run = self.selected_run()
        if run is None or self.busy():
            return
        if not self.window.may_write(self, self.tr(
                "Undoing or redoing a sync writes this file. Save your edits first."),
                self.tr("Save and redo") if redo else self.tr("Save and undo")):
            return
        title = self.tr("Redo %1") if redo else self.tr("Undo %1")
        fn, kwargs = (redo_sync, {}) if redo else (undo_sync, {"user": self.window.user_name()})
        self.task = run_task(self, title.replace("%1", run.sync_id), fn, self.store,
                             run.sync_uuid, uses=self.store, on_done=lambda out: self._on_undone(out, run),
                             on_error=self._on_error, **kwargs)
        self._enable()

    def _on_undone(self, out: dict[str, Any], run: reg.RunRecord) -> None:
        self.task = None
        tables = set(run.counts) or {"litter_bin"}
        self.window.notify_data_changed(tables)
        self.say(self.tr("%1: %2 row change(s) reverted.").replace("%1", out["sync_id"])
                 .replace("%2", str(out["rows_restored"])) if run.state == "applied" else
                 self.tr("%1 applied again.").replace("%1", out["sync_id"]))
        self.undone.emit(out["sync_id"])
