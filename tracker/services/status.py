"""Status of assignments as of ``now``, and what is coming up.

Read-only, so written over the Core tables: a status command never imports
the ORM (measured: 0.1 s of its 0.4 s)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from tracker.store.tables import assignments as A, obligations as O, plans as P, units as U
from tracker.core.errors import InputError, NotFound
from tracker.core.schedule import end_of_day
from tracker.core.status import STATES, StatusRow, derive_state, summarise  # noqa: F401  (re-exported for the shells)
from tracker.services.dataperiods import DataPeriods
from tracker.services.runtime import Runtime
from tracker.core.states import AssignmentState, Kind, Status

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.store.models import Plan, Unit

def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else default
    except (KeyError, ValueError):  # a zone this machine does not know: the configured one
        return default


def state_filter(state: str, now: datetime):
    """SQL for one derived state, so filtering happens in the (indexed) query."""
    # As of ``now``: a submission made after it is still open work.
    open_then = or_(A.c.state == AssignmentState.OPEN,
                    and_(A.c.state.in_((AssignmentState.SUBMITTED, AssignmentState.RECEIVED)), A.c.submitted_at > now))
    submitted_then = and_(A.c.state == AssignmentState.SUBMITTED, A.c.submitted_at <= now)
    if state == Status.PENDING:
        return and_(open_then, A.c.due_at >= now, A.c.returned_at.is_(None))
    if state == Status.OVERDUE:
        return and_(open_then, A.c.due_at < now, A.c.returned_at.is_(None))
    if state == Status.RETURNED:
        return and_(A.c.state == AssignmentState.OPEN, A.c.returned_at.is_not(None))
    if state == Status.RECEIVED:
        return and_(A.c.state == AssignmentState.RECEIVED, A.c.submitted_at <= now)
    if state == Status.WAIVED:
        return A.c.state == AssignmentState.WAIVED
    if state == Status.SUBMITTED:
        return and_(submitted_then, A.c.submitted_at <= A.c.due_at)
    if state == Status.LATE:
        return and_(submitted_then, A.c.submitted_at > A.c.due_at)
    raise InputError(f"unknown state {state!r} (one of {', '.join(STATES)})", "--state")


def plan_id_or_fail(conn: Connection | Session, code: str) -> int:
    plan_id = conn.scalar(select(P.c.id).where(P.c.code == code))
    if plan_id is None:
        known = ", ".join(conn.scalars(select(P.c.code).order_by(P.c.code).limit(10))) or "none imported"
        raise NotFound(f"unknown plan {code!r} (plans: {known})")
    return plan_id


def unit_id_or_fail(conn: Connection | Session, code: str) -> int:
    unit_id = conn.scalar(select(U.c.id).where(U.c.code == code))
    if unit_id is None:
        raise NotFound(f"unknown unit {code!r} (see `tracker units list`)")
    return unit_id


def plan_or_fail(session: Session, code: str) -> Plan:
    from tracker.store.models import Plan

    return session.get(Plan, plan_id_or_fail(session, code))


def unit_or_fail(session: Session, code: str) -> Unit:
    from tracker.store.models import Unit

    return session.get(Unit, unit_id_or_fail(session, code))


def status(rt: Runtime, now: datetime, *, plan: str | None = None, unit: str | None = None,
           state: str | None = None, include_all_kinds: bool = False, period: str | None = None,
           due_from: datetime | None = None, due_to: datetime | None = None,
           not_submitted: bool = False) -> list[StatusRow]:
    """``period``, ``due_from``/``due_to`` (instants, inclusive) and ``not_submitted``
    (pending or overdue) answer "who has not sent this month's report" in one query."""
    tz = rt.tz
    zones: dict[str, ZoneInfo] = {}
    with rt.store.reader() as conn:
        query = (
            select(A.c.state, A.c.due_at, A.c.submitted_at, A.c.period, O.c.code, O.c.title, P.c.code, U.c.code,
                   U.c.name, A.c.kind, A.c.ends_at, A.c.obligation_id, A.c.returned_at,
                   P.c.timezone)
            .join(O, A.c.obligation_id == O.c.id)
            .join(P, O.c.plan_id == P.c.id)
            .join(U, A.c.unit_id == U.c.id)
        )
        if not include_all_kinds:
            query = query.where(A.c.kind == Kind.DEADLINE)
        if plan:
            query = query.where(O.c.plan_id == plan_id_or_fail(conn, plan))
        if unit:
            query = query.where(A.c.unit_id == unit_id_or_fail(conn, unit))
        if state:
            query = query.where(state_filter(state, now))
        if period:
            query = query.where(A.c.period == period)
        if due_from is not None:
            query = query.where(A.c.due_at >= due_from)
        if due_to is not None:
            query = query.where(A.c.due_at <= due_to)
        if not_submitted:
            query = query.where(or_(state_filter(Status.PENDING, now), state_filter(Status.OVERDUE, now)))
        query = query.order_by(A.c.due_at, P.c.code, O.c.position, U.c.code)
        rows = []
        data_period = DataPeriods(conn)
        for (a_state, due_at, submitted_at, period, ob_code, title, plan_code, unit_code, unit_name, kind,
             ends_at, ob_id, returned_at, plan_zone) in conn.execute(query):
            # The plan's stored zone, as ICS does: a config zone changed after import shifts no date.
            tz = zones.get(plan_zone) or zones.setdefault(plan_zone, _zone(plan_zone, rt.tz))
            shown, days = derive_state(a_state, due_at, submitted_at, now, tz, returned_at)
            if submitted_at is not None and submitted_at > now:
                submitted_at = None  # --now is an "as of": a submission after it is not shown, not only not counted
            rows.append(StatusRow(
                plan_code, ob_code, title, unit_code, unit_name, period, due_at.astimezone(tz), shown,
                submitted_at.astimezone(tz) if submitted_at else None, days,
                kind, ends_at.astimezone(tz) if ends_at else None, data_period(ob_id, period),
            ))
        return rows


def dead_letters(rt: Runtime) -> int:
    """Messages that could not be delivered (``tracker outbox retry`` requeues them)."""
    from tracker.store.outbox import count_failed

    with rt.store.reader() as conn:
        return count_failed(conn)


@dataclass(frozen=True)
class UpcomingItem:
    plan: str
    obligation: str
    title: str
    kind: str
    period: str
    start: datetime  # local: the deadline instant, or the first moment of a window/event
    end: datetime | None  # windows: the end of the last day
    units: tuple[str, ...]  # units with the assignment still open
    source: str | None

    def to_json(self) -> dict:
        return {
            "plan": self.plan, "obligation": self.obligation, "title": self.title, "kind": self.kind,
            "period": self.period,
            "due": self.start.isoformat() if self.kind == Kind.DEADLINE else None,
            "start": self.start.isoformat() if self.kind != Kind.DEADLINE else None,
            "end": self.end.isoformat() if self.end else None,
            "date": self.start.date().isoformat(), "units": list(self.units), "source": self.source,
        }


def upcoming(rt: Runtime, now: datetime, days: int) -> list[UpcomingItem]:
    """Deadlines still open, windows and events that fall in the next ``days`` days."""
    if days < 0:
        raise InputError("must be 0 or more", "--days")
    tz = rt.tz
    # Whole local days: "the next 30 days" includes the whole 30th day.
    until = end_of_day(now.astimezone(tz).date() + timedelta(days=days), tz)
    with rt.store.reader() as conn:
        query = (
            select(A.c.period, A.c.kind, A.c.due_at, A.c.ends_at, U.c.code, O.c.code, O.c.title, O.c.source,
                   O.c.position, P.c.code)
            .join(O, A.c.obligation_id == O.c.id)
            .join(P, O.c.plan_id == P.c.id)
            .join(U, A.c.unit_id == U.c.id)
            # As of ``now``: a submission made after it still owes the work then.
            .where(or_(A.c.state == AssignmentState.OPEN,
                       and_(A.c.state == AssignmentState.SUBMITTED, A.c.submitted_at > now)), A.c.due_at <= until)
            .where(or_(A.c.due_at >= now, and_(A.c.kind == Kind.WINDOW, A.c.ends_at >= now)))
            .order_by(A.c.due_at, P.c.code, O.c.position, U.c.code)
        )
        grouped: dict[tuple, dict] = {}
        for period, kind, due_at, ends_at, unit_code, ob_code, title, source, _pos, plan_code in conn.execute(query):
            key = (plan_code, ob_code, period)
            g = grouped.setdefault(key, {"kind": kind, "due_at": due_at, "ends_at": ends_at, "title": title,
                                         "source": source, "units": []})
            g["units"].append(unit_code)
    return [
        UpcomingItem(plan, ob, g["title"], g["kind"], period, g["due_at"].astimezone(tz),
                     g["ends_at"].astimezone(tz) if g["ends_at"] else None, tuple(g["units"]), g["source"])
        for (plan, ob, period), g in grouped.items()
    ]


def last_decision_at(rt: Runtime) -> datetime | None:
    """When the store's newest decision was made (the last real pass that decided)."""
    from sqlalchemy import func

    from tracker.store.tables import decisions

    with rt.store.reader() as conn:
        return conn.scalar(select(func.max(decisions.c.decided_at)))
