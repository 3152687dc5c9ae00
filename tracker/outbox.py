"""The outbox: one row per digest, enqueued in the same transaction as the
decisions it carries, so a decided stage is never lost nor sent twice.

A row moves ``queued -> sending (claimed) -> sent | failed``; a transient
failure puts it back to ``queued`` with ``next_attempt_at`` pushed out by
``tracker.mail.retry.backoff``. Delivery (``deliver_due``) claims one row at a
time with a conditional UPDATE (``... WHERE id = ? AND state = 'queued'``,
rowcount 1 = ours), so any number of daemons, on SQLite or PostgreSQL, can run
it at once without sending a message twice. A claim older than ``LEASE`` is
taken over: its daemon died mid-send.

At most one duplicate: the row is marked sent in its own transaction right
after the server accepts the message. A crash in between (power cut, kill -9)
leaves that one row ``sending``; after the lease another pass sends it again,
with the same ``Message-ID``, so mail clients that deduplicate show it once.
Every other message is either committed as sent or was never handed over.

``claimed_at`` doubles as "when the last attempt started": it is kept after
the attempt ends, and ``failed_since`` uses it to date dead letters.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from tracker.db.models import OutboxMessage
from tracker.digest import Digest
from tracker.errors import DeliveryError, InputError, NotFound, TrackerError
from tracker.mail.render import Rendered
from tracker.mail.transport import ConnectionLost

LEASE = timedelta(minutes=10)
DEFAULT_LIMIT = 500
STATES = ("queued", "sending", "sent", "failed")


def enqueue(session: Session, digest: Digest, rendered: Rendered, now: datetime, tz) -> OutboxMessage:
    msg = OutboxMessage(
        key=digest.key, recipient_unit=digest.recipient_unit, to_addrs=list(digest.to), cc_addrs=list(digest.cc),
        reply_to=list(digest.reply_to), subject=rendered.subject, body_text=rendered.text,
        body_html=rendered.html, items=[i.to_json(tz) for i in digest.items], state="queued", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    session.add(msg)
    session.flush()
    return msg


# --- delivery ------------------------------------------------------------------

@dataclass
class DeliveryReport:
    """What one ``deliver_due`` pass did. ``error`` is set when nothing could be
    tried at all (a configuration problem); per-message trouble is in ``errors``."""

    attempted: int = 0
    sent: int = 0
    retrying: int = 0  # transient failure: back in the queue with a later next_attempt_at
    failed: int = 0  # became dead letters in this pass
    rejected: dict[str, str] = field(default_factory=dict)  # address -> reply, permanently refused
    errors: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict:
        return {"attempted": self.attempted, "sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "rejected": dict(self.rejected), "errors": list(self.errors), "error": self.error}


def worker_id() -> str:
    """Who holds a claim: host, process and a random tail (two runtimes in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def deliver_due(rt, now: datetime, *, limit: int = DEFAULT_LIMIT, transport=None,
                worker: str | None = None) -> DeliveryReport:
    """Send every message due at ``now`` (up to ``limit``) over one connection.

    Never raises for one bad message: each outcome is recorded on its row and
    counted in the report. A configuration problem (e.g. SMTP user without a
    password) is returned in ``report.error`` without touching any row, so no
    attempt is wasted on it. See the module docstring for the at-most-one-
    duplicate guarantee after a crash.
    """
    from tracker.mail.transport import make_transport

    report = DeliveryReport()
    worker = worker or worker_id()
    with rt.store.read() as session:
        due = _due_ids(session, now, limit)
    if not due:
        return report
    try:
        transport = transport or make_transport(rt.settings)
    except TrackerError as exc:
        report.error = str(exc)
        return report
    try:
        transport.open()
    except DeliveryError as exc:
        # Unreachable server: every due message has had its try for this pass.
        for outbox_id in due:
            row = _claim(rt, outbox_id, now, worker)
            if row is not None:
                report.attempted += 1
                _record_failure(rt, row, now, worker, str(exc), permanent=False, report=report)
        report.errors.append(str(exc))
        return report
    try:
        for outbox_id in due:
            row = _claim(rt, outbox_id, now, worker)
            if row is None:  # another daemon took it
                continue
            report.attempted += 1
            try:
                _deliver_one(rt, transport, row, now, worker, report)
            except ConnectionLost as exc:
                # The rest stay queued, untouched: the connection, not they, failed.
                _record_failure(rt, row, now, worker, str(exc), permanent=False, report=report)
                report.errors.append(str(exc))
                break
            except Exception as exc:  # a bug or an unexpected reply: this row only
                _record_failure(rt, row, now, worker, f"{type(exc).__name__}: {exc}", permanent=False,
                                report=report)
    finally:
        transport.close()
    return report


def _due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    rows = session.execute(
        select(OutboxMessage.id).where(_claimable(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    )
    return [r[0] for r in rows]


def _claimable(now: datetime):
    return or_(
        and_(OutboxMessage.state == "queued",
             or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)),
        and_(OutboxMessage.state == "sending", OutboxMessage.claimed_at < now - LEASE),
    )


def _claim(rt, outbox_id: int, now: datetime, worker: str) -> OutboxMessage | None:
    """Take one row: a conditional UPDATE that only one claimant can win. The
    attempt is counted here, so a message that crashes the daemon cannot loop forever."""
    from tracker.mail.message import message_id_for

    with rt.store.write() as session:
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == outbox_id, _claimable(now))
            .values(state="sending", claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        row = session.get(OutboxMessage, outbox_id, populate_existing=True)
        if row.message_id is None:  # fixed at the first attempt, reused by every later one
            row.message_id = message_id_for(row.id, row.key, rt.settings.mail.sender)
        return row


def _deliver_one(rt, transport, row: OutboxMessage, now: datetime, worker: str, report: DeliveryReport) -> None:
    from tracker.mail.message import build_for_row

    settings = rt.settings
    final = row.attempts >= settings.mail.max_attempts
    outgoing = build_for_row(row, settings.mail.sender, settings.tracker.language, now)
    rejected = dict(outgoing.rejected)  # invalid addresses: refused before we even connect
    if not outgoing.recipients:
        _finish(rt, row, now, worker, state="failed", rejected=rejected,
                error="no valid recipient" + _reasons(rejected), report=report)
        return
    try:
        result = transport.send(outgoing, allow_partial=final)
    except ConnectionLost:
        raise  # deliver_due stops the batch
    except DeliveryError as exc:
        _record_failure(rt, row, now, worker, str(exc), permanent=exc.permanent, report=report)
        return
    rejected.update(result.permanent_refusals())
    if result.accepted:
        # On the final attempt, recipients still deferring (4xx) are given up on.
        rejected.update(result.transient_refusals())
        _finish(rt, row, now, worker, state="sent", rejected=rejected,
                error=("rejected: " + _reasons(rejected).strip(" ;()")) if rejected else None, report=report)
        return
    if result.deferred:  # someone said "try later": keep it whole, remember the hard refusals
        _record_failure(rt, row, now, worker, "deferred: " + _reasons(result.transient_refusals()).strip(" ;()"),
                        permanent=False, report=report, rejected=rejected)
        return
    _finish(rt, row, now, worker, state="failed", rejected=rejected,
            error="every recipient was refused" + _reasons(rejected), report=report)


def _reasons(refused: dict[str, str]) -> str:
    return (" (" + "; ".join(f"{a}: {r}" for a, r in refused.items()) + ")") if refused else ""


def _record_failure(rt, row: OutboxMessage, now: datetime, worker: str, error: str, *, permanent: bool,
                    report: DeliveryReport, rejected: dict[str, str] | None = None) -> None:
    """A failed attempt: retry later with backoff, or a dead letter when permanent or out of attempts."""
    from tracker.mail.retry import backoff

    if permanent or row.attempts >= rt.settings.mail.max_attempts:
        _finish(rt, row, now, worker, state="failed", rejected=rejected or {}, error=error, report=report)
        return
    with rt.store.write() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == worker)
            .values(state="queued", claimed_by=None, next_attempt_at=now + backoff(row.attempts),
                    last_error=error[:2000], message_id=row.message_id,
                    failed_recipients=_merge(row.failed_recipients, rejected or {}))
            .execution_options(synchronize_session=False)
        )
    report.retrying += 1
    report.rejected.update(rejected or {})


