"""The status bar of the map: cursor position (map CRS and lon/lat), scale 1:N (editable),
CRS name, selection count, a busy indicator while a frame is drawn and the map's load with
its Cancel (``load_progress.py``) while the open file is read; on the left the
window's messages, cut with "…" where they do not fit (the whole text in the tooltip), so a
long one never runs into the selection count.
"""

from __future__ import annotations

from pyproj import CRS, Transformer
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QStatusBar, QWidget

from citymgr_desktop.core.messages import is_chinese
from citymgr_desktop.core.model.crs_names import chinese_name
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.map.load_progress import MapLoadProgressWidget
from citymgr_desktop.ui.widgets.elided_label import ElidedLabel

CRS_WIDTH = 260  # pixels; the full name is in the tooltip
SCALES = (500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 500000)


def parse_scale(text: str) -> float | None:
    """'1:5000', '1:5,000', '5000' or '1：5000' -> 5000.0 (None if not a scale)."""
    t = text.replace("：", ":").replace(",", "").replace(" ", "")
    t = t.split(":", 1)[1] if ":" in t else t
    try:
        value = float(t)
    except ValueError:
        return None
    return value if value > 0 else None


MESSAGE_GAP = 12  # pixels between a message and the first permanent widget


class MapStatusBar(QStatusBar):
    """Permanent widgets on the right; ``status()`` messages on the left, in
    :attr:`message` (elided; Qt's own status tips of menu items still show as Qt shows
    them)."""

    scaleEntered = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapStatusBar")
        self._to_lonlat: Transformer | None = None
        self._lonlat_crs: CRS | None = None
        self._geographic = False
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(80)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)
        self.busy.setToolTip(self.tr("Drawing the map… (Esc stops)"))
        self.notice = QLabel(self)  # a state that lasts (live updates interrupted)
        self.notice.setObjectName("statusNotice")
        self.notice.setStyleSheet("color: #b45309; font-weight: bold")
        self.notice.setVisible(False)
        self.loading = MapLoadProgressWidget(self)  # the open file's map being read
        self.selection = QLabel(self)
        self.coords = QLabel(self)
        self.coords.setMinimumWidth(190)
        self.coords.setToolTip(self.tr("Cursor position in the map CRS"))
        self.lonlat = QLabel(self)
        self.lonlat.setMinimumWidth(170)
        self.lonlat.setToolTip(self.tr("Cursor position as longitude / latitude (WGS 84)"))
        self.scale = QComboBox(self)
        self.scale.setEditable(True)
        self.scale.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.scale.setMinimumWidth(120)
        self.scale.setToolTip(self.tr("Map scale: pick one or type 1:N and press Enter"))
        self.scale.addItems([f"1:{s:,}" for s in SCALES])
        self.scale.lineEdit().returnPressed.connect(self._scale_typed)
        self.scale.activated.connect(lambda _i: self._scale_typed())
        self.crs = QLabel(self)
        self.message = ElidedLabel(self)
        self.message.setContentsMargins(0, 0, MESSAGE_GAP, 0)
        self.message.setObjectName("statusMessage")
        self.addWidget(self.message, 1)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.clearMessage)
        for w in (self.notice, self.loading, self.busy, self.selection, self.coords, self.lonlat, self.scale, self.crs):
            self.addPermanentWidget(w)
        self.set_selection_count(0)
        self.set_crs(None)

    # the window's messages: in our label, not painted by QStatusBar over the whole width
    def add_indicator(self, widget: QWidget) -> None:
        """A feature's indicator (the open conflicts of a sync): the first of the permanent
        widgets, just right of the messages. Qt counts a permanent widget's index among all
        the bar's widgets, and the message label is the one normal widget before them
        (index 0 warned "Index out of range" and appended it at the far right)."""
        self.insertPermanentWidget(1, widget)

    def showMessage(self, text: str, timeout: int = 0) -> None:
        """Show ``text`` on the left for ``timeout`` ms (0: until the next message)."""
        self.message.setText(text)
        self.message.setToolTip(text)
        if timeout > 0:
            self._message_timer.start(timeout)
        else:
            self._message_timer.stop()

    def clearMessage(self) -> None:
        self.showMessage("")

    def currentMessage(self) -> str:
        """The message shown (whole, not elided), else a status tip Qt shows."""
        return self.message.text() or super().currentMessage()

    def set_crs(self, crs: CRS | None) -> None:
        self._to_lonlat = None
        self._lonlat_crs = crs  # its transformer made at the first cursor move (~0.2 s)
        self._geographic = bool(crs is not None and crs.is_geographic)
        if crs is None:
            self.crs.setText(self.tr("No CRS"))
            self.coords.setText("")
            self.lonlat.setText("")
            return
        code = crs.to_authority()
        # in the Chinese interface the name as a Chinese map names it (PROJ's English name
        # where there is no Chinese form)
        name = (chinese_name(crs.name) if is_chinese(i18n.language()) else None) or crs.name
        text = f"{code[0]}:{code[1]}  {name}" if code else name
        self.crs.setText(self.crs.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight,
                                                           CRS_WIDTH))
        self.crs.setToolTip(text)

    def _lonlat(self) -> Transformer | None:
        """The map CRS to WGS 84, made when first needed: not on the UI thread between the
        map's loading and its first frame."""
        crs, self._lonlat_crs = self._lonlat_crs, None
        if crs is not None:
            try:
                self._to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            except Exception:  # a CRS without a path to WGS 84: coordinates only
                self._to_lonlat = None
        return self._to_lonlat

    def set_cursor(self, x: float, y: float) -> None:
        if self._geographic:
            self.coords.setText(f"{x:.6f}, {y:.6f}")
        else:
            self.coords.setText(f"X {x:,.1f}  Y {y:,.1f}")
        to_lonlat = self._lonlat()
        if to_lonlat is not None:
            lon, lat = to_lonlat.transform(x, y)
            if abs(lon) <= 180 and abs(lat) <= 90:
                self.lonlat.setText(f"{lon:.6f}°{'E' if lon >= 0 else 'W'}  "
                                    f"{abs(lat):.6f}°{'N' if lat >= 0 else 'S'}")

    def set_scale(self, denominator: float) -> None:
        if not self.scale.lineEdit().hasFocus():
            self.scale.setEditText(f"1:{round(denominator):,}")

    def set_selection_count(self, n: int, layers: dict[str, int] | None = None) -> None:
        """Show ``n`` selected features; the tooltip says how many in which layer (``layers``:
        layer title -> count). Kept short: at 1024 px the messages on the left need the room."""
        self.selection.setText(self.tr("%1 selected").replace("%1", f"{n:,}") if n else "")
        self.selection.setToolTip("\n".join(f"{title}: {count:,}" for title, count
                                            in (layers or {}).items()))

    def set_notice(self, text: str | None, tip: str = "") -> None:
        """Show ``text`` until it is set to None (unlike a message, nothing replaces it)."""
        self.notice.setText(text or "")
        self.notice.setToolTip(tip)
        self.notice.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def _scale_typed(self) -> None:
        value = parse_scale(self.scale.currentText())
        if value is None:
            self.showMessage(self.tr("Type a scale as 1:N, e.g. 1:5000"), 4000)
            return
        self.scaleEntered.emit(value)
        self.scale.lineEdit().clearFocus()


__all__ = ["SCALES", "MapStatusBar", "parse_scale"]
