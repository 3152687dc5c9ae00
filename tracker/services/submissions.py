"""The loop of a submission: a unit submits (its page, a reply to a reminder),
the coordinator accepts it or returns it with a reason.

``submit_by_unit`` records a unit's own submission: the assignment becomes
``received`` ("đã gửi, chờ xác nhận"; or ``submitted`` at once when
``[web] require_acceptance`` is false), reminders stop, and whoever was
escalated to gets the ``resolved`` notice as today (the policy treats a
received assignment as submitted). Files are stored by content hash first,
then the rows that name them are committed.

``accept`` closes the assignment: on time or late by its *first* submission.
``return_`` opens it again (``returned_at``), queues a message to the unit
saying why, and hands it back to the scheduler, which resumes reminders and
escalation where the deadline puts them (stages already decided stay decided).

Every change is audited; nothing is written when a check fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.core.errors import InputError, TrackerError
from tracker.core.schedule import is_late
from tracker.core.states import AssignmentState, Kind, UnitStatus
from tracker.core.submissions import (
    RECEIVED, AlreadyClosed, FileRefused, NotOwed, NothingToDecide, Replayed, SubmissionSource,
    SubmissionState, file_refusal,
)
from tracker.services import audit
from tracker.services.records import Recorded, _result, find_assignment
from tracker.services.runtime import Runtime
from tracker.store.files import StoredFile, store_file
from tracker.store import assignments as store_assignments, submissions as store_submissions
from tracker.store.models import Assignment, Submission, SubmissionFile

_FIELDS = ("state", "due_at", "submitted_at", "returned_at")


@dataclass(frozen=True)
class Upload:
    """A file as it arrived (a form field, a mail attachment), not yet stored."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class UnitSubmission:
    assignment_id: int
    submission_id: int
    state: str  # the assignment's stored state now: received | submitted
    submitted_at: datetime  # this submission's time
    first_submitted_at: datetime  # what the on-time verdict will use
    late: bool
    files: tuple[StoredFile, ...]


def files_root(rt: Runtime) -> Path:
    """One folder for every file units send: ``[inbound] files_dir`` (mail attachments and web uploads)."""
    return Path(rt.settings.inbound.files_dir)


def check_files(rt: Runtime, files: Sequence[Upload]) -> None:
    """Refuse a file over ``[web] max_upload_mb`` or of a type not in ``[web] file_types``."""
    web = rt.settings.web
    for f in files:
        reason = file_refusal(f.name, len(f.data), max_bytes=web.max_upload_mb * 1_048_576, types=web.file_types)
        if reason:
            raise FileRefused(reason, 413 if len(f.data) > web.max_upload_mb * 1_048_576 else 415)


def submit_by_unit(rt: Runtime, unit: str, assignment: int, files: Sequence[Upload], note: str | None,
                   source: SubmissionSource | str, now: datetime, *, client: str | None = None,
                   key: str | None = None, at: datetime | None = None) -> UnitSubmission:
    """Record that ``unit`` submitted assignment ``assignment`` (its id), with files.

    ``key`` makes the submission arrive once (a form's nonce, ``web:...``; a
    mail's Message-ID, ``mail:...``): a second arrival raises ``Replayed``.
    ``at`` is when it arrived (a mail's date; default ``now``).
    """
    source = SubmissionSource(source)
    at = at or now
    if at > now:
        raise InputError("a submission cannot be recorded in the future", "at")
    check_files(rt, files)
    note = (note or "").strip()[:2000] or None
    actor = _unit_actor(unit, source, client)
    try:
        with rt.store.write() as session:
            a = _owed(session, unit, assignment)
            if key and session.scalar(select(Submission.id).where(Submission.source_key == key)) is not None:
                raise Replayed("Biểu mẫu này đã được gửi trước đó; không ghi nhận lần nữa.")
            if a.state == AssignmentState.SUBMITTED:
                raise AlreadyClosed("Báo cáo này đã được cơ quan thường trực xác nhận; không cần gửi thêm.")
            if a.state == AssignmentState.WAIVED:
                raise AlreadyClosed("Đơn vị được miễn nhiệm vụ này; không cần gửi.")
            stored = tuple(store_file(files_root(rt), f.data, f.name, f.content_type) for f in files)
            before = audit.snapshot(a, _FIELDS)
            accepted_now = not rt.settings.web.require_acceptance
            first = a.submitted_at if a.state == RECEIVED and a.submitted_at else at
            sub = store_submissions.add(
                session, assignment_id=a.id, submitted_at=at, recorded_at=now, recorded_by=actor[:128], note=note,
                late=is_late(at, a.due_at), source=source.value, client=(client or None) and client[:200],
                source_key=key, state=(SubmissionState.ACCEPTED if accepted_now else SubmissionState.RECEIVED).value,
                decided_at=now if accepted_now else None, decided_by="auto" if accepted_now else None,
            )
            store_submissions.add_files(session, sub, [
                {"sha256": f.sha256, "size": f.size, "content_type": f.content_type, "name": f.name} for f in stored], now)
            store_assignments.record_submitted(a, waits=not accepted_now, submitted_at=first, now=now)
            audit.record(session, at=now, actor=actor[:128], action="submit", entity="assignment",
                         entity_id=_ref(a), before=before,
                         after={**audit.snapshot(a, _FIELDS), "note": note, "source": source.value,
                                "client": client, "files": [f.sha256 for f in stored]})
            return UnitSubmission(a.id, sub.id, a.state, at, first, is_late(first, a.due_at), stored)
    except IntegrityError:  # two arrivals of one key raced: the unique key kept one
        if key:
            raise Replayed("Biểu mẫu này đã được gửi trước đó; không ghi nhận lần nữa.") from None
        raise


