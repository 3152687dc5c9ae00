"""Delivery: send the outbox's due messages, each exactly once.

``deliver_due`` claims one row at a time with a conditional UPDATE
(``... WHERE id = ? AND state = 'queued'``, rowcount 1 = ours), so any number
of daemons, on SQLite or PostgreSQL, can run it at once without sending a
message twice. A claim older than ``LEASE`` is taken over: its daemon died
mid-send.

At most one duplicate: the row is marked sent right after the server accepts
the message, before the next one is handed over. A crash in between (power
cut, kill -9) leaves that one row ``sending``; after the lease another pass
sends it again, with the same ``Message-ID``, so mail clients that deduplicate
show it once. Every other message is either committed as sent or was never
handed over.

The lease is judged on the database's clock (``leased_at``), never on a
process's: deliverers whose clocks (or ``--now``) are far apart do not take
each other's live claims. A claim taken over counts as an attempt of unknown
outcome, like a reply lost after the final dot (``OutcomeUnknown``): such a
row becomes ``uncertain``, is tried once more after the backoff with the same
Message-ID, and a second unknown outcome ends it ``unconfirmed`` (never sent a
third time). A 4xx for some recipients does not hold the others: the message
goes to those that accept, the rest are owed it (``pending_recipients``).
How an attempt's reply becomes an outcome is services/outcomes.py; the
statements that claim rows and record outcomes are store/outbox/lease.py.
Before sending, each message is checked against its assignments as they are
now (services/freshness.py).

Bounded in time: the pass stops claiming after ``mail.pass_timeout`` seconds
or when ``stop`` is set (SIGTERM); one message's whole exchange is bounded by
``mail.message_timeout`` (the transport's watchdog), not only each read.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tracker.core.errors import DeliveryError, TrackerError
from tracker.core.states import OutboxState as S
from tracker.services.outcomes import Outcome, attempt, failure, unknown, withdrawn
from tracker.store.outbox import (
    LEASE, Claimed, claim_due, database_now, due_ids, record_result, record_then_claim, rewrite_claimed,
)

log = logging.getLogger(__name__)

__all__ = ["LEASE", "Claimed", "DeliveryReport", "claim", "deliver_due", "worker_id"]

DEFAULT_LIMIT = 500


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` pass did. ``error`` is set when nothing could be
    tried at all (a configuration problem); per-message trouble is in ``errors``."""

    attempted: int = 0
    sent: int = 0
    retrying: int = 0  # transient failure: back in the queue with a later next_attempt_at
    failed: int = 0  # became dead letters in this pass
    uncertain: int = 0  # handed over, no answer: tried once more later (or ended unconfirmed)
    withdrawn: int = 0  # nothing left to say at delivery: not sent
    lost: int = 0  # outcomes not recorded: another daemon had taken the claim over
    stopped: str | None = None  # why the pass stopped before the end of the queue (time limit, stop)
    rejected: dict[str, str] = field(default_factory=dict)  # address -> reply, permanently refused
    errors: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict:
        return {"attempted": self.attempted, "sent": self.sent, "retrying": self.retrying, "failed": self.failed,
                "uncertain": self.uncertain, "withdrawn": self.withdrawn, "lost": self.lost, "stopped": self.stopped,
                "rejected": dict(self.rejected), "errors": list(self.errors), "error": self.error}

    @property
    def all_failed(self) -> bool:
        """Something was tried and nothing left: every attempt failed or was deferred."""
        return bool(self.error) or (self.attempted > 0 and self.sent == 0 and self.uncertain == 0
                                    and self.withdrawn == 0 and (self.failed + self.retrying) > 0)


