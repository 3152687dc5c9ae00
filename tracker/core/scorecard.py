"""Scorecards for the year's emulation review (thi đua): per unit and per
obligation, how many reports were expected in a period and how many came on
time, late, not at all, or were waived; the on-time rate and the rank. Pure:
counts in, a scorecard out (services/scorecard.py counts in the store).

The rules (docs/cli.md, `tracker report scorecard`):
- a period is a quarter (2025-Q1), a half-year (2025-H1), a year (2025), a
  month (2025-01) or nine months (2025-9M); it holds the deadline assignments
  whose planned deadline falls on one of its days (local time), as DHIS2
  counts the reports a period expects;
- waived assignments are not expected; expected = on time + late + missing
  (+ pending while the period runs);
- on time: submitted at or before the (possibly extended) deadline; late:
  after it; missing: not submitted and the deadline has passed; pending: not
  submitted, deadline still ahead;
- the on-time rate is on time / expected (None when nothing was expected);
- ranks are competition ranks ("1, 2, 2, 4") by on-time rate, highest first;
  a unit that owed nothing has no rank;
- a scorecard asked for before its period has ended is provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tracker.core.dataperiod import period_span
from tracker.core.periods import period_words


@dataclass(frozen=True)
class Counts:
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    waived: int = 0

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def expected(self) -> int:
        return self.on_time + self.late + self.missing + self.pending

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.on_time + other.on_time, self.late + other.late, self.missing + other.missing,
                      self.pending + other.pending, self.waived + other.waived)

    def to_json(self) -> dict:
        rate = self.on_time_rate
        return {"expected": self.expected, "submitted": self.submitted, "on_time": self.on_time, "late": self.late,
                "missing": self.missing, "pending": self.pending, "waived": self.waived,
                "on_time_rate": round(rate, 4) if rate is not None else None}


@dataclass(frozen=True)
class Line:
    key: str  # unit code, or "plan/obligation"
    name: str  # unit name, or obligation title
    counts: Counts
    rank: int | None

    def to_json(self, key_name: str, name_name: str) -> dict:
        return {"rank": self.rank, key_name: self.key, name_name: self.name, **self.counts.to_json()}


@dataclass(frozen=True)
class Scorecard:
    period: str
    words: str  # "Quý I/2025"
    start: date
    end: date
    as_of: datetime  # local
    provisional: bool
    plan: str | None
    units: list[Line] = field(default_factory=list)
    obligations: list[Line] = field(default_factory=list)
    total: Counts = Counts()

    def to_json(self) -> dict:
        return {
            "period": self.period, "period_words": self.words, "from": self.start.isoformat(),
            "to": self.end.isoformat(), "as_of": self.as_of.isoformat(), "provisional": self.provisional,
            "plan": self.plan,
            "units": [line.to_json("unit", "unit_name") for line in self.units],
            "obligations": [line.to_json("obligation", "title") for line in self.obligations],
            "total": self.total.to_json(),
        }


SCORECARD_PERIODS = "2025-Q1, 2025-H1, 2025, 2025-01 or 2025-9M"


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a scorecard period; ValueError naming the accepted forms."""
    try:
        return period_span(period)
    except ValueError:
        raise ValueError(f"{period!r} is not a period (write {SCORECARD_PERIODS})") from None


def rank(lines: list[tuple[str, str, Counts]]) -> list[Line]:
    """Competition ranks by on-time rate (highest first); ties keep code order and share a rank."""
    ordered = sorted(lines, key=lambda t: (t[2].on_time_rate is None, -(t[2].on_time_rate or 0), t[0]))
    out: list[Line] = []
    previous: float | None = None
    current = 0
    for position, (key, name, counts) in enumerate(ordered, start=1):
        rate = counts.on_time_rate
        if rate is None:
            out.append(Line(key, name, counts, None))
            continue
        if rate != previous:
            current, previous = position, rate
        out.append(Line(key, name, counts, current))
    return out


def build(period: str, units: list[tuple[str, str, Counts]], obligations: list[tuple[str, str, Counts]], *,
          as_of: datetime, today: date, plan: str | None = None) -> Scorecard:
    """The scorecard of ``period`` from its counts per unit (code, name, counts) and per
    obligation ("plan/obligation", title, counts); ``today`` (local) decides if it is provisional."""
    start, end = period_bounds(period)
    total = Counts()
    for _, _, counts in units:
        total = total + counts
    return Scorecard(period, period_words(period), start, end, as_of, today <= end, plan,
                     rank(list(units)), rank(list(obligations)), total)


# --- the end-of-period mail ----------------------------------------------------

GRACE_DAYS = 7  # after downtime, a period's scorecard is still mailed this many days late, not later
PERIOD_KINDS = ("quarter", "half-year", "year")


def periods_ending(end: date, kinds: frozenset[str] | set[str]) -> list[str]:
    """The periods that end on ``end`` (a quarter's last day), narrowest first: 31/12/2025 ->
    2025-Q4, 2025-H2, 2025."""
    q = end.month // 3
    out = [f"{end.year}-Q{q}"] if "quarter" in kinds else []
    if end.month in (6, 12) and "half-year" in kinds:
        out.append(f"{end.year}-H{end.month // 6}")
    if end.month == 12 and "year" in kinds:
        out.append(str(end.year))
    return out


def scorecards_due(today: date, after_send_time: bool, is_working_day, kinds) -> tuple[date, list[str]] | None:
    """The period end whose scorecards are mailed now, if any: the last quarter end before
    ``today``, once its first working day after has come (at the send time), for GRACE_DAYS."""
    quarter = (today.month - 1) // 3
    end = date(today.year - 1, 12, 31) if quarter == 0 else (
        date(today.year, 3 * quarter + 1, 1) - timedelta(days=1))
    send_day = end + timedelta(days=1)
    while not is_working_day(send_day):
        send_day += timedelta(days=1)
    if today < send_day or (today == send_day and not after_send_time) or (today - send_day).days > GRACE_DAYS:
        return None
    periods = periods_ending(end, set(kinds))
    return (end, periods) if periods else None
