"""What the exports and the report are made of: plain data, collected from the
store by services/reportdata.py and rendered by tracker/render/."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tracker.core.calendar import WorkCalendar
from tracker.core.policy import PolicySettings
from tracker.core.status import StatusRow
from tracker.core.states import Kind


@dataclass(frozen=True)
class PlanInfo:
    code: str
    number: str | None
    issuer: str
    title: str
    year: int
    issued_on: date | None
    timezone: str


@dataclass(frozen=True)
class ObligationInfo:
    plan: str
    code: str
    position: int
    title: str
    kind: str  # deadline | window | event
    due_text: str | None
    strict_before: bool
    source: str | None
    source_line: int | None
    reminders: tuple[int, ...] | None  # the obligation's own reminder days; None: the config's


@dataclass(frozen=True)
class ReportData:
    now: datetime  # local
    tz: ZoneInfo
    plans: list[PlanInfo]
    obligations: dict[tuple[str, str], ObligationInfo]  # (plan, obligation) -> info
    rows: list[StatusRow]  # every kind, ordered by date; windows and events too
    calendar: WorkCalendar
    policy: PolicySettings  # when reminders are mailed: calendar alarms ring then too
    unit: str | None = None  # the --unit filter, if any
    unit_name: str | None = None
    plan: str | None = None  # the --plan filter, if any
    units: dict[str, str] = field(default_factory=dict)  # code -> name, units that appear in rows

    @property
    def deadlines(self) -> list[StatusRow]:
        return [r for r in self.rows if r.kind == Kind.DEADLINE]

    def obligation(self, row: StatusRow) -> ObligationInfo:
        return self.obligations[(row.plan, row.obligation)]

    def plan_info(self, code: str) -> PlanInfo:
        return next(p for p in self.plans if p.code == code)
