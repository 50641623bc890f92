"""The period a figure is asked for: whole days in office time (China Standard Time, UTC+8),
from a first day to a last day, both included; either end may be open.

Timestamps in the file are UTC text (``YYYY-MM-DDTHH:MM:SS.sssZ``, core/clock.py) and dates
(``record_date``, ``install_date``) are plain office-time days, so a period gives both: UTC
bounds in the stored form for timestamps and ISO days for dates. Comparing stored text with
stored text keeps the SQL plain (a PostGIS store compares timestamptz the same way).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from citymgr_desktop.core.clock import OFFICE_TZ, format_iso, office_today, utcnow
from citymgr_desktop.core.errors import ValidationError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_day(text: str | dt.date | None, what: str = "date") -> dt.date | None:
    """``2026-11-05`` -> a date (None stays None); anything else is a one-line error."""
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError("{what} {value!r}: expected a day as YYYY-MM-DD",
                              what=what, value=text) from None


def day_start_utc(day: dt.date) -> str:
    """The stored UTC form of 00:00 office time on ``day``."""
    local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=OFFICE_TZ)
    return format_iso(local)


@dataclass(frozen=True)
class Period:
    """Days ``first`` .. ``last`` (both included) in office time; None = open at that end."""

    first: dt.date | None = None
    last: dt.date | None = None

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None and self.first > self.last:
            raise ValidationError("the period starts ({first}) after it ends ({last})",
                                  first=self.first.isoformat(), last=self.last.isoformat())

    @classmethod
    def parse(cls, first: str | dt.date | None, last: str | dt.date | None) -> Period:
        """From ``--from`` / ``--to`` text (either may be missing)."""
        return cls(parse_day(first, "--from"), parse_day(last, "--to"))

    @classmethod
    def month(cls, text: str) -> Period:
        """``2026-11`` -> 1 to 30 November 2026."""
        m = _MONTH.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValidationError("month {value!r}: expected YYYY-MM, e.g. 2026-11",
                                  value=text)
        first = dt.date(int(m.group(1)), int(m.group(2)), 1)
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return cls(first, nxt - dt.timedelta(days=1))

    def previous_month(self) -> Period:
        """The calendar month before the one this period starts in."""
        if self.first is None:
            raise ValidationError("an open period has no previous month")
        last = self.first.replace(day=1) - dt.timedelta(days=1)
        return Period(last.replace(day=1), last)

    @property
    def label(self) -> str:
        """``2026-11`` for a calendar month, else ``2026-11-01 – 2026-11-15``."""
        if self.first and self.last and self.first.day == 1 and \
                Period.month(self.first.strftime("%Y-%m")).last == self.last:
            return self.first.strftime("%Y-%m")
        return f"{self.first or '…'} – {self.last or '…'}"

    # -- bounds for SQL ---------------------------------------------------------------------
    def start_utc(self) -> str | None:
        """Stored UTC text of the period's first moment (None when open)."""
        return None if self.first is None else day_start_utc(self.first)

    def end_utc(self) -> str | None:
        """Stored UTC text of the first moment *after* the period (None when open)."""
        return None if self.last is None else day_start_utc(self.last + dt.timedelta(days=1))

    def cutoff_utc(self, now: dt.datetime | None = None) -> str:
        """The earlier of the period's end and now: what has happened "by the end"."""
        now_text = format_iso(now or utcnow())
        end = self.end_utc()
        return now_text if end is None or now_text < end else end

    def ended_utc(self, now: dt.datetime | None = None) -> str | None:
        """The period's end (as :meth:`end_utc`) when it is over by ``now``, else None: the
        moment a past period's figures are taken at ("its state at the month's end")."""
        end = self.end_utc()
        return end if end is not None and end <= format_iso(now or utcnow()) else None

    def end_day(self, now: dt.datetime | None = None) -> dt.date:
        """The last day the period covers so far: its last day, or today if that is earlier
        (or the period is open)."""
        today = office_today(now)
        return today if self.last is None or today < self.last else self.last

    def days(self) -> tuple[str | None, str | None]:
        """(first, last) as ISO days for DATE columns (None when open)."""
        return (None if self.first is None else self.first.isoformat(),
                None if self.last is None else self.last.isoformat())


__all__ = ["Period", "day_start_utc", "parse_day"]
