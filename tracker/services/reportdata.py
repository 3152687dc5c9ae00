"""What the exports and the report are made of, read from the store as of ``now``.

The assignment rows come from ``services.status.status`` so every output shows
exactly what ``tracker status`` shows; this module only adds what the renderers
need besides them: the plans, the obligations' rules and source phrases, the
units' names, and the reminder policy of the configuration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tracker.store.models import Obligation, Plan
from tracker.core.policy import PolicySettings
from tracker.services.runtime import Runtime
from tracker.core.report import ObligationInfo, PlanInfo, ReportData
from tracker.services.status import plan_or_fail, status, unit_or_fail


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
