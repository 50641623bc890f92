"""The choices of the print dialog as a form: paper, orientation, area, scale, single map or
atlas, title, subtitle, author, language, PNG resolution, elements and layers; turned into
layout settings and remembered between sessions (QSettings ``printing/last``).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.model import schema as sc
from citymgr_desktop.export.pages import ISO_216_MM
from citymgr_desktop.export.print_map import geometry as lg
from citymgr_desktop.export.print_map.layout import PrintSettings
from citymgr_desktop.ui.i18n import label_language
from citymgr_desktop.ui.shell.window import Window

SETTINGS_KEY = "printing/last"
SESSION_LANG_KEY = "printing_sheet_language"  # a dynamic property of the main window
SESSION_ATLAS_KEY = "printing_atlas"  # "kind|file": the pages chosen for that file, this session
AREA_VIEW, AREA_ALL, AREA_DISTRICT = "view", "all", "district"
ATLAS_NONE = ""
DISTRICT_CHUNK = 2000  # selected keys read at a time for their 街道 (~20 ms)


class PrintOptionsWidget(QWidget):
    """The print settings form; ``window`` follows the main-window contract."""

    changed = Signal()  # any choice changed
    layersChanged = Signal()  # the set of layers to print changed

    def __init__(self, window: Window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.store = window.store
        self.applied_scale: int | bool | None = False  # the last scale a preview used
        self._build()
        self.load_settings()
        for combo in (self.paper, self.orientation, self.area, self.district, self.atlas,
                      self.lang):
            combo.currentIndexChanged.connect(self._emit)
        self.scale.currentTextChanged.connect(self._emit)
        for edit in (self.title, self.subtitle, self.author):
            edit.textChanged.connect(self._emit)
        for box in [*self.element_boxes.values(), self.labels_box, self.codes_box]:
            box.toggled.connect(self._emit)
        self.layer_list.itemChanged.connect(self.layersChanged.emit)
        self._emit()

    def _build(self) -> None:
        form = QFormLayout()
        self.paper = QComboBox()
        for name, (w, h) in reversed(ISO_216_MM.items()):
            self.paper.addItem(f"{name} ({w} × {h} mm)", name)
        form.addRow(self.tr("Paper"), self.paper)
        self.orientation = QComboBox()
        self.orientation.addItem(self.tr("Landscape"), "landscape")
        self.orientation.addItem(self.tr("Portrait"), "portrait")
        form.addRow(self.tr("Orientation"), self.orientation)
        self.area = QComboBox()
        self.area.addItem(self.tr("Current view"), AREA_VIEW)
        self.area.addItem(self.tr("Whole district"), AREA_ALL)
        self.area.addItem(self.tr("Sub-district"), AREA_DISTRICT)
        self.district = QComboBox()
        self.district.addItems(self.store.districts() if self.store is not None else [])
        row = QHBoxLayout()
        row.addWidget(self.area, 1)
        row.addWidget(self.district, 1)
        form.addRow(self.tr("Area"), row)
        self.scale = QComboBox()
        self.scale.setObjectName("printScale")
        self.scale.setEditable(True)
        self.scale.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # Enter only applies it
        self.scale.addItem(self.tr("Fit to area"), None)
        for s in lg.NICE_SCALES:
            self.scale.addItem(f"1:{s}", s)
        form.addRow(self.tr("Scale"), self.scale)
        self.atlas = QComboBox()
        self.atlas.addItem(self.tr("Single map"), ATLAS_NONE)
        self.atlas.addItem(self.tr("Atlas: one page per sub-district"), "district")
        self.atlas.addItem(self.tr("Atlas: one page per grid cell"), "grid")
        self.atlas.addItem(self.tr("Atlas: one page per work order"), "workorder")
        form.addRow(self.tr("Pages"), self.atlas)
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("Maintenance map"))
        form.addRow(self.tr("Title"), self.title)
        self.subtitle = QLineEdit()
        form.addRow(self.tr("Subtitle"), self.subtitle)
        self.author = QLineEdit()
        form.addRow(self.tr("Author"), self.author)
        self.lang = QComboBox()
        self.lang.addItem("简体中文", "zh_CN")
        self.lang.addItem("English", "en")
        form.addRow(self.tr("Language"), self.lang)
        self.dpi = QSpinBox()
        self.dpi.setRange(30, 1200)
        self.dpi.setSuffix(" dpi")
        form.addRow(self.tr("PNG resolution"), self.dpi)

        elements = QGroupBox(self.tr("Elements"))
        grid = QGridLayout(elements)
        self.element_boxes: dict[str, QCheckBox] = {}
        names = {"title": self.tr("Title"), "legend": self.tr("Legend"),
                 "scale_bar": self.tr("Scale bar"), "north_arrow": self.tr("North arrow"),
                 "grid": self.tr("Coordinate grid"), "overview": self.tr("Overview"),
                 "footer": self.tr("Footer")}
        for i, (key, text) in enumerate(names.items()):
            box = QCheckBox(text)
            self.element_boxes[key] = box
            grid.addWidget(box, i // 2, i % 2)
        self.labels_box = QCheckBox(self.tr("Road names"))
        grid.addWidget(self.labels_box, len(names) // 2, len(names) % 2)
        # the red object codes beside the assets in condition 4-5 (what a crew searches for
        # on the sheet); off for a plain overview map, as `citymgr print-map --no-codes`
        self.codes_box = QCheckBox(self.tr("Codes of assets needing work"))
        self.codes_box.setObjectName("printCodes")
        grid.addWidget(self.codes_box, (len(names) + 1) // 2, (len(names) + 1) % 2)
        layers = QGroupBox(self.tr("Layers"))
        lay = QVBoxLayout(layers)
        self.layer_list = QListWidget()
        self.layer_list.setMaximumHeight(96)
        present = {li.name for li in self.store.layers()} if self.store is not None else set()
        shown = set(self.window.layer_panel.visible_layers())
        for t in sc.ASSET_TABLES:
            if t.name in present:
                item = QListWidgetItem(t.label(label_language()))  # the interface's language
                item.setData(Qt.ItemDataRole.UserRole, t.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if t.name in shown
                                   else Qt.CheckState.Unchecked)
                self.layer_list.addItem(item)
        lay.addWidget(self.layer_list)

        left = QVBoxLayout(self)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addWidget(elements)
        left.addWidget(layers)
        left.addStretch(1)

    def _emit(self, *_: object) -> None:
        atlas = self.atlas_kind() != ATLAS_NONE
        # the sub-district counts only with the area "Sub-district" (for an atlas too): an
        # enabled list that is then ignored printed the whole district's pages
        self.district.setEnabled(self.area.currentData() == AREA_DISTRICT)
        self.dpi.setEnabled(not atlas)
        self.changed.emit()

    def atlas_kind(self) -> str:
        """``district``, ``grid``, ``workorder``, or "" for a single map."""
        return str(self.atlas.currentData() or ATLAS_NONE)

    def atlas_district(self) -> str | None:
        """The sub-district an atlas is limited to (when the area is a sub-district)."""
        if self.area.currentData() == AREA_DISTRICT and self.district.currentText():
            return self.district.currentText()
        return None

    # -- settings ------------------------------------------------------------------------------
    def visible_layers(self) -> tuple[str, ...]:
        return tuple(self.layer_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.layer_list.count())
                     if self.layer_list.item(i).checkState() == Qt.CheckState.Checked)

    def scale_value(self) -> int | None:
        """The chosen scale denominator, None for "fit"; typed text like 1:1250 is accepted,
        text that is no scale gives -1 (refused by the checks, shown, never remembered)."""
        if self._fits() or not self.scale.currentText().strip():
            return None
        text = self.scale.currentText().replace(",", "").replace(" ", "")
        text = text.split(":", 1)[1] if ":" in text else text
        try:
            return int(float(text))
        except ValueError:
            return -1

    def settings(self) -> PrintSettings:
        """The dialog's choices as layout settings (bbox from the current view if chosen)."""
        area = self.area.currentData()
        bbox = None
        if area == AREA_VIEW:
            bbox = tuple(float(v) for v in self.window.canvas.extent())
        return PrintSettings(
            paper=self.paper.currentData(), orientation=self.orientation.currentData(),
            title=self.title.text().strip(), subtitle=self.subtitle.text().strip(),
            scale=self.scale_value(), bbox=bbox,  # type: ignore[arg-type]
            district=self.district.currentText() if area == AREA_DISTRICT else None,
            layers=self.visible_layers(),
            elements=lg.Elements(**{k: b.isChecked() for k, b in self.element_boxes.items()}),
            lang=self.lang.currentData(), author=self.author.text().strip(),
            dpi=self.dpi.value(), labels=self.labels_box.isChecked(),
            codes=self.codes_box.isChecked())

    def load_settings(self) -> None:
        qs = QSettings()
        try:
            data = json.loads(str(qs.value(SETTINGS_KEY, "{}")))
        except ValueError:
            data = {}
        s = PrintSettings.from_dict(data.get("settings", {})) if data else PrintSettings()
        self._select(self.paper, s.paper)
        self._select(self.orientation, s.orientation)
        # remembered choices checked against this file: a sub-district it does not have is
        # the whole district (the trial's dialog kept 黄鹤楼街道 from another file)
        area = data.get("area", AREA_VIEW)
        if area == AREA_DISTRICT and self.district.findText(s.district or "") < 0:
            area = AREA_ALL
        self._select(self.area, area)
        if area == AREA_DISTRICT:
            self.district.setCurrentText(s.district)
        # the 街道 of what is selected is the one to print (a complaint's bin, a work order's
        # assets): the trial's box stayed on the 中华路街道 of the last print
        chosen = self._selected_district()
        if chosen:
            self.district.setCurrentText(chosen)
        # an atlas is a job of its own: kept for this file while the window is open, never
        # the next session's first choice (it opened on "one page per work order")
        kind, _, path = str(self.window.property(SESSION_ATLAS_KEY) or "").partition("|")
        self._select(self.atlas, kind if self.store is not None
                     and path == str(self.store.path) else ATLAS_NONE)
        if s.scale is None:
            self.scale.setCurrentIndex(0)
        else:
            self.scale.setCurrentText(f"1:{s.scale}")
        self.title.setText(s.title)
        self.subtitle.setText(s.subtitle)
        self.author.setText(s.author or self.window.user_name(ask=False))
        # the sheet speaks the interface's language in a new session; a different choice is
        # kept for this window only (a property of the window, never in QSettings)
        self._select(self.lang, self.window.property(SESSION_LANG_KEY) or self.window.lang)
        self.dpi.setValue(s.dpi)
        for key, box in self.element_boxes.items():
            box.setChecked(getattr(s.elements, key))
        self.labels_box.setChecked(s.labels)
        self.codes_box.setChecked(s.codes)

    def save_settings(self) -> None:
        """Remember the choices for next time; a scale that is not valid is not kept (the
        last valid one stays)."""
        s = self.settings()
        d = s.to_dict()
        typed_badly = False
        try:
            s.validated()
        except CitymgrError:
            typed_badly = True
        if typed_badly:  # keep the last scale that worked, never the typo
            d["scale"] = self.applied_scale if self.applied_scale is not False \
                else self._remembered_scale()
        d.pop("bbox", None)
        d.pop("layers", None)
        d.pop("lang", None)
        self.window.setProperty(SESSION_LANG_KEY, s.lang)
        if self.store is not None:
            self.window.setProperty(SESSION_ATLAS_KEY, f"{self.atlas_kind()}|{self.store.path}")
        if self.area.currentData() == AREA_DISTRICT:
            d["district"] = self.district.currentText()
        QSettings().setValue(SETTINGS_KEY, json.dumps(
            {"settings": d, "area": self.area.currentData()},
            ensure_ascii=False))

    def _selected_district(self) -> str | None:
        """The one sub-district of the selected assets as the edit session shows them (an
        unsaved new bin, an unsaved 街道 change); None when nothing or several are selected."""
        if self.store is None:
            return None
        session = self.window.edit_session
        rows_of = session.rows if session is not None else self.store.get_rows
        found: set[str] = set()
        for layer, keys in self.window.selection.all().items():
            if layer not in sc.ASSET_TABLES_BY_NAME:
                continue
            for start in range(0, len(keys), DISTRICT_CHUNK):  # until a second 街道 shows
                rows = rows_of(layer, keys[start:start + DISTRICT_CHUNK], ["district"])
                found.update(str(r["district"]) for r in rows.values() if r.get("district"))
                if len(found) > 1:
                    return None
        if len(found) == 1 and self.district.findText(next(iter(found))) >= 0:
            return next(iter(found))
        return None

    def _fits(self) -> bool:
        return self.scale.currentIndex() == 0 and \
            self.scale.currentText() == self.scale.itemText(0)

    @staticmethod
    def _remembered_scale() -> int | None:
        try:
            data = json.loads(str(QSettings().value(SETTINGS_KEY, "{}")))
            return data.get("settings", {}).get("scale")
        except (ValueError, AttributeError):
            return None

    @staticmethod
    def _select(combo: QComboBox, value: Any) -> None:
        i = combo.findData(value)
        if i >= 0:
            combo.setCurrentIndex(i)
