"""Driving the real main window the way a person does: mouse clicks and drags on the map's
viewport, menus opened on the menu bar and their items clicked, keys typed, and dialogs
answered by typing into their fields and clicking their real buttons. Also the screenshots
of a scenario's steps.

A modal dialog (a ``QMessageBox``, a form, a file dialog) runs its own event loop inside
the click that opened it, so the answer is prepared first::

    with answer(qtbot, "Save"):                       # clicks the Save button of the box
        qtbot.keyClick(window, Qt.Key.Key_W, CTRL)   # Ctrl+W asks "save changes?"

``fill`` gets the dialog before the button is clicked, to type into it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QWidget,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def _plain(text: str) -> str:
    return text.replace("&", "").replace("…", "").strip()


def open_dialogs() -> list[QDialog]:
    """The dialogs on screen, the most recently shown last."""
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog) and w.isVisible()]


def button_of(dialog: QWidget, label: str | QMessageBox.StandardButton
              | QDialogButtonBox.StandardButton) -> QAbstractButton:
    """The button of ``dialog`` with this text (``&`` and ``…`` ignored) or standard role."""
    if isinstance(label, QMessageBox.StandardButton) and isinstance(dialog, QMessageBox):
        found = dialog.button(label)
        if found is not None:
            return found
    if isinstance(label, QDialogButtonBox.StandardButton):
        for box in dialog.findChildren(QDialogButtonBox):
            found = box.button(label)
            if found is not None:
                return found
    wanted = _plain(str(label)) if isinstance(label, str) else None
    for b in dialog.findChildren(QAbstractButton):
        if wanted is not None and _plain(b.text()) == wanted and b.isVisible():
            return b
    names = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    raise AssertionError(f"{type(dialog).__name__} {dialog.windowTitle()!r} has no button "
                         f"{label!r}; it has {names}")


class _Answer:
    def __init__(self, qtbot, button, fill, kind, title) -> None:
        self.qtbot, self.button, self.fill, self.kind, self.title = (qtbot, button, fill, kind,
                                                                     title)
        self.dialog: QDialog | None = None
        self.error: BaseException | None = None
        self.text = ""
        self.seen: set[int] = {id(d) for d in open_dialogs()}
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._poll)

    def _poll(self) -> None:
        for d in reversed(open_dialogs()):
            if id(d) in self.seen or not isinstance(d, self.kind):
                continue
            if self.title and not re.search(self.title, d.windowTitle()):
                continue
            self.timer.stop()
            self.dialog = d
            self.text = d.text() if isinstance(d, QMessageBox) else d.windowTitle()
            try:
                if self.fill is not None:
                    self.fill(d)
                if self.button is not None and d.isVisible():
                    b = button_of(d, self.button)
                    self.qtbot.mouseClick(b, LEFT)
            except BaseException as exc:  # reported by the with block, never swallowed
                self.error = exc
                d.reject()
            return


@contextlib.contextmanager
def answer(qtbot, button=None, *, fill: Callable[[QDialog], object] | None = None,
           kind: type = QDialog, title: str = "", timeout: int = 15_000) -> Iterator[_Answer]:
    """Answer the next dialog of type ``kind`` (title matching the regex ``title``) that
    opens inside the block: ``fill(dialog)``, then click ``button`` (text or standard
    button; None: ``fill`` closes it). Fails when no such dialog came."""
    job = _Answer(qtbot, button, fill, kind, title)
    job.timer.start()
    try:
        yield job
        qtbot.waitUntil(lambda: job.dialog is not None, timeout=timeout)
    finally:
        job.timer.stop()
    if job.error is not None:
        raise job.error


def press(qtbot, window, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """A key (a shortcut) pressed in the main window: it is the active window first, as it
    is for a person at the keyboard (window shortcuts only reach the active window)."""
    if not window.isActiveWindow():
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    target = QApplication.focusWidget() or window
    if target.window() is not window:
        target = window
    qtbot.keyClick(target, key, modifiers)


def type_into(qtbot, widget: QWidget, text: str, clear: bool = True) -> None:
    """Click into a line edit and type ``text`` (replacing what is there). Chinese comes as
    an input method commits it (a ``QInputMethodEvent``): QTest types ASCII keys only."""
    qtbot.mouseClick(widget, LEFT)
    if clear:
        qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
        qtbot.keyClick(widget, Qt.Key.Key_Delete)
    run = ""
    for ch in text + "\0":
        if ch != "\0" and ch.isascii():
            run += ch
            continue
        if run:
            qtbot.keyClicks(widget, run)
            run = ""
        if ch != "\0":
            event = QInputMethodEvent()
            event.setCommitString(ch)
            QApplication.sendEvent(widget, event)


def type_datetime(qtbot, edit, text: str) -> None:
    """Type ``YYYY-MM-DD HH:MM`` into a QDateTimeEdit, section by section, as a person does."""
    from PySide6.QtWidgets import QDateTimeEdit

    sec = QDateTimeEdit.Section
    edit.setFocus()
    parts = text.replace("-", " ").replace(":", " ").split()
    for section, part in zip((sec.YearSection, sec.MonthSection, sec.DaySection,
                              sec.HourSection, sec.MinuteSection), parts, strict=True):
        edit.setSelectedSection(section)
        qtbot.keyClicks(edit, part)
    assert edit.dateTime().toString("yyyy-MM-dd HH:mm") == text


def pick(qtbot, combo, data=None, text: str | None = None) -> None:
    """Open a drop-down with the mouse and choose the item with this data (or text) with the
    keys, as a person does with a long list (Home, Down…, Return)."""
    index = combo.findData(data) if text is None else combo.findText(text)
    assert index >= 0, f"{combo.objectName()} has no item {data!r} / {text!r}"
    # an editable drop-down opens on its arrow (a click on its text edits the text)
    if combo.isEditable():
        qtbot.mouseClick(combo, LEFT, pos=QPoint(combo.width() - 6, combo.height() // 2))
    else:
        qtbot.mouseClick(combo, LEFT)
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    model = combo.model()  # the keys pass over separators (items that are not enabled)
    for _ in range(sum(bool(model.flags(model.index(i, combo.modelColumn()))
                            & Qt.ItemFlag.ItemIsEnabled) for i in range(1, index + 1))):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5000)
    assert combo.currentIndex() == index, (combo.currentIndex(), index)


def choose_file(qtbot, path: str | os.PathLike[str]):
    """A ``fill`` for :func:`answer`: in a file dialog that shows the file's folder (the app
    remembers the last folder of each dialog: tests set that setting), type the file's name
    over the suggested one, Return (or the accept button). Typing whole paths fast into Qt's
    file dialog races its folder loading, so a scenario does not."""
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, QFileDialog), type(dialog)
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        target = Path(path)
        folder = target.parent.resolve()

        def here() -> Path:
            return Path(dialog.directory().absolutePath()).resolve()

        assert here() == folder, f"the dialog shows {here()}, not {folder}"
        qtbot.keyClick(name, Qt.Key.Key_End)
        qtbot.keyClick(name, Qt.Key.Key_Home, SHIFT)
        qtbot.keyClicks(name, target.name)
        for _ in range(2):  # a first Return may take a completion the dialog suggested
            if not dialog.isVisible():
                return
            qtbot.keyClick(name, Qt.Key.Key_Return)
            qtbot.wait(50)
        if dialog.isVisible():
            box = dialog.findChild(QDialogButtonBox)
            accept = next(b for b in box.buttons()
                          if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
            qtbot.mouseClick(accept, LEFT)
    return fill


def menu_item(qtbot, window, key: str, text: str) -> None:
    """Open the menu ``key`` on the menu bar and click its item ``text`` (both with the
    mouse). A dialog the item opens must be answered with :func:`answer`."""
    bar = window.menuBar()
    menu: QMenu = window.menu(key)
    qtbot.mouseClick(bar, LEFT, pos=bar.actionGeometry(menu.menuAction()).center())
    qtbot.waitUntil(menu.isVisible, timeout=5000)
    for action in menu.actions():
        if _plain(action.text()) == _plain(text) or _plain(action.text()).startswith(
                _plain(text) + " "):
            assert action.isEnabled(), f"{key} > {text} is disabled"
            qtbot.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
            return
    menu.close()
    raise AssertionError(f"no item {text!r} in the {key} menu: "
                         f"{[a.text() for a in menu.actions() if a.text()]}")


def map_point(window, x: float, y: float) -> QPoint:
    """The canvas pixel of a map point."""
    (px,), (py,) = window.canvas.view().to_device(np.array([x]), np.array([y]))
    return QPointF(float(px), float(py)).toPoint()


def click_map(qtbot, window, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier,
              button=LEFT) -> None:
    qtbot.mouseClick(window.canvas, button, modifiers, pos=map_point(window, x, y))


def drag_map(qtbot, window, start: QPoint, end: QPoint,
             modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press, move in steps, release: a rectangle with the select tool, a pan with pan."""
    c = window.canvas
    qtbot.mousePress(c, LEFT, modifiers, pos=start)
    for t in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(c, QPoint(round(start.x() + (end.x() - start.x()) * t),
                                  round(start.y() + (end.y() - start.y()) * t)))
    qtbot.mouseRelease(c, LEFT, modifiers, pos=end)


