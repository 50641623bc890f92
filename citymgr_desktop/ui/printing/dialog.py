"""The print dialog: the print options (``PrintOptionsWidget``) beside a live preview of the
sheet, and export to PDF/PNG or an atlas PDF in a worker thread with progress and Cancel. The
map data is the window's (shared) or loaded once in a worker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.export.print_map.areas import district_bbox, full_extent
from citymgr_desktop.export.print_map.geometry import share_shown
from citymgr_desktop.export.print_map.layout import (
    PrintSettings,
    plan_page,
    preview_dpi,
    render_image,
)
from citymgr_desktop.export.print_map.map_frame import MapSource
from citymgr_desktop.export.print_map.text import translator
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.printing.options_widget import (  # noqa: F401 (AREA_* re-exported)
    AREA_ALL,
    AREA_DISTRICT,
    AREA_VIEW,
    ATLAS_NONE,
    PrintOptionsWidget,
)
from citymgr_desktop.ui.shell.window import Window
from citymgr_desktop.ui.widgets.export_file_dialog import NOT_IN_NAMES, file_stem
from citymgr_desktop.ui.worker import run_task, show_error

FOLDER_KEY = "printing/folder"
PART_OF_AREA = 0.98  # a single sheet showing less of its area says so
PREVIEW_MAX_PX = 1600  # the preview is painted at the label's size, at most this
def sheet_file_name(s: PrintSettings, suffix: str) -> str:
    """The file name proposed for a sheet: its title when one was typed (kept as it is, but
    for characters a file name cannot hold), else the sheet's default title in its language
    with the 街道 it shows (``file_stem``: 维修图-粮道街道.pdf, maintenance-map-粮道街道.pdf;
    维修图.pdf for the whole district or the view)."""
    if s.title:
        return s.title.translate(NOT_IN_NAMES) + suffix
    return file_stem(translator(s.lang)("Maintenance map"), s.district or "") + suffix


class PrintDialog(QDialog):
    """Print the open file; ``window`` follows the main-window contract."""

    exported = Signal(str)  # path written

    def __init__(self, window: Window, parent: QWidget | None = None) -> None:
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
        self._connect()
        # after an edit the window reloads its map in a worker: look again a little later
        self._reload_timer = QTimer(self, singleShot=True, interval=1500)
        self._reload_timer.timeout.connect(self._invalidate_source)
        window.dataChanged.connect(self._reload_timer.start)
        window.mapLoaded.connect(self._reload_timer.start)
        self.resize(1180, 760)

    # -- widgets -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.options = PrintOptionsWidget(self.window, self)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(480, 400)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #7f7f7f;")
        self.info = QLabel()
        self.info.setWordWrap(True)
        # room for the summary and a warning (a wrapped label is otherwise squeezed to a line)
        self.info.setMinimumHeight(3 * self.info.fontMetrics().lineSpacing())
        right = QVBoxLayout()
        right.addWidget(self.preview, 1)
        right.addWidget(self.info)
        top = QHBoxLayout()
        top.addWidget(self.options, 0)
        top.addLayout(right, 1)
        self.buttons = QDialogButtonBox()
        self.print_button = QPushButton(self.tr("Print…"))
        self.print_button.setObjectName("printToPrinter")
        self.pdf_button = QPushButton(self.tr("Export PDF…"))
        self.png_button = QPushButton(self.tr("Export PNG…"))
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.png_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = QPushButton(self.tr("Close"))
        self.buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.RejectRole)
        for button in (self.print_button, self.pdf_button, self.png_button, self.close_button):
            # Enter in a field (the scale box) applies it; it never starts an export
            button.setAutoDefault(False)
            button.setDefault(False)
        outer = QVBoxLayout(self)
        outer.addLayout(top, 1)
        outer.addWidget(self.buttons)

    def _connect(self) -> None:
        self.options.changed.connect(self._changed)
        self.options.layersChanged.connect(self._invalidate_source)
        self.print_button.clicked.connect(self.print_to_printer)
        self.options.scale.lineEdit().returnPressed.connect(self.update_preview)
        self.pdf_button.clicked.connect(lambda: self.export_to(None, ".pdf"))
        self.png_button.clicked.connect(lambda: self.export_to(None, ".png"))
        self.buttons.rejected.connect(self.reject)
        self._changed()

    def _changed(self, *_: object) -> None:
        self.png_button.setEnabled(self.options.atlas_kind() == ATLAS_NONE)
        self._timer.start()

    def _invalidate_source(self, *_: object) -> None:
        self.source = None
        self._changed()

    # -- preview -----------------------------------------------------------------------------
    def load_source(self, then: Callable[[], object] | None = None) -> None:
        """Load the map data in a worker thread (seconds on a million features, with
        progress and Cancel), then call ``then``."""
        if self._loading is not None:
            return
        shared = self.window.map_data
        if shared is not None:  # the window's map is loaded: share it, nothing to read
            try:
                self.source = MapSource(self.store, self.options.visible_layers() or None,
                                        data=shared)
            except CitymgrError as exc:
                self._show_problem(i18n.render(exc))
                return
            if then is not None:
                then()
            return

        def done(source: MapSource) -> None:
            self._loading = None
            wanted = self.options.visible_layers()
            if wanted and set(source.layers) != set(wanted):  # layers ticked meanwhile
                self.load_source(then)
                return
            self.source = source
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self._loading = None
            self._show_problem(i18n.render(exc))

        self._loading = run_task(self, self.tr("Loading map data"), MapSource, self.store,
                                 self.options.visible_layers() or None, uses=self.store,
                                 on_done=done, on_error=failed)

    def update_preview(self) -> None:
        """Paint the first sheet at screen resolution (cheap once the data is loaded)."""
        if self.store is None:
            return
        shared = self.window.map_data
        if self.source is not None and shared is not None and self.source.shared is not shared:
            self.source = None  # the window reloaded its map after an edit
        if self.source is None:
            self.load_source(self.update_preview)
            return
        try:
            s = self.options.settings().validated()
            source = self.source
            area, subtitle, highlight, pages = self._first_page(source, s)
            plan = plan_page(source, s, area, subtitle=subtitle, highlight=highlight)
            size = max(self.preview.width(), self.preview.height(), 480)
            px = min(round(size * self.devicePixelRatioF()), PREVIEW_MAX_PX)
            image, self.preview_report = render_image(source, plan, preview_dpi(s, px))
        except CitymgrError as exc:
            self._show_problem(i18n.render(exc))
            return
        self.last_error = ""
        self.options.applied_scale = s.scale
        pix = QPixmap.fromImage(image)
        self.preview.setPixmap(pix.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))
        text = self.tr("%1 %2 · scale 1:%3 · %4 page(s)").replace("%1", s.paper).replace(
            "%2", self.options.orientation.currentText()).replace("%3", str(plan.scale)).replace(
            "%4", str(pages))
        shown = share_shown(area, plan.extent)
        if s.scale is not None and self.options.atlas_kind() == ATLAS_NONE \
                and shown < PART_OF_AREA:
            text += "\n" + self.tr(
                "At this scale the sheet shows only %1% of the area: choose “Fit to area” as "
                "the scale, or an atlas (one page per grid cell).").replace(
                "%1", str(round(shown * 100)))
        self.info.setText(text)

    def _show_problem(self, text: str) -> None:
        self.last_error = text
        self.preview.setPixmap(QPixmap())
        self.preview.setText(text)
        self.info.setText("")

    def _first_page(self, source: MapSource, s: PrintSettings):
        kind = self.options.atlas_kind()
        if kind == ATLAS_NONE:
            if s.bbox is not None:
                return s.bbox, None, {}, 1
            if s.district:
                return district_bbox(self.store, s.district, source.layers), None, {}, 1
            return full_extent(self.store, source.layers), None, {}, 1
        from citymgr_desktop.export.print_map.areas import atlas_items
        from citymgr_desktop.export.print_map.atlas import page_subtitle

        items = atlas_items(self.store, kind, source.layers, district=self.options.atlas_district())
        if not items:
            raise CitymgrError("Nothing to print: no page has assets")
        return items[0].bbox, page_subtitle(items[0], s.lang), items[0].highlight, len(items)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._timer.start()

    # -- export ------------------------------------------------------------------------------
    def export_to(self, path: str | None, suffix: str):
        """Ask for a file (unless ``path`` is given) and export in a worker thread."""
        try:
            s = self.options.settings().validated()
        except CitymgrError as exc:
            show_error(self, self.tr("Print map"), exc)
            return None
        if path is None:
            store = self.window.store  # the project's folder until a folder was chosen
            here = store.path.parent if store is not None and not store.is_database \
                else Path.home()  # (a database has none: the home folder)
            folder = str(QSettings().value(FOLDER_KEY, str(here)))
            name = sheet_file_name(s, suffix)
            filt = self.tr("PDF (*.pdf)") if suffix == ".pdf" else self.tr("PNG image (*.png)")
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export map"),
                                                  str(Path(folder) / name), filt)
            if not path:
                return None
        if not path.lower().endswith(suffix):
            path += suffix
        QSettings().setValue(FOLDER_KEY, str(Path(path).parent))
        self.options.save_settings()
        if self.source is None:
            chosen = path
            self.load_source(lambda: self.export_to(chosen, suffix))
            return None
        source = self.source
        kind = self.options.atlas_kind()
        if kind:
            from citymgr_desktop.export.print_map.atlas import export_atlas

            return run_task(self, self.tr("Printing atlas"), export_atlas, source, s, kind, path,
                            district=self.options.atlas_district(), uses=source.store,
                            on_done=lambda _r: self._done(path))
        from citymgr_desktop.export.print_map.layout import export_map

        return run_task(self, self.tr("Printing map"), export_map, source, s, path,
                        uses=source.store, on_done=lambda _r: self._done(path))

    def print_to_printer(self) -> bool:
        """Print the sheet (or every atlas page) on a printer chosen in the system's print
        dialog, at the true scale (the sheet is drawn at the printer's resolution)."""
        from citymgr_desktop.ui.printing.to_printer import print_sheets

        try:
            s = self.options.settings().validated()
        except CitymgrError as exc:
            show_error(self, self.tr("Print map"), exc)
            return False
        if self.source is None:
            self.load_source(self.print_to_printer)
            return False
        self.options.save_settings()
        try:
            pages = print_sheets(self, self.source, s, self._print_plans)
        except CitymgrError as exc:
            show_error(self, self.tr("Print map"), exc)
            return False
        if pages:
            self.info.setText(self.tr("Sent %1 page(s) to the printer").replace("%1",
                                                                              str(pages)))
            self.window.status(self.info.text())
        return bool(pages)

    def _print_plans(self, source: MapSource, s: PrintSettings) -> list:
        """The plans of the sheets to print (one, or one per atlas page)."""
        kind = self.options.atlas_kind()
        if kind == ATLAS_NONE:
            area, subtitle, highlight, _n = self._first_page(source, s)
            return [plan_page(source, s, area, subtitle=subtitle, highlight=highlight)]
        from citymgr_desktop.export.print_map.areas import atlas_items
        from citymgr_desktop.export.print_map.atlas import page_subtitle

        items = atlas_items(self.store, kind, source.layers,
                            district=self.options.atlas_district())
        return [plan_page(source, s, item.bbox, subtitle=page_subtitle(item, s.lang),
                          highlight=item.highlight) for item in items]

    def _done(self, path: str) -> None:
        self.info.setText(self.tr("Wrote %1").replace("%1", path))
        self.window.status(self.tr("Wrote %1").replace("%1", path))
        self.exported.emit(path)

    def done(self, result: int) -> None:
        """Closing stops the preview: no timer may fire into a file that is closed next."""
        self.options.save_settings()
        self._timer.stop()
        self._reload_timer.stop()
        for signal in (self.window.dataChanged, self.window.mapLoaded):
            with contextlib.suppress(RuntimeError, TypeError):  # not connected any more
                signal.disconnect(self._reload_timer.start)
        super().done(result)

