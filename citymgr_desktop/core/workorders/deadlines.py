"""Work-order deadlines: time limits by class and priority, counted in working time.

The limits are data in the file (``work_order_time_limit``: class or NULL for "any class",
priority, value, ``working_hours`` or ``working_days``). Working time follows Chinese
government office hours: Monday to Friday, 08:30-12:00 and 14:00-17:30 (7 working hours a
day), in China Standard Time (UTC+8, no daylight saving). Public holidays and the weekend
days worked in exchange (调休) are listed in ``citymgr_meta`` under ``work_calendar`` as
``{"holidays": ["2026-10-01", ...], "workdays": ["2026-10-10", ...]}`` because they change
every year by State Council notice. Timestamps are stored in UTC (``...Z``), like every
other timestamp in the file. New files get the official calendar
(:mod:`citymgr_desktop.core.model.workcalendar`); :func:`seed_calendar` adds years to a file and
:func:`save_calendar` stores an edited one.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from citymgr_desktop.core.clock import to_local, to_utc
from citymgr_desktop.core.errors import ValidationError
from citymgr_desktop.core.model import domains as dm
from citymgr_desktop.core.model.workcalendar import CALENDAR_KEY, calendar_text, official_days

if TYPE_CHECKING:
    from citymgr_desktop.core.store import Store

PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(14, 0), dt.time(17, 30)),
)
UNITS = ("working_hours", "working_days")


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours, weekends, holidays and swapped workdays."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    periods: tuple[tuple[dt.time, dt.time], ...] = PERIODS

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        nxt = day + dt.timedelta(days=1)
        for _ in range(400):
            if self.is_working_day(nxt):
                return nxt
            nxt += dt.timedelta(days=1)
        raise ValidationError("the work calendar has no working day within a year")

    def shift_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """``start`` (local office time, naive) moved to the ``days``-th working day after
        its day, at the same time of day (an extension of N working days, 延期N个工作日)."""
        day = start.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return dt.datetime.combine(day, start.time())

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days come after ``start`` up to and including ``end`` (0 when
        ``end`` is not later): the working days an extension from ``start`` to ``end``
        grants, the inverse of :meth:`shift_working_days`."""
        first = start + dt.timedelta(days=1)
        if end < first:
            return 0
        weeks, rest = divmod((end - first).days + 1, 7)  # Mon-Fri counted, then the days
        count = weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(rest))
        count += sum(first <= d <= end and d.weekday() >= 5 for d in self.workdays)
        count -= sum(first <= d <= end and d.weekday() < 5 and d not in self.workdays
                     for d in self.holidays)
        return count

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """``start`` (local office time, naive) plus ``hours`` of working time."""
        remaining = dt.timedelta(hours=hours)
        day, now = start.date(), start
        if not self.is_working_day(day):
            day = self.next_working_day(day)
            now = dt.datetime.combine(day, self.periods[0][0])
        for _ in range(400 * len(self.periods)):
            for a, b in self.periods:
                p_start = dt.datetime.combine(day, a)
                p_end = dt.datetime.combine(day, b)
                if now >= p_end:
                    continue
                begin = max(now, p_start)
                if begin + remaining <= p_end:
                    return begin + remaining
                remaining -= p_end - begin
                now = p_end
            day = self.next_working_day(day)
            now = dt.datetime.combine(day, self.periods[0][0])
        raise ValidationError("time limit of {hours} working hours is too long", hours=hours)

    def add_working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        """Close of business of the ``days``-th working day after the start day (the start
        day itself does not count, as in 数字城管 practice); a fractional part is added as
        a share of a working day's hours."""
        whole = int(days)
        frac = days - whole
        day = start.date()
        for _ in range(whole):
            day = self.next_working_day(day)
        end = dt.datetime.combine(day, self.periods[-1][1])
        if whole == 0:
            end = start
        if frac > 0:
            end = self.add_working_hours(end, frac * self.hours_per_day())
        return end

    def hours_per_day(self) -> float:
        return sum((dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a))
                   .total_seconds() for a, b in self.periods) / 3600.0

    def deadline(self, start_utc: dt.datetime, value: float, unit: str) -> dt.datetime:
        """The deadline (UTC, naive) of a limit counted from ``start_utc`` (UTC, naive)."""
        if unit not in UNITS:
            raise ValidationError("time-limit unit {unit!r} is not allowed; allowed: {units}",
                                  unit=unit, units=', '.join(UNITS))
        local = to_local(start_utc)
        end = (self.add_working_hours(local, value) if unit == "working_hours"
               else self.add_working_days(local, value))
        return to_utc(end)


