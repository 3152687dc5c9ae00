"""Working days: weekends, public holidays, swapped days, and deadline shifting.

Pure: the holiday table comes from the ``holidays`` package (data, not I/O)
plus what the operator lists in config (days the government adds or swaps).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from tracker.core.errors import ConfigError

# No real deadline is more than a few weeks of consecutive days off away; the
# bound only stops a misconfigured calendar (every day off) from looping.
_MAX_SEARCH_DAYS = 366


@lru_cache(maxsize=32)
def _country_holidays(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    table = _country_class(country)(years=[year])
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return frozenset(table.keys()), workdays


@lru_cache(maxsize=8)
def _country_class(country: str):
    """The ``holidays`` class for one country code, loaded alone.

    ``holidays.country_holidays("VN")`` imports ``holidays.countries``, whose
    ``__init__`` imports all ~250 countries: 0.1 s of every command's start-up,
    a tenth of the tick's budget, for one country's table that takes 1 ms to
    build. The package's registry names the module of each code, so that one
    file is loaded by itself (it imports only the package's shared parts). Any
    surprise (another layout in a future release) falls back to the public
    call; tests/test_calendar.py checks both give the same days. A code the
    registry does not list is a configuration error, named as such.
    """
    import importlib.util

    import holidays

    def public(years):
        return holidays.country_holidays(country, years=years)

    try:
        from holidays.registry import COUNTRIES
    except ImportError:
        return public
    module_name = next((m for m, names in COUNTRIES.items() if country in names[1:]), None)
    if module_name is None:
        raise ConfigError(f"calendar.country: {country!r} is not a country code of the holidays package (e.g. VN)")
    name = f"holidays.countries.{module_name}"
    try:
        module = sys.modules.get(name)
        if module is None:
            path = Path(holidays.__file__).parent / "countries" / f"{module_name}.py"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(module)  # type: ignore[union-attr]
            sys.modules[name] = module
        return getattr(module, country)
    except Exception:
        return public


@dataclass(frozen=True)
class WorkCalendar:
    country: str | None = "VN"
    weekend: frozenset[int] = frozenset({5, 6})  # Monday is 0
    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings) -> "WorkCalendar":
        c = settings.calendar
        return cls(
            country=c.country or None,
            weekend=settings.weekend_days,
            extra_days_off=frozenset(c.extra_days_off),
            extra_working_days=frozenset(c.extra_working_days),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        if self.country:
            off, swapped_in = _country_holidays(self.country, day.year)
            if day in off:
                return False
            if day in swapped_in:
                return True
        return day.weekday() not in self.weekend

    def next_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """The first working day on or after ``day`` (after it when not inclusive)."""
        return self._walk(day if inclusive else day + timedelta(days=1), 1)

    def previous_working_day(self, day: date, *, inclusive: bool = True) -> date:
        """The last working day on or before ``day`` (before it when not inclusive)."""
        return self._walk(day if inclusive else day - timedelta(days=1), -1)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n >= 1); ``day`` itself does not count."""
        current = day
        for _ in range(n):
            current = self.next_working_day(current, inclusive=False)
        return current

    def _walk(self, day: date, step: int) -> date:
        current = day
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(current):
                return current
            current += timedelta(days=step)
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days of {day}: check the calendar config")
