"""Dates to deadline instants, periods and yearly recurrence. Pure.

Rules (docs/plan-file.md, DESIGN.md):
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

from tracker.core.calendar import WorkCalendar
from tracker.core.states import Kind
from tracker.core.dataperiod import DataPeriod, DataPeriodRule, period_span, resolve, shift_months  # noqa: F401  (shift_months re-exported)

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


RECURRENCES = ("none", "yearly", "half-yearly", "quarterly", "monthly", "nine-monthly")
# Occurrences per year, and the months between two of them.
_PER_YEAR = {"none": 1, "yearly": 1, "half-yearly": 2, "quarterly": 4, "monthly": 12, "nine-monthly": 1}
_PERIOD = re.compile(r"^(\d{4})(?:-(?:([HQ])([1-4])|(0[1-9]|1[0-2])|9M))?$")


@dataclass(frozen=True)
class ObligationDates:
    """The date rule of an obligation, anchored in its plan's year."""

    kind: str  # deadline | window | event
    first: date  # deadline: due (as written); window: start; event: date
    last: date | None  # window: end
    recurrence: str  # one of RECURRENCES
    plan_year: int
    strict_before: bool = False
    shift: str = "next_working_day"
    # Deadline = this many working days after the period's data cut-off (then
    # ``first`` is the first period's cut-off, not a due day).
    after_cutoff: int | None = None
    data: DataPeriodRule | None = None
    valid_until: date | None = None  # the plan's validity: no period starts after it (None: no end)


def period_label(recurrence: str, year: int, index: int) -> str:
    """``2021`` for yearly and one-off obligations, ``2021-H2``, ``2021-Q3``, ``2021-07``, ``2021-9M``:
    the index-th occurrence of the year."""
    if recurrence == "monthly":
        return f"{year}-{index + 1:02d}"
    if recurrence == "nine-monthly":
        return f"{year}-9M"
    if recurrence == "half-yearly":
        return f"{year}-H{index + 1}"
    if recurrence == "quarterly":
        return f"{year}-Q{index + 1}"
    return str(year)


def _months_after_anchor(rule: ObligationDates, period: str | int) -> int:
    m = _PERIOD.match(str(period))
    if m is None:
        raise ValueError(f"{period!r} is not a period (2021, 2021-H1, 2021-Q3, 2021-07, 2021-9M)")
    year, index = int(m.group(1)), int(m.group(3) or m.group(4) or 1) - 1
    return (year - rule.plan_year) * 12 + index * (12 // _PER_YEAR.get(rule.recurrence, 1))


def occurrence(rule: ObligationDates, period: str | int, calendar: WorkCalendar, tz: ZoneInfo) -> Occurrence:
    """The dates of one period (``2021``, ``2021-H2``, ``2021-Q3``) of the rule."""
    months = _months_after_anchor(rule, period)
    label = str(period)
    first = shift_months(rule.first, months)
    if rule.kind == Kind.DEADLINE and rule.after_cutoff is not None:
        assert rule.data is not None, "due_after_cutoff needs a data period (planfile checks it)"
        day = calendar.add_working_days(resolve(rule.data, label, months).end, rule.after_cutoff)
        return Occurrence(label, end_of_day(day, tz), None, day)
    if rule.kind == Kind.DEADLINE:
        day = last_acceptable_day(first, strict_before=rule.strict_before, shift=rule.shift, calendar=calendar)
        return Occurrence(label, end_of_day(day, tz), None, day)
    if rule.kind == Kind.WINDOW:
        assert rule.last is not None
        last = shift_months(rule.last, months)
        return Occurrence(label, start_of_day(first, tz), end_of_day(last, tz), first)
    return Occurrence(label, start_of_day(first, tz), None, first)


def data_period(rule: ObligationDates, period: str) -> DataPeriod | None:
    """The figures a period's report covers (None: the obligation names no data period)."""
    if rule.data is None:
        return None
    return resolve(rule.data, str(period), _months_after_anchor(rule, period))


def occurrences(
    rule: ObligationDates, *, until: date, calendar: WorkCalendar, tz: ZoneInfo, since_year: int | None = None
) -> list[Occurrence]:
    """Every period whose first date falls on or before ``until`` (the horizon).

    ``none`` gives the plan's year only; the others recur from the plan's year on:
    once a year (yearly, nine-monthly), twice (H1, H2: six months apart), four
    times (Q1..Q4: three months apart) or twelve times (01..12: a month apart),
    counted from the date the plan gives. A period that starts after the plan's
    ``valid_until`` is not the plan's: recurrence stops with it.
    """
    if rule.recurrence == "none":
        years = [rule.plan_year]
    else:
        start = max(rule.plan_year, since_year or rule.plan_year)
        years = list(range(start, until.year + 1))
    per_year = _PER_YEAR.get(rule.recurrence, 1)
    out = []
    for year in years:
        for index in range(per_year):
            label = period_label(rule.recurrence, year, index)
            if rule.valid_until is not None and rule.recurrence != "none" \
                    and period_span(label)[0] > rule.valid_until:
                continue
            if rule.valid_until is not None and rule.recurrence != "none" and rule.kind != "deadline" \
                    and shift_months(rule.first, _months_after_anchor(rule, label)) > rule.valid_until:
                continue  # an event or window held after the plan has ended
            if shift_months(rule.first, _months_after_anchor(rule, label)) <= until:
                out.append(occurrence(rule, label, calendar, tz))
    return out