def accept(rt: Runtime, now: datetime, unit: str, obligation: str, *, plan: str | None = None,
           period: str | None = None) -> Recorded:
    """``tracker accept``: the unit's waiting submission counts, judged by its first time."""
    with rt.store.write() as session:
        a = find_assignment(session, rt, now, unit, obligation, plan, period, state=RECEIVED)
        _accept(session, a, now, rt.actor, None)
        return _result(rt, a, a.submitted_at, now)


def accept_assignment(rt: Runtime, now: datetime, assignment: int, *, actor: str,
                      client: str | None = None) -> Recorded:
    """Accept by assignment id (the coordinator's page, from ``client``'s address)."""
    with rt.store.write() as session:
        a = _assignment(session, assignment)
        _accept(session, a, now, actor, client)
        return _result(rt, a, a.submitted_at, now)


def return_(rt: Runtime, now: datetime, unit: str, obligation: str, *, reason: str, plan: str | None = None,
            period: str | None = None) -> Recorded:
    """``tracker return``: open the assignment again and tell the unit why. Without
    ``--period``: the submission waiting nearest its deadline, else the accepted one."""
    reason = _reason(reason)
    with rt.store.write() as session:
        a = find_assignment(session, rt, now, unit, obligation, plan, period,
                            state=(RECEIVED, AssignmentState.SUBMITTED))
        _return(rt, session, a, now, reason, rt.actor, None)
        return _result(rt, a, now, now)


def return_assignment(rt: Runtime, now: datetime, assignment: int, *, reason: str, actor: str,
                      client: str | None = None) -> Recorded:
    reason = _reason(reason)
    with rt.store.write() as session:
        a = _assignment(session, assignment)
        _return(rt, session, a, now, reason, actor, client)
        return _result(rt, a, now, now)


# --- the steps -------------------------------------------------------------------

def _accept(session: Session, a: Assignment, now: datetime, actor: str, client: str | None) -> None:
    waiting = _waiting(session, a)
    actor = _decider(actor, client)
    before = audit.snapshot(a, _FIELDS)
    store_submissions.accept(waiting, now, actor)
    # On time or late by the first submission that is accepted (DESIGN.md, "The loop").
    store_assignments.accept(a, min(s.submitted_at for s in waiting), now)
    audit.record(session, at=now, actor=actor, action="accept", entity="assignment", entity_id=_ref(a),
                 before=before, after={**audit.snapshot(a, _FIELDS), "submissions": [s.id for s in waiting],
                                       "client": client})


def _return(rt: Runtime, session: Session, a: Assignment, now: datetime, reason: str, actor: str,
            client: str | None) -> None:
    """Return what waits, or what was accepted: an office that finds an accepted
    report incomplete returns it and counts it as not done (DESIGN.md, "The loop")."""
    from tracker.services.notices import enqueue_returned

    if a.state == AssignmentState.SUBMITTED:
        returned, accepted = _accepted(session, a), True
    else:
        returned, accepted = _waiting(session, a), False
    actor = _decider(actor, client)
    before = audit.snapshot(a, _FIELDS)
    store_submissions.return_(returned, now, actor, reason)
    # The unit may already have been told its report was in: by the acceptance, or by the
    # ``resolved`` acknowledgement of a late one. The message then says the task is open again.
    acknowledged = accepted or _acknowledged(session, a)
    # Open again: the scheduler looks at it now and resumes what the deadline puts due.
    store_assignments.reopen_returned(a, now)
    enqueue_returned(rt, session, a, reason, now, reopened=acknowledged)
    audit.record(session, at=now, actor=actor, action="return", entity="assignment", entity_id=_ref(a),
                 before=before, after={**audit.snapshot(a, _FIELDS), "reason": reason,
                                       "submissions": [s.id for s in returned], "was_accepted": accepted,
                                       "client": client})


