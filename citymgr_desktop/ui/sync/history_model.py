"""The table model of sync history: each sync and resolution run, newest first, with its state,
who and when, what it changed and how many conflicts it left."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush, QColor

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.sync.registry import PackageRecord, RunRecord


def tr(text: str) -> str:
    return QCoreApplication.translate("citymgr", text)


class SyncHistoryModel(QAbstractTableModel):
    """Runs of the open file (``load``), newest first."""

    HEADERS = ("Sync ID", "Kind", "State", "When", "By", "Added", "Changed", "Deleted",
               "Conflicts", "Package")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] = []
        self.packages: dict[str, PackageRecord] = {}

    def load(self, runs: list[RunRecord], packages: list[PackageRecord]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.packages = {p.package_uuid: p for p in packages}
        self.endResetModel()

    def run(self, row: int) -> RunRecord | None:
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(self.HEADERS[section])
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.runs[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and r.state == "undone":
            return QBrush(QColor(140, 140, 140))
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [r.sync_id]
            if r.source_path:
                lines.append(tr("Package file: %1").replace("%1", r.source_path))
            if r.backup_file:
                lines.append(tr("Backup: %1").replace("%1", r.backup_file))
            if r.undone_at:
                lines.append(tr("Undone %1 by %2").replace("%1", format_local_or_text(r.undone_at))
                             .replace("%2", r.undone_by or "-"))
            return "\n".join(lines)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        total = {"insert": 0, "update": 0, "delete": 0, "retire": 0}
        for counts in r.counts.values():
            for k in total:
                total[k] += int(counts.get(k, 0))
        pkg = self.packages.get(r.package_uuid or "")
        return (r.sync_id,
                tr("Sync") if r.kind == "sync" else tr("Resolution"),
                tr("Applied") if r.state == "applied" else tr("Undone"),
                format_local_or_text(r.applied_at), r.applied_by or "",
                str(total["insert"]), str(total["update"]),
                str(total["delete"] + total["retire"]), str(r.conflict_count),
                pkg.name if pkg else "")[index.column()]
