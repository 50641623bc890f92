"""The editing feature's write guard (``Window.add_write_guard``): before the app itself
writes the open file outside the edit session (a sync, its conflicts' resolution or undo, an
import, a field package), unsaved edits are saved first or nothing is written.

A sync under unsaved edits wrote the surveyor's value over a field the office had edited
but not saved, with no conflict; the save after it then took the app's own sync for
"another program" and offered to keep the office's value, and the surveyor's was lost
unseen. Saved first, the office's edit is a master change and the sync lists a real
conflict (as Mergin Maps and QField sync ask to save before they sync).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QMessageBox, QWidget

from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell.database import store_name

if TYPE_CHECKING:
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.ui.shell.window import Window


class SavesEdits(Protocol):
    """What the guard needs of the editing feature."""

    window: Window
    session: EditSession | None

    def save(self, *, force: bool = False, background: bool = True) -> bool: ...

    def pending_text(self) -> str: ...


def save_first(feature: SavesEdits, parent: QWidget, what: str, button: str) -> bool:
    """Ask "save the unsaved edits first?" with ``button`` (e.g. "Save and sync") and
    Cancel; True when there is nothing unsaved or the edits were saved (a conflict with
    another program is settled in the merge dialog first), False to write nothing."""
    session = feature.session
    if session is None or not session.dirty:
        return True
    store = feature.window.store
    box = QMessageBox(QMessageBox.Icon.Question, i18n.tr("Unsaved edits"), i18n.tr(
        "%1 has unsaved edits (%2).").replace("%1", store_name(store) if store else "")
        .replace("%2", feature.pending_text()) + "\n\n" + what, parent=parent)
    box.setObjectName("saveBeforeWrite")
    go = box.addButton(button, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(go)
    box.exec()
    if box.clickedButton() is not go:
        return False
    return feature.save(background=False) and not session.dirty


def may_step(window: Window, command: object | None, redo: bool) -> bool:
    """Undo or redo of a step that writes the file itself (a sync, a resolution, an import;
    not an edit, which only changes the pending edits): the window's write guards first."""
    from citymgr_desktop.core.editing.commands import EditCommand

    if command is None or isinstance(command, EditCommand):
        return True
    return window.may_write(window, i18n.tr(  # type: ignore[arg-type]
        "This step writes into the file itself. Save your edits first."),
        i18n.tr("Save and redo") if redo else i18n.tr("Save and undo"))
