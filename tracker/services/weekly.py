"""The weekly summary: on a configured weekday, at the send hour, one message to
each coordinator of a plan in force (and, when configured, to the leadership
list): what is overdue, what was submitted in the last seven days, what is due
in the next seven. One outbox row per recipient and day under a unique key, so
restarts and several daemons never repeat it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from tracker.core.states import AssignmentState, Kind
from tracker.render.weekly import SummaryLine, render_summary, render_summary_html
from tracker.services.materialise import valid_until
from tracker.services.runtime import Runtime
from tracker.store.outbox import enqueue_notices, queued_message
from tracker.store.tables import assignments as A, obligations as O, outbox, plans as P, units as U

PREFIX = "weekly|"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def due_now(rt: Runtime, now: datetime) -> bool:
    """The configured weekday, from its send hour on."""
    day = rt.settings.schedule.weekly_summary
    local = now.astimezone(rt.tz)
    return bool(day) and WEEKDAYS[local.weekday()] == day and local.time() >= rt.settings.send_time


def enqueue_weekly(rt: Runtime, conn, now: datetime) -> int:
    """Enqueue the week's summaries not yet enqueued; returns how many."""
    if not due_now(rt, now):
        return 0
    today = now.astimezone(rt.tz).date()
    plans = [p for p in conn.execute(select(P)) if valid_until(p) >= today]
    if not plans:
        return 0
    week_ago, week_ahead = now - timedelta(days=7), now + timedelta(days=7)
    query = (select(P.c.code.label("plan"), P.c.coordinator_code, O.c.title, A.c.period, A.c.due_at, A.c.state,
                    A.c.submitted_at, U.c.name.label("unit_name"))
             .join(O, O.c.plan_id == P.c.id).join(A, A.c.obligation_id == O.c.id).join(U, U.c.id == A.c.unit_id)
             .where(P.c.id.in_([p.id for p in plans]), A.c.kind == Kind.DEADLINE, or_(
                 and_(A.c.state == AssignmentState.OPEN, A.c.due_at <= week_ahead),
                 and_(A.c.state == AssignmentState.SUBMITTED, A.c.submitted_at > week_ago,
                      A.c.submitted_at <= now)))
             .order_by(A.c.due_at, P.c.code, U.c.name))
    by_coordinator: dict[str, list[SummaryLine]] = defaultdict(list)
    everything: list[SummaryLine] = []
    for r in conn.execute(query):
        if r.state == AssignmentState.SUBMITTED:
            group = "submitted"
        else:
            group = "overdue" if r.due_at < now else "upcoming"
        line = SummaryLine(group, r.plan, r.title, r.period, r.unit_name, r.due_at.astimezone(rt.tz),
                           r.submitted_at.astimezone(rt.tz) if r.submitted_at else None)
        by_coordinator[r.coordinator_code].append(line)
        everything.append(line)
    coordinators = {u.code: u for u in conn.execute(select(U.c.code, U.c.name, U.c.emails).where(
        U.c.code.in_({p.coordinator_code for p in plans})))}
    wanted = {}
    for code in sorted({p.coordinator_code for p in plans}):
        unit = coordinators.get(code)
        if unit is not None and unit.emails:
            wanted[f"{PREFIX}{code}|{today}"] = (code, unit.name, list(unit.emails), by_coordinator.get(code, []))
    leaders = list(rt.settings.escalation.leadership)
    if "leadership" in rt.settings.schedule.weekly_summary_to and leaders:
        wanted[f"{PREFIX}leadership|{today}"] = (None, "Lãnh đạo", leaders, everything)
    if not wanted:
        return 0
    done = set(conn.execute(select(outbox.c.key).where(outbox.c.key.in_(list(wanted)))).scalars())
    rows = []
    for key, (code, name, to, lines) in wanted.items():
        if key in done:
            continue
        subject, body = render_summary(name, lines, today)
        html = render_summary_html(name, lines, today, rt.settings)
        rows.append(queued_message(key, code, to, subject, body, now, body_html=html))
    return enqueue_notices(conn, rows)
