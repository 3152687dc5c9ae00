"""What every service needs: settings, the store, the calendar, who acts."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from tracker.core.calendar import WorkCalendar
from tracker.config import Settings
from tracker.store.engine import Store
from tracker.core.errors import InputError
from tracker.core.schedule import DateError, local_date, parse_date


@dataclass
class Runtime:
    settings: Settings
    store: Store
    actor: str = field(default_factory=lambda: current_user())

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    @property
    def calendar(self) -> WorkCalendar:
        return _calendar_for(self.settings)

    def local_date(self, instant: datetime) -> date:
        return local_date(instant, self.tz)


@lru_cache(maxsize=8)
def _calendar_for(settings: Settings) -> WorkCalendar:
    # Settings are frozen and hashable: one calendar per configuration, not one
    # per access (a runtime whose settings are replaced gets the matching one).
    return WorkCalendar.from_settings(settings)


def current_user() -> str:
    """The OS user, recorded with every change (who recorded a submission)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


def parse_day(text: str, what: str) -> date:
    """A date option (d/m/yyyy or yyyy-mm-dd); a bad one is an error naming the option."""
    try:
        return parse_date(text, None)
    except DateError as exc:
        raise InputError(str(exc), what) from None


def parse_instant(text: str, tz: ZoneInfo, what: str = "--now") -> datetime:
    """ISO 8601 date or datetime; without an offset it is local time in ``tz``.

    A bare date means the end of that day for deadlines is the caller's business;
    here it means the start of the day.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            value = datetime.combine(parse_date(text, None), datetime.min.time())
        except DateError:
            raise InputError(f"{text!r} is not an ISO 8601 date or time (e.g. 2021-05-24T08:00)", what) from None
    if not 1900 <= value.year <= 2200:  # plans' years; beyond, date arithmetic overflows
        raise InputError(f"{text!r}: the year must be between 1900 and 2200", what)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc)
