"""Undo a coordinator's record: a submission typed for the wrong unit, a waiver
given by mistake, a unit retired too early. Each undo is audited with the
values before and after, so the log still shows what was recorded and undone;
the assignment goes back to the scheduler, which resumes its reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tracker.core.errors import TrackerError
from tracker.core.states import AssignmentState, UnitStatus
from tracker.services import audit
from tracker.services.records import Recorded, _FIELDS, _ref, _result, find_assignment
from tracker.services.runtime import Runtime
from tracker.services.status import unit_or_fail
from tracker.store import assignments as store_assignments, submissions as store_submissions, units as store_units, waivers as store_waivers
from tracker.store.models import Assignment, Waiver


def unsubmit(rt: Runtime, now: datetime, unit: str, obligation: str, *, plan: str | None = None,
             period: str | None = None, reason: str | None = None) -> Recorded:
    """The assignment is open again; its submission is kept only in the audit log."""
    with rt.store.write() as session:
        a = _find(session, rt, now, unit, obligation, plan, period, AssignmentState.SUBMITTED)
        before = audit.snapshot(a, _FIELDS)
        store_submissions.delete_of_assignment(session, a.id)
        store_assignments.unsubmit(a, now)
        audit.record(session, at=now, actor=rt.actor, action="unsubmit", entity="assignment", entity_id=_ref(a),
                     before=before, after={**audit.snapshot(a, _FIELDS), "reason": reason})
        return _result(rt, a, None, now)


def unwaive(rt: Runtime, now: datetime, unit: str, obligation: str, *, plan: str | None = None,
            period: str | None = None, reason: str | None = None) -> Recorded:
    """The unit owes the work again; reminders resume at the next pass."""
    with rt.store.write() as session:
        a = _find(session, rt, now, unit, obligation, plan, period, AssignmentState.WAIVED)
        before = audit.snapshot(a, _FIELDS)
        _reopen(session, a, now)
        audit.record(session, at=now, actor=rt.actor, action="unwaive", entity="assignment", entity_id=_ref(a),
                     before=before, after={**audit.snapshot(a, _FIELDS), "reason": reason})
        return _result(rt, a, None, now)


@dataclass(frozen=True)
class RestoreResult:
    unit: str
    reopened: int


def restore(rt: Runtime, now: datetime, code: str) -> RestoreResult:
    """A retired unit active again, and the work waived because it was retired reopened
    (work handed to its successor stays there)."""
    with rt.store.write() as session:
        unit = unit_or_fail(session, code)
        if unit.status != UnitStatus.RETIRED:
            raise TrackerError(f"unit {code!r} is not retired: nothing to restore")
        before = audit.snapshot(unit, ("status", "merged_into"))
        store_units.restore(unit, now)
        waived = select(Assignment).join(Waiver, Waiver.assignment_id == Assignment.id).where(
            Assignment.unit_id == unit.id, Assignment.state == AssignmentState.WAIVED,
            Waiver.reason.like("unit retired%"))
        reopened = 0
        for a in session.scalars(waived):
            _reopen(session, a, now)
            reopened += 1
        audit.record(session, at=now, actor=rt.actor, action="restore", entity="unit", entity_id=code,
                     before=before, after={"status": str(UnitStatus.ACTIVE), "merged_into": None,
                                           "reopened": reopened})
        return RestoreResult(code, reopened)


def _reopen(session, a: Assignment, now: datetime) -> None:
    store_waivers.delete_of_assignment(session, a.id)
    store_assignments.unwaive(a, now)


def _find(session, rt: Runtime, now: datetime, unit: str, obligation: str, plan: str | None, period: str | None,
          state: AssignmentState) -> Assignment:
    if period is None:  # the one in that state (the nearest deadline when several)
        candidates = _in_state(session, rt, now, unit, obligation, plan, state)
        if not candidates:
            verb = "submitted" if state == AssignmentState.SUBMITTED else "waived"
            raise TrackerError(f"{unit} has no {verb} assignment of {obligation}: nothing to undo")
        return min(candidates, key=lambda a: (abs((a.due_at - now).total_seconds()), a.due_at))
    a = find_assignment(session, rt, now, unit, obligation, plan, period)
    if a.state != state:
        raise TrackerError(f"{unit} {obligation} ({a.period}) is {a.state}, not {state}: nothing to undo")
    return a


def _in_state(session, rt, now, unit, obligation, plan, state) -> list[Assignment]:
    from tracker.store.models import Obligation, Plan

    u = unit_or_fail(session, unit)
    query = (select(Assignment).join(Obligation, Obligation.id == Assignment.obligation_id).join(Plan)
             .where(Obligation.code == obligation, Assignment.unit_id == u.id, Assignment.state == state))
    if plan:
        query = query.where(Plan.code == plan)
    return list(session.scalars(query))
