"""Create the assignments of each obligation: one per responsible unit and
period, up to the horizon. Idempotent: the unique key (obligation, unit,
period) and a per-obligation high-water mark make a repeated call cheap.

Core statements on a connection (the tick runs without the ORM); the plan and
unit imports pass their session's connection, after flushing it. Obligations,
plans and units are read by attribute, so ORM objects and rows both do."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tracker.store import assignments as store_assignments, obligations as store_obligations
from tracker.store.tables import assignments, obligations, plans, units
from tracker.core.dataperiod import DataPeriodRule
from tracker.core.schedule import ObligationDates, Occurrence, occurrence, occurrences
from tracker.services.runtime import Runtime
from tracker.core.states import AssignmentState, Status, UnitStatus

Row = Any  # an ORM object or a Core row with the table's column names


def rule_of(ob: Row, plan: Row, default_shift: str) -> ObligationDates:
    return ObligationDates(
        kind=ob.kind, first=ob.first_date, last=ob.last_date, recurrence=ob.recurrence,
        plan_year=plan.year, strict_before=ob.strict_before, shift=ob.shift or default_shift,
        after_cutoff=ob.due_after_cutoff, data=DataPeriodRule.from_json(ob.data_period),
        valid_until=valid_until(plan),
    )


def valid_until(plan: Row) -> date:
    """The last day of the plan's validity: as its file says, else 31/12 of its year."""
    return getattr(plan, "valid_until", None) or date(plan.year, 12, 31)


def occurrence_for(rt: Runtime, ob: Row, plan: Row, period: str) -> Occurrence:
    return occurrence(rule_of(ob, plan, rt.settings.calendar.shift), period, rt.calendar, rt.tz)


def responsible_units(conn, ob: Row, plan: Row) -> list[Row]:
    """Active units responsible for ``ob`` (rows: id, code, name). ``all`` means the
    plan's own units (those its file lists or names), except the unit reports go
    to; a group ``kind:X`` means the plan's own units of that kind, ``parent:X``
    the units under unit X. Never a unit of another plan that happens to be in the
    store. ``conn``: a Connection, or a flushed Session."""
    from sqlalchemy import false, or_

    from tracker.core.planunits import group_of

    u = units.c
    own = list(plan.unit_codes or [])
    query = select(u.id, u.code, u.name).where(u.status == UnitStatus.ACTIVE)
    if ob.responsible == "all":
        receiver = ob.report_to or plan.coordinator_code
        query = query.where(u.code.in_(own), u.code != receiver)
    else:
        entries = list(ob.responsible)
        codes = [e for e in entries if group_of(e) is None]
        wanted = [u.code.in_(codes)] if codes else []
        for field, value in (g for g in map(group_of, entries) if g is not None):
            # kind: among the plan's own units; parent: the units under a unit the
            # plan names, wherever they were imported from.
            wanted.append(u.code.in_(own) & (u.kind == value) if field == "kind" else u.parent_code == value)
        query = query.where(or_(*wanted) if wanted else false())
    return list(conn.execute(query.order_by(u.code)))


def horizon_end(rt: Runtime, now: datetime) -> date:
    return rt.local_date(now) + timedelta(days=rt.settings.schedule.horizon_days)


def materialise(rt: Runtime, conn: Connection, now: datetime, *, force: bool = False,
                obligation_ids: list[int] | None = None) -> int:
    """Create missing assignments up to the horizon; returns how many were created."""
    until = horizon_end(rt, now)
    o = obligations.c
    query = select(obligations).where(o.retired.is_(False))
    if obligation_ids is not None:
        query = query.where(o.id.in_(obligation_ids))
    elif not force:
        query = query.where(o.materialised_until.is_(None) | (o.materialised_until < until))
    if conn.dialect.name == "postgresql":
        # A pass and an import (or two imports) must not materialise one
        # obligation at once (the second would fail on the unique key): the
        # second waits for the first's commit, then finds the obligation no
        # longer behind, or its rows there. (SQLite: the write transaction
        # already serialises them.)
        query = query.with_for_update()
    obs = conn.execute(query.order_by(o.id)).all()
    if not obs:
        return 0
    from tracker.core.policy import PolicySettings

    pol = PolicySettings.from_settings(rt.settings)
    plan_of = {p.id: p for p in conn.execute(select(plans).where(plans.c.id.in_({ob.plan_id for ob in obs})))}
    created = 0
    for ob in obs:
        plan = plan_of[ob.plan_id]
        occs = occurrences(rule_of(ob, plan, rt.settings.calendar.shift), until=until, calendar=rt.calendar, tz=rt.tz)
        units_ = responsible_units(conn, ob, plan)
        if occs and units_:
            a = assignments.c
            existing = set(conn.execute(select(a.unit_id, a.period).where(a.obligation_id == ob.id)))
            # The scheduler first looks at a new assignment at its first stage (the
            # policy's exact time; a past time is simply due at the next pass).
            first = {occ.period: _first_action(rt, pol, ob, plan, occ) for occ in occs}
            rows = [
                _row(ob, unit.id, occ, now, first[occ.period])
                for occ in occs for unit in units_ if (unit.id, occ.period) not in existing
            ]
            store_assignments.insert_materialised(conn, rows)
            created += len(rows)
    store_obligations.mark_materialised(conn, [ob.id for ob in obs], until)
    return created


def _first_action(rt: Runtime, pol, ob: Row, plan: Row, occ: Occurrence) -> datetime | None:
    from tracker.core.policy import initial_action_at
    from tracker.services.dispatch import target_of

    target = target_of(ob, plan, unit_code="", kind=ob.kind, due_at=occ.due_at, ends_at=occ.ends_at)
    return initial_action_at(target, rt.calendar, pol)


def _row(ob: Row, unit_id: int, occ: Occurrence, now: datetime, first_action: datetime | None) -> tuple:
    # In the order of store/assignments.py's COLUMNS.
    return (ob.id, unit_id, occ.period, ob.kind, occ.due_at, occ.due_at, occ.ends_at, AssignmentState.OPEN, first_action,
            now, now)
