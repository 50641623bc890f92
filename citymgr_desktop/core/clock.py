"""The one clock and the one source of identities: now, stored timestamps, uuids.

Timestamps are stored as UTC text ``YYYY-MM-DDTHH:MM:SS.sssZ`` (what QGIS and GDAL read as
a DateTime); in Python they are naive UTC ``datetime`` values. People see them in office
time, China Standard Time (UTC+8, no daylight saving), whatever the computer's own clock is
set to: a record's date, a print's date and a work order's timeline agree with each other.
"""

from __future__ import annotations

import datetime as dt
import os


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


OFFICE_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def to_local(utc: dt.datetime) -> dt.datetime:
    """A naive UTC time as naive office time."""
    return (utc.replace(tzinfo=dt.timezone.utc).astimezone(OFFICE_TZ)).replace(tzinfo=None)


def to_utc(local: dt.datetime) -> dt.datetime:
    """A naive office time as naive UTC."""
    return local.replace(tzinfo=OFFICE_TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)


def format_local(text: str | None, with_time: bool = True) -> str:
    """A stored UTC timestamp shown in office time, e.g. ``2026-11-26 17:30``."""
    d = parse_iso(text)
    if d is None:
        return ""
    loc = to_local(d)
    return loc.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def office_zone(lang: str) -> str:
    """The office time zone as a reader sees it beside a time or over a column:
    ``办公时间（UTC+8）`` / ``office time (UTC+8)``."""
    delta = OFFICE_TZ.utcoffset(None)
    hours = int(delta.total_seconds() // 3600) if delta else 0
    return (f"办公时间（UTC{hours:+d}）" if lang.startswith("zh")
            else f"office time (UTC{hours:+d})")


def format_local_zoned(value: object, lang: str) -> str:
    """A stored timestamp in office time with its zone, ``2026-12-07 21:17 办公时间（UTC+8）``,
    for text a person reads without a heading that names the zone; what is not a timestamp
    as :func:`format_local_or_text` shows it."""
    try:
        text = format_local(str(value)) if value not in (None, "") else ""
    except ValueError:
        return str(value)
    return f"{text} {office_zone(lang)}" if text else ""


def format_local_or_text(value: object, with_time: bool = True) -> str:
    """A stored timestamp shown in office time (:func:`format_local`), or, when it is not a
    timestamp (a damaged or hand-edited file), the value as it is; empty when there is none.
    Shown, not hidden: a blank would read as "never", while the text tells what the file holds
    (``citymgr validate`` names the row)."""
    if value is None or value == "":
        return ""
    try:
        return format_local(str(value), with_time)
    except ValueError:
        return str(value)


def office_today(now: dt.datetime | None = None) -> dt.date:
    """Today in office time (``now`` is naive UTC, default the clock's): the default date of
    a new record, a print's date, the dashboard's periods."""
    return to_local(now or utcnow()).date()


def now_iso() -> str:
    """Now, in the stored form."""
    return format_iso(utcnow())


def new_uuid() -> str:
    """A new random identity (uuid4) for an asset, record, order, package or run."""
    import uuid  # with platform and socket: not for a command that makes no new identity

    return str(uuid.uuid4())


def new_uuids(count: int) -> list[str]:
    """``count`` new identities at once, exactly as :func:`new_uuid` makes them (random
    uuid4 text) at a fraction of the cost per id: an import names 100,000 assets."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])  # RFC 4122 variant
    text = raw.hex()
    return [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
            for h in (text[i : i + 32] for i in range(0, 32 * count, 32))]
