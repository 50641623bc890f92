"""The detail view of one work order: what, where, by when and who; its timeline (every move
with who, when in office time and why); its assets (double-click one to select it on the
map); its photos, and attaching more to the order. Read through the window's edit session,
so unsaved moves and photos show; attaching is a pending edit like any other."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core import history
from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.model.delta import DeltaSet
from citymgr_desktop.core.workorders import orders as wo
from citymgr_desktop.core.workorders import states as wf
from citymgr_desktop.core.workorders.notes import note_text
from citymgr_desktop.core.workorders.query import load_report
from citymgr_desktop.ui.i18n import label_language, language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import show_error
from citymgr_desktop.ui.workorders.wrap_delegate import WrapDelegate

THUMB = 96
NOTE_COLUMN = 4  # the timeline's last column
FOLDER_KEY = "workorders/photo_dir"


class WorkOrderDetailDialog(QDialog):
    """One order, kept up to date while it is open."""

    def __init__(self, window: Window, case: str, move: Callable[[str], object],
                 extend: Callable[[str], object] | None = None) -> None:
        """``move(case)`` opens the move dialog, ``extend(case)`` the extension dialog (the
        feature's)."""
        super().__init__(window)
        self.setObjectName("workOrderDetail")
        self.window, self.case, self._move = window, case, move
        self.order: dict[str, Any] = {}
        self.header = QLabel()
        self.header.setObjectName("orderHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.timeline = QTreeWidget()
        self.timeline.setObjectName("orderTimeline")
        self.timeline.setRootIsDecorated(False)
        # a long note (an extension's reason) wraps and its row grows: shown whole
        self.timeline.setItemDelegateForColumn(NOTE_COLUMN, WrapDelegate(self.timeline))
        self.timeline.setHeaderLabels([self.tr("When"), self.tr("From"), self.tr("To"),
                                       self.tr("By"), self.tr("Note")])
        self.assets = QTreeWidget()
        self.assets.setObjectName("orderAssets")
        self.assets.setRootIsDecorated(False)
        self.assets.setHeaderLabels([self.tr("Class"), self.tr("Object code"), self.tr("Name"),
                                     self.tr("Sub-district"), self.tr("Condition")])
        self.assets.itemDoubleClicked.connect(self._asset_chosen)
        self.photos = QListWidget()
        self.photos.setObjectName("orderPhotos")
        self.photos.setViewMode(QListWidget.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB, THUMB))
        self.photos.setWrapping(True)
        self.attach_button = QPushButton(self.tr("Attach photos…"))
        self.attach_button.setObjectName("orderAttach")
        self.attach_button.clicked.connect(lambda: self.attach())
        photos = QWidget()
        column = QVBoxLayout(photos)
        column.addWidget(self.photos, 1)
        row = QHBoxLayout()
        row.addWidget(self.attach_button)
        row.addStretch(1)
        column.addLayout(row)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        self.tabs.addTab(self.assets, self.tr("Assets"))
        self.tabs.addTab(photos, self.tr("Photos"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.move_button = QPushButton(self.tr("Move…"))
        self.move_button.setObjectName("orderMove")
        self.extend_button = QPushButton(self.tr("Extend deadline…"))
        self.extend_button.setObjectName("orderExtend")
        self.extend_button.setVisible(extend is not None)
        self.map_button = QPushButton(self.tr("Show on map"))
        buttons.addButton(self.move_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.extend_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.map_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.move_button.clicked.connect(lambda: self._move(self.case))
        if extend is not None:
            self.extend_button.clicked.connect(lambda: extend(self.case))
        self.map_button.clicked.connect(self._show_on_map)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(760, 560)
        self._session = window.edit_session
        if self._session is not None:
            self._session.subscribe(self._changed)
        window.storeChanged.connect(self.close)
        self.refresh()

    @property
    def pending(self) -> DeltaSet | None:
        return self._session.pending if self._session is not None else None

    def _changed(self, _event: Any) -> None:
        self.refresh()

    def refresh(self) -> None:
        store = self.window.store
        if store is None:
            return
        try:
            (report,) = load_report(store, [self.case], pending=self.pending)
        except (CitymgrError, ValueError):
            self.header.setText(self.tr("Work order %1 no longer exists.").replace("%1",
                                                                                 self.case))
            self.tabs.setEnabled(False)
            self.move_button.setEnabled(False)
            self.extend_button.setEnabled(False)
            return
        lang = label_language()
        o = self.order = report.order
        self.setWindowTitle(self.tr("Work order %1").replace("%1", o["case_no"]))
        overdue = wo.is_overdue(o)
        self.header.setText(
            f"<b>{o['case_no']}</b> {o['title']}<br>"
            + self.tr("State: %1 · Priority: %2 · Deadline: %3%4").replace(
                "%1", wf.label(o["state"], lang)).replace(
                "%2", dm.WORK_ORDER_PRIORITY.label(o["priority"], lang)).replace(
                "%3", format_local(o.get("deadline"))).replace(
                "%4", " <span style='color:#c0392b'>" + self.tr("(overdue)") + "</span>"
                if overdue else "")
            + "<br>" + self.tr("Disposal unit: %1 · Sub-district: %2 · Reported by %3").replace(
                "%1", o.get("assignee") or "–").replace("%2", o.get("district") or "–").replace(
                "%3", o.get("created_by") or "–")
            + (f"<br>{o['description']}" if o.get("description") else ""))
        self.timeline.clear()
        top = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop  # beside a wrapped note
        for e in report.events:
            item = QTreeWidgetItem([
                format_local(e.get("at")),
                wf.label(e["from_state"], lang) if e.get("from_state") else "",
                wf.label(e["to_state"], lang), e.get("by") or "",
                note_text(e.get("note"), language())])
            for column in range(item.columnCount()):
                item.setTextAlignment(column, top)
            self.timeline.addTopLevelItem(item)
        self.assets.clear()
        for a in report.assets:
            v = a.values
            item = QTreeWidgetItem([
                sc.ASSET_TABLES_BY_NAME[a.asset_class].label(lang), v.get("obj_code") or "",
                v.get("name") or "", v.get("district") or "",
                (f"{v['condition']} {dm.CONDITION.label(v['condition'], lang)}"
                 if v.get("condition") is not None else "")])
            item.setData(0, Qt.ItemDataRole.UserRole, (a.asset_class, a.asset_uuid))
            self.assets.addTopLevelItem(item)
        for tree in (self.timeline, self.assets):
            for i in range(tree.columnCount() - 1):
                tree.resizeColumnToContents(i)
        self.tabs.setTabText(1, self.tr("Assets (%1)").replace("%1", str(len(report.assets))))
        self._fill_photos()
        editable = self._session is not None
        self.attach_button.setEnabled(editable)
        self.move_button.setEnabled(editable and bool(wf.allowed_targets(o["state"])))
        self.extend_button.setEnabled(editable and o["state"] in wo.OVERDUE_STATES)

    def _fill_photos(self) -> None:
        self.photos.clear()
        store = self.window.store
        wid = self.order.get("work_order_uuid")
        if store is None or not wid:
            return
        found = history.attachments(store, wid, pending=self.pending)
        for att in found:
            item = QListWidgetItem(att["file_name"])
            item.setToolTip(f"{att['file_name']} ({att['size_bytes'] or 0:,} B)")
            if (att.get("mime_type") or "").startswith("image/"):
                image = QImage.fromData(history.attachment_content(
                    store, att["attachment_uuid"], self.pending))
                if not image.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(image.scaled(
                        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation))))
            self.photos.addItem(item)
        self.tabs.setTabText(2, self.tr("Photos (%1)").replace("%1", str(len(found))))

    def attach(self, files: list[str] | None = None) -> None:
        """Attach photos (or documents) to the order: one pending edit, one undo step."""
        session, wid = self._session, self.order.get("work_order_uuid")
        if session is None or not wid:
            return
        if not files:
            start = str(QSettings().value(FOLDER_KEY, str(Path.home())))
            files, _ = QFileDialog.getOpenFileNames(
                self, self.tr("Attach photos to the work order"), start,
                self.tr("Photos and documents (*.jpg *.jpeg *.png *.heic *.pdf);;"
                        "All files (*)"))
            if not files:
                return
            QSettings().setValue(FOLDER_KEY, str(Path(files[0]).parent))
        deltas = DeltaSet()
        try:
            for f in files:
                deltas.extend(history.plan_attach_file(
                    self.window.store, wid, f, user=self.window.user_name(),
                    owner_kind="work_order", pending=DeltaSet([*session.pending, *deltas])))
            session.push_deltas(deltas, self.tr("Attach %1 photo(s) to %2").replace(
                "%1", str(len(files))).replace("%2", self.case))
        except CitymgrError as exc:
            show_error(self, self.tr("Attach photos to the work order"), exc)
            return
        self.tabs.setCurrentIndex(2)

    def _asset_chosen(self, item: QTreeWidgetItem, _column: int) -> None:
        layer, uuid = item.data(0, Qt.ItemDataRole.UserRole)
        self.window.selection.replace_all({layer: [uuid]})
        self.window.zoom_to_selection()

    def _show_on_map(self) -> None:
        chosen: dict[str, list[str]] = {}
        for i in range(self.assets.topLevelItemCount()):
            layer, uuid = self.assets.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
            chosen.setdefault(layer, []).append(uuid)
        self.window.selection.replace_all(chosen)
        self.window.zoom_to_selection()

    def done(self, result: int) -> None:
        if self._session is not None:
            self._session.unsubscribe(self._changed)
            self._session = None
        super().done(result)
