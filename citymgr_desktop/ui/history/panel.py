"""The maintenance-history dock: the timeline of the selected asset's records, with add /
edit / delete and photo thumbnails: every photo of the asset (its own and its records',
those synced from the field included) or, with a record chosen, the asset's own and that
record's. Every change is a pending edit of the window's one edit session (one undo step,
saved with Ctrl+S with the rest), and everything is read through it, so unsaved records and
photos show as if saved. Del in the list deletes the chosen record (the window's Del deletes
assets elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core import history
from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.editing import EditEvent
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.core.workorders.query import case_numbers
from citymgr_desktop.ui.history.record_dialog import HistoryRecordDialog
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.widgets.photo_strip import PhotoStripWidget
from citymgr_desktop.ui.worker import show_error

SETTINGS_DIR = "history/attach_dir"


class HistoryPanelWidget(QWidget):
    """Shows and edits the history of one asset (the first selected one)."""

    def __init__(self, window: Window) -> None:
        super().__init__()
        self.window = window
        self.asset: tuple[str, str] | None = None  # (layer, uuid)
        self.asset_label = ""
        self.title = QLabel(self.tr("Select an asset to see its maintenance history."))
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([self.tr("Date"), self.tr("Type"), self.tr("Crew"),
                                   self.tr("Condition"), self.tr("Observation / work done"),
                                   self.tr("Order"), self.tr("Photos")])
        self.tree.setObjectName("historyRecords")
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.installEventFilter(self)
        self.tree.itemSelectionChanged.connect(self._show_thumbnails)
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_record())
        self.add_btn = QPushButton(self.tr("Add…"))
        self.edit_btn = QPushButton(self.tr("Edit…"))
        self.del_btn = QPushButton(self.tr("Delete"))
        self.attach_btn = QPushButton(self.tr("Attach photo…"))
        self.add_btn.clicked.connect(self.add_record)
        self.edit_btn.clicked.connect(self.edit_record)
        self.del_btn.clicked.connect(self.delete_record)
        self.attach_btn.clicked.connect(self.attach)
        for button, name in ((self.add_btn, "historyAdd"), (self.edit_btn, "historyEdit"),
                             (self.del_btn, "historyDelete"), (self.attach_btn, "historyAttach")):
            button.setObjectName(name)
        self.thumbs = PhotoStripWidget()
        self.thumbs.setObjectName("history_photos")
        buttons = QHBoxLayout()
        for b in (self.add_btn, self.edit_btn, self.del_btn, self.attach_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.thumbs)
        self._session = None
        window.selection.changed.connect(self._selection_changed)
        window.dataChanged.connect(self._data_changed)
        window.storeChanged.connect(self._store_changed)
        self._update_buttons()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Del in the record list deletes the chosen record: the list takes the key before
        the window's Del (delete assets) sees it, so the two never clash."""
        if obj is self.tree and event.type() in (QEvent.Type.ShortcutOverride,
                                                 QEvent.Type.KeyPress):
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key == Qt.Key.Key_Delete and self.selected_record() is not None:
                event.accept()
                if event.type() == QEvent.Type.KeyPress and self.del_btn.isEnabled():
                    self.delete_record()
                return True
        return super().eventFilter(obj, event)

    def _store_changed(self, _store: Any) -> None:
        if self._session is not None:
            self._session.unsubscribe(self._session_changed)
        self._session = self.window.edit_session
        if self._session is not None:
            self._session.subscribe(self._session_changed)
        self._selection_changed("")

    def _session_changed(self, event: EditEvent) -> None:
        if self.asset is not None and ({"maintenance_record", "attachment", self.asset[0]}
                                       & set(event.tables)):
            self.refresh()

    @property
    def pending(self) -> DeltaSet | None:
        session = self.window.edit_session
        return session.pending if session is not None else None

    # -- following the selection ----------------------------------------------------------
    def _selection_changed(self, _layer: str) -> None:
        chosen = None
        if self.window.store is not None:
            current = self.window.current_layer()
            sel = self.window.selection.all()
            layers = ([current] if current in sel else []) + [k for k in sel if k != current]
            for layer in layers:
                if sel.get(layer):
                    chosen = (layer, sel[layer][0])
                    break
        self.set_asset(chosen)

    def _data_changed(self, tables: set[str]) -> None:
        if {"maintenance_record", "attachment"} & set(tables) or (
                self.asset and self.asset[0] in tables):
            self.refresh()

    def set_asset(self, asset: tuple[str, str] | None) -> None:
        self.asset = asset
        self.refresh()

    def refresh(self) -> None:
        chosen = self.selected_record()  # stays chosen (an attachment added to it, an edit)
        self.tree.clear()
        self.thumbs.clear()
        store = self.window.store
        if store is None or self.asset is None or not self.window.is_project:
            self.title.setText(self.tr("Select an asset to see its maintenance history."))
            self._update_buttons()
            return
        layer, uuid = self.asset
        lang = label_language()
        session = self.window.edit_session
        try:
            row = session.row(layer, uuid) if session is not None else store.get_row(layer,
                                                                                      uuid)
        except CitymgrError:
            self.asset = None
            self.refresh()
            return
        cond = dm.CONDITION.label(row.get("condition"), lang) or self.tr("not assessed")
        self.asset_label = f"{row.get('name') or ''} {row.get('obj_code') or ''}".strip()
        self.title.setText(f"<b>{row.get('name') or ''}</b> {row.get('obj_code') or ''} · "
                           + self.tr("Condition: %1").replace("%1", cond))
        recs = history.records(store, uuid, pending=self.pending)
        cases = case_numbers(store, [rec.get("work_order_uuid") for rec in recs], self.pending)
        for rec in recs:
            text = " / ".join(t for t in (rec.get("observation"), rec.get("work_done")) if t)
            before, after = rec.get("condition_before"), rec.get("condition_after")
            photos = len(history.attachments(store, rec["record_uuid"], pending=self.pending))
            item = QTreeWidgetItem([
                rec["record_date"], dm.RECORD_TYPE.label(rec["record_type"], lang),
                rec.get("crew") or "", f"{before or '–'} → {after or '–'}", text,
                cases.get(rec.get("work_order_uuid"), ""), str(photos) if photos else ""])
            item.setData(0, Qt.ItemDataRole.UserRole, rec["record_uuid"])
            item.setToolTip(4, text)
            who = self.tr("Recorded by %1, %2").replace(
                "%1", rec.get("created_by") or "–").replace(
                "%2", format_local(rec.get("created_at")) or "–")
            for column in (0, 1, 6):
                item.setToolTip(column, who)
            self.tree.addTopLevelItem(item)
            if rec["record_uuid"] == chosen:
                self.tree.blockSignals(True)
                item.setSelected(True)
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
        for i in range(5):
            self.tree.resizeColumnToContents(i)
        self._show_thumbnails()
        self._update_buttons()

    def selected_record(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def _update_buttons(self) -> None:
        editable = self.window.edit_session is not None and self.asset is not None
        self.add_btn.setEnabled(editable)
        self.attach_btn.setEnabled(editable)
        has_rec = editable and self.selected_record() is not None
        self.edit_btn.setEnabled(has_rec)
        self.del_btn.setEnabled(has_rec)

    # -- thumbnails -------------------------------------------------------------------------
    def _show_thumbnails(self) -> None:
        self.thumbs.clear()
        self._update_buttons()
        store = self.window.store
        if store is None or self.asset is None:
            return
        asset = self.asset[1]
        rec = self.selected_record()
        pending = self.pending
        own = history.attachments(store, asset, pending=pending)
        if rec:  # the asset's own attachments and the chosen record's
            rows = own + history.attachments(store, rec, pending=pending)
        else:  # every photo of the asset, newest first, then its own documents
            photos = history.asset_photos(store, asset, pending=pending)
            seen = {p["attachment_uuid"] for p in photos}
            rows = photos + [a for a in own if a["attachment_uuid"] not in seen]
        self.thumbs.show_attachments(store, rows, pending)

    # -- editing ----------------------------------------------------------------------------
    def _push(self, deltas: Any, label: str) -> None:
        """One undo step in the window's edit session (saved with everything else)."""
        session = self.window.edit_session
        if session is None:
            return
        try:
            session.push_deltas(deltas, label)
        except CitymgrError as exc:
            show_error(self, label, exc)
            return
        self.window.status(label)

    def add_record(self) -> None:
        if self.asset is None:
            return
        layer, uuid = self.asset
        session = self.window.edit_session  # the condition shown, unsaved edits included
        now = (session.row(layer, uuid) or {}).get("condition") if session is not None else None
        dlg = HistoryRecordDialog(self, asset_label=self.asset_label, condition_now=now)
        if not dlg.exec():
            return
        try:
            deltas = history.plan_add(self.window.store, layer, uuid, dlg.values(),
                                      user=self.window.user_name(),
                                      update_condition=dlg.update_condition.isChecked(),
                                      pending=self.pending)
        except CitymgrError as exc:
            show_error(self, self.tr("Add maintenance record"), exc)
            return
        self._push(deltas, self.tr("Add maintenance record"))

    def edit_record(self) -> None:
        rid = self.selected_record()
        if rid is None:
            return
        store = self.window.store
        dlg = HistoryRecordDialog(self, history.get_record(store, rid, self.pending))
        if not dlg.exec():
            return
        try:
            deltas = history.plan_edit(store, rid, dlg.values(),
                                       update_condition=dlg.update_condition.isChecked(),
                                       pending=self.pending)
        except CitymgrError as exc:
            show_error(self, self.tr("Edit maintenance record"), exc)
            return
        if deltas:
            self._push(deltas, self.tr("Edit maintenance record"))

    def delete_record(self) -> None:
        rid = self.selected_record()
        if rid is None:
            return
        self._push(history.plan_delete(self.window.store, rid, self.pending),
                   self.tr("Delete maintenance record"))

    def attach(self, files: list[str] | None = None) -> None:
        if self.asset is None:
            return
        owner = self.selected_record() or self.asset[1]
        if not files:
            start = str(QSettings().value(SETTINGS_DIR, str(Path.home())))
            files, _ = QFileDialog.getOpenFileNames(
                self, self.tr("Attach photos or documents"), start,
                self.tr("Photos and documents (*.jpg *.jpeg *.png *.heic *.pdf *.doc *.docx);;"
                        "All files (*)"))
            if not files:
                return
            QSettings().setValue(SETTINGS_DIR, str(Path(files[0]).parent))
        deltas = DeltaSet()
        try:
            for f in files:
                ahead = DeltaSet([*(self.pending or ()), *deltas])
                deltas.extend(history.plan_attach_file(self.window.store, owner, f,
                                                       user=self.window.user_name(),
                                                       pending=ahead))
        except CitymgrError as exc:
            show_error(self, self.tr("Attach photos or documents"), exc)
            return
        self._push(deltas, self.tr("Attach %1 file(s)").replace("%1", str(len(files))))
