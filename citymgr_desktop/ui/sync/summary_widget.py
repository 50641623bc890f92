"""The sync dialog's summary tab: what one sync (applied or previewed) did per layer, its
notes and its conflicts, and the one-line headline the dialog shows above the tabs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.sync.names import conflict_names
from citymgr_desktop.core.sync.report import STATUS_TEXT, SyncReport
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.sync.conflict_model import field_label, kind_text, short

COUNT_KEYS = ("insert", "update", "delete", "retire", "conflict")


class SyncSummaryWidget(QWidget):
    """Counts per layer (added, changed, deleted, retired, conflicts) over a list of the
    notes and conflicts of one :class:`SyncReport`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = QTableWidget(0, len(COUNT_KEYS))
        self.counts.setHorizontalHeaderLabels([self.tr("Added"), self.tr("Changed"),
                                               self.tr("Deleted"), self.tr("Retired"),
                                               self.tr("Conflicts")])
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.notes = QListWidget()
        self.notes.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.counts, 2)
        lay.addWidget(QLabel(self.tr("Notes and conflicts:")))
        lay.addWidget(self.notes, 1)

    def headline(self, r: SyncReport, unsaved: int = 0) -> str:
        """One sentence: the sync, its outcome and its totals; a preview made while the
        window has ``unsaved`` changes says they are not in it (it compares the saved file)."""
        status = self.tr({
            "applied": "Applied", "dry-run": "Preview: nothing was written",
            "already-synced": "Already synced: nothing was changed",
            "nothing-to-do": "No changes in the package since its last sync",
        }.get(r.status, str(STATUS_TEXT.get(r.status, r.status))))
        t = r.totals()
        text = self.tr("Sync %1 — %2. %3 added, %4 changed, %5 deleted, %6 retired, "
                       "%7 conflict(s), %8 left open.")
        for k, v in (("%1", r.sync_id or "-"), ("%2", status), ("%3", t["insert"]),
                     ("%4", t["update"]), ("%5", t["delete"]), ("%6", t["retire"]),
                     ("%7", t["conflict"]), ("%8", r.open_conflicts)):
            text = text.replace(k, str(v))
        if r.status == "dry-run" and unsaved:
            text += "\n" + self.tr(
                "This preview compares the saved file: your %1 unsaved change(s) are not in "
                "it. Save them first to see where they meet the field's changes.").replace(
                "%1", f"{unsaved:,}")
        return text

    def show_report(self, r: SyncReport, store: Any = None) -> None:
        """Fill the counts and the notes with ``r``; with the master ``store`` a conflict
        names its asset by code and name, as people know it (else by its uuid's start)."""
        names = conflict_names(store, r.conflicts, [(t, u) for t, u, _a in r.removed]) \
            if store is not None else {}
        layers = list(r.counts)
        self.counts.setRowCount(len(layers))
        self.counts.setVerticalHeaderLabels([sc.table(x).label(label_language()) for x in layers])
        for i, layer in enumerate(layers):
            for j, key in enumerate(COUNT_KEYS):
                item = QTableWidgetItem(str(r.counts[layer].get(key, 0)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.counts.setItem(i, j, item)
        self.notes.clear()
        for c in r.conflicts:
            what = (self.tr("settled: %1").replace("%1", c.resolution) if c.resolution
                    else self.tr("open"))
            values = "" if c.field == "*" else self.tr(
                "ancestor %1 · master %2 · field %3").replace(
                "%1", short(c.ancestor, c.field, 30, c.layer) or "∅").replace(
                "%2", short(c.master, c.field, 30, c.layer) or "∅").replace(
                "%3", short(c.field_value, c.field, 30, c.layer) or "∅")
            who = names.get((c.layer, c.uuid)) or c.uuid[:8]
            self.notes.addItem(f"{sc.table(c.layer).label(label_language())} {who} "
                               f"{field_label(c.layer, c.field)}: {kind_text(c.kind)} "
                               f"({what}) {values}")
        preview = r.status == "dry-run"
        for layer, uuid, action in r.removed:  # a slip on a tablet must be seen before it lands
            text = {("delete", True): self.tr("deleted in the field: will be removed from the "
                                              "master (it has no history)"),
                    ("delete", False): self.tr("deleted in the field: removed from the master "
                                               "(it had no history)"),
                    ("retire", True): self.tr("deleted in the field: will be retired (it has "
                                              "history)"),
                    ("retire", False): self.tr("deleted in the field: retired (it has "
                                               "history)")}[(action, preview)]
            who = names.get((layer, uuid)) or uuid[:8]
            self.notes.addItem(f"{sc.table(layer).label(label_language())} {who}: {text}")
        for n in r.notes:
            self.notes.addItem(i18n.render(n))

