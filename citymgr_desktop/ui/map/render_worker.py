"""The canvas's render thread: draws frames into QImages off the UI thread.

The canvas posts :class:`RenderJob` objects; the worker draws them in order. Every job
carries a ``channel`` ("base" map or selection "overlay"): only the newest job of a
channel is wanted, so an older one stops at its next batch (``is_cancelled``) and is
dropped. The UI thread never waits for a frame.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from citymgr_desktop.render import MapData, RenderOptions, render_frame
from citymgr_desktop.render.view import Extent
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.qt_threads import create_qt_types

_ids = itertools.count(1)


@dataclass
class RenderJob:
    """One frame to draw: ``extent`` of ``data`` into an image of ``size`` device pixels."""

    channel: str
    data: MapData
    extent: Extent
    size: tuple[int, int]
    device_pixel_ratio: float
    options: RenderOptions
    id: int = 0

    def __post_init__(self) -> None:
        self.id = next(_ids)


class RenderWorker(QObject):
    """Lives in its own QThread; ``submit`` from the UI thread, results via ``finished``."""

    finished = Signal(object, object, object)  # job, QImage, RenderResult
    failed = Signal(object, str)  # job, message
    _posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        # before the thread starts: it must never create a PySide6 type (ui/qt_threads.py)
        create_qt_types()
        self._latest: dict[str, int] = {}
        self._stopped = False
        self._thread = QThread()
        self._thread.setObjectName("citymgr-render")
        self.moveToThread(self._thread)
        self._posted.connect(self._render)
        self._thread.start()

    def submit(self, job: RenderJob) -> None:
        """Queue ``job``; any older job of its channel becomes stale and is abandoned."""
        if self._stopped:
            return
        self._latest[job.channel] = job.id
        self._posted.emit(job)

    def cancel(self, channel: str | None = None) -> None:
        """Abandon the running and queued jobs of ``channel`` (all when None)."""
        for ch in [channel] if channel else list(self._latest):
            self._latest[ch] = -1

    def is_stale(self, job: RenderJob) -> bool:
        return self._latest.get(job.channel) != job.id

    @Slot(object)
    def _render(self, job: RenderJob) -> None:
        if self.is_stale(job):
            return
        job.options.is_cancelled = lambda: self.is_stale(job)
        # the unantialiased frames are quick frames: replaced by the still frame moments
        # later, they may be a pixel off here and there (RenderOptions.quick)
        job.options.quick = not job.options.antialias
        w, h = job.size
        try:
            image, result = render_frame(job.data, job.extent, (w, h), job.options)
        except Exception as exc:  # a frame must never take the application down
            self.failed.emit(job, i18n.render(exc))
            return
        image.setDevicePixelRatio(job.device_pixel_ratio)
        if not self.is_stale(job) and not result.cancelled:
            self.finished.emit(job, image, result)

    def stop(self) -> None:
        """Cancel everything and end the thread (call before the canvas goes away)."""
        if self._stopped:
            return
        self._stopped = True
        self.cancel()
        self._thread.quit()
        self._thread.wait(10_000)


__all__ = ["QImage", "RenderJob", "RenderWorker"]
