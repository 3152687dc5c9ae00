"""What the web pages show: a unit's assignments, and a coordinator's matrix and
acceptance queue. Read-only Core queries; the shell (tracker/web/) renders them.

Who may see what follows from the signed link alone: ``linked_unit`` turns a
token into the unit it was made for, or None (unknown, tampered, rotated,
retired: the page answers a plain 404). A coordinator sees the plans it
coordinates and the obligations that report to it, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select

from tracker.core.periods import period_words
from tracker.core.states import AssignmentState, Kind, Status, UnitStatus
from tracker.core.status import derive_state
from tracker.core.submissions import SubmissionState
from tracker.services.links import COORDINATOR, Signer
from tracker.services.runtime import Runtime
from tracker.store.tables import assignments as A, obligations as O, plans as P, submission_files as F
from tracker.store.tables import submissions as S, units as U

RECENT_DAYS = 180  # closed assignments shown on a unit's page: due in the last half-year
AHEAD_DAYS = 180  # open ones: overdue, or due in the next half-year (not next year's whole plan)
MAX_UNIT_ITEMS = 200
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
STATE_WORDS = {
    Status.PENDING: "Chưa đến hạn", Status.OVERDUE: "Quá hạn", Status.RECEIVED: "Đã gửi, chờ xác nhận",
    Status.RETURNED: "Bị trả lại", Status.SUBMITTED: "Đã nộp đúng hạn", Status.LATE: "Đã nộp muộn",
    Status.WAIVED: "Được miễn",
}


@dataclass(frozen=True)
class LinkedUnit:
    id: int
    code: str
    name: str
    version: int


def linked_unit(rt: Runtime, signer: Signer, page: str, token: str) -> LinkedUnit | None:
    """The active unit a current token of ``page`` was made for; None for anything else."""
    ids = signer.read_link(page, token)
    if ids is None:
        return None
    unit_id, version = ids
    with rt.store.reader() as conn:
        row = conn.execute(select(U.c.id, U.c.code, U.c.name, U.c.link_version, U.c.status)
                           .where(U.c.id == unit_id)).first()
        if row is None or row.link_version != version or row.status != UnitStatus.ACTIVE:
            return None
        if page == COORDINATOR and conn.scalar(select(_coordinated(row.code)).limit(1)) is None:
            return None
    return LinkedUnit(row.id, row.code, row.name, row.link_version)


def _coordinated(code: str):
    """Obligations a coordinator answers for: of its plans, or reporting to it."""
    return select(O.c.id).join(P, O.c.plan_id == P.c.id).where(
        or_(P.c.coordinator_code == code, O.c.report_to == code)).exists()


def _coordinator_condition(code: str):
    return or_(P.c.coordinator_code == code, O.c.report_to == code)


def day_text(when: datetime) -> str:
    return f"{WEEKDAYS[when.weekday()]}, {when:%d/%m/%Y}"


def days_text(state: str, days_late: int, due: datetime, now: datetime) -> str:
    if state in (Status.PENDING, Status.RETURNED) and now <= due:
        left = (due.date() - now.date()).days
        return "hạn chót là hôm nay" if left == 0 else f"còn {left} ngày"
    if state in (Status.OVERDUE, Status.RETURNED):
        return f"quá hạn {days_late} ngày" if days_late else "quá hạn"
    if state in (Status.LATE, Status.RECEIVED) and days_late:
        return f"gửi muộn {days_late} ngày"
    return ""


# --- a unit's page -----------------------------------------------------------------

@dataclass
class UnitItem:
    assignment_id: int
    plan: str
    plan_number: str | None
    plan_title: str
    title: str
    period: str
    period_text: str
    due: datetime  # local
    due_text: str
    state: str
    state_text: str
    days_text: str
    can_submit: bool
    submitted_text: str | None = None
    return_reason: str | None = None
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UnitView:
    unit: LinkedUnit
    today_text: str
    items: list[UnitItem]


def unit_view(rt: Runtime, now: datetime, unit: LinkedUnit) -> UnitView:
    """The unit's open assignments and the ones due in the last half-year, by deadline."""
    tz = rt.tz
    local_now = now.astimezone(tz)
    recent = now - timedelta(days=RECENT_DAYS)
    query = (
        select(A.c.id, A.c.state, A.c.due_at, A.c.submitted_at, A.c.returned_at, A.c.period, O.c.title,
               P.c.code, P.c.number, P.c.title.label("plan_title"))
        .join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id)
        .where(A.c.unit_id == unit.id, A.c.kind == Kind.DEADLINE,
               or_(and_(A.c.state.in_((AssignmentState.OPEN, AssignmentState.RECEIVED)),
                        A.c.due_at <= now + timedelta(days=AHEAD_DAYS)),
                   and_(A.c.due_at >= recent, A.c.due_at <= now)))
        .order_by(A.c.due_at, P.c.code, O.c.position).limit(MAX_UNIT_ITEMS)
    )
    items: list[UnitItem] = []
    with rt.store.reader() as conn:
        rows = conn.execute(query).all()
        notes = _latest_submissions(conn, [r.id for r in rows])
    for r in rows:
        state, days = derive_state(r.state, r.due_at, r.submitted_at, now, tz, r.returned_at)
        due = r.due_at.astimezone(tz)
        item = UnitItem(
            r.id, r.code, r.number, r.plan_title, r.title, r.period, _period_text(r.period), due, day_text(due),
            state, STATE_WORDS[state], days_text(state, days, due, local_now),
            can_submit=r.state in (AssignmentState.OPEN, AssignmentState.RECEIVED),
        )
        latest = notes.get(r.id)
        if latest is not None:
            sub_state, submitted_at, reason, names = latest
            if sub_state == SubmissionState.RETURNED and state == Status.RETURNED:
                item.return_reason = reason
            elif sub_state != SubmissionState.RETURNED:
                item.submitted_text = f"{submitted_at.astimezone(tz):%H:%M} {day_text(submitted_at.astimezone(tz))}"
                item.files = names
        items.append(item)
    return UnitView(unit, day_text(local_now), items)


