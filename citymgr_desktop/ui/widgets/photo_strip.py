"""A strip of photo thumbnails from the attachment table (the history dock, the asset form):
each with its file name, when and where it was taken and who stored it in the tooltip;
double-click opens the file in the system's viewer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTemporaryDir, QUrl
from PySide6.QtGui import QDesktopServices, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from citymgr_desktop.core import history
from citymgr_desktop.core.clock import format_local
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.ui.worker import show_error

THUMB = 96


class PhotoStripWidget(QListWidget):
    """Thumbnails of attachments; ``show_attachments(store, rows)`` fills it."""

    def __init__(self, parent: QWidget | None = None, size: int = THUMB) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(size, size))
        self.setFixedHeight(size + 36)
        self.setFlow(QListWidget.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.size_px = size
        self.store: Any = None
        self.pending: Any = None
        self._tmp = QTemporaryDir()
        self.itemDoubleClicked.connect(self._open)

    def show_attachments(self, store: Any, rows: list[dict[str, Any]],
                         pending: Any = None) -> None:
        """One item per attachment row (``history.attachments`` / ``asset_photos``);
        ``pending``: the edit session's unsaved edits (an unsaved photo shows too)."""
        self.clear()
        self.store = store
        self.pending = pending
        for att in rows:
            item = QListWidgetItem(att["file_name"])
            item.setData(Qt.ItemDataRole.UserRole, att["attachment_uuid"])
            item.setToolTip(self._describe(att))
            if (att.get("mime_type") or "").startswith("image/"):
                try:
                    img = QImage.fromData(history.attachment_content(
                        store, att["attachment_uuid"], pending))
                except CitymgrError:
                    img = QImage()
                if not img.isNull():
                    item.setIcon(QIcon(QPixmap.fromImage(img.scaled(
                        self.size_px, self.size_px, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation))))
            self.addItem(item)

    def _describe(self, att: dict[str, Any]) -> str:
        lines = [f"{att['file_name']} ({att.get('size_bytes') or 0:,} B)"]
        if att.get("taken_at"):
            lines.append(self.tr("Taken %1").replace("%1", format_local(att["taken_at"])))
        if att.get("gps_lon") is not None and att.get("gps_lat") is not None:
            lines.append(self.tr("GPS %1, %2").replace("%1", f"{att['gps_lat']:.6f}")
                         .replace("%2", f"{att['gps_lon']:.6f}"))
        who = " ".join(x for x in (att.get("created_by") or "",
                                   format_local(att.get("created_at"))) if x)
        if who:
            lines.append(self.tr("Stored by %1").replace("%1", who))
        if att.get("caption"):
            lines.append(att["caption"])
        lines.append(f"SHA-256 {att['sha256']}")
        return "\n".join(lines)

    def _open(self, item: QListWidgetItem) -> None:
        aid = item.data(Qt.ItemDataRole.UserRole)
        try:
            data = history.attachment_content(self.store, aid, self.pending)
        except CitymgrError as exc:
            show_error(self, self.tr("Open attachment"), exc)
            return
        path = Path(self._tmp.path()) / f"{aid[:8]}-{item.text()}"
        path.write_bytes(data)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
