"""The official working calendar of China: public holidays and the weekend days worked in
exchange (调休), as the State Council announces them each year, taken from the ``holidays``
library (kept up to date on PyPI; its ``China`` calendar lists both). New files, the sample
and ``citymgr workorders calendar --seed`` fill ``citymgr_meta.work_calendar`` from here; the
deadline rules themselves are in :mod:`citymgr_desktop.core.workorders.deadlines`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

CALENDAR_KEY = "work_calendar"
OFFICIAL_SOURCE = "holidays {version} (China, State Council)"  # a calendar's stored source


@dataclass
class OfficialDays:
    """Holidays and working weekends of some years, and where they came from."""

    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    years: list[int] = field(default_factory=list)
    announced: list[int] = field(default_factory=list)  # years with the 调休 notice known
    source: str = ""

    def to_json(self) -> str:
        return calendar_text(self.holidays, self.workdays, self.years, self.source)


def calendar_text(holidays: Iterable[dt.date], workdays: Iterable[dt.date],
                  years: Iterable[int] = (), source: str = "") -> str:
    """The JSON kept in ``citymgr_meta.work_calendar``."""
    data: dict[str, object] = {"holidays": sorted(d.isoformat() for d in set(holidays)),
                               "workdays": sorted(d.isoformat() for d in set(workdays))}
    if source:
        data["source"] = source
    if years:
        data["years"] = sorted(set(years))
    return json.dumps(data, ensure_ascii=False)


def official_days(years: Iterable[int]) -> OfficialDays:
    """China's public holidays and 调休 working weekends of ``years``.

    A year whose State Council notice is not out yet (usually published in November for the
    next year) has its statutory holidays only; ``announced`` says which years are complete.
    """
    import holidays as holidays_lib

    wanted = sorted(set(years))
    china = holidays_lib.China(years=wanted)
    days = OfficialDays(years=wanted,
                        source=OFFICIAL_SOURCE.format(version=holidays_lib.__version__))
    days.holidays = {d for d in china if d.year in wanted}
    days.workdays = {d for d in getattr(china, "weekend_workdays", set()) if d.year in wanted}
    days.announced = sorted({d.year for d in days.workdays})
    return days


def default_years(today: dt.date) -> list[int]:
    """The years a new file's calendar covers: last year, this year and the next."""
    return [today.year - 1, today.year, today.year + 1]