def _decider(actor: str, client: str | None) -> str:
    """Who decided, in the audit log: as a unit's submission is recorded, with the client's address."""
    return (actor + (f" from {client}" if client else ""))[:128]


def _acknowledged(session: Session, a: Assignment) -> bool:
    """Whether a ``resolved`` acknowledgement of this deadline went out."""
    from tracker.core.policy import is_acknowledgement
    from tracker.store.models import Decision

    return any(is_acknowledgement(stage) for stage in session.scalars(
        select(Decision.stage).where(Decision.assignment_id == a.id, Decision.due_at == a.due_at,
                                     Decision.outcome == "sent")))


def _waiting(session: Session, a: Assignment) -> list[Submission]:
    if a.state != RECEIVED:
        what = {AssignmentState.OPEN: "has no submission waiting", AssignmentState.SUBMITTED: "is already accepted",
                AssignmentState.WAIVED: "is waived"}.get(a.state, f"is {a.state}")
        raise NothingToDecide(f"{a.unit.code} {a.obligation.code} ({a.period}) {what}: nothing to accept or return")
    rows = list(session.scalars(select(Submission).where(Submission.assignment_id == a.id,
                                                         Submission.state == SubmissionState.RECEIVED.value)
                                .order_by(Submission.submitted_at, Submission.id)))
    if not rows:
        raise NothingToDecide(f"{a.unit.code} {a.obligation.code} ({a.period}) has no submission waiting")
    return rows


def _accepted(session: Session, a: Assignment) -> list[Submission]:
    """The accepted submissions of a submitted assignment (none when it predates the
    submission log: it is returned all the same)."""
    return list(session.scalars(select(Submission).where(Submission.assignment_id == a.id,
                                                         Submission.state == SubmissionState.ACCEPTED.value)
                                .order_by(Submission.submitted_at, Submission.id)))


def _owed(session: Session, unit: str, assignment: int) -> Assignment:
    a = session.get(Assignment, assignment) if isinstance(assignment, int) else None
    if a is None or a.unit.code != unit or a.kind != Kind.DEADLINE:
        raise NotOwed("Đơn vị không có nhiệm vụ này.")
    if a.unit.status != UnitStatus.ACTIVE:
        raise NotOwed("Đơn vị đã ngừng hoạt động trong hệ thống.")
    return a


def _assignment(session: Session, assignment: int) -> Assignment:
    a = session.get(Assignment, assignment)
    if a is None:
        raise NothingToDecide(f"no assignment {assignment}")
    return a


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InputError("a reason is required (the unit reads it)", "--reason")
    if len(reason) > 2000:
        raise InputError("a reason is at most 2000 characters", "--reason")
    return reason.strip()


def _unit_actor(unit: str, source: SubmissionSource, client: str | None) -> str:
    """Who, in the audit log: the unit's link (or its mail) and the client's address."""
    if source == SubmissionSource.COORDINATOR:
        raise TrackerError("a coordinator's submission goes through `tracker submit`")
    via = "link" if source == SubmissionSource.WEB else "mail"
    return f"unit:{unit} via {via}" + (f" from {client}" if client else "")


def _ref(a: Assignment) -> str:
    return f"{a.obligation.plan.code}/{a.obligation.code}/{a.unit.code}/{a.period}"


def stored_files(rt: Runtime, submission_ids: Sequence[int]) -> dict[int, list[SubmissionFile]]:
    """The files of some submissions, by submission id."""
    out: dict[int, list[SubmissionFile]] = {i: [] for i in submission_ids}
    if not submission_ids:
        return out
    with rt.store.read() as session:
        for f in session.scalars(select(SubmissionFile).where(SubmissionFile.submission_id.in_(list(submission_ids)))
                                 .order_by(SubmissionFile.id)):
            out[f.submission_id].append(f)
    return out


__all__ = ["Upload", "UnitSubmission", "submit_by_unit", "accept", "accept_assignment", "return_",
           "return_assignment", "check_files", "files_root", "stored_files"]
