"""Progress and cancellation for long work, independent of any UI.

A long core function takes ``progress: Progress | None``; it calls ``progress.update`` now and
then, which raises :class:`CancelledError` once ``cancel()`` was called (from any thread).
The CLI passes a terminal bar, the UI a worker-thread bridge to a QProgressDialog.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from citymgr_desktop.core.errors import CancelledError
from citymgr_desktop.core.messages import Text

# (done, total, message): the message says what is being done (a Message, shown in the
# reader's language by the UI's dialog and the command line's bar)
ProgressCallback = Callable[[int, int, Text], None]


class Progress:
    """Reports ``done`` of ``total`` steps with a message, and carries a cancel flag."""

    def __init__(self, callback: ProgressCallback | None = None) -> None:
        self._callback = callback
        self._cancelled = threading.Event()
        self.done = 0
        self.total = 0
        self.message: Text = ""

    def cancel(self) -> None:
        """Ask the running operation to stop at its next check."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise :class:`CancelledError` if cancel() was called."""
        if self._cancelled.is_set():
            raise CancelledError("cancelled by the user; nothing was changed")

    def update(self, done: int, total: int | None = None, message: Text | None = None) -> None:
        """Record progress and raise :class:`CancelledError` if cancelled."""
        self.check()
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        if self._callback is not None:
            self._callback(self.done, self.total, self.message)


def ensure(progress: Progress | None) -> Progress:
    """Return ``progress`` or a silent one, so callees need no ``None`` checks."""
    return progress if progress is not None else Progress()
