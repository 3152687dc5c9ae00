"""The outbox: one row per digest, enqueued in the same transaction as the
decisions it carries, so a decided stage is never lost nor sent twice.

A row moves ``queued -> sending (claimed) -> sent | failed``; a transient
failure puts it back to ``queued`` with ``next_attempt_at`` pushed out by
``tracker.core.retry.backoff``. ``tracker.services.delivery`` moves the rows; this
module writes them and answers the questions asked about them.

``claimed_at`` doubles as "when the last attempt started": it is kept after
the attempt ends, and ``failed_since`` uses it to date dead letters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tracker.store.tables import outbox as T
from tracker.core.digest import Digest
from tracker.core.errors import InputError, NotFound
from tracker.core.states import OutboxState

if TYPE_CHECKING:  # neither the ORM nor rendering is needed to count or list the outbox
    from sqlalchemy.orm import Session

    from tracker.store.models import OutboxMessage
    from tracker.core.outgoing import Rendered


def new_message(digest: Digest, rendered: Rendered, now: datetime, tz) -> dict:
    """The row of a queued message for the digest, due at ``now``."""
    return {
        "key": digest.key, "recipient_unit": digest.recipient_unit, "to_addrs": list(digest.to),
        "cc_addrs": list(digest.cc), "reply_to": list(digest.reply_to), "subject": rendered.subject,
        "body_text": rendered.text, "body_html": rendered.html, "items": [i.to_json(tz) for i in digest.items],
        "state": OutboxState.QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now,
    }


class Enqueued(NamedTuple):
    key: str  # the key it is stored under: the digest's, or ``key#n`` (see enqueue_many)
    id: int


def enqueue_many(conn: Connection | Session, rows: list[dict]) -> dict[str, Enqueued]:
    """Insert ``new_message`` rows; returns where each went, by the row's key.

    One executemany, then one read of the ids by their unique keys: on
    PostgreSQL the ORM's multi-row INSERT ... RETURNING took 50 ms for a pass's
    200 messages, this 21 ms (psycopg pipelines an executemany).

    Should two passes meet on one key (same recipient, same instant: two
    ``tracker tick --now`` runs on one SQLite file whose batches interleave, or
    a stage that fell due at an instant already messaged), the second waits
    for the first's commit and meets its row. Rather than fail the batch (whose
    rows would be decided again at the next pass, in a second message anyway),
    its message goes in beside the first, under ``key#2``. (On PostgreSQL one
    daemon decides at a time: services/tick.py.)"""
    if not rows:
        return {}
    try:
        with conn.begin_nested():
            conn.execute(insert(T), rows)
    except IntegrityError:
        return {row["key"]: _insert_beside(conn, row) for row in rows}
    keys = [r["key"] for r in rows]
    return {k: Enqueued(k, i) for k, i in conn.execute(select(T.c.key, T.c.id).where(T.c.key.in_(keys)))}


def _insert_beside(conn: Connection | Session, row: dict) -> Enqueued:
    """Insert one row under its key, or the first free ``key#n``. (A constraint
    other than the key fails here, and fails the batch, as it should.)"""
    for n in itertools.count(1):
        key = row["key"] if n == 1 else f"{row['key']}#{n}"
        if conn.execute(select(T.c.id).where(T.c.key == key)).first() is None:
            return Enqueued(key, conn.execute(insert(T).values({**row, "key": key}).returning(T.c.id)).scalar_one())
    raise AssertionError("unreachable")


def enqueue_once(conn: Connection | Session, row: dict) -> int | None:
    """Insert one message under its key, which is the decision to send it (the
    end-of-period scorecard: services/scorecard_mail.py); None when the key is
    already taken, by an earlier pass or another daemon."""
    try:
        with conn.begin_nested():
            return conn.execute(insert(T).values(row).returning(T.c.id)).scalar_one()
    except IntegrityError:
        return None


# --- queries for the CLI and the scheduler ---------------------------------------

@dataclass(frozen=True)
class FailedDelivery:
    """A dead letter, a sent message some addresses refused, or a message whose
    delivery could not be confirmed: what the coordinator should hear about."""

    outbox_id: int
    key: str
    recipient_unit: str | None
    to: tuple[str, ...]
    subject: str
    state: str  # failed | sent (partly) | unconfirmed
    failed_recipients: tuple[str, ...]
    error: str | None
    at: datetime


def failed_since(session: Session, since: datetime) -> list[FailedDelivery]:
    """Dead letters and unconfirmed messages (the server's answer lost twice) whose
    last attempt was at or after ``since``, and messages sent since then that some
    addresses refused; oldest first. For the coordinator's notices."""
    rows = session.execute(
        select(T).where(or_(
            and_(T.c.state.in_([OutboxState.FAILED, OutboxState.UNCONFIRMED]), T.c.claimed_at >= since),
            and_(T.c.state == OutboxState.SENT, T.c.sent_at >= since),
        )).order_by(T.c.id)
    )
    out = []
    for r in rows:
        if r.state == OutboxState.SENT and not r.failed_recipients:
            continue
        out.append(FailedDelivery(r.id, r.key, r.recipient_unit, tuple(r.to_addrs or ()), r.subject, r.state,
                                  tuple(r.failed_recipients or ()), r.last_error,
                                  r.sent_at if r.state == OutboxState.SENT else (r.claimed_at or r.created_at)))
    return out


def count_failed(conn: Connection | Session) -> int:
    """Dead letters waiting for ``tracker outbox retry`` (shown by ``tracker status``)."""
    return conn.scalar(select(func.count()).select_from(T).where(T.c.state == OutboxState.FAILED))


def list_messages(session: Session, state: str | None = None, limit: int | None = None) -> list[OutboxMessage]:
    from tracker.store.models import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state:
        query = query.where(OutboxMessage.state == state)
    if limit:
        query = query.limit(limit)
    return list(reversed(session.scalars(query).all()))


def requeue(rt, now: datetime, ids: list[int] | None = None) -> list[int]:
    """Put failed messages back in the queue, due now, with a fresh set of attempts.

    No ids: every failed message. Named ids must exist and be failed, unconfirmed
    (the coordinator asked the unit, which did not get it) or queued (which just
    makes them due now); a sent message is refused, since retrying it would send
    it again to everyone. An unconfirmed message is retried only when named: it
    most likely arrived.
    """
    with rt.store.write() as session:
        if ids:
            rows = dict(session.execute(select(T.c.id, T.c.state).where(T.c.id.in_(ids))).all())
            missing = [str(i) for i in ids if i not in rows]
            if missing:
                raise NotFound(f"no outbox message {', '.join(missing)}")
            retriable = (OutboxState.FAILED, OutboxState.UNCONFIRMED, OutboxState.QUEUED)
            wrong = [f"{i} is {rows[i]}" for i in ids if rows[i] not in retriable]
            if wrong:
                raise InputError("only failed, unconfirmed or queued messages can be retried: " + "; ".join(wrong))
            targets = sorted(set(ids))
        else:
            targets = list(session.scalars(select(T.c.id).where(T.c.state == OutboxState.FAILED).order_by(T.c.id)))
        if targets:
            # Refused addresses get another chance too: the coordinator may have fixed the server or the address.
            session.execute(
                update(T).where(T.c.id.in_(targets))
                .values(state=OutboxState.QUEUED, attempts=0, next_attempt_at=now, claimed_by=None, failed_recipients=None,
                        unknown_outcomes=0)  # the same Message-ID, so a copy that did arrive shows once
            )
            _current_addresses(session, targets)
    return targets


def _current_addresses(session, ids: list[int]) -> None:
    """A retried message goes to its unit's addresses as they are now: the usual
    reason to retry is that a wrong address was corrected (``tracker units import``)."""
    from tracker.store.tables import units as U

    rows = session.execute(select(T.c.id, T.c.recipient_unit, T.c.to_addrs, T.c.cc_addrs)
                           .where(T.c.id.in_(ids), T.c.recipient_unit.is_not(None))).all()
    found = {u.code: u for u in session.execute(select(U.c.code, U.c.emails, U.c.head_email)
                                                .where(U.c.code.in_({r.recipient_unit for r in rows})))}
    for r in rows:
        unit = found.get(r.recipient_unit)
        if unit is None or not unit.emails:
            continue
        to = list(unit.emails)
        # The head was in copy (escalation level 1): the head as it is now.
        cc = [unit.head_email] if r.cc_addrs and unit.head_email and unit.head_email not in to else []
        if to != list(r.to_addrs or []) or cc != list(r.cc_addrs or []):
            session.execute(update(T).where(T.c.id == r.id).values(to_addrs=to, cc_addrs=cc))


# --- the database's clock and a claimed row's rewrite ------------------------------

def database_now(conn: Connection) -> datetime:
    """The database's own clock (UTC, aware). Leases are judged on it: every
    deliverer shares it, whatever its own clock or ``--now`` says."""
    from datetime import timezone

    if conn.dialect.name == "postgresql":
        return conn.scalar(select(func.clock_timestamp())).astimezone(timezone.utc)
    text = conn.scalar(select(func.strftime("%Y-%m-%d %H:%M:%f", "now")))
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def rewrite_claimed(conn: Connection, outbox_id: int, worker: str, rendered: Rendered, items: list[dict]) -> bool:
    """Replace a claimed message's words and items (some went stale while it was
    queued); only while ``worker`` holds the claim. True if it did."""
    result = conn.execute(
        update(T).where(T.c.id == outbox_id, T.c.claimed_by == worker)
        .values(subject=rendered.subject, body_text=rendered.text, body_html=rendered.html, items=items)
    )
    return result.rowcount == 1
