"""Opening a PostGIS database in the window: File > Open Database… (a URL or a
``service=NAME``) and the password prompt when libpq has none for the login. The password
lives in the open store only (never in settings; the recent list keeps the URL without it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QLineEdit

from citymgr_desktop.core.store import open_store
from citymgr_desktop.core.store.postgis.connection import (
    PasswordNeededError,
    PasswordRefusedError,
)
from citymgr_desktop.core.store.targets import (
    display_name,
    is_database_target,
    login_of,
    without_password,
)
from citymgr_desktop.ui import i18n

if TYPE_CHECKING:
    from citymgr_desktop.core.store.protocol import ProjectStore
    from citymgr_desktop.ui.shell.window import Window

RECENT_DATABASE_KEY = "files/last_database"


def remembered_address(store: ProjectStore, target: str) -> str:
    """What the recent list keeps: a file's path, a database's address without password."""
    return without_password(target) if store.is_database else str(store.path)


def store_name(store: ProjectStore) -> str:
    """What the title bar and messages call the open project: a file's name, a database's
    printable address."""
    return str(store.path) if store.is_database else store.path.name


def open_with_password(w: Window, target: str) -> ProjectStore | None:
    """The store of ``target``; a database whose login needs a password the user is asked
    for, again as long as the server refuses the one typed (None when they cancel). Other
    errors are raised."""
    refused = False
    try:
        return open_store(target)
    except PasswordNeededError:
        pass
    except PasswordRefusedError:  # e.g. an old password in .pgpass
        refused = True
    from citymgr_desktop.core.store.postgis import PostgisStore

    login = login_of(target)  # named in the prompt: a service's name does not say it
    while True:
        name = display_name(target)
        if login:
            name = i18n.tr("login %1 (%2)").replace("%1", login).replace("%2", name)
        prompt = i18n.tr("The server refused the password for %1. Password:").replace(
            "%1", name) if refused else i18n.tr("Password for %1:").replace("%1", name)
        password, ok = QInputDialog.getText(w, i18n.tr("Database password"), prompt,
                                            QLineEdit.EchoMode.Password)
        if not ok:
            return None
        try:
            return PostgisStore.open(target, password=password)
        except PasswordRefusedError:
            refused = True


def open_project(w: Window, target: str) -> ProjectStore | None:
    """The store the window opens for ``target``: a GeoPackage that is not a citymgr project
    read-only (its layers drawn for reference); a database must hold a project (published
    into it). None when the user cancelled the password prompt."""
    from citymgr_desktop.core.store import Store

    store = open_with_password(w, target)
    if store is None:
        return None
    if store.is_database:
        if not store.is_asset_project():
            store.close()
            store.require_asset_project()  # the one message: publish a file into it
    elif not store.read_only and not store.is_asset_project():
        store.close()
        store = Store.open(target, read_only=True)
    return store


def check_openable(target: str) -> None:
    """Raise the one-line error :func:`open_project` would raise for a file that cannot be
    opened (missing, not a GeoPackage, damaged), before anything else happens: the window
    asks about unsaved edits only once the new file is known to open. The file is opened
    read-only and closed (its integrity check is remembered: the real open does not repeat
    it); a database's name is checked when it is opened (it may ask for a password)."""
    from citymgr_desktop.core.store import Store

    if not is_database_target(target):
        Store.open(target, read_only=True).close()


def ask_database(w: Window) -> None:
    """File > Open Database…: a ``postgresql://`` URL or ``service=NAME``, then open it."""
    from PySide6.QtCore import QSettings

    last = str(QSettings().value(RECENT_DATABASE_KEY, "") or "")
    target, ok = QInputDialog.getText(
        w, i18n.tr("Open database"),
        i18n.tr("PostgreSQL database (postgresql://user@host/dbname or service=NAME):"),
        QLineEdit.EchoMode.Normal, last)
    target = target.strip()
    if not ok or not target:
        return
    QSettings().setValue(RECENT_DATABASE_KEY, without_password(target))
    w.open_file(target)
