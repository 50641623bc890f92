"""Wizard page 2: the target asset class and which source field fills which asset field.

Suggestions (by name in English and Chinese, and by content) are pre-filled; each row shows
the asset field, the chosen source field with its sample values, and a constant for where the
source has nothing. Below: the id prefix and the geometry choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from citymgr_desktop.core.clock import format_local_or_text
from citymgr_desktop.core.importing.geometry import GeometryOptions
from citymgr_desktop.core.importing.mapping import ImportMapping, editable_fields, suggest_mapping
from citymgr_desktop.core.importing.run import distinct_values
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.importing.source_labels import crs_text, geometry_type_label
from citymgr_desktop.ui.importing.state import ImportHost
from citymgr_desktop.ui.widgets.field_editors import add_code_items

COL_FIELD, COL_SOURCE, COL_CONSTANT, COL_SAMPLES = range(4)
_BY_DIMENSION = {0: "litter_bin", 1: "road_segment", 2: "green_space"}


def guess_target(geoms: Any) -> str:
    """The asset class whose geometry most of the source's geometries have."""
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return "litter_bin"
    dims = shapely.get_dimensions(np.array(present, dtype=object))
    return _BY_DIMENSION.get(int(np.bincount(dims.clip(0, 2)).argmax()), "litter_bin")


