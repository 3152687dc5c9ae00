"""What coordinators record about one assignment: a submission, a waiver, an
extension. Each change is audited and hands the assignment back to the
scheduler (``next_action_at = now``), which decides what follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.store.files import content_type_of
from tracker.store import assignments as store_assignments, submissions as store_submissions, waivers as store_waivers
from tracker.store.models import Assignment, Obligation, Plan
from tracker.core.errors import Ambiguous, InputError, NotFound, TrackerError
from tracker.core.schedule import is_late
from tracker.core.submissions import RECEIVED, SubmissionSource, SubmissionState, display_name
from tracker.services import audit
from tracker.services.runtime import Runtime
from tracker.services.status import unit_or_fail
from tracker.core.states import AssignmentState, Kind

_FIELDS = ("state", "due_at", "extended_until", "submitted_at", "waived_at")


@dataclass(frozen=True)
class Recorded:
    plan: str
    obligation: str
    unit: str
    period: str
    due: datetime  # local
    state: str  # as users see it: submitted | late | waived | pending | overdue
    at: datetime | None  # local: submitted/waived at, or the new deadline


def find_assignment(session: Session, rt: Runtime, now: datetime, unit_code: str, obligation_code: str,
                    plan_code: str | None, period: str | None, *,
                    state: str | tuple[str, ...] = AssignmentState.OPEN) -> Assignment:
    """The unit's assignment of the obligation: of ``period``, else the one in
    ``state`` (open; received for accept; received, else submitted, for return:
    a tuple says the order of preference) whose deadline is nearest to now."""
    unit = unit_or_fail(session, unit_code)
    query = select(Obligation).join(Plan).where(Obligation.code == obligation_code)
    if plan_code:
        query = query.where(Plan.code == plan_code)
    obligations = list(session.scalars(query))
    if not obligations:
        where = f" in plan {plan_code!r}" if plan_code else ""
        raise NotFound(f"unknown obligation {obligation_code!r}{where} ({_where_ids_are(session, plan_code)})")
    if len(obligations) > 1:
        plans = ", ".join(sorted(o.plan.code for o in obligations))
        raise Ambiguous(f"obligation {obligation_code!r} is in several plans ({plans}): pick one with --plan")
    ob = obligations[0]
    if ob.kind != Kind.DEADLINE:
        raise InputError(f"obligation {obligation_code!r} is a {ob.kind}: it expects no submission", "OBLIGATION")
    query = select(Assignment).where(Assignment.obligation_id == ob.id, Assignment.unit_id == unit.id)
    if period:
        a = session.scalar(query.where(Assignment.period == period))
        if a is None:
            raise NotFound(f"unit {unit_code!r} has no assignment of {obligation_code!r} for period {period!r}")
        return a
    states = (state,) if isinstance(state, str) else state
    candidates = list(session.scalars(query.where(Assignment.state.in_(states))))
    if not candidates:
        what = "open assignment" if states == (AssignmentState.OPEN,) else \
            f"assignment in state {' or '.join(states)}"
        raise NotFound(f"unit {unit_code!r} has no {what} of {obligation_code!r} "
                       f"(is it responsible? see `tracker status --unit {unit_code}`)")
    # The open period whose deadline is nearest to now, earlier first on a tie.
    return min(candidates, key=lambda a: (states.index(a.state), abs((a.due_at - now).total_seconds()), a.due_at))


def _result(rt: Runtime, a: Assignment, at: datetime | None, now: datetime) -> Recorded:
    from tracker.services.status import derive_state

    state, _ = derive_state(a.state, a.due_at, a.submitted_at, now, rt.tz, a.returned_at)
    return Recorded(a.obligation.plan.code, a.obligation.code, a.unit.code, a.period, a.due_at.astimezone(rt.tz),
                    state, at.astimezone(rt.tz) if at else None)


def submit(rt: Runtime, now: datetime, unit: str, obligation: str, *, plan: str | None = None,
           period: str | None = None, at: datetime | None = None, note: str | None = None) -> Recorded:
    at = at or now
    if at > now:
        raise InputError("a submission cannot be recorded in the future", "--at")
    with rt.store.write() as session:
        return record_submission(session, rt, now, unit, obligation, plan=plan, period=period, at=at, note=note)


def record_submission(session: Session, rt: Runtime, now: datetime, unit: str, obligation: str, *,
                      plan: str | None, period: str | None, at: datetime, note: str | None,
                      actor: str | None = None, source: str = SubmissionSource.COORDINATOR,
                      files: list[dict] | None = None) -> Recorded:
    """``submit`` inside the caller's transaction (the mailbox reader records a
    reply's submissions in the same transaction as the message's inbox row, with
    ``source="mail"`` and the attachments it stored: ``{"name", "type", "size", "sha256"}``)."""
    actor = actor or rt.actor
    a = find_assignment(session, rt, now, unit, obligation, plan, period)
    if a.state == AssignmentState.SUBMITTED:
        raise TrackerError(f"{unit} already submitted {obligation} ({a.period}) at "
                           f"{a.submitted_at.astimezone(rt.tz):%Y-%m-%d %H:%M}")
    if a.state == AssignmentState.WAIVED:
        raise TrackerError(f"{unit} was excused from {obligation} ({a.period}): nothing to submit")
    if a.state == RECEIVED:
        raise TrackerError(f"{unit} sent {obligation} ({a.period}) itself and it waits for you: "
                           f"`tracker accept` or `tracker return` it")
    before = audit.snapshot(a, _FIELDS)
    late = is_late(at, a.due_at)
    # The coordinator's own record is accepted at once; a unit's (a reply read from
    # the mailbox) waits for acceptance unless [web] require_acceptance is false.
    waits = source != SubmissionSource.COORDINATOR and rt.settings.web.require_acceptance
    store_assignments.record_submitted(a, waits=waits, submitted_at=at, now=now)
    sub = store_submissions.add(session, assignment_id=a.id, submitted_at=at, recorded_at=now, recorded_by=actor[:128],
                                note=note, late=late, source=SubmissionSource(source).value,
                                state=(SubmissionState.RECEIVED if waits else SubmissionState.ACCEPTED).value)
    if files:
        store_submissions.add_files(session, sub, [
            {"sha256": f["sha256"], "size": f["size"], "content_type": content_type_of(f.get("type")),
             "name": display_name(f["name"])} for f in files], now)
    audit.record(session, at=now, actor=actor[:128], action="submit", entity="assignment",
                 entity_id=_ref(a), before=before, after={**audit.snapshot(a, _FIELDS), "note": note,
                                                          "source": SubmissionSource(source).value})
    session.flush()
    return _result(rt, a, at, now)


def waive(rt: Runtime, now: datetime, unit: str, obligation: str, *, reason: str, plan: str | None = None,
          period: str | None = None) -> Recorded:
    reason = _reason(reason)
    with rt.store.write() as session:
        a = _open_assignment(session, rt, now, unit, obligation, plan, period, "waive")
        before = audit.snapshot(a, _FIELDS)
        mark_waived(session, a, now, reason, rt.actor)
        audit.record(session, at=now, actor=rt.actor, action="waive", entity="assignment", entity_id=_ref(a),
                     before=before, after={**audit.snapshot(a, _FIELDS), "reason": reason})
        return _result(rt, a, now, now)


def extend(rt: Runtime, now: datetime, unit: str, obligation: str, *, until: datetime, reason: str,
           plan: str | None = None, period: str | None = None) -> Recorded:
    reason = _reason(reason)
    with rt.store.write() as session:
        a = _open_assignment(session, rt, now, unit, obligation, plan, period, "extend")
        until = _working_deadline(rt, a, until)
        if until <= a.base_due_at:
            raise InputError(f"the new deadline must be after the plan's deadline "
                             f"{a.base_due_at.astimezone(rt.tz):%Y-%m-%d}", "--until")
        before = audit.snapshot(a, _FIELDS)
        # The new ladder's first mail ("đã gia hạn đến …") goes at the send hour like
        # every other, not the moment the extension is typed in.
        store_assignments.extend(a, until, _send_hour(rt, now), now)
        audit.record(session, at=now, actor=rt.actor, action="extend", entity="assignment", entity_id=_ref(a),
                     before=before, after={**audit.snapshot(a, _FIELDS), "reason": reason})
        return _result(rt, a, until, now)


def _working_deadline(rt: Runtime, a: Assignment, until: datetime) -> datetime:
    """A new last day on a day off moves to the next working day, as the plan's own
    deadlines do (unless the obligation says shift: none)."""
    from tracker.core.schedule import end_of_day

    day = until.astimezone(rt.tz).date()
    if (a.obligation.shift or rt.settings.calendar.shift) == "next_working_day":
        day = rt.calendar.next_working_day(day)
    return end_of_day(day, rt.tz)


def _send_hour(rt: Runtime, now: datetime) -> datetime:
    """The next working-day send hour at or after ``now``."""
    from datetime import timedelta

    from tracker.core.policy import PolicySettings, sending_slot

    pol = PolicySettings.from_settings(rt.settings)
    local = now.astimezone(rt.tz)
    if local.time().replace(microsecond=0) == pol.send_at:
        return now
    # After today's send hour: tomorrow's (sending_slot gives the next working one).
    probe = now if local.time() < pol.send_at else \
        datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=rt.tz)
    return sending_slot(probe, rt.calendar, pol)


def mark_waived(session: Session, a: Assignment, now: datetime, reason: str, actor: str) -> None:
    """Waive one assignment with its reason; the scheduler looks at it once more (and stops)."""
    store_assignments.waive(a, now)
    store_waivers.add(session, a.id, reason, now, actor)


def _reason(reason: str | None) -> str:
    if not reason or not reason.strip():
        raise InputError("a reason is required", "--reason")
    return reason.strip()


def _open_assignment(session: Session, rt: Runtime, now: datetime, unit: str, obligation: str,
                     plan: str | None, period: str | None, verb: str) -> Assignment:
    a = find_assignment(session, rt, now, unit, obligation, plan, period)
    if a.state != AssignmentState.OPEN:
        raise TrackerError(f"{unit} {obligation} ({a.period}) is already {a.state}: nothing to {verb}")
    return a


def _where_ids_are(session: Session, plan_code: str | None) -> str:
    """The command that shows obligation ids: `plan show`, of the one plan when it is known."""
    codes = [plan_code] if plan_code else list(session.scalars(select(Plan.code).order_by(Plan.code).limit(2)))
    if len(codes) == 1:
        return f"its obligations' ids: `tracker plan show {codes[0]}`"
    return "obligations' ids: `tracker plan show ID`, plan ids: `tracker plan list`"


def _ref(a: Assignment) -> str:
    return f"{a.obligation.plan.code}/{a.obligation.code}/{a.unit.code}/{a.period}"


class FileSubmissions(list):
    """The submissions recorded from a file, and how the file was read."""

    note: str | None = None  # "read as Windows-1258 …" when the file was not UTF-8


def submit_from_file(rt: Runtime, now: datetime, path: str, encoding: str | None = None) -> FileSubmissions:
    """Record every submission of a file (.csv, .txt, .xlsx) in one transaction,
    or none: every row is checked (unit, obligation, period, state) first and all
    problems are reported together with their lines."""
    from tracker.core.errors import ValidationErrors
    from tracker.core.submissionfile import parse_submissions
    from tracker.services.officefiles import read_table

    decoded = read_table(path, encoding, rt.settings.tracker.max_input_bytes)
    rows, errors = parse_submissions(decoded.text, str(path), rt.tz)
    done = FileSubmissions()
    done.note = decoded.note()
    seen: dict[tuple, str] = {}
    with rt.store.write() as session:
        for row in rows:
            key = (row.unit, row.obligation, row.plan, row.period)
            if key in seen:
                errors.append(InputError(f"{row.unit} {row.obligation} is already on line "
                                         f"{seen[key].rsplit(':', 1)[-1]}", row.where))
                continue
            seen[key] = row.where
            at = row.at or now
            if at > now:
                errors.append(InputError("a submission cannot be recorded in the future", row.where))
                continue
            try:
                done.append(record_submission(session, rt, now, row.unit, row.obligation, plan=row.plan,
                                              period=row.period, at=at, note=row.note))
            except TrackerError as exc:
                errors.append(InputError(str(exc), row.where))
        if errors:  # raising here rolls the whole file back
            from tracker.services.imports import _line_of

            raise ValidationErrors(sorted(errors, key=_line_of))
    return done
