"""Reading the QGIS project embedded in a project file, without the machinery that writes
one: which file its layers read (:func:`points_elsewhere`), asked by the first write of every
store and by ``validate``, so it imports no XML tree, styles or forms
(:mod:`~citymgr_desktop.core.qgis.project` writes the project), and unpacks the project only
when asked (``store/project_memo.py`` only reads the stored row).
"""

from __future__ import annotations

import os
import re
import sqlite3

from citymgr_desktop.core.atomic import final_name

PROJECT_NAME = "citymgr"


def gpkg_file_name(conn: sqlite3.Connection) -> str:
    """The file name the open database will have (undoing atomic_path's temporary name)."""
    path = ""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            path = file or ""
    base = os.path.basename(path) or "project.gpkg"
    return final_name(base)


def stored_project(conn: sqlite3.Connection, name: str = PROJECT_NAME) -> str | bytes | None:
    """The project embedded under ``name`` as stored (the .qgz bytes, hex-encoded as QGIS
    writes them), or None if there is none."""
    try:
        row = conn.execute("SELECT content FROM qgis_projects WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None or row[0] is None else row[0]


def embedded_qgs(conn: sqlite3.Connection, name: str = PROJECT_NAME) -> str | None:
    """The .qgs XML of the project embedded under ``name`` (None if there is none, or if
    what is stored cannot be read)."""
    stored = stored_project(conn, name)
    if stored is None:
        return None
    import io
    import zipfile

    try:
        data = bytes.fromhex(stored) if isinstance(stored, str) else bytes(stored)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            qgs = next(n for n in z.namelist() if n.endswith(".qgs"))
            return z.read(qgs).decode("utf-8")
    except (ValueError, TypeError, StopIteration, zipfile.BadZipFile, UnicodeDecodeError):
        return None


def points_elsewhere(conn: sqlite3.Connection) -> str | None:
    """The file name the embedded project's layers read when it is not this file's name
    (None when it is, or when there is no embedded project). Read-only."""
    qgs = embedded_qgs(conn)
    if qgs is None:
        return None
    import html

    read = re.findall(r"<datasource>\./([^|<]+)\|layername=", qgs)
    here = gpkg_file_name(conn)
    others = [html.unescape(name) for name in read if html.unescape(name) != here]
    return others[0] if others else None


def needs_repoint(conn: sqlite3.Connection) -> bool:
    """True when the embedded project is missing, unreadable or reads another file: what
    :func:`~citymgr_desktop.core.qgis.project.repoint` re-embeds."""
    return embedded_qgs(conn) is None or points_elsewhere(conn) is not None
