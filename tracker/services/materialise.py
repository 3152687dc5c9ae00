"""Create the assignments of each obligation: one per responsible unit and
period, up to the horizon. Idempotent: the unique key (obligation, unit,
period) and a per-obligation high-water mark make a repeated call cheap."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker.db.models import Assignment, Obligation, Plan, Unit
from tracker.schedule import ObligationDates, Occurrence, occurrence, occurrences
from tracker.services.runtime import Runtime

# New assignments are looked at by the scheduler no later than this long
# before their date: earlier than the earliest default reminder, and the
# scheduler then stores the exact next stage time.
_EARLY_LOOK = timedelta(days=31)


def rule_of(ob: Obligation, plan: Plan, default_shift: str) -> ObligationDates:
    return ObligationDates(
        kind=ob.kind, first=ob.first_date, last=ob.last_date, recurrence=ob.recurrence,
        plan_year=plan.year, strict_before=ob.strict_before, shift=ob.shift or default_shift,
    )


def occurrence_for(rt: Runtime, ob: Obligation, plan: Plan, period: str) -> Occurrence:
    return occurrence(rule_of(ob, plan, rt.settings.calendar.shift), int(period[:4]), rt.calendar, rt.tz)


def responsible_units(session: Session, ob: Obligation, plan: Plan) -> list[Unit]:
    """Active units responsible for ``ob``. ``all`` means the plan's own units
    (or every unit when the plan lists none), except the unit reports go to."""
    query = select(Unit).where(Unit.status == "active")
    if ob.responsible == "all":
        if plan.unit_codes:
            query = query.where(Unit.code.in_(plan.unit_codes))
        receiver = ob.report_to or plan.coordinator_code
        query = query.where(Unit.code != receiver)
    else:
        query = query.where(Unit.code.in_(list(ob.responsible)))
    return list(session.scalars(query.order_by(Unit.code)))


def horizon_end(rt: Runtime, now: datetime) -> date:
    return rt.local_date(now) + timedelta(days=rt.settings.schedule.horizon_days)


def materialise(rt: Runtime, session: Session, now: datetime, *, force: bool = False,
                obligation_ids: list[int] | None = None) -> int:
    """Create missing assignments up to the horizon; returns how many were created."""
    until = horizon_end(rt, now)
    query = select(Obligation).where(Obligation.retired.is_(False))
    if obligation_ids is not None:
        query = query.where(Obligation.id.in_(obligation_ids))
    elif not force:
        query = query.where((Obligation.materialised_until.is_(None)) | (Obligation.materialised_until < until))
    created = 0
    for ob in session.scalars(query).all():
        plan = ob.plan
        occs = occurrences(rule_of(ob, plan, rt.settings.calendar.shift), until=until, calendar=rt.calendar, tz=rt.tz)
        units = responsible_units(session, ob, plan)
        if occs and units:
            existing = set(session.execute(
                select(Assignment.unit_id, Assignment.period).where(Assignment.obligation_id == ob.id)
            ))
            rows = [
                _row(ob, unit.id, occ, now)
                for occ in occs for unit in units if (unit.id, occ.period) not in existing
            ]
            for start in range(0, len(rows), 5000):
                session.execute(insert(Assignment), rows[start:start + 5000])
            created += len(rows)
        ob.materialised_until = until
    return created


def _row(ob: Obligation, unit_id: int, occ: Occurrence, now: datetime) -> dict:
    return {
        "obligation_id": ob.id, "unit_id": unit_id, "period": occ.period, "kind": ob.kind,
        "base_due_at": occ.due_at, "due_at": occ.due_at, "ends_at": occ.ends_at, "state": "open",
        "next_action_at": max(now, occ.due_at - _EARLY_LOOK),
        "created_at": now, "updated_at": now,
    }