def _finish(rt, row: OutboxMessage, now: datetime, worker: str, *, state: str, rejected: dict[str, str],
            error: str | None, report: DeliveryReport) -> None:
    with rt.store.write() as session:
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.claimed_by == worker)
            .values(state=state, claimed_by=None, next_attempt_at=None, last_error=error[:2000] if error else None,
                    failed_recipients=_merge(row.failed_recipients, rejected), message_id=row.message_id,
                    sent_at=now if state == "sent" else None)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount != 1:
        report.errors.append(f"outbox {row.id}: claim lost while sending (another daemon took it over)")
    if state == "sent":
        report.sent += 1
    else:
        report.failed += 1
    report.rejected.update(rejected)


def _merge(previous: list[str] | None, rejected: dict[str, str]) -> list[str] | None:
    merged = list(previous or [])
    merged += [a for a in rejected if a.lower() not in {m.lower() for m in merged}]
    return merged or None


# --- queries for the CLI and the scheduler ---------------------------------------

@dataclass(frozen=True)
class FailedDelivery:
    """A dead letter, or a sent message some addresses refused: what the coordinator should hear about."""

    outbox_id: int
    key: str
    recipient_unit: str | None
    to: tuple[str, ...]
    subject: str
    state: str  # failed | sent (partly)
    failed_recipients: tuple[str, ...]
    error: str | None
    at: datetime


