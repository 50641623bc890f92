"""The print dialog: paper, orientation, area and scale (fixed or fitted to the current view),
title, elements, layers and language, a live preview of the sheet, and export to PDF/PNG or
an atlas PDF with progress and Cancel. The last settings are remembered (QSettings).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core import schema as sc
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.export import layout_geometry as lg
from citymgr_desktop.export.layout import PrintSettings, plan_page, preview_dpi, render_image
from citymgr_desktop.export.layout_areas import district_bbox, full_extent
from citymgr_desktop.export.layout_map import MapSource
from citymgr_desktop.export.pages import ISO_216_MM
from citymgr_desktop.ui.worker import run_task, show_error

SETTINGS_KEY = "printing/last"
FOLDER_KEY = "printing/folder"
PREVIEW_PX = 720
AREA_VIEW, AREA_ALL, AREA_DISTRICT = "view", "all", "district"
ATLAS_NONE = ""


class PrintDialog(QDialog):
    """Print the open file; ``window`` follows the main-window contract."""

    exported = Signal(str)  # path written

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent if parent is not None else window)
        self.window = window
        self.store = window.store
        self.source: MapSource | None = None
        self._loading = None  # the Task loading the map data
        self.last_error = ""
        self.preview_report = None
        self.setWindowTitle(self.tr("Print map"))
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.update_preview)
        self._build()
        self._load_settings()
        self._connect()
        changed = getattr(window, "dataChanged", None)
        if changed is not None:
            changed.connect(self._invalidate_source)
        self.resize(1180, 760)

    # -- widgets -----------------------------------------------------------------------------
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
        self.scale.setEditable(True)
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
        layers = QGroupBox(self.tr("Layers"))
        lay = QVBoxLayout(layers)
        self.layer_list = QListWidget()
        self.layer_list.setMaximumHeight(96)
        present = {li.name for li in self.store.layers()} if self.store is not None else set()
        for t in sc.ASSET_TABLES:
            if t.name in present:
                item = QListWidgetItem(f"{t.label('zh')} / {t.label('en')}")
                item.setData(Qt.ItemDataRole.UserRole, t.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self.layer_list.addItem(item)
        lay.addWidget(self.layer_list)

        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(elements)
        left.addWidget(layers)
        left.addStretch(1)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(480, 400)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #7f7f7f;")
        self.info = QLabel()
        self.info.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.info)
        top = QHBoxLayout()
        top.addLayout(left, 0)
        top.addLayout(right, 1)
        self.buttons = QDialogButtonBox()
        self.pdf_button = QPushButton(self.tr("Export PDF…"))
        self.png_button = QPushButton(self.tr("Export PNG…"))
        self.buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.png_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = QPushButton(self.tr("Close"))
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)

    def _connect(self) -> None:
        for combo in (self.paper, self.orientation, self.area, self.district, self.atlas,
                      self.lang):
            combo.currentIndexChanged.connect(self._changed)
        self.scale.currentTextChanged.connect(self._changed)
        for edit in (self.title, self.subtitle, self.author):
            edit.textChanged.connect(self._changed)
        for box in self.element_boxes.values():
            box.toggled.connect(self._changed)
        self.layer_list.itemChanged.connect(self._invalidate_source)
        self.pdf_button.clicked.connect(lambda: self.export_to(None, ".pdf"))
        self.png_button.clicked.connect(lambda: self.export_to(None, ".png"))
        self.buttons.rejected.connect(self.reject)
        self._changed()

    def _changed(self, *_: object) -> None:
        self.district.setEnabled(self.area.currentData() == AREA_DISTRICT
                                 or self.atlas.currentData() != ATLAS_NONE)
        atlas = self.atlas.currentData() != ATLAS_NONE
        self.png_button.setEnabled(not atlas)
        self.dpi.setEnabled(not atlas)
        self._timer.start()

    def _invalidate_source(self, *_: object) -> None:
        self.source = None
        self._changed()

    # -- settings ----------------------------------------------------------------------------
    def visible_layers(self) -> tuple[str, ...]:
        return tuple(self.layer_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.layer_list.count())
                     if self.layer_list.item(i).checkState() == Qt.CheckState.Checked)

    def scale_value(self) -> int | None:
        """The chosen scale denominator, None for "fit"; typed text like 1:1250 is accepted."""
        if self.scale.currentIndex() == 0 and self.scale.currentText() == self.scale.itemText(0):
            return None
        text = self.scale.currentText().replace(",", "").replace(" ", "")
        text = text.split(":", 1)[1] if ":" in text else text
        try:
            return int(float(text))
        except ValueError:
            return None

    def settings(self) -> PrintSettings:
        """The dialog's choices as layout settings (bbox from the current view if chosen)."""
        area = self.area.currentData()
        bbox = None
        if area == AREA_VIEW and self.window.canvas is not None:
            bbox = tuple(float(v) for v in self.window.canvas.extent())
        return PrintSettings(
            paper=self.paper.currentData(), orientation=self.orientation.currentData(),
            title=self.title.text().strip(), subtitle=self.subtitle.text().strip(),
            scale=self.scale_value(), bbox=bbox,  # type: ignore[arg-type]
            district=self.district.currentText() if area == AREA_DISTRICT else None,
            layers=self.visible_layers(),
            elements=lg.Elements(**{k: b.isChecked() for k, b in self.element_boxes.items()}),
            lang=self.lang.currentData(), author=self.author.text().strip(),
            dpi=self.dpi.value())

    def _load_settings(self) -> None:
        qs = QSettings()
        try:
            data = json.loads(str(qs.value(SETTINGS_KEY, "{}")))
        except ValueError:
            data = {}
        s = PrintSettings.from_dict(data.get("settings", {})) if data else PrintSettings()
        self._select(self.paper, s.paper)
        self._select(self.orientation, s.orientation)
        self._select(self.area, data.get("area", AREA_VIEW))
        self._select(self.atlas, data.get("atlas", ATLAS_NONE))
        if s.district:
            self.district.setCurrentText(s.district)
        if s.scale is None:
            self.scale.setCurrentIndex(0)
        else:
            self.scale.setCurrentText(f"1:{s.scale}")
        self.title.setText(s.title)
        self.subtitle.setText(s.subtitle)
        self.author.setText(s.author or self.window.user_name())
        self._select(self.lang, s.lang if data else _ui_language())
        self.dpi.setValue(s.dpi)
        for key, box in self.element_boxes.items():
            box.setChecked(getattr(s.elements, key))

    def save_settings(self) -> None:
        s = self.settings()
        d = s.to_dict()
        d.pop("bbox", None)
        d.pop("layers", None)
        if self.area.currentData() == AREA_DISTRICT:
            d["district"] = self.district.currentText()
        QSettings().setValue(SETTINGS_KEY, json.dumps(
            {"settings": d, "area": self.area.currentData(), "atlas": self.atlas.currentData()},
            ensure_ascii=False))

    @staticmethod
    def _select(combo: QComboBox, value: Any) -> None:
        i = combo.findData(value)
        if i >= 0:
            combo.setCurrentIndex(i)

    # -- preview -----------------------------------------------------------------------------
    def load_source(self, then: Callable[[], object] | None = None) -> None:
        """Load the map data in a worker thread (seconds on a million features, with
        progress and Cancel), then call ``then``."""
        if self._loading is not None:
            return

        def done(source: MapSource) -> None:
            self._loading = None
            wanted = self.visible_layers()
            if wanted and set(source.layers) != set(wanted):  # layers ticked meanwhile
                self.load_source(then)
                return
            self.source = source
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self._loading = None
            self.last_error = str(exc)
            self.preview.setPixmap(QPixmap())
            self.preview.setText(str(exc))

        self._loading = run_task(self, self.tr("Loading map data"), MapSource, self.store,
                                 self.visible_layers() or None, on_done=done, on_error=failed)

    def update_preview(self) -> None:
        """Paint the first sheet at screen resolution (cheap once the data is loaded)."""
        if self.store is None:
            return
        if self.source is None:
            self.load_source(self.update_preview)
            return
        try:
            s = self.settings().validated()
            source = self.source
            area, subtitle, highlight, pages = self._first_page(source, s)
            plan = plan_page(source, s, area, subtitle=subtitle, highlight=highlight)
            image, self.preview_report = render_image(source, plan, preview_dpi(s, PREVIEW_PX))
        except CitymgrError as exc:
            self.last_error = str(exc)
            self.preview.setPixmap(QPixmap())
            self.preview.setText(str(exc))
            self.info.setText("")
            return
        self.last_error = ""
        pix = QPixmap.fromImage(image)
        self.preview.setPixmap(pix.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))
        text = self.tr("%1 %2 · scale 1:%3 · %4 page(s)").replace("%1", s.paper).replace(
            "%2", self.orientation.currentText()).replace("%3", str(plan.scale)).replace(
            "%4", str(pages))
        self.info.setText(text)

    def _first_page(self, source: MapSource, s: PrintSettings):
        kind = self.atlas.currentData()
        if kind == ATLAS_NONE:
            if s.bbox is not None:
                return s.bbox, None, {}, 1
            if s.district:
                return district_bbox(self.store, s.district, source.layers), None, {}, 1
            return full_extent(self.store, source.layers), None, {}, 1
        from citymgr_desktop.export.atlas import page_subtitle
        from citymgr_desktop.export.layout_areas import atlas_items

        items = atlas_items(self.store, kind, source.layers, district=self._atlas_district())
        if not items:
            raise CitymgrError(self.tr("Nothing to print: no page has assets"))
        return items[0].bbox, page_subtitle(items[0], s.lang), items[0].highlight, len(items)

    def _atlas_district(self) -> str | None:
        if self.area.currentData() == AREA_DISTRICT and self.district.currentText():
            return self.district.currentText()
        return None

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._timer.start()

    # -- export ------------------------------------------------------------------------------
    def export_to(self, path: str | None, suffix: str):
        """Ask for a file (unless ``path`` is given) and export in a worker thread."""
        try:
            s = self.settings().validated()
        except CitymgrError as exc:
            show_error(self, self.tr("Print map"), exc)
            return None
        if path is None:
            folder = str(QSettings().value(FOLDER_KEY, str(Path.home())))
            name = (s.title or self.tr("Maintenance map")).replace("/", "-") + suffix
            filt = self.tr("PDF (*.pdf)") if suffix == ".pdf" else self.tr("PNG image (*.png)")
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export map"),
                                                  str(Path(folder) / name), filt)
            if not path:
                return None
        if not path.lower().endswith(suffix):
            path += suffix
        QSettings().setValue(FOLDER_KEY, str(Path(path).parent))
        self.save_settings()
        if self.source is None:
            chosen = path
            self.load_source(lambda: self.export_to(chosen, suffix))
            return None
        source = self.source
        kind = self.atlas.currentData()
        if kind:
            from citymgr_desktop.export.atlas import export_atlas

            return run_task(self, self.tr("Printing atlas"), export_atlas, source, s, kind, path,
                            district=self._atlas_district(),
                            on_done=lambda _r: self._done(path))
        from citymgr_desktop.export.layout import export_map

        return run_task(self, self.tr("Printing map"), export_map, source, s, path,
                        on_done=lambda _r: self._done(path))

    def _done(self, path: str) -> None:
        self.info.setText(self.tr("Wrote %1").replace("%1", path))
        status = getattr(self.window, "status", None)
        if status is not None:
            status(self.tr("Wrote %1").replace("%1", path))
        self.exported.emit(path)

    def done(self, result: int) -> None:
        self.save_settings()
        super().done(result)


def _ui_language() -> str:
    from citymgr_desktop.ui.i18n import chosen_language

    return chosen_language()
