"""Units change: administrative units merge, are renamed, or end. A retired
unit keeps its history; its open assignments are waived, or handed to the
unit that absorbed it. (A rename is a units import with a new name.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tracker.store import assignments as store_assignments, units as store_units
from tracker.store.models import Assignment
from tracker.core.errors import InputError, TrackerError
from tracker.services import audit
from tracker.services.records import mark_waived
from tracker.services.runtime import Runtime
from tracker.services.status import unit_or_fail
from tracker.core.states import AssignmentState, Status, UnitStatus


@dataclass(frozen=True)
class RetireResult:
    unit: str
    merged_into: str | None
    handed_over: int
    waived: int
    already_had: int = 0  # waived because the successor already has that work


def coordinated_plans(session, code: str, today) -> list[str]:
    """Plans still in force that unit ``code`` coordinates (reports go to it)."""
    from tracker.services.materialise import valid_until
    from tracker.store.models import Plan

    return [p.code for p in session.scalars(select(Plan).where(Plan.coordinator_code == code).order_by(Plan.code))
            if valid_until(p) >= today]


def retire(rt: Runtime, now: datetime, code: str, *, merged_into: str | None = None,
           hand_over: bool = True) -> RetireResult:
    with rt.store.write() as session:
        unit = unit_or_fail(session, code)
        if unit.status == UnitStatus.RETIRED:
            raise TrackerError(f"unit {code!r} is already retired")
        active = coordinated_plans(session, code, rt.local_date(now))
        if active:
            raise TrackerError(f"unit {code!r} coordinates plan {', '.join(active)}, still in force: give the plan "
                               "another coordinator (plan file, then `tracker plan import`) before retiring it")
        successor = None
        if merged_into:
            if merged_into == code:
                raise InputError("a unit cannot merge into itself", "--merged-into")
            successor = unit_or_fail(session, merged_into)
            if successor.status != UnitStatus.ACTIVE:
                raise InputError(f"unit {merged_into!r} is retired", "--merged-into")
        before = audit.snapshot(unit, ("status", "merged_into"))
        store_units.retire(unit, merged_into, now)
        handed = waived = already = 0
        taken = set()
        if successor is not None and hand_over:
            taken = set(session.execute(select(Assignment.obligation_id, Assignment.period)
                                        .where(Assignment.unit_id == successor.id)).all())
        for a in session.scalars(select(Assignment).where(Assignment.unit_id == unit.id,
                                                          Assignment.state == AssignmentState.OPEN)):
            if successor is not None and hand_over and (a.obligation_id, a.period) not in taken:
                store_assignments.hand_over(a, successor.id, now)
                handed += 1
                continue
            reason = (f"unit retired; {merged_into} already has this assignment" if successor is not None
                      and hand_over else "unit retired")
            mark_waived(session, a, now, reason, rt.actor)
            waived += 1
            already += successor is not None and hand_over
        audit.record(session, at=now, actor=rt.actor, action="retire", entity="unit", entity_id=code,
                     before=before, after={"status": str(UnitStatus.RETIRED), "merged_into": merged_into,
                                           "handed_over": handed, "waived": waived})
        return RetireResult(code, merged_into, handed, waived, already)