def worker_id() -> str:
    """Who holds a claim: host, process and a random tail (two runtimes in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def deliver_due(rt, now: datetime, *, limit: int = DEFAULT_LIMIT, transport=None,
                worker: str | None = None, stop: threading.Event | None = None) -> DeliveryReport:
    """Send every message due at ``now`` (up to ``limit``) over one connection.

    Never raises for one bad message: each outcome is recorded on its row and
    counted in the report. A configuration problem (e.g. SMTP user without a
    password) is returned in ``report.error`` without touching any row, so no
    attempt is wasted on it.

    One transaction per message: it records the previous message's outcome and
    claims the next one (on PostgreSQL as one statement). So the outcome of
    message *i* is committed before message *i+1* is handed to the server, and a
    crash can leave at most one accepted message unrecorded (sent again, same
    Message-ID, after the lease).
    """
    from tracker.transports.mail import ConnectionLost, OutcomeUnknown, make_transport

    report = DeliveryReport()
    worker = worker or worker_id()
    started = time.monotonic()
    pass_limit = rt.settings.mail.pass_timeout
    with rt.store.reader() as conn:
        db_start = database_now(conn)
        due = due_ids(conn, now, limit, db_start)
    if not due:
        return report

    def lease_clock() -> datetime:  # the database's clock, advanced by this process's monotonic clock
        return db_start + timedelta(seconds=time.monotonic() - started)

    try:
        transport = transport or make_transport(rt.settings)
    except TrackerError as exc:
        report.error = str(exc)
        return report
    try:
        transport.open()
    except DeliveryError as exc:
        # Unreachable server: every due message has had its try for this pass.
        with rt.store.writer() as conn, conn.begin():
            for outbox_id in due:
                row = _claim(conn, rt, outbox_id, now, worker, lease_clock())
                if row is not None:
                    report.attempted += 1
                    _record(conn, failure(rt, row, now, str(exc), permanent=False), report)
        report.errors.append(str(exc))
        return report
    pending: Outcome | None = None
    try:
        with rt.store.writer() as conn:  # one connection for the loop, one transaction per message
            step = _step_sqlite
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT")  # each step is one statement
                step = _step_postgresql
            for outbox_id in due:
                if stop is not None and stop.is_set():
                    report.stopped = "asked to stop"
                    break
                if pass_limit and time.monotonic() - started > pass_limit:
                    report.stopped = f"mail.pass_timeout ({pass_limit:g} s) reached"
                    break
                elapsed = timedelta(seconds=time.monotonic() - started)
                row = step(conn, rt, pending, outbox_id, now, worker, now + elapsed, lease_clock(), report)
                pending = None
                if row is None:  # another daemon took it
                    continue
                report.attempted += 1
                row, stale = _freshen(conn, rt, row, now, worker)
                if stale is not None:  # nothing left to say: not sent
                    pending = stale
                    continue
                try:
                    pending = attempt(rt, transport, row, now)
                except ConnectionLost as exc:
                    # The rest stay queued, untouched: the connection, not they, failed.
                    pending = failure(rt, row, now, str(exc), permanent=False)
                    report.errors.append(str(exc))
                    break
                except OutcomeUnknown as exc:
                    # The server may have it: never again at once; later, once, same Message-ID.
                    pending = unknown(rt, row, now, str(exc))
                    report.errors.append(str(exc))
                    transport.close()  # the next message starts on a fresh connection
                except Exception as exc:  # a bug or an unexpected reply: this row only
                    pending = failure(rt, row, now, f"{type(exc).__name__}: {exc}", permanent=False)
    finally:
        try:
            if pending is not None:  # on a fresh connection: the loop's may be what failed
                with rt.store.writer() as conn, conn.begin():
                    _record(conn, pending, report)
        finally:
            transport.close()
    return report


def claim(rt, outbox_id: int, now: datetime, worker: str) -> Claimed | None:
    """Claim one due row for ``worker`` in its own transaction (None: not due, or someone else has it)."""
    with rt.store.writer() as conn, conn.begin():
        return _claim(conn, rt, outbox_id, now, worker, database_now(conn))


def _claim(conn: Connection, rt, outbox_id: int, now: datetime, worker: str, leased_at: datetime,
           claim_at: datetime | None = None) -> Claimed | None:
    """Take one row (``claim_due``, store/outbox/lease.py): ``now`` decides what
    is due (the pass's clock); ``leased_at`` is the database's clock, on which
    leases are judged; ``claim_at`` is when the attempt started on the pass's clock."""
    row = claim_due(conn, outbox_id, due_by=now, worker=worker, taken_at=claim_at or now, leased_at=leased_at)
    return None if row is None else _with_message_id(rt, row)


def _with_message_id(rt, row: Claimed) -> Claimed:
    if row.message_id:
        return row
    from tracker.render.message import message_id_for

    # Derived from the row, so it is the same at every attempt; stored with the outcome.
    return replace(row, message_id=message_id_for(row.id, row.key, rt.settings.mail.sender))


def _step_sqlite(conn: Connection, rt, pending: Outcome | None, outbox_id: int, now: datetime, worker: str,
                 claim_at: datetime, leased_at: datetime, report: DeliveryReport) -> Claimed | None:
    """Record the previous message's outcome and claim the next one, in one transaction."""
    with conn.begin():
        if pending is not None:
            _record(conn, pending, report)
        return _claim(conn, rt, outbox_id, now, worker, leased_at, claim_at)


def _step_postgresql(conn: Connection, rt, pending: Outcome | None, outbox_id: int, now: datetime, worker: str,
                     claim_at: datetime, leased_at: datetime, report: DeliveryReport) -> Claimed | None:
    """The same step as one statement on an autocommit connection (``record_then_claim``)."""
    recorded, row = record_then_claim(conn, pending.result() if pending is not None else None, outbox_id,
                                      due_by=now, worker=worker, taken_at=claim_at, leased_at=leased_at)
    if pending is not None:
        _count(pending, recorded, report)
    return None if row is None else _with_message_id(rt, row)


def _freshen(conn: Connection, rt, row: Claimed, now: datetime, worker: str) -> tuple[Claimed, Outcome | None]:
    """The row as it should leave now: items that went stale while queued are
    dropped and the rest rendered again (services/freshness.py); an Outcome when
    nothing is left. A check that fails sends the message as it was decided."""
    from tracker.services.freshness import review

    try:
        # On PostgreSQL the loop's connection is in autocommit, its transaction
        # already begun: each statement commits itself (the rewrite is conditional).
        with nullcontext() if conn.in_transaction() else conn.begin():
            seen = review(conn, rt, row, now)
            if seen.empty:
                return row, withdrawn(row, now, seen.dropped)
            if seen.rendered is None:
                return row, None
            rewrite_claimed(conn, row.id, worker, seen.rendered, seen.items or [])
    except Exception:  # e.g. a store hiccup: better the decided message than none
        log.exception("outbox %s: cannot check its items against the store; sent as decided", row.id)
        return row, None
    r = seen.rendered
    return replace(row, subject=r.subject, body_text=r.text, body_html=r.html, items=seen.items), None


def _record(conn: Connection, outcome: Outcome, report: DeliveryReport) -> None:
    """Record an attempt's outcome, if the row is still claimed by the attempt's worker."""
    _count(outcome, record_result(conn, outcome.result()), report)


def _count(outcome: Outcome, recorded: bool, report: DeliveryReport) -> None:
    if not recorded:
        # Not ours any more: its holder records the outcome; we must not count it as delivered.
        report.errors.append(f"outbox {outcome.row.id}: claim lost while sending (another daemon took it over)")
        report.lost += 1
        return
    if outcome.state == S.SENT:
        report.sent += 1
    elif outcome.state == S.FAILED:
        report.failed += 1
    elif outcome.state in (S.UNCERTAIN, S.UNCONFIRMED):
        report.uncertain += 1
    elif outcome.state == S.WITHDRAWN:
        report.withdrawn += 1
    else:
        report.retrying += 1
    report.rejected.update(outcome.rejected)
