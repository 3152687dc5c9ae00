"""The outbox's rows going in and coming back: enqueue (digests, notices, the
scorecard), compose, requeue; and the questions the CLI and the scheduler ask.

``claimed_at`` doubles as "when the last attempt started": it is kept after
the attempt ends, and ``failed_since`` uses it to date dead letters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tracker.store.tables import outbox as T, outbox_copies
from tracker.core.digest import Digest
from tracker.core.errors import InputError, NotFound
from tracker.core.states import OutboxState

if TYPE_CHECKING:  # neither the ORM nor rendering is needed to count or list the outbox
    from sqlalchemy.orm import Session

    from tracker.store.models import OutboxMessage
    from tracker.core.outgoing import Rendered


# --- the rows: built here, so every writer stores the same shape -----------------

def queued_message(key: str, recipient_unit: str | None, to: Iterable[str], subject: str, body_text: str,
                   now: datetime, *, cc: Iterable[str] = (), reply_to: Iterable[str] = (),
                   body_html: str | None = None, items: Iterable[dict] = (), attachment_name: str | None = None,
                   attachment: bytes | None = None) -> dict[str, Any]:
    """The row of a message queued at ``now`` and due at once. The attachment
    columns are named only when there is one: a store migrated before them
    still takes every other message."""
    row = {
        "key": key, "recipient_unit": recipient_unit, "to_addrs": list(to), "cc_addrs": list(cc),
        "reply_to": list(reply_to), "subject": subject, "body_text": body_text, "body_html": body_html,
        "items": list(items), "state": OutboxState.QUEUED, "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
    if attachment is not None:
        row.update(attachment_name=attachment_name, attachment=attachment)
    return row


def new_message(digest: Digest, rendered: Rendered, now: datetime, tz) -> dict:
    """The row of a queued message for the digest, due at ``now``."""
    return queued_message(digest.key, digest.recipient_unit, digest.to, rendered.subject, rendered.text, now,
                          cc=digest.cc, reply_to=digest.reply_to, body_html=rendered.html,
                          items=[i.to_json(tz) for i in digest.items])


def composing_message(digest: Digest, now: datetime) -> dict[str, Any]:
    """The row a tick batch creates for a recipient and instant: ``composing``, so
    delivery never takes it, and empty until ``queue_composed`` fills it once the
    pass has decided everything it carries (services/compose.py)."""
    return {
        "key": digest.key, "recipient_unit": digest.recipient_unit, "to_addrs": [], "cc_addrs": [],
        "reply_to": [], "subject": "", "body_text": "", "body_html": None, "items": [],
        "state": OutboxState.COMPOSING, "attempts": 0, "next_attempt_at": None, "created_at": now,
    }


# --- inserts ------------------------------------------------------------------------


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


def enqueue_notices(conn: Connection | Session, rows: list[dict]) -> int:
    """Insert notices (dead letters, bounces, the weekly summary) whose keys the
    caller found free, in one executemany. A key taken meanwhile by another
    daemon fails the caller's transaction, and with it the duplicate: that
    failure is what keeps each notice single. Returns how many."""
    if rows:
        conn.execute(insert(T), rows)
    return len(rows)


def link_copies(conn: Connection, links: list[dict]) -> None:
    """Record the further messages that carry a decided stage (``outbox_id``,
    ``decision_id`` pairs): ``resolved`` goes to everyone an escalation went to,
    and the composer reads a message's items from its decisions and these."""
    if links:
        conn.execute(insert(outbox_copies), links)


# --- composing -> queued --------------------------------------------------------------

_QUEUE_COMPOSED = (
    update(T).where(T.c.id == bindparam("oid"), T.c.state == OutboxState.COMPOSING).values(
        state=OutboxState.QUEUED, to_addrs=bindparam("v_to", type_=T.c.to_addrs.type),
        cc_addrs=bindparam("v_cc", type_=T.c.cc_addrs.type), reply_to=bindparam("v_reply_to", type_=T.c.reply_to.type),
        subject=bindparam("v_subject"), body_text=bindparam("v_text"), body_html=bindparam("v_html"),
        items=bindparam("v_items", type_=T.c["items"].type), attachment_name=bindparam("v_name"),
        attachment=bindparam("v_attachment", type_=T.c.attachment.type), next_attempt_at=bindparam("v_due"),
    )
)


def queue_composed(conn: Connection, values: list[dict]) -> None:
    """Fill composed rows and queue them, one executemany per chunk (``oid`` and
    the ``v_*`` values: services/compose.py). Only a row still ``composing`` is
    touched: one composed by another pass meanwhile stays as that pass made it."""
    if values:
        conn.execute(_QUEUE_COMPOSED, values)


def drop_composing(conn: Connection, ids: Iterable[int]) -> None:
    """Remove composing rows that carry no item: nothing to send. (The tick never
    makes one; the guard on the state leaves any other row alone.)"""
    conn.execute(delete(T).where(T.c.id.in_(list(ids)), T.c.state == OutboxState.COMPOSING))


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