def load_calendar(conn: sqlite3.Connection) -> WorkCalendar:
    """The file's calendar (holidays and swapped workdays), or plain Mon-Fri."""
    try:
        row = conn.execute("SELECT value FROM citymgr_meta WHERE key=?",
                           (CALENDAR_KEY,)).fetchone()
    except sqlite3.OperationalError:
        row = None
    return parse_calendar(None if row is None else row[0])


def parse_calendar(text: str | None) -> WorkCalendar:
    """A calendar from its stored JSON (``citymgr_meta``), or plain Mon-Fri when empty."""
    if not text:
        return WorkCalendar()
    try:
        data = json.loads(text)
        return WorkCalendar(
            frozenset(dt.date.fromisoformat(d) for d in data.get("holidays", [])),
            frozenset(dt.date.fromisoformat(d) for d in data.get("workdays", [])))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationError("citymgr_meta.{key} is not a valid calendar ({reason}); expected "
                              '{{"holidays": [dates], "workdays": [dates]}}',
                              key=CALENDAR_KEY, reason=exc) from None


def calendar_json(calendar: WorkCalendar) -> str:
    return calendar_text(calendar.holidays, calendar.workdays)


def calendar_of(store: Store) -> WorkCalendar:
    """The project's working calendar (for views: they ask the store, never its
    connection; a file's or a database's)."""
    return parse_calendar(store.meta(CALENDAR_KEY))


class CalendarCommand:
    """An edit of the working calendar as one undo step (``window.commands``)."""

    def __init__(self, store: Store, holidays: set[dt.date], workdays: set[dt.date],
                 label: str = "Edit the working calendar") -> None:
        self.store, self.label = store, label
        self.new = (set(holidays), set(workdays))
        old = load_calendar(store.conn)
        self.old = (set(old.holidays), set(old.workdays))

    def do(self) -> None:
        save_calendar(self.store, *self.new)

    def undo(self) -> None:
        save_calendar(self.store, *self.old)


def calendar_source(store: Store) -> dict:
    """What the file's calendar says about itself: years covered and where it came from."""
    try:
        data = json.loads(store.meta(CALENDAR_KEY) or "{}")
    except ValueError:
        data = {}
    return {"source": data.get("source", ""), "years": data.get("years", [])}


def calendar_years(store: Store) -> set[int]:
    """The years the file's calendar covers: those filled from the official calendar
    (:func:`calendar_source`) and any year with a holiday or working weekend entered by hand.
    Beyond them, holidays are not known and count as working days."""
    calendar = calendar_of(store)
    return (set(calendar_source(store)["years"])
            | {d.year for d in calendar.holidays | calendar.workdays})


def save_calendar(store: Store, holidays: frozenset[dt.date] | set[dt.date],
                  workdays: frozenset[dt.date] | set[dt.date]) -> WorkCalendar:
    """Store an edited calendar (a day cannot be both a holiday and a working weekend)."""
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ValidationError("{day} cannot be both a holiday and a working day",
                              day=both[0].isoformat())
    info = calendar_source(store)
    store.set_meta(CALENDAR_KEY, calendar_text(holidays, workdays, info["years"],
                                               info["source"]))
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


def seed_calendar(store: Store, years: list[int]) -> WorkCalendar:
    """Replace the days of ``years`` with the official calendar (other years are kept)."""
    current = calendar_of(store)
    official = official_days(years)
    keep_h = {d for d in current.holidays if d.year not in years}
    keep_w = {d for d in current.workdays if d.year not in years}
    info = calendar_source(store)
    all_years = sorted(set(info["years"]) | set(years))
    holidays, workdays = keep_h | official.holidays, keep_w | official.workdays
    store.set_meta(CALENDAR_KEY, calendar_text(holidays, workdays, all_years, official.source))
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


