"""What names a project: a file's path, or a PostgreSQL database's ``postgresql://`` URL or
``service=NAME``; which of the two a name is, and how a database's name may be shown or
remembered (its password left out). Plain text functions, below both backends: the file
checks (``files``), the PostGIS connection and :func:`~citymgr_desktop.core.store.protocol.
open_store` ask them without loading each other.
"""

from __future__ import annotations

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
