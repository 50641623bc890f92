"""The status bar's "Read-only" sign: shown while the open file cannot be edited in this
window, its tooltip saying why (the file's permissions, its folder's, a read-only drive,
another window editing it, a GeoPackage that is not a project) and what gives write access.
The title's "[read-only]" alone went unseen (trial 10).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from citymgr_desktop.core.editing import held_elsewhere
from citymgr_desktop.core.store.files import why_read_only
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.ui.shell.window import Window


def read_only_reason(w: Window) -> str | None:
    """Why the open file cannot be edited here and how to change that (None: it can be, or
    no file is open)."""
    store = w.store
    if store is None:
        return None
    tr = i18n.tr
    name = str(store.path) if store.is_database else store.path.name
    if not w.is_project:
        text = tr("%1 is a GeoPackage but not a citymgr project: its layers are shown for "
                  "reference. To edit its features, import them into a project (File › "
                  "Import data…).")
    elif store.read_only and store.is_database:
        text = tr("%1 was opened read-only.")
    elif store.read_only:
        why = why_read_only(store.path)
        text = {
            "mount": tr("%1 is on a read-only drive or mount: nothing can be saved there. To "
                        "edit it, copy it to a writable folder and open the copy."),
            "folder": tr("The folder of %1 is read-only (the app keeps its recovery and sync "
                         "files beside the file). To edit it, make the folder writable, or "
                         "copy the file to a writable folder, and open it again."),
        }.get(why, tr("%1 is read-only by its file permissions. To edit it, make it "
                      "writable (its Properties, or chmod u+w), then open it again."))
    elif w.edit_session is None:
        text = tr("%1 is being edited in another citymgr-desktop window: this one shows it "
                  "read-only. Close it there; this window then offers to edit it here.") \
            if held_elsewhere(store) else tr("Editing %1 could not be started (the message "
                                             "shown when it was opened says why); open it "
                                             "again to retry.")
    else:
        return None
    return text.replace("%1", name)


class ReadOnlyIndicator(QLabel):
    """"Read-only" / "只读" in the status bar while the open file is viewed only."""

    def __init__(self, w: Window) -> None:
        super().__init__(i18n.tr("Read-only"), w.status_bar)
        self.setObjectName("readOnlyIndicator")
        self.setStyleSheet("color: #b45309; font-weight: bold; padding: 0 4px")
        self.setVisible(False)
        self._w = w

    def refresh(self) -> None:
        reason = read_only_reason(self._w)
        self.setToolTip(reason or "")
        self.setVisible(reason is not None)


def install(w: Window) -> ReadOnlyIndicator:
    """Put the sign into ``w``'s status bar, following the open file."""
    indicator = ReadOnlyIndicator(w)
    w.status_bar.add_indicator(indicator)
    w.storeChanged.connect(lambda _store: indicator.refresh())
    return indicator
