"""What a unit's web page shows: its assignments (the coordinator's page is
services/coordinator_page.py). Read-only Core queries; tracker/web/ renders them.

Who may see what follows from the signed link alone: ``linked_unit`` turns a
token into the unit it was made for, or None (unknown, tampered, rotated,
retired: the page answers a plain 404). A coordinator sees the plans it
coordinates and the obligations that report to it, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from tracker.core.periods import period_words
from tracker.core.states import AssignmentState, Kind, Status, UnitStatus
from tracker.core.status import derive_state
from tracker.core.submissions import SubmissionState
from tracker.services.dispatch import data_period_words
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
    data_period_text: str | None = None  # "Số liệu tính từ 15/12/2024 đến 14/6/2025", when the obligation says
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
               O.c.first_date, O.c.recurrence, O.c.data_period, P.c.year,
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
            r.id, r.code, r.number, r.plan_title, r.title, r.period, period_words(r.period), due, day_text(due),
            state, STATE_WORDS[state], days_text(state, days, due, local_now),
            can_submit=r.state in (AssignmentState.OPEN, AssignmentState.RECEIVED),
            data_period_text=data_period_words(r, r, r.period),  # the row carries the rule and the plan's year
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


__all__ = ["linked_unit", "unit_view", "day_text", "days_text", "LinkedUnit", "UnitItem", "UnitView", "STATE_WORDS"]
