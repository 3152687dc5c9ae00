"""What the coordinator's page shows: the matrix of one plan (units x obligation
and period), the queue waiting for acceptance, and what was accepted lately and
may still be returned. Read-only Core queries; tracker/web/ renders them.

A coordinator sees the plans it coordinates and the obligations that report to
it, and nothing else (``linked_unit`` in services/pages.py has already checked
the link). Each part's cost follows what it shows: the matrix reads its cells'
ids and states, the names once; the lists are bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from tracker.core.periods import period_words
from tracker.core.states import AssignmentState, Kind, Status
from tracker.core.status import derive_state
from tracker.core.submissions import SubmissionState
from tracker.services.pages import STATE_WORDS, LinkedUnit, day_text
from tracker.services.runtime import Runtime
from tracker.store.tables import assignments as A, obligations as O, plans as P, submission_files as F
from tracker.store.tables import submissions as S, units as U

CLOCK_LEEWAY = timedelta(minutes=5)  # servers sharing a store never agree to the millisecond
ACCEPTED_DAYS = 30  # accepted reports listed with a "return" button
MAX_ACCEPTED = 50


def _coordinator_condition(code: str):
    """Obligations a coordinator answers for: of its plans, or reporting to it."""
    return or_(P.c.coordinator_code == code, O.c.report_to == code)


@dataclass(frozen=True)
class QueueFile:
    id: int
    name: str
    size: int


@dataclass(frozen=True)
class QueueItem:
    assignment_id: int
    plan: str
    unit: str
    unit_name: str
    title: str
    period_text: str
    due_text: str
    submitted_text: str
    late_days: int
    source: str
    note: str | None
    files: tuple[QueueFile, ...]


@dataclass(frozen=True)
class AcceptedItem:
    """An accepted report the coordinator may still return (found incomplete after all)."""

    assignment_id: int
    plan: str
    unit_name: str
    title: str
    period_text: str
    accepted_text: str
    files: tuple[QueueFile, ...]


@dataclass(frozen=True)
class Column:
    obligation: str
    title: str
    period: str
    period_text: str
    due_text: str


@dataclass(frozen=True)
class Cell:
    state: str
    days_late: int
    text: str


@dataclass
class CoordinatorView:
    unit: LinkedUnit
    today_text: str
    plans: list[tuple[str, str]]  # (code, "number – title")
    plan: str | None
    filters: dict[str, str]
    columns: list[Column]
    rows: list[tuple[str, str, list[Cell | None]]]  # (unit code, unit name, a cell per column)
    counts: dict[str, int]
    queue: list[QueueItem]
    accepted: list[AcceptedItem] = field(default_factory=list)


class BadFilter(ValueError):
    """A filter the page cannot apply (unknown plan, state, unit); the message is for the page."""


def coordinator_view(rt: Runtime, now: datetime, unit: LinkedUnit, *, plan: str | None = None,
                     state: str | None = None, unit_code: str | None = None,
                     period: str | None = None) -> CoordinatorView:
    """The matrix of one plan (units x obligation and period) for the periods of one year (or one
    period), filtered like `tracker status`; and the queue waiting for acceptance."""
    tz = rt.tz
    local_now = now.astimezone(tz)
    if state and state not in set(Status):
        raise BadFilter(f"Trạng thái không hợp lệ: {state}")
    with rt.store.reader() as conn:
        plans = conn.execute(
            select(P.c.id, P.c.code, P.c.number, P.c.title, P.c.year)
            .where(or_(P.c.coordinator_code == unit.code,
                       exists(select(O.c.id).where(O.c.plan_id == P.c.id, O.c.report_to == unit.code))))
            .order_by(P.c.year.desc(), P.c.code)).all()
        chosen = next((p for p in plans if p.code == plan), None) if plan else (plans[0] if plans else None)
        if plan and chosen is None:
            raise BadFilter(f"Không có kế hoạch “{plan}” trong phạm vi điều phối")
        period = (period or "").strip() or str(local_now.year)
        filters = {"plan": chosen.code if chosen else "", "state": state or "", "unit": unit_code or "",
                   "period": period}
        columns: list[Column] = []
        cells: dict[tuple[int, int], Cell] = {}
        rows: dict[int, tuple[str, str]] = {}  # unit id -> (code, name)
        counts = {s.value: 0 for s in Status}
        if chosen is not None:
            columns, rows, cells = _matrix(conn, rt, now, unit.code, chosen.id, period, state, unit_code, counts)
        queue = _queue(conn, rt, unit.code, chosen.id if chosen else None, now)
        accepted = _accepted(conn, rt, unit.code, now)
    grid = [(code, name, [cells.get((unit_id, i)) for i in range(len(columns))])
            for unit_id, (code, name) in sorted(rows.items(), key=lambda kv: kv[1][0])]
    return CoordinatorView(unit, day_text(local_now), [(p.code, f"{p.number or p.code} – {p.title}") for p in plans],
                           filters["plan"] or None, filters, columns, grid, counts, queue, accepted)


def _matrix(conn, rt: Runtime, now: datetime, code: str, plan_id: int, period: str, state: str | None,
            unit_code: str | None, counts: dict[str, int]):
    """The columns (obligation, period), the units and the cells of one plan's matrix.

    The page's cost follows its cells: the obligations (a dozen) and the units
    (a few hundred) are read once each, so the per-cell query returns ids and
    the four values a state needs, not names and titles repeated per row; and
    cells of the same state and days are one shared object (the renderer turns
    each distinct one into HTML once)."""
    from tracker.services.status import state_filter

    tz = rt.tz
    obs = {r.id: r for r in conn.execute(
        select(O.c.id, O.c.code, O.c.title, O.c.position).join(P, O.c.plan_id == P.c.id)
        .where(O.c.plan_id == plan_id, O.c.kind == Kind.DEADLINE, _coordinator_condition(code)))}
    columns: list[Column] = []
    cells: dict[tuple[int, int], Cell] = {}
    if not obs:
        return columns, {}, cells
    query = (select(A.c.obligation_id, A.c.unit_id, A.c.period, A.c.state, A.c.due_at, A.c.submitted_at,
                    A.c.returned_at)
             .where(A.c.obligation_id.in_(list(obs)), A.c.kind == Kind.DEADLINE))
    query = query.where(A.c.period == period) if "-" in period else query.where(
        or_(A.c.period == period, A.c.period.like(f"{period}-%")))
    if unit_code:
        query = query.where(A.c.unit_id == select(U.c.id).where(U.c.code == unit_code).scalar_subquery())
    if state:
        query = query.where(state_filter(state, now))
    first_due: dict[tuple[int, str], datetime] = {}  # (obligation, period) -> its earliest deadline
    shared: dict[tuple[str, int], Cell] = {}
    by_key: dict[tuple[int, int, str], Cell] = {}  # (unit, obligation, period) -> cell
    unit_ids: set[int] = set()
    for ob_id, unit_id, a_period, a_state, due_at, submitted_at, returned_at in conn.execute(query):
        key = (ob_id, a_period)
        seen = first_due.get(key)
        if seen is None or due_at < seen:
            first_due[key] = due_at
        shown, days = derive_state(a_state, due_at, submitted_at, now, tz, returned_at)
        counts[shown] += 1
        unit_ids.add(unit_id)
        cell = shared.get((shown, days))
        if cell is None:
            cell = shared[(shown, days)] = Cell(shown, days, STATE_WORDS[shown] + (f" {days} ngày" if days else ""))
        by_key[(unit_id, ob_id, a_period)] = cell
    # Columns by deadline, then the obligation's place in the plan.
    keys = sorted(first_due, key=lambda k: (first_due[k], obs[k[0]].position, k))
    index = {k: i for i, k in enumerate(keys)}
    for ob_id, a_period in keys:
        ob = obs[ob_id]
        columns.append(Column(ob.code, ob.title, a_period, period_words(a_period),
                              f"{first_due[(ob_id, a_period)].astimezone(tz):%d/%m/%Y}"))
    for (unit_id, ob_id, a_period), cell in by_key.items():
        cells[(unit_id, index[(ob_id, a_period)])] = cell
    names = {r.id: (r.code, r.name) for r in conn.execute(
        select(U.c.id, U.c.code, U.c.name).where(U.c.id.in_(list(unit_ids))))} if unit_ids else {}
    return columns, names, cells


def _queue(conn, rt: Runtime, code: str, plan_id: int | None, now: datetime) -> list[QueueItem]:
    """Assignments waiting for acceptance in the coordinator's plans (the chosen one first)."""
    tz = rt.tz
    rows = conn.execute(
        select(A.c.id, A.c.due_at, A.c.submitted_at, A.c.period, O.c.title, P.c.code.label("plan"), P.c.id.label("pid"),
               U.c.code.label("unit"), U.c.name)
        .join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id).join(U, A.c.unit_id == U.c.id)
        .where(A.c.state == AssignmentState.RECEIVED, _coordinator_condition(code))
        .order_by(A.c.submitted_at, A.c.id).limit(500)).all()
    ids = [r.id for r in rows]
    subs: dict[int, list] = {}
    files: dict[int, list[QueueFile]] = {}
    if ids:
        for s in conn.execute(select(S.c.id, S.c.assignment_id, S.c.source, S.c.note)
                              .where(S.c.assignment_id.in_(ids), S.c.state == SubmissionState.RECEIVED)
                              .order_by(S.c.id)):
            subs.setdefault(s.assignment_id, []).append(s)
        sub_ids = [s.id for group in subs.values() for s in group]
        if sub_ids:
            owner = {s.id: s.assignment_id for group in subs.values() for s in group}
            for f in conn.execute(select(F.c.id, F.c.submission_id, F.c.name, F.c.size)
                                  .where(F.c.submission_id.in_(sub_ids)).order_by(F.c.id)):
                files.setdefault(owner[f.submission_id], []).append(QueueFile(f.id, f.name, f.size))
    out = []
    for r in sorted(rows, key=lambda r: (r.pid != plan_id, r.submitted_at, r.id)):
        due, sent = r.due_at.astimezone(tz), r.submitted_at.astimezone(tz)
        late = max(0, (sent.date() - due.date()).days) if r.submitted_at > r.due_at else 0
        group = subs.get(r.id, [])
        notes = "; ".join(s.note for s in group if s.note) or None
        out.append(QueueItem(r.id, r.plan, r.unit, r.name, r.title, period_words(r.period), day_text(due),
                             f"{sent:%H:%M} {day_text(sent)}", late,
                             ", ".join(sorted({s.source for s in group})) or "", notes,
                             tuple(files.get(r.id, []))))
    return out


