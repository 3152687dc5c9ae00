"""Data periods ("thời gian chốt số liệu"): which days a periodic report's
figures cover, and the cut-off day a ``due_after_cutoff`` deadline counts from.
Pure.

Two rules (docs/plan-file.md):

- ``decree-09``: Decree 09/2019/NĐ-CP, art. 12. Every period's figures run
  from the 15th of the month before the period's first month to the 14th of
  its last month: monthly 15/12/2024 - 14/1/2025 for 2025-01; quarterly
  15/12/2024 - 14/3/2025 for 2025-Q1; six months 15/12/2024 - 14/6/2025
  (H1) and 15/6 - 14/12/2025 (H2); yearly 15/12/2024 - 14/12/2025. Art. 12
  names no 9-month rule; offices that ask for a 9-month report apply the
  same pattern (15/12/2024 - 14/9/2025), and so do we.
- explicit: ``{from: 15/12, to: 14/6}``, the first period's data period; the
  others follow it by the period's length, as ``due`` does. ``from`` later in
  the year than ``to`` is in the previous year (15/12 - 14/6 crosses the new
  year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DECREE_09 = "decree-09"
CUTOFF_DAY = 14  # art. 12: the period's figures stop on the 14th ...
START_DAY = 15  # ... and the next period's start on the 15th

_LABEL = re.compile(r"^(\d{4})(?:-(?:([HQ])([1-4])|(0[1-9]|1[0-2])|(9M)))?$")


class PeriodError(ValueError):
    """A period label that is not one of 2025, 2025-H1, 2025-Q3, 2025-07, 2025-9M."""


@dataclass(frozen=True)
class DataPeriodRule:
    """How an obligation's data periods are found: ``decree-09`` or an explicit first period."""

    rule: str  # DECREE_09 | "explicit"
    first_from: date | None = None  # explicit: the first period's first day
    first_to: date | None = None  # explicit: the first period's cut-off

    def to_json(self) -> dict:
        if self.rule == DECREE_09:
            return {"rule": DECREE_09}
        assert self.first_from and self.first_to
        return {"rule": "explicit", "from": self.first_from.isoformat(), "to": self.first_to.isoformat()}

    @classmethod
    def from_json(cls, value: dict | None) -> "DataPeriodRule | None":
        if not value:
            return None
        if value.get("rule") == DECREE_09:
            return cls(DECREE_09)
        return cls("explicit", date.fromisoformat(value["from"]), date.fromisoformat(value["to"]))


@dataclass(frozen=True)
class DataPeriod:
    start: date
    end: date  # the cut-off: the last day the figures cover

    def words(self) -> str:
        """``Số liệu tính từ 15/12/2024 đến 14/6/2025``: how reminders and pages say it."""
        return f"Số liệu tính từ {_dmy(self.start)} đến {_dmy(self.end)}"

    def to_json(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _dmy(day: date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def shift_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the month lacks becomes its last (31/3 + 3 = 30/6, 29/2 + 12 = 28/2)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def period_months(period: str) -> tuple[int, int, int]:
    """(year, first month, last month) a period label covers: 2025-Q2 -> (2025, 4, 6), 2025-9M -> (2025, 1, 9)."""
    m = _LABEL.match(str(period))
    if m is None:
        raise PeriodError(f"{period!r} is not a period (2025, 2025-H1, 2025-Q3, 2025-07, 2025-9M)")
    year = int(m.group(1))
    if m.group(2) == "H":
        half = int(m.group(3))
        if half > 2:
            raise PeriodError(f"{period!r} is not a period: a year has two halves, H1 and H2")
        return year, 6 * half - 5, 6 * half
    if m.group(2) == "Q":
        q = int(m.group(3))
        return year, 3 * q - 2, 3 * q
    if m.group(4):
        month = int(m.group(4))
        return year, month, month
    if m.group(5):
        return year, 1, 9
    return year, 1, 12


def period_span(period: str) -> tuple[date, date]:
    """The calendar days of a period: 2025-H1 -> 1/1/2025 .. 30/6/2025."""
    year, first, last = period_months(period)
    return date(year, first, 1), shift_months(date(year, last, 1), 1) - timedelta(days=1)


def decree09(period: str) -> DataPeriod:
    """Art. 12 of Decree 09/2019/NĐ-CP for one period label (module docstring)."""
    year, first, last = period_months(period)
    return DataPeriod(shift_months(date(year, first, START_DAY), -1), date(year, last, CUTOFF_DAY))


def resolve(rule: DataPeriodRule, period: str, months_after_first: int) -> DataPeriod:
    """The data period of ``period``, the ``months_after_first``-th month after the plan's first period."""
    if rule.rule == DECREE_09:
        return decree09(period)
    assert rule.first_from and rule.first_to
    return DataPeriod(shift_months(rule.first_from, months_after_first), shift_months(rule.first_to, months_after_first))
