"""Who is acting: the operating system's login name, the fallback wherever no name is given."""

from __future__ import annotations

import getpass


def login_name(default: str = "") -> str:
    """The login name, or ``default`` where there is none (service accounts, containers)."""
    try:
        return getpass.getuser() or default
    except Exception:  # KeyError without a passwd entry, OSError without a login
        return default
