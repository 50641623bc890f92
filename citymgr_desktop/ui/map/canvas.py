"""The map canvas: shows the renderer's frames and turns mouse and keys into map actions.

Frames are drawn in a render thread (:mod:`citymgr_desktop.ui.map.render_worker`); while one is
drawn, the last frame is shown moved/scaled to the new view, so panning and zooming never
wait. A quick frame without antialiasing comes first; when the view stays still, an
antialiased frame replaces it. The base map and the selection overlay are separate frames,
so selecting does not redraw the map, and a full-extent base frame is cached.

Tools: ``pan`` (default), ``zoom_in``, ``zoom_out``, ``select``, ``identify``, and the tools
features register with the one :class:`~citymgr_desktop.ui.map.tool_manager.MapToolManager`
(``canvas.tools``). Every click (press and release without a drag) emits ``clicked(x, y)``
in map coordinates whatever the tool; select/identify clicks and rectangles are reported by
their own signals, a feature tool gets its clicks itself. A highlight (the identified
feature) is drawn over the map.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from citymgr_desktop.render import MapData, RenderOptions
from citymgr_desktop.render.backdrop import Backdrop
from citymgr_desktop.render.view import Extent, fit_extent
from citymgr_desktop.ui.map.highlight import paint_highlight
from citymgr_desktop.ui.map.navigation import MapNavigationMixin
from citymgr_desktop.ui.map.render_worker import RenderJob, RenderWorker
from citymgr_desktop.ui.map.tool_manager import BUILT_IN, MapToolManager
from citymgr_desktop.ui.map.tools import MapToolsMixin

AA_DELAY_MS = 120  # idle time before the antialiased frame
TOOLS = BUILT_IN


class MapCanvas(MapNavigationMixin, MapToolsMixin, QWidget):
    """The map widget of the main window (see the contract in docs/ui-architecture.md)."""

    clicked = Signal(float, float)  # map coordinates of any click
    selectRequested = Signal(float, float, object)  # x, y, Qt.KeyboardModifiers
    rectSelected = Signal(object, object)  # extent tuple, Qt.KeyboardModifiers
    identifyRequested = Signal(float, float)
    extentChanged = Signal(object)  # extent tuple
    cursorMoved = Signal(float, float)
    renderFinished = Signal(float)  # seconds the frame took
    renderingChanged = Signal(bool)
    toolChanged = Signal(str)
    tilesArrived = Signal()  # from the tile fetcher's thread: queued to the UI thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 150)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.data: MapData | None = None
        self.backdrop: Backdrop | None = None  # base map and reference layers (render/backdrop)
        self.layers: list[str] | None = None  # drawing order, bottom first; None = all
        self.selection: dict[str, list[str]] = {}
        self.lang = "en"
        self.tools = MapToolManager(self)
        self.tools.toolChanged.connect(self.toolChanged)
        self.highlight: list = []  # shapely geometries (map CRS) drawn over the map
        self.message = ""  # shown on an empty canvas ("Loading…")
        self._extent: Extent | None = None
        self._frames: dict[str, tuple[QImage, Extent] | None] = {"base": None, "overlay": None}
        self._pending: dict[str, bool] = {"base": False, "overlay": False}
        self._cache: dict[tuple, QImage] = {}
        # the last quick frame (image, extent, _pan_key): the next quick frame of a pan only
        # draws the strips it uncovers (render/pan.py)
        self._pan_base: tuple[QImage, Extent, tuple] | None = None
        self._press: QPointF | None = None
        self._press_button = Qt.MouseButton.NoButton
        self._press_extent: Extent | None = None
        self._drag_rect: QRectF | None = None
        self._dragging = False
        self._history: list[Extent] = []
        self._future: list[Extent] = []
        self._started = 0.0
        self.last_render_seconds = 0.0
        self._still = False
        self._worker = RenderWorker()
        # the render thread must end before the canvas (and the worker) goes away
        worker = self._worker
        self.destroyed.connect(lambda *_: worker.stop(), Qt.ConnectionType.DirectConnection)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(worker.stop, Qt.ConnectionType.DirectConnection)
        self._worker.finished.connect(self._on_frame)
        self._worker.failed.connect(self._on_failed)
        self.tilesArrived.connect(self.refresh, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._request_base)
        self._aa_timer = QTimer(self, singleShot=True, interval=AA_DELAY_MS)
        self._aa_timer.timeout.connect(lambda: self._request_base(antialias=True))

    # -- contract ------------------------------------------------------------------------
    @property
    def map_crs(self):
        return self.data.crs if self.data is not None else None

    def extent(self) -> Extent:
        """The visible extent (map CRS): minx, miny, maxx, maxy."""
        if self._extent is None:
            return self.data.extent() if self.data is not None else (0.0, 0.0, 1.0, 1.0)
        return self._extent

    def refresh(self) -> None:
        """Draw the map again (cached frames are dropped)."""
        self._cache.clear()
        self._pan_base = None
        self._schedule()
        self._request_overlay()

    # -- data and view -------------------------------------------------------------------
    def set_data(self, data: MapData | None, keep_extent: bool = False) -> None:
        """Show ``data`` (full extent unless ``keep_extent``)."""
        self._worker.cancel()
        self.data = data
        self._cache.clear()
        self._pan_base = None
        self.message = ""
        if data is None:
            self._extent = None
            self._frames = {"base": None, "overlay": None}
            self._history.clear()
            self._future.clear()
            self.update()
            return
        if not keep_extent or self._extent is None:
            self._history.clear()
            self._extent = None
            self.set_extent(self.full_extent())
        else:
            self.refresh()

    def set_backdrop(self, backdrop: Backdrop | None) -> None:
        """Base map and reference layers to draw with the assets (``None``: none); tiles that
        arrive later draw the map again (the fetcher calls ``tilesArrived`` from its thread)."""
        self.backdrop = backdrop
        if backdrop is not None and backdrop.layers:
            backdrop.fetcher.on_arrival = self.tilesArrived.emit
        self.refresh()

    def set_layers(self, layers: list[str] | None) -> None:
        """The layers to draw, bottom first (None = all)."""
        if layers != self.layers:
            self.layers = list(layers) if layers is not None else None
            self._schedule()
            self._request_overlay()

    def set_selection(self, selection: dict[str, list[str]]) -> None:
        self.selection = selection
        self._request_overlay()

    @property
    def tool(self) -> str:
        """The active map tool (see :class:`MapToolManager`)."""
        return self.tools.active

    def set_tool(self, tool: str) -> None:
        """Choose a map tool (built-in or registered); ``toolChanged`` only on a change."""
        self.tools.set_active(tool)
        self.restore_cursor()
        self.update()

    def restore_cursor(self) -> None:
        """The active tool's cursor (after a drag showed the closed hand)."""
        feature_tool = self.tools.tool()
        cursors = {"pan": Qt.CursorShape.OpenHandCursor, "identify": Qt.CursorShape.WhatsThisCursor,
                   "select": Qt.CursorShape.ArrowCursor}
        shape = feature_tool.cursor if feature_tool is not None else cursors.get(
            self.tool, Qt.CursorShape.CrossCursor)
        self.setCursor(shape)

    def set_highlight(self, geometries: list) -> None:
        """Outline these geometries (map CRS) over the map, e.g. the identified feature."""
        self.highlight = [g for g in geometries if g is not None]
        self.update()

    def set_extent(self, extent: Extent) -> None:
        """Show ``extent`` (grown to the widget's aspect) and draw it."""
        self._extent = fit_extent(extent, max(self.width(), 1), max(self.height(), 1))
        self.extentChanged.emit(self._extent)
        self.update()
        self._schedule()
        self._request_overlay()

    def is_rendering(self) -> bool:
        return any(self._pending.values()) or self._timer.isActive()

    def is_settled(self) -> bool:
        """True when the still (antialiased) frame of the current view is on screen."""
        if self.data is None:
            return True
        return not self.is_rendering() and not self._aa_timer.isActive() and self._still

    def cancel_rendering(self) -> None:
        self._worker.cancel()
        self._aa_timer.stop()
        self._set_pending("base", False)
        self._set_pending("overlay", False)

    def close_worker(self) -> None:
        self._aa_timer.stop()
        self._timer.stop()
        self._worker.stop()

    # -- frames --------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._aa_timer.stop()
        if not self._timer.isActive():
            self._timer.start()

    def _job(self, channel: str, opts: RenderOptions) -> RenderJob | None:
        if self.data is None or self.width() < 2 or self.height() < 2:
            return None
        dpr = self.devicePixelRatioF()
        opts.dpi = self.logicalDpiX() * dpr
        opts.layers = self.layers
        opts.lang = self.lang
        if channel == "base":
            opts.backdrop = self.backdrop
        size = (round(self.width() * dpr), round(self.height() * dpr))
        return RenderJob(channel, self.data, self.extent(), size, dpr, opts)

    def _cache_key(self, job: RenderJob) -> tuple | None:
        if job.extent != fit_extent(self.full_extent(), self.width(), self.height()):
            return None
        return (id(job.data), job.size, tuple(job.options.layers or ()), job.options.antialias)

    @staticmethod
    def _pan_key(job: RenderJob) -> tuple:
        layers = tuple(job.options.layers) if job.options.layers is not None else None
        return (id(job.data), job.size, layers, job.options.dpi, job.options.lang)

    def _request_base(self, antialias: bool = False) -> None:
        # labels come with the still frame: placing them is not worth it while moving
        job = self._job("base", RenderOptions(antialias=antialias, labels=antialias,
                                              background="#ffffff"))
        if job is None:
            return
        key = self._cache_key(job)
        if key is not None:
            still = self._cache.get((*key[:-1], True))  # a cached still frame is best
            cached = still if still is not None else self._cache.get(key)
            if cached is not None:
                self._worker.cancel("base")
                self._frames["base"] = (cached, job.extent)
                self._still = still is not None
                self._set_pending("base", False)
                self.update()
                if still is None:
                    self._aa_timer.start()
                return
        if not antialias and self._pan_base is not None \
                and self._pan_base[2] == self._pan_key(job):
            job.options.previous = self._pan_base[:2]  # used when the view only moved
        self._started = time.perf_counter()
        self._set_pending("base", True)
        self._worker.submit(job)

    def _request_overlay(self) -> None:
        if not any(self.selection.values()):
            self._worker.cancel("overlay")
            self._frames["overlay"] = None
            self._set_pending("overlay", False)
            self.update()
            return
        job = self._job("overlay", RenderOptions(
            antialias=True, background=None, features=False, labels=False,
            selection=self.selection))
        if job is not None:
            self._set_pending("overlay", True)
            self._worker.submit(job)

    def _on_frame(self, job: RenderJob, image: QImage, result) -> None:
        if job.data is not self.data or self._worker.is_stale(job):
            return  # a frame finished just before it was cancelled (the signal was queued)
        self._frames[job.channel] = (image, job.extent)
        self._set_pending(job.channel, False)
        if job.channel == "base":
            self._still = job.options.antialias and job.extent == self.extent()
            self.last_render_seconds = result.seconds
            key = self._cache_key(job)
            if key is not None:
                self._cache[key] = image
            if not job.options.antialias:
                self._pan_base = (image, job.extent, self._pan_key(job))
                if job.extent == self.extent():
                    self._aa_timer.start()
            self.renderFinished.emit(result.seconds)
        self.update()

    def _on_failed(self, job: RenderJob, message: str) -> None:
        self._set_pending(job.channel, False)
        self.message = self.tr("The map could not be drawn: %1").replace("%1", message)
        self.update()

    def _set_pending(self, channel: str, value: bool) -> None:
        before = any(self._pending.values())
        self._pending[channel] = value
        after = any(self._pending.values())
        if before != after:
            self.renderingChanged.emit(after)

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        view = self.view()
        for channel in ("base", "overlay"):
            frame = self._frames[channel]
            if frame is None:
                continue
            image, ext = frame
            a = view.point_to_device(ext[0], ext[3])
            b = view.point_to_device(ext[2], ext[1])
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(QRectF(a, b), image, QRectF(image.rect()))
        if self.highlight and self.data is not None:
            paint_highlight(p, view, self.highlight)
        feature_tool = self.tools.tool()
        if feature_tool is not None and self.data is not None:
            feature_tool.paint(p, view)
        if self._drag_rect is not None:
            p.setPen(QPen(QColor("#1565c0"), 1, Qt.PenStyle.DashLine))
            p.setBrush(QColor(21, 101, 192, 40))
            p.drawRect(self._drag_rect)
        text = self.message
        if not text and self.data is None:
            text = self.tr("Open a GeoPackage (Ctrl+O) or drop a .gpkg file here")
        if text:
            p.setPen(QColor("#555555"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        p.end()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._extent is not None:
            old = event.oldSize()
            if old.width() > 0 and old.height() > 0:
                # keep the scale and the centre: a bigger window shows more map
                upp = (self._extent[2] - self._extent[0]) / old.width()
                cx = (self._extent[0] + self._extent[2]) / 2
                cy = (self._extent[1] + self._extent[3]) / 2
                hw, hh = upp * self.width() / 2, upp * self.height() / 2
                self._extent = (cx - hw, cy - hh, cx + hw, cy + hh)
            else:
                self._extent = fit_extent(self._extent, self.width(), self.height())
            self.extentChanged.emit(self._extent)
            self._schedule()
            self._request_overlay()
        elif self.data is not None:
            self.set_extent(self.full_extent())

    def closeEvent(self, e) -> None:
        self.close_worker()
        super().closeEvent(e)


__all__ = ["TOOLS", "MapCanvas", "QRect"]