@dataclass(frozen=True)
class TimeLimit:
    asset_class: str | None
    priority: int
    value: float
    unit: str

    def describe(self, lang: str = "en") -> str:
        if lang.startswith("zh"):
            word = "个工作小时" if self.unit == "working_hours" else "个工作日"
            return f"{self.value:g}{word}"
        word = "working hours" if self.unit == "working_hours" else "working days"
        return f"{self.value:g} {word}"


def time_limits(store: Store) -> list[TimeLimit]:
    """The file's time limits: the rows for any class first, then by class and priority."""
    return [TimeLimit(a, int(p), float(v), str(u)) for a, p, v, u in store.time_limit_rows()]


def find_limit(store: Store, asset_class: str | None, priority: int) -> TimeLimit:
    """The limit for ``asset_class`` and ``priority``: the class's own row, else the row for
    any class (NULL); a priority without a limit is a one-line error naming what exists."""
    limits = time_limits(store)
    own = [t for t in limits if t.asset_class == asset_class and t.priority == priority]
    generic = [t for t in limits if t.asset_class is None and t.priority == priority]
    if own:
        return own[0]
    if generic:
        return generic[0]
    have = ", ".join(f"{t.asset_class or '*'}/P{t.priority}" for t in limits) or "none"
    raise ValidationError("no time limit for class {asset_class} priority {priority} in "
                          "work_order_time_limit (defined: {have})",
                          asset_class=asset_class or '*', priority=priority, have=have)


def set_time_limit(store: Store, asset_class: str | None, priority: int,
                   value: float, unit: str) -> None:
    """Insert or replace one limit (in the caller's transaction, if there is one)."""
    if unit not in UNITS:
        raise ValidationError("work_order_time_limit.limit_unit: {unit!r} is not allowed; "
                              "allowed: {units}", unit=unit, units=', '.join(UNITS))
    if not dm.WORK_ORDER_PRIORITY.contains(priority):
        raise ValidationError("work_order_time_limit.priority: {priority!r} is not allowed; "
                              "allowed: {allowed}",
                              priority=priority, allowed=dm.WORK_ORDER_PRIORITY.describe())
    if asset_class is not None and not dm.ASSET_CLASS.contains(asset_class):
        raise ValidationError("work_order_time_limit.asset_class: {asset_class!r} is not "
                              "allowed; allowed: {allowed}",
                              asset_class=asset_class, allowed=dm.ASSET_CLASS.describe())
    if not value > 0:
        raise ValidationError("work_order_time_limit.limit_value must be positive, got {value}",
                              value=value)
    store.replace_time_limit(asset_class, priority, value, unit)


def compute_deadline(store: Store, asset_class: str | None, priority: int,
                     start_utc: dt.datetime) -> dt.datetime:
    """Deadline (naive UTC) of a new order of ``asset_class`` and ``priority``."""
    limit = find_limit(store, asset_class, priority)
    return calendar_of(store).deadline(start_utc, limit.value, limit.unit)


def parse_due(text: str) -> dt.datetime:
    """A deadline a person gives, ``YYYY-MM-DD[ HH:MM]`` in office time, as naive UTC; a date
    alone means the end of that day's office hours (17:30)."""
    raw = str(text).strip()
    for fmt, date_only in (("%Y-%m-%d %H:%M", False), ("%Y-%m-%dT%H:%M", False),
                           ("%Y-%m-%d", True)):
        try:
            local = dt.datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if date_only:
            local = dt.datetime.combine(local.date(), PERIODS[-1][1])
        return to_utc(local)
    raise ValidationError("the deadline {text!r} is not a date and time: write YYYY-MM-DD or "
                          "YYYY-MM-DD HH:MM (office time)", text=raw)


def check_due(due: dt.datetime, created: dt.datetime) -> dt.datetime:
    """``due`` (naive UTC) if it is after ``created``; a deadline in the past or before the
    order's creation is refused, named in office time."""
    if due <= created:
        raise ValidationError("the deadline {due} is not after the order's creation "
                              "({created}, office time): give a later one",
                              due=to_local(due).strftime("%Y-%m-%d %H:%M"),
                              created=to_local(created).strftime("%Y-%m-%d %H:%M"))
    return due