def pixel(window, x: float, y: float) -> tuple[int, int, int]:
    """The colour on screen at a map point (the canvas as drawn)."""
    image = window.canvas.grab().toImage()
    p = map_point(window, x, y)
    ratio = image.devicePixelRatio()
    c = image.pixelColor(round(p.x() * ratio), round(p.y() * ratio))
    return c.red(), c.green(), c.blue()


def settle(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until the antialiased frame of the current view is on screen."""
    qtbot.waitUntil(window.canvas.is_settled, timeout=timeout)


def identify_first_bin(qtbot, window):
    """The identify tool by its shortcut (Ctrl+Alt+I), the view zoomed to the first litter
    bin and a real click on it; the identify panel once it shows the bin."""
    press(qtbot, window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier
          | Qt.KeyboardModifier.AltModifier)
    bx, by = window.map_data.layer("litter_bin").pieces["point"].coords[0]
    window.canvas.zoom_to_bbox(bx - 400, by - 400, bx + 400, by + 400)
    settle(qtbot, window)
    click_map(qtbot, window, bx, by)
    panel = window.identify_panel
    qtbot.waitUntil(lambda: panel.topLevelItemCount() >= 1 and bool(panel.hits))
    return panel


class Shots:
    """Screenshots of a scenario's steps: ``shots("02-form")`` saves the window (or a
    dialog) as ``<folder>/02-form.png``. The folder is the test's temporary folder, or
    ``$CITYMGR_SCREENSHOTS/<test name>`` when that variable is set (to keep and look)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, name: str, widget: QWidget) -> Path:
        QApplication.processEvents()
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        assert widget.grab().save(str(path)), path
        self.taken.append(path)
        return path
