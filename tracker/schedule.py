"""Dates to deadline instants, periods and yearly recurrence. Pure.

Rules (spec/plan-file.md, DESIGN.md):
- a date is ``d/m``, ``d/m/yyyy`` or ``yyyy-mm-dd``; without a year it takes the plan's year;
- ``strict_before`` ("trước ngày D") makes the day before D the last acceptable day;
- with ``shift = next_working_day`` a last acceptable day that is a day off moves to the
  next working day (Civil Code 2015, art. 148(5));
- the deadline instant is the end of that day in the plan's time zone, stored in UTC;
- a yearly obligation on 29/2 falls on 28/2 in common years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tracker.calendar import WorkCalendar

END_OF_DAY = time(23, 59, 59)
_DMY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class DateError(ValueError):
    """A date string that is malformed or names a day that does not exist."""


def parse_date(value: str | date, default_year: int | None) -> date:
    """Parse ``d/m``, ``d/m/yyyy``, ``yyyy-mm-dd`` (or pass a date through)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    m = _DMY.match(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if year is None:
            if default_year is None:
                raise DateError(f"{text!r} has no year and there is no plan year to take")
            year = default_year
        return _make(int(year), month, day, text)
    m = _ISO.match(text)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
    raise DateError(f"{text!r} is not a date (write d/m, d/m/yyyy or yyyy-mm-dd)")


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"{text.strip()!r} is not a real date") from None


def in_year(anchor: date, year: int) -> date:
    """The anniversary of ``anchor`` in ``year``; 29/2 becomes 28/2 in common years."""
    try:
        return anchor.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def last_acceptable_day(due: date, *, strict_before: bool, shift: str, calendar: WorkCalendar) -> date:
    day = due - timedelta(days=1) if strict_before else due
    if shift == "next_working_day":
        day = calendar.next_working_day(day)
    return day


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The last second of ``day`` in ``tz``, as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(timezone.utc)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(timezone.utc)


def is_late(submitted_at: datetime, due_at: datetime) -> bool:
    """After the due instant (the last second of the last acceptable day)."""
    return submitted_at > due_at


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    require_aware(instant)
    return instant.astimezone(tz).date()


def require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: pass an aware datetime (time is a parameter)")
    return instant


@dataclass(frozen=True)
class Occurrence:
    """One period of an obligation: what an assignment is made of."""

    period: str
    due_at: datetime  # deadline: end of last acceptable day; window/event: start of first day (UTC)
    ends_at: datetime | None  # window: end of its last day; else None
    day: date  # deadline: last acceptable day; window: start; event: the day


@dataclass(frozen=True)
class ObligationDates:
    """The date rule of an obligation, anchored in its plan's year."""

    kind: str  # deadline | window | event
    first: date  # deadline: due (as written); window: start; event: date
    last: date | None  # window: end
    recurrence: str  # none | yearly
    plan_year: int
    strict_before: bool = False
    shift: str = "next_working_day"


def occurrence(rule: ObligationDates, year: int, calendar: WorkCalendar, tz: ZoneInfo) -> Occurrence:
    offset = year - rule.plan_year
    first = in_year(rule.first, rule.first.year + offset)
    if rule.kind == "deadline":
        day = last_acceptable_day(first, strict_before=rule.strict_before, shift=rule.shift, calendar=calendar)
        return Occurrence(str(year), end_of_day(day, tz), None, day)
    if rule.kind == "window":
        assert rule.last is not None
        last = in_year(rule.last, rule.last.year + offset)
        return Occurrence(str(year), start_of_day(first, tz), end_of_day(last, tz), first)
    return Occurrence(str(year), start_of_day(first, tz), None, first)


def occurrences(
    rule: ObligationDates, *, until: date, calendar: WorkCalendar, tz: ZoneInfo, since_year: int | None = None
) -> list[Occurrence]:
    """Every period whose first date falls on or before ``until`` (the horizon).

    ``none`` gives the plan's year only; ``yearly`` one per year from the plan's year.
    """
    if rule.recurrence == "none":
        years = [rule.plan_year]
    else:
        start = max(rule.plan_year, since_year or rule.plan_year)
        years = list(range(start, until.year + 1))
    out = []
    for year in years:
        occ = occurrence(rule, year, calendar, tz)
        if in_year(rule.first, rule.first.year + year - rule.plan_year) <= until:
            out.append(occ)
    return out
