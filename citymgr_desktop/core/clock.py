"""The one clock and the one source of identities: now, stored timestamps, uuids.

Timestamps are stored as UTC text ``YYYY-MM-DDTHH:MM:SS.sssZ`` (what QGIS and GDAL read as
a DateTime); in Python they are naive UTC ``datetime`` values.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, as naive UTC."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def format_iso(d: dt.datetime) -> str:
    """The stored form of a moment: naive values are UTC, aware ones are converted."""
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def parse_iso(text: str | None) -> dt.datetime | None:
    """A stored timestamp as naive UTC (None when empty)."""
    if not text:
        return None
    d = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if d.tzinfo is not None:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d


def now_iso() -> str:
    """Now, in the stored form."""
    return format_iso(utcnow())


def new_uuid() -> str:
    """A new random identity (uuid4) for an asset, record, order, package or run."""
    import uuid  # with platform and socket: not for a command that makes no new identity

    return str(uuid.uuid4())