def failed_since(session: Session, since: datetime) -> list[FailedDelivery]:
    """Dead letters whose last attempt was at or after ``since``, and messages sent
    since then that some addresses refused; oldest first. For the coordinator's digest."""
    rows = session.scalars(
        select(OutboxMessage).where(or_(
            and_(OutboxMessage.state == "failed", OutboxMessage.claimed_at >= since),
            and_(OutboxMessage.state == "sent", OutboxMessage.sent_at >= since),
        )).order_by(OutboxMessage.id)
    )
    out = []
    for r in rows:
        if r.state == "sent" and not r.failed_recipients:
            continue
        out.append(FailedDelivery(r.id, r.key, r.recipient_unit, tuple(r.to_addrs or ()), r.subject, r.state,
                                  tuple(r.failed_recipients or ()), r.last_error,
                                  r.sent_at if r.state == "sent" else (r.claimed_at or r.created_at)))
    return out


def count_failed(session: Session) -> int:
    """Dead letters waiting for ``tracker outbox retry`` (shown by ``tracker status``)."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "failed"))


def list_messages(session: Session, state: str | None = None, limit: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        query = query.where(OutboxMessage.state == state)
    if limit:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


def requeue(rt, now: datetime, ids: list[int] | None = None) -> list[int]:
    """Put failed messages back in the queue, due now, with a fresh set of attempts.

    No ids: every failed message. Named ids must exist and be failed (or queued,
    which just makes them due now); a sent message is refused, since retrying it
    would send it again to everyone.
    """
    with rt.store.write() as session:
        if ids:
            rows = {r.id: r for r in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
            missing = [str(i) for i in ids if i not in rows]
            if missing:
                raise NotFound(f"no outbox message {', '.join(missing)}")
            wrong = [f"{i} is {rows[i].state}" for i in ids if rows[i].state not in ("failed", "queued")]
            if wrong:
                raise InputError("only failed or queued messages can be retried: " + "; ".join(wrong))
            targets = sorted(set(ids))
        else:
            targets = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.state == "failed")
                                           .order_by(OutboxMessage.id)))
        if targets:
            # Refused addresses get another chance too: the coordinator may have fixed the server or the address.
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(targets))
                .values(state="queued", attempts=0, next_attempt_at=now, claimed_by=None, failed_recipients=None)
                .execution_options(synchronize_session=False)
            )
    return targets


def message_json(row: OutboxMessage, tz) -> dict:
    """One row for ``tracker outbox list --json`` (local times, like every JSON shape)."""
    def local(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value else None

    return {
        "id": row.id, "key": row.key, "state": row.state, "recipient_unit": row.recipient_unit,
        "to": list(row.to_addrs or []), "cc": list(row.cc_addrs or []), "reply_to": list(row.reply_to or []),
        "subject": row.subject, "attempts": row.attempts, "next_attempt_at": local(row.next_attempt_at),
        "created_at": local(row.created_at), "sent_at": local(row.sent_at), "message_id": row.message_id,
        "last_error": row.last_error, "failed_recipients": list(row.failed_recipients or []),
        "items": row.items,
    }