class ImportMappingPage(QWizardPage):
    """Choose the asset class and map the fields."""

    def __init__(self, wizard: ImportHost) -> None:
        super().__init__()  # QWizard.setPage makes the wizard its parent
        self.wiz = wizard
        self._built_for: tuple[int, str] | None = None
        self.setTitle(self.tr("Target and fields"))
        self.setSubTitle(self.tr("Suggestions are filled in; check them. A field with no "
                                 "source and no constant stays empty (a condition nobody "
                                 "assessed is unknown)."))
        self.target_combo = QComboBox()
        self.target_combo.setObjectName("import_target")
        for t in sc.ASSET_TABLES:
            self.target_combo.addItem(f"{t.label(label_language())} ({t.name})", t.name)
        self.target_combo.currentIndexChanged.connect(lambda _i: self.rebuild(suggest=True))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("import_fields")
        self.table.setHorizontalHeaderLabels([self.tr("Asset field"), self.tr("Source field"),
                                              self.tr("Constant"), self.tr("Sample values")])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(COL_SAMPLES,
                                                           QHeaderView.ResizeMode.Stretch)
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setPlaceholderText("osm:")
        self.multipart_combo = QComboBox()
        self.multipart_combo.addItem(self.tr("one asset per part"), "explode")
        self.multipart_combo.addItem(self.tr("skip the feature"), "refuse")
        self.repair_box = QCheckBox(self.tr("Repair invalid geometries (make_valid)"))
        self.point_box = QCheckBox(self.tr("Lines and areas become points for point classes"))
        self.skip_box = QCheckBox(self.tr("Skip features with value words that match no code"))
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        top = QFormLayout()
        top.addRow(self.tr("Import into:"), self.target_combo)
        options = QHBoxLayout()
        form = QFormLayout()
        form.addRow(self.tr("Source id prefix:"), self.prefix_edit)
        form.addRow(self.tr("Multi-part geometries:"), self.multipart_combo)
        options.addLayout(form)
        checks = QVBoxLayout()
        for box in (self.repair_box, self.point_box, self.skip_box):
            checks.addWidget(box)
        options.addLayout(checks)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(options)

    # -- filling -------------------------------------------------------------------------------
    def initializePage(self) -> None:  # Qt override
        state = self.wiz.state
        assert state.info is not None
        key = (id(state.data), "")
        if self._built_for is not None and self._built_for[0] == key[0]:
            return  # back from a later page: keep what the person chose
        start = state.profile or state.mapping
        target = start.table if start else guess_target(state.data.geometries)
        self.target_combo.blockSignals(True)
        self.target_combo.setCurrentIndex(max(self.target_combo.findData(target), 0))
        self.target_combo.blockSignals(False)
        self.rebuild(suggest=start is None, mapping=start)
        self._built_for = key
        info = state.info
        self.info_label.setText(self.tr("%1: %2 feature(s), %3, CRS %4").replace(
            "%1", info.name).replace("%2", str(info.count)).replace(
            "%3", geometry_type_label(info.geometry_type)).replace("%4", crs_text(info.crs))
            + "".join(f"\n• {i18n.render(n)}" for n in info.notes)
            + ("\n" + self.tr("Fields and value words as at the previous import of this "
                              "source (%1); check them.").replace(
                "%1", format_local_or_text(state.remembered)) if state.remembered else ""))

    def rebuild(self, suggest: bool = True, mapping: ImportMapping | None = None) -> None:
        state = self.wiz.state
        if state.info is None or state.data is None:
            return
        table = sc.ASSET_TABLES_BY_NAME[self.target_combo.currentData()]
        if mapping is None or mapping.table != table.name:
            mapping = suggest_mapping(state.info, table.name, self._distinct()) if suggest \
                else ImportMapping(table.name)
        state.mapping = mapping
        names = editable_fields(table)
        self.table.setRowCount(len(names))
        sources = [f.name for f in state.info.fields]
        for row, name in enumerate(names):
            f = table.field(name)
            item = QTableWidgetItem(f"{f.label(label_language())} ({name})")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.table.setItem(row, COL_FIELD, item)
            combo = QComboBox()
            combo.addItem(self.tr("(none)"), None)
            for s in sources:
                combo.addItem(s, s)
            combo.setCurrentIndex(max(combo.findData(mapping.fields.get(name)), 0))
            combo.currentIndexChanged.connect(lambda _i, r=row: self._show_samples(r))
            self.table.setCellWidget(row, COL_SOURCE, combo)
            self.table.setCellWidget(row, COL_CONSTANT, self._constant_editor(
                f, mapping.constants.get(name)))
            self._show_samples(row)
        self.table.resizeColumnsToContents()
        self.prefix_edit.setText(mapping.id_prefix)
        self.multipart_combo.setCurrentIndex(
            max(self.multipart_combo.findData(mapping.geometry.multipart), 0))
        self.repair_box.setChecked(mapping.geometry.repair)
        self.point_box.setChecked(mapping.geometry.to_point)
        self.skip_box.setChecked(mapping.on_unmatched == "skip")

    def _distinct(self) -> dict[str, list[Any]]:
        data = self.wiz.state.data
        assert data is not None
        return {str(c): distinct_values(data, c, 200) for c in data.attributes.columns}

    def _constant_editor(self, f: sc.Field, value: Any) -> QComboBox | QLineEdit:
        domain = f.get_domain()
        if isinstance(domain, dm.CodedDomain):
            combo = QComboBox()
            combo.addItem("", None)
            add_code_items(combo, domain, label_language())
            combo.setCurrentIndex(max(combo.findData(value), 0) if value is not None else 0)
            return combo
        edit = QLineEdit("" if value is None else str(value))
        edit.setPlaceholderText(self.tr("(from the source)"))
        return edit

    def _show_samples(self, row: int) -> None:
        combo = self.table.cellWidget(row, COL_SOURCE)
        info = self.wiz.state.info
        src = combo.currentData() if isinstance(combo, QComboBox) else None
        text = ""
        if src and info is not None:
            f = next((x for x in info.fields if x.name == src), None)
            if f is not None:
                text = ", ".join(str(s) for s in f.samples)
                if f.empty:
                    text += "  " + self.tr("(%1 empty)").replace("%1", str(f.empty))
        self.table.setItem(row, COL_SAMPLES, QTableWidgetItem(text))

    # -- reading back --------------------------------------------------------------------------
    def current_mapping(self) -> ImportMapping:
        """The mapping as the table shows it (value maps kept from before)."""
        state = self.wiz.state
        table = self.target_combo.currentData()
        old = state.mapping if state.mapping and state.mapping.table == table else None
        mapping = ImportMapping(table, values=dict(old.values) if old else {})
        for row in range(self.table.rowCount()):
            name = self.table.item(row, COL_FIELD).data(Qt.ItemDataRole.UserRole)
            combo = self.table.cellWidget(row, COL_SOURCE)
            if isinstance(combo, QComboBox) and combo.currentData():
                mapping.fields[name] = combo.currentData()
            editor = self.table.cellWidget(row, COL_CONSTANT)
            if isinstance(editor, QComboBox) and editor.currentData() is not None:
                mapping.constants[name] = editor.currentData()
            elif isinstance(editor, QLineEdit) and editor.text().strip():
                mapping.constants[name] = editor.text().strip()
        mapping.values = {k: v for k, v in mapping.values.items() if k in mapping.fields}
        mapping.id_prefix = self.prefix_edit.text().strip()
        mapping.on_unmatched = "skip" if self.skip_box.isChecked() else "empty"
        mapping.geometry = GeometryOptions(self.multipart_combo.currentData(),
                                           self.repair_box.isChecked(),
                                           self.point_box.isChecked())
        mapping.accept_ballpark = bool(old and old.accept_ballpark)
        mapping.on_conflict = old.on_conflict if old else "project"
        return mapping

    def set_source(self, asset_field: str, source_field: str | None) -> None:
        """Choose the source of one asset field (as a person would in the table)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, COL_FIELD).data(Qt.ItemDataRole.UserRole) == asset_field:
                combo = self.table.cellWidget(row, COL_SOURCE)
                combo.setCurrentIndex(max(combo.findData(source_field), 0))
                return
        raise KeyError(asset_field)

    def validatePage(self) -> bool:  # Qt override
        self.wiz.state.mapping = self.current_mapping()
        self.wiz.state.dry_run = None
        return True
