"""Layer › Export layer… (also on the layer's context menu and the attribute table's tool
bar): the current asset layer's selected, filtered or all assets to GeoJSON, GeoPackage, CSV
or XLSX, in a worker with progress and Cancel. Unsaved edits are exported as the window shows
them, as the work-order export does; the file is written whole or not at all."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.core.store import select_assets
from citymgr_desktop.export.layer_export import export_layer
from citymgr_desktop.ui.exporting.layer_export_dialog import LayerExportDialog
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.worker import run_task, show_error

ORDER = 80  # after the editing feature: its attribute table gets the action
_DISTRICT = re.compile(r"\bdistrict\s*=\s*'([^']+)'")


def export_in_worker(store: Any, layer: str, path: str, fmt: str, *, progress: Any,
                     **options: Any) -> dict[str, object]:
    """The export on a read-only store of its own (the UI thread keeps the open one)."""
    reader = store.reader()
    try:
        return export_layer(reader, layer, path, fmt, progress=progress, **options)
    finally:
        reader.close()


def count_in_worker(store: Any, layer: str, pending: list[Any],
                    filtered: dict[str, Any] | None, *, progress: Any) -> dict[str, int]:
    """How many assets "all" and the table's filter (``filtered``'s options) export, unsaved
    edits included; counted on a read-only store of its own, off the UI thread (a 120,000-
    asset layer took a second: the dialog waited for it)."""
    reader = store.reader()
    try:
        counts = {"all": len(select_assets(reader, layer, None, pending=pending,
                                           with_uuids=False))}
        progress.check()
        if filtered is not None:
            counts["filtered"] = len(select_assets(
                reader, layer, filtered["where"], pending=pending, with_uuids=False,
                include_retired=filtered["include_retired"], among=filtered["among"]))
        return counts
    finally:
        reader.close()


class LayerExportFeature(QObject):
    """The Export layer… action of one main window."""

    def __init__(self, window: Window) -> None:
        super().__init__(window)
        self.window = window
        self.action = QAction(self.tr("Export layer…"), window)
        self.action.setObjectName("action_export_layer")
        self.action.triggered.connect(lambda _checked=False: self.export())
        window.menu("layer").addAction(self.action)
        window.layer_panel.add_context_action(self.action)
        table = self._table()
        if table is not None:
            table.toolbar.addAction(self.action)
        self.task = None
        self.counting = None  # the dialog's counts, being counted in a worker
        self.dialog: LayerExportDialog | None = None  # tests reach the open dialog here
        window.storeChanged.connect(lambda _s: self._update())
        self._update()

    def _update(self) -> None:
        self.action.setEnabled(self.window.store is not None and self.window.is_project)

    def _table(self) -> Any:
        """The attribute table (the editing feature's), known by its name and the little
        asked of it: its layer, tool bar and model (expression, retired, selected only)."""
        table = self.window.findChild(QWidget, "attribute_table")
        return table if table is not None and hasattr(table, "toolbar") else None

    def _filter(self, layer: str) -> dict[str, Any] | None:
        """The table's filter of ``layer`` as export options; None when the table shows no
        filter."""
        table = self._table()
        model = getattr(table, "model", None)
        if table is None or model is None or table.layer != layer:
            return None
        if model.expression is None and model.selected_only is None:
            return None
        return {"where": model.expression, "among": model.selected_only,
                "include_retired": bool(model.show_retired)}

    def _names(self, layer: str, selected: list[str], filtered: dict[str, Any] | None
               ) -> dict[str, str]:
        """File names per scope: the layer, then the 街道 when the assets share one, else
        the scope (垃圾箱-徐家棚街道, 垃圾箱-所选, litter-bins-selected): words joined by "-"
        and lower case, no spaces, as the work orders' (workorders-12) and the monthly
        report's (monthly-report-2026-11) names."""
        lang = label_language()
        base = sc.table(layer).label(lang)
        names = {"all": base, "selected": f"{base}-{self.tr('selected')}",
                 "filtered": f"{base}-{self.tr('filtered')}"}
        store = self.window.store
        if selected and store is not None and len(selected) <= 5000:
            session = self.window.edit_session
            rows = (session.rows(layer, selected, ["district"]) if session is not None
                    else store.get_rows(layer, selected, fields=["district"]))
            districts = {r.get("district") for r in rows.values()}
            if len(districts) == 1 and None not in districts:
                names["selected"] = f"{base}-{districts.pop()}"
        text = getattr(filtered.get("where") if filtered else None, "text", "") or ""
        found = set(_DISTRICT.findall(str(text)))
        if len(found) == 1:
            names["filtered"] = f"{base}-{found.pop()}"
        return {scope: "-".join(name.split()).lower() for scope, name in names.items()}

    def export(self, layer: str | None = None, values: dict[str, Any] | None = None) -> None:
        """Export ``layer`` (the current one by default); ``values`` skip the dialog."""
        store = self.window.store
        title = self.tr("Export layer")
        layer = layer or self.window.current_layer()
        if store is None:
            return
        if layer not in sc.ASSET_TABLES_BY_NAME:
            show_error(self.window, title, CitymgrError(
                "Choose an asset layer in the layer panel first."))
            return
        session = self.window.edit_session
        pending = list(session.pending_for(layer)) if session is not None else []
        selected = self.window.selection.selected(layer)
        filtered = self._filter(layer)
        if values is None:
            values = self._ask(store, layer, pending, selected, filtered)
            if values is None:
                return
        scope = values.get("scope", "all")
        options: dict[str, Any] = {"codes": bool(values.get("codes")),
                                   "lang": label_language(), "pending": pending}
        if scope == "selected":
            options["among"] = set(selected)
        elif scope == "filtered" and filtered is not None:
            options.update(filtered)
        self.task = run_task(
            self.window, self.tr("Exporting %1…").replace("%1", sc.table(layer).label(
                label_language())), export_in_worker, store, layer, str(values["path"]),
            str(values["format"]), **options, uses=store,
            on_done=lambda s: self.window.status(
                self.tr("Exported %1 asset(s) to %2").replace("%1", f"{s['features']:,}")
                .replace("%2", str(s["out"])), 8000))

    def _ask(self, store: Any, layer: str, pending: list[Any], selected: list[str],
             filtered: dict[str, Any] | None) -> dict[str, Any] | None:
        """The dialog's choices (None when cancelled). It opens at once; the counts of all
        and of the filter come from a worker when they are known."""
        folder = None if store.is_database else store.path.parent
        dialog = LayerExportDialog(
            self.window, sc.table(layer).label(label_language()),
            {"selected": len(selected), "filtered": None if filtered else 0, "all": None},
            self._names(layer, selected, filtered), folder, unsaved=bool(pending))
        self.dialog = dialog

        def counted(counts: dict[str, int]) -> None:
            if self.dialog is dialog:  # not closed meanwhile
                dialog.set_counts({**dialog.counts, **counts})

        self.counting = run_task(self.window, self.tr("Export layer"), count_in_worker, store,
                                 layer, pending, filtered, uses=store, show_dialog=False,
                                 on_done=counted)
        accepted = dialog.exec()
        values = dialog.values()
        self.dialog = None
        self.counting.cancel()  # its answer is no longer wanted
        dialog.deleteLater()
        return values if accepted else None


def install(window: Window) -> LayerExportFeature:
    return LayerExportFeature(window)
