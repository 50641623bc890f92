"""Who is acting: the operating system's login name, the fallback wherever no name is given."""

from __future__ import annotations


def login_name(default: str = "") -> str:
    """The login name, or ``default`` where there is none (service accounts, containers)."""
    import getpass  # with termios: only a command that records who acted needs it

    try:
        return getpass.getuser() or default
    except Exception:  # KeyError without a passwd entry, OSError without a login
        return default
