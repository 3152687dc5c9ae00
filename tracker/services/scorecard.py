"""Count a period's scorecard in the store (core/scorecard.py has the rules).

Two GROUP BYs over the period's deadline assignments, per unit and per
obligation: the database does the counting, so a year of a million
assignments comes back as one small row per unit and per obligation
(bench/scale.py measures it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from tracker.core.errors import InputError
from tracker.core.schedule import end_of_day, start_of_day
from tracker.core.scorecard import Counts, Scorecard, build, period_bounds
from tracker.core.states import AssignmentState, Kind
from tracker.services.runtime import Runtime
from tracker.services.status import plan_id_or_fail
from tracker.store.tables import assignments as A, obligations as O, plans as P, units as U


def _count(condition) -> object:
    return func.sum(case((condition, 1), else_=0))


def scorecard(rt: Runtime, now: datetime, period: str, *, plan: str | None = None) -> Scorecard:
    try:
        period_bounds(period)
    except ValueError as exc:
        raise InputError(str(exc), "--period") from None
    with rt.store.reader() as conn:
        plan_ids = [plan_id_or_fail(conn, plan)] if plan else None
        return count(conn, rt, now, period, plan_ids=plan_ids, plan=plan)


def count(conn, rt: Runtime, now: datetime, period: str, *, plan_ids: list[int] | None = None,
          plan: str | None = None) -> Scorecard:
    """The scorecard of ``period`` on ``conn``, over the plans ``plan_ids`` (None: every plan)."""
    first, last = period_bounds(period)
    tz = rt.tz
    start, end = start_of_day(first, tz), end_of_day(last, tz)
    a = A.c
    # Any stored state with a submission time counts as submitted (a later
    # issue's acceptance states included); a waiver wins over everything.
    # As of ``now``: what was recorded later (--now in the past) has not happened yet.
    waived = and_(a.state == AssignmentState.WAIVED.value, or_(a.waived_at.is_(None), a.waived_at <= now))
    done = and_(a.submitted_at.is_not(None), a.submitted_at <= now, ~waived)
    owed = and_(or_(a.submitted_at.is_(None), a.submitted_at > now), ~waived)
    numbers = (_count(and_(done, a.submitted_at <= a.due_at)), _count(and_(done, a.submitted_at > a.due_at)),
               _count(and_(owed, a.due_at < now)), _count(and_(owed, a.due_at >= now)), _count(waived))
    where = [a.kind == Kind.DEADLINE.value, a.base_due_at >= start, a.base_due_at <= end]
    if plan_ids is not None:
        where.append(a.obligation_id.in_(select(O.c.id).where(O.c.plan_id.in_(plan_ids))))

    def grouped(column) -> dict[int, Counts]:
        # One GROUP BY per side of the card, not per (unit, obligation): after a
        # national import that pair is a row per assignment (660k), this is one
        # per unit (55k) and one per obligation.
        rows = conn.execute(select(column, *numbers).where(*where).group_by(column))
        return {key: Counts(*(int(n or 0) for n in counts)) for key, *counts in rows}

    by_unit, by_obligation = grouped(a.unit_id), grouped(a.obligation_id)
    unit_of = {r.id: (r.code, r.name) for r in conn.execute(
        select(U.c.id, U.c.code, U.c.name).where(U.c.id.in_(by_unit)))} if by_unit else {}
    ob_of = {r.id: (f"{r.plan}/{r.code}", r.title) for r in conn.execute(
        select(O.c.id, P.c.code.label("plan"), O.c.code, O.c.title).join(P, O.c.plan_id == P.c.id)
        .where(O.c.id.in_(by_obligation)))} if by_obligation else {}
    local = now.astimezone(tz)
    return build(period, [(*unit_of[k], c) for k, c in by_unit.items()],
                 [(*ob_of[k], c) for k, c in by_obligation.items()], as_of=local, today=local.date(), plan=plan)
