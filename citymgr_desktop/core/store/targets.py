"""What names a project: a file's path, or a PostgreSQL database's ``postgresql://`` URL or
``service=NAME``; which of the two a name is, and how a database's name may be shown or
remembered (its password left out). Plain text functions, below both backends: the file
checks (``files``), the PostGIS connection and :func:`~citymgr_desktop.core.store.protocol.
open_store` ask them without loading each other.
"""

from __future__ import annotations

import os
import re

_URL = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_SERVICE = re.compile(r"^service=\S+", re.IGNORECASE)


def is_database_target(target: object) -> bool:
    """True when ``target`` names a database (a URL or ``service=``) rather than a file."""
    text = str(target)
    return bool(_URL.match(text) or _SERVICE.match(text))


def display_name(target: str) -> str:
    """``target`` as it may be printed: a password in a URL is replaced by ``***``."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@]*@", r"\1:***@", target, flags=re.I)


def without_password(target: str) -> str:
    """``target`` with a URL's password left out: what may be remembered (recent files)."""
    return re.sub(r"^(postgres(?:ql)?://[^:/@]*):[^@]*@", r"\1@", target, flags=re.I)


def login_of(target: str) -> str | None:
    """The database login ``target`` connects as, as libpq picks it: a URL's user, or the
    ``user`` of the service in the service file libpq reads (``PGSERVICEFILE``, else
    ``~/.pg_service.conf``, else ``PGSYSCONFDIR/pg_service.conf``), else ``PGUSER``; None
    when none names it (libpq then uses the OS login). For prompts; never connects."""
    import configparser
    from urllib.parse import parse_qs, unquote, urlsplit

    if _URL.match(target):
        parts = urlsplit(target)
        user = unquote(parts.username or "") or parse_qs(parts.query).get("user", [""])[0]
        return user or os.environ.get("PGUSER")
    service = re.match(r"^service=(\S+)", target, re.IGNORECASE)
    if service:
        home = os.path.expanduser("~/.pg_service.conf")
        files = [os.environ["PGSERVICEFILE"]] if "PGSERVICEFILE" in os.environ else [home]
        if os.environ.get("PGSYSCONFDIR"):
            files.append(os.path.join(os.environ["PGSYSCONFDIR"], "pg_service.conf"))
        for path in files:
            config = configparser.ConfigParser(interpolation=None)
            try:
                config.read(path, encoding="utf-8")
            except (OSError, configparser.Error, UnicodeDecodeError):
                continue
            if config.has_section(service.group(1)):
                return config[service.group(1)].get("user") or os.environ.get("PGUSER")
    return os.environ.get("PGUSER")
