"""What the exports and the report are made of, read from the store as of ``now``.

The assignment rows come from ``services.status.status`` so every output shows
exactly what ``tracker status`` shows; this module only adds what the renderers
need besides them: the plans, the obligations' rules and source phrases, the
units' names, and the reminder policy of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tracker.core.calendar import WorkCalendar
from tracker.store.models import Obligation, Plan
from tracker.core.policy import PolicySettings
from tracker.services.runtime import Runtime
from tracker.services.status import StatusRow, plan_or_fail, status, unit_or_fail


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
        return [r for r in self.rows if r.kind == "deadline"]

    def obligation(self, row: StatusRow) -> ObligationInfo:
        return self.obligations[(row.plan, row.obligation)]

    def plan_info(self, code: str) -> PlanInfo:
        return next(p for p in self.plans if p.code == code)


def collect(rt: Runtime, now: datetime, *, plan: str | None = None, unit: str | None = None) -> ReportData:
    """Everything the renderers need. Unknown ``plan`` or ``unit`` raise NotFound
    (before anything is written, so a failed export leaves no file behind)."""
    # status() validates plan and unit too, but checking first gives the same
    # message for plans that exist and have no assignments yet.
    with rt.store.read() as session:
        plan_row = plan_or_fail(session, plan) if plan else None
        unit_name = unit_or_fail(session, unit).name if unit else None
        plan_query = select(Plan).order_by(Plan.year, Plan.code)
        if plan_row is not None:
            plan_query = plan_query.where(Plan.id == plan_row.id)
        plans = [PlanInfo(p.code, p.number, p.issuer, p.title, p.year, p.issued_on, p.timezone)
                 for p in session.scalars(plan_query)]
        ob_query = (select(Obligation, Plan.code).join(Plan, Obligation.plan_id == Plan.id)
                    .where(Plan.code.in_([p.code for p in plans]))
                    .order_by(Plan.code, Obligation.position))
        obligations = {
            (plan_code, ob.code): ObligationInfo(
                plan_code, ob.code, ob.position, ob.title, ob.kind, ob.due_text, ob.strict_before, ob.source,
                ob.source_line,
                tuple(ob.reminders) if ob.reminders is not None else None,
            )
            for ob, plan_code in session.execute(ob_query)
        }
    # Retired obligations are included above: their assignments are history.
    rows = status(rt, now, plan=plan, unit=unit, include_all_kinds=True)
    return ReportData(
        now=now.astimezone(rt.tz), tz=rt.tz, plans=plans, obligations=obligations, rows=rows,
        calendar=rt.calendar, policy=PolicySettings.from_settings(rt.settings), unit=unit, unit_name=unit_name, plan=plan,
        units=dict(sorted({r.unit: r.unit_name for r in rows}.items())),
    )
