"""The open file's edit session as the window keeps it: created when a writable project is
opened (one session for everything the user changes: assets, records, work orders,
attachments), its unsaved edits drawn on the map as if saved (``render.with_pending``), the
identify results and legend counts kept in step, the map read again after a save. Window
behaviour on the :class:`~citymgr_desktop.ui.shell.window.Window` contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from citymgr_desktop.core.editing import EditEvent, EditSession
from citymgr_desktop.core.errors import CitymgrError
from citymgr_desktop.core.store.targets import is_database_target
from citymgr_desktop.render import MapData, with_pending
from citymgr_desktop.ui import i18n
from citymgr_desktop.ui.shell import settings as ws
from citymgr_desktop.ui.worker import show_error

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store
    from citymgr_desktop.ui.shell.window import Window


def open_session(w: Window, store: Store) -> EditSession | None:
    """The edit session of a writable project (None for a read-only file, a GeoPackage that
    is not a project, or a file another citymgr window edits: shown, then view only)."""
    if store.read_only or not store.is_asset_project():
        return None
    folders = {str(Path(p).parent) for p in ws.recent_files() if not is_database_target(p)}
    try:
        session = EditSession(store, w.user_name(ask=False), w.commands, search=sorted(folders))
    except CitymgrError as exc:
        show_error(w, i18n.tr("Editing is not possible"), exc)
        return None
    session.lang = i18n.label_language()
    return session


def drawn_with_pending(file_map: MapData | None, session: EditSession | None,
                       store: Store | None) -> MapData | None:
    """The map read from the file with the session's pending edits drawn as if saved."""
    if file_map is None or session is None or store is None or not session.pending:
        return file_map
    return with_pending(file_map, session.pending, session.rows, _crs_reader(store))


def _crs_reader(store: Store):
    def crs(layer: str):
        try:
            return store.crs(layer)
        except CitymgrError:
            return None
    return crs


def follows_pending(event: EditEvent) -> bool:
    """Whether the map must be drawn again for this session event (a save is followed by a
    read of the file instead: the map keeps showing the edits until then)."""
    return not event.saved