@dataclass(frozen=True)
class _Decided:
    sid: int
    decided_at: datetime
    id: int
    period: str
    title: str
    plan: str
    name: str


def _accepted(conn, rt: Runtime, code: str, now: datetime) -> list[AcceptedItem]:
    """What the coordinator accepted in the last ``ACCEPTED_DAYS`` days, newest first: it may
    still return it. Read from the submissions decided since then (they grow with what
    units send, not with the assignments of the store).

    Two steps on purpose: joined in one query, a planner may start from the
    assignments in state ``submitted`` (most of a store that has history: a
    million rows) instead of the few recent decisions."""
    tz = rt.tz
    decided = conn.execute(
        select(S.c.id, S.c.assignment_id, S.c.decided_at)
        .where(S.c.state == SubmissionState.ACCEPTED, S.c.decided_at >= now - timedelta(days=ACCEPTED_DAYS),
               # As of ``now`` (a replay with --now does not show later decisions), give or
               # take CLOCK_LEEWAY: an acceptance recorded by another server whose clock is a
               # little ahead must not vanish from this one's list.
               S.c.decided_at <= now + CLOCK_LEEWAY)
        .order_by(S.c.decided_at.desc(), S.c.id.desc()).limit(20 * MAX_ACCEPTED)).all()
    if not decided:
        return []
    mine = {r.id: r for r in conn.execute(
        select(A.c.id, A.c.period, O.c.title, P.c.code.label("plan"), U.c.name)
        .join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id).join(U, A.c.unit_id == U.c.id)
        .where(A.c.id.in_({d.assignment_id for d in decided}), A.c.state == AssignmentState.SUBMITTED,
               _coordinator_condition(code)))}
    latest: dict[int, list] = {}
    for d in decided:
        a = mine.get(d.assignment_id)
        if a is not None:
            latest.setdefault(a.id, []).append(_Decided(d.id, d.decided_at, a.id, a.period, a.title, a.plan, a.name))
    chosen = list(latest.values())[:MAX_ACCEPTED]
    files: dict[int, list[QueueFile]] = {}
    owner = {r.sid: group[0].id for group in chosen for r in group}
    if owner:
        for f in conn.execute(select(F.c.id, F.c.submission_id, F.c.name, F.c.size)
                              .where(F.c.submission_id.in_(list(owner))).order_by(F.c.id)):
            files.setdefault(owner[f.submission_id], []).append(QueueFile(f.id, f.name, f.size))
    out = []
    for group in chosen:
        r = group[0]
        at = r.decided_at.astimezone(tz)
        out.append(AcceptedItem(r.id, r.plan, r.name, r.title, period_words(r.period), f"{at:%H:%M} {day_text(at)}",
                                tuple(files.get(r.id, []))))
    return out


def coordinates_assignment(rt: Runtime, code: str, assignment_id: int) -> bool:
    with rt.store.reader() as conn:
        return conn.scalar(
            select(A.c.id).join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id)
            .where(A.c.id == assignment_id, _coordinator_condition(code))) is not None


@dataclass(frozen=True)
class FileForCoordinator:
    sha256: str
    name: str
    content_type: str


def coordinator_file(rt: Runtime, code: str, file_id: int) -> FileForCoordinator | None:
    """A file of a submission in the coordinator's plans; None otherwise."""
    with rt.store.reader() as conn:
        row = conn.execute(
            select(F.c.sha256, F.c.name, F.c.content_type)
            .join(S, F.c.submission_id == S.c.id).join(A, S.c.assignment_id == A.c.id)
            .join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id)
            .where(F.c.id == file_id, _coordinator_condition(code))).first()
    return FileForCoordinator(row.sha256, row.name, row.content_type) if row else None



__all__ = ["coordinator_view", "coordinates_assignment", "coordinator_file", "BadFilter", "CoordinatorView"]