def _latest_submissions(conn, ids: list[int]) -> dict[int, tuple]:
    """Per assignment: (state, submitted_at, reason, file names) of its latest submission."""
    out: dict[int, tuple] = {}
    if not ids:
        return out
    rows = conn.execute(select(S.c.id, S.c.assignment_id, S.c.state, S.c.submitted_at, S.c.reason)
                        .where(S.c.assignment_id.in_(ids)).order_by(S.c.recorded_at, S.c.id)).all()
    latest = {r.assignment_id: r for r in rows}
    names: dict[int, list[str]] = {}
    if latest:
        for f in conn.execute(select(F.c.submission_id, F.c.name)
                              .where(F.c.submission_id.in_([r.id for r in latest.values()])).order_by(F.c.id)):
            names.setdefault(f.submission_id, []).append(f.name)
    for a_id, r in latest.items():
        out[a_id] = (r.state, r.submitted_at, r.reason, names.get(r.id, []))
    return out


def _period_text(period: str) -> str:
    try:
        return period_words(period)
    except ValueError:  # a period shape this module does not know: shown as stored
        return period


# --- the coordinator's page --------------------------------------------------------

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


class BadFilter(ValueError):
    """A filter the page cannot apply (unknown plan, state, unit); the message is for the page."""


def coordinator_view(rt: Runtime, now: datetime, unit: LinkedUnit, *, plan: str | None = None,
                     state: str | None = None, unit_code: str | None = None,
                     period: str | None = None) -> CoordinatorView:
    """The matrix of one plan (units x obligation and period) for the periods of one year (or one
    period), filtered like `tracker status`; and the queue waiting for acceptance."""
    from tracker.services.status import state_filter

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
        cells: dict[tuple[str, int], Cell] = {}
        rows: dict[str, str] = {}
        counts = {s.value: 0 for s in Status}
        if chosen is not None:
            query = (
                select(A.c.state, A.c.due_at, A.c.submitted_at, A.c.returned_at, A.c.period, O.c.code, O.c.title,
                       O.c.position, U.c.code.label("unit"), U.c.name)
                .join(O, A.c.obligation_id == O.c.id).join(P, O.c.plan_id == P.c.id)
                .join(U, A.c.unit_id == U.c.id)
                .where(O.c.plan_id == chosen.id, A.c.kind == Kind.DEADLINE, _coordinator_condition(unit.code))
            )
            query = query.where(A.c.period == period) if "-" in period else query.where(
                or_(A.c.period == period, A.c.period.like(f"{period}-%")))
            if unit_code:
                query = query.where(U.c.code == unit_code)
            if state:
                query = query.where(state_filter(state, now))
            index: dict[tuple[str, str], int] = {}
            for r in conn.execute(query.order_by(A.c.due_at, O.c.position, U.c.code)):
                key = (r.code, r.period)
                if key not in index:
                    index[key] = len(columns)
                    columns.append(Column(r.code, r.title, r.period, _period_text(r.period),
                                          f"{r.due_at.astimezone(tz):%d/%m/%Y}"))
                shown, days = derive_state(r.state, r.due_at, r.submitted_at, now, tz, r.returned_at)
                counts[shown] += 1
                rows[r.unit] = r.name
                cells[(r.unit, index[key])] = Cell(shown, days, STATE_WORDS[shown] + (f" {days} ngày" if days else ""))
        queue = _queue(conn, rt, unit.code, chosen.id if chosen else None, now)
    grid = [(code, name, [cells.get((code, i)) for i in range(len(columns))]) for code, name in sorted(rows.items())]
    return CoordinatorView(unit, day_text(local_now), [(p.code, f"{p.number or p.code} – {p.title}") for p in plans],
                           filters["plan"] or None, filters, columns, grid, counts, queue)


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
        out.append(QueueItem(r.id, r.plan, r.unit, r.name, r.title, _period_text(r.period), day_text(due),
                             f"{sent:%H:%M} {day_text(sent)}", late,
                             ", ".join(sorted({s.source for s in group})) or "", notes,
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


__all__ = ["linked_unit", "unit_view", "coordinator_view", "coordinates_assignment", "coordinator_file",
           "BadFilter"]
