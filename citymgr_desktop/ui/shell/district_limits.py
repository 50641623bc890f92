"""The window's refusal, at the action, of an edit of rows a 街道-limited database login may
not change (``citymgr db grant``): the editing feature's delete, move, Set field and field
calculator, and a new work order over such assets, are refused before they become edits
that only the save would refuse (as the asset form is read-only for them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.core.editing import EditSession
    from citymgr_desktop.ui.shell.window import Window

FEW = 5  # assets a refusal names; more are counted


def refuse_others(window: Window, session: EditSession, layer: str, uuids: list[str],
                  title: str) -> bool:
    """True (and a message naming the asset by code, name and 街道, or their count and the
    first few) when some of ``uuids`` are saved assets this login may not change (a
    街道-limited database login: the database's own rule, ``Store.unchangeable``): the
    action (a delete, a move, a bulk edit, a calculation, a work order over them) is refused
    before it becomes an edit that only the save would refuse, as the asset form is
    read-only for them."""
    store = window.store
    if store is None or not store.is_database:
        return False
    refused = store.unchangeable(layer, [u for u in uuids if not session.is_new(layer, u)])
    if not refused:
        return False
    rows = session.rows(layer, refused[:FEW], ["obj_code", "name", "district"])
    named = {u: " ".join(str(r[k]) for k in ("obj_code", "name") if r.get(k)) or u
             for u, r in ((u, rows.get(u, {})) for u in refused[:FEW])}
    where = {u: str(rows.get(u, {}).get("district") or "?") for u in named}
    if len(refused) == 1:
        text = i18n.tr(
            "%1 belongs to %2: the database lets you change only the assets of the "
            "sub-districts (街道) granted to you. Nothing was changed.").replace(
            "%1", named[refused[0]]).replace("%2", where[refused[0]])
    else:
        lines = [f"{named[u]} ({where[u]})" for u in named] + \
            (["…"] if len(refused) > FEW else [])
        text = i18n.tr(
            "%1 of the %2 assets belong to sub-districts (街道) not granted to you:\n%3\n\n"
            "The database lets you change only the assets of the sub-districts (街道) "
            "granted to you. Nothing was changed.").replace("%1", str(len(refused))).replace(
            "%2", str(len(uuids))).replace("%3", "\n".join(lines))
    QMessageBox.warning(window, title, text)
    return True
