"""One scheduler pass: materialise, decide, record, enqueue, deliver.

Cost grows with what is due, not with the store: the pass reads only
assignments with ``next_action_at <= now`` (indexed; NULL = nothing left), in
batches, and after deciding stores the exact time of the next stage there.

Core statements on one connection, no ORM: the pass is the daemon's hot path,
and the ORM was a fifth of a ``tracker tick`` command (its import, its
first-use set-up, its per-row bookkeeping).

One process decides at a time. On PostgreSQL a pass takes a session advisory
lock first, without waiting: several daemons deciding one instant would split
a recipient's items between them, and the recipient would get a message from
each. A daemon that finds the lock taken leaves the deciding to its holder and
goes on to delivery, which all daemons share (per-message claims). On SQLite
the write transactions already queue, and only one daemon runs per file.

The batches (services/batches.py) are one transaction each, so a crash
mid-batch rolls that batch back and the next pass decides its rows, once. The
unique key of ``decisions`` is the last line of defence against a double send.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, ContextManager, Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from tracker.core import policy
from tracker.services import delivery
from tracker.services.batches import Pass, run_batches, run_pipelined
from tracker.services.compose import compose_pending
from tracker.services.dispatch import Directory
from tracker.services.materialise import materialise
from tracker.services.links import digest_links
from tracker.services.runtime import Runtime
from tracker.services.tick_result import DecisionRow, TickResult

log = logging.getLogger("tracker.tick")

# Rows claimed per transaction: a typical pass (1,000 due) is one batch; the
# write transaction stays well under a second. Messages are rendered once per
# pass after the last batch (services/compose.py), whatever the number of batches.
BATCH_SIZE = 1000


def tick(rt: Runtime, now: datetime, *, dry_run: bool = False, batch_size: int = BATCH_SIZE,
         deliver: bool = True, on_decisions: Callable[[list[DecisionRow]], None] | None = None,
         render_calls: Callable[[str], None] | None = None, stop: threading.Event | None = None,
         decision_rows: bool = True) -> TickResult:
    """One pass at ``now`` (read once by the caller and passed down); ``stop`` (SIGTERM) ends delivery early.

    ``on_decisions`` receives each committed batch's decisions (the CLI prints
    them as they come); without it they are collected in ``result.decisions``.
    ``decision_rows=False``: neither, only the counts of the summary."""
    started = time.monotonic()
    result = TickResult(now=now, dry_run=dry_run)
    directory = Directory(tuple(rt.settings.escalation.leadership), links=digest_links(rt.settings))
    if decision_rows and on_decisions is None:
        on_decisions = result.decisions.extend
    p = Pass(rt, now, result, directory, policy.PolicySettings.from_settings(rt.settings),
             on_decisions=on_decisions if decision_rows else None, render_calls=render_calls)
    with rt.store.writer() as conn:
        if dry_run:
            # One transaction, rolled back: the periods materialised are decided as the real
            # pass would decide them. The batches write nothing (each reads in a savepoint: on
            # PostgreSQL a failed statement would end the others' transaction) and nothing is
            # composed: after a mass import the 5.2M decisions written and rolled back were
            # most of a dry run's time.
            with conn.begin() as outer:
                result.materialised = materialise(rt, conn, now)
                run_batches(p, lambda: _savepoint(conn), batch_size)
                outer.rollback()
        else:
            with _deciding(conn) as leader:
                if leader:
                    with conn.begin():
                        result.materialised = materialise(rt, conn, now)
                    if conn.dialect.name == "postgresql":
                        with rt.store.writer() as second:  # decides batch k+1 while batch k is written
                            run_pipelined(p, (conn, second), batch_size)
                    else:  # one writer at a time: the batches follow one another
                        run_batches(p, lambda: _transaction(conn), batch_size)
                    _compose(p, conn, lambda: _transaction(conn))
                    with conn.begin():  # a period just ended: its scorecard to each coordinator
                        from tracker.services.scorecard_mail import enqueue_scorecards

                        result.scorecards = len(enqueue_scorecards(rt, conn, now))
                else:
                    result.deferred = True
                    log.info("another process is deciding; this pass only delivers")
    if deliver and not dry_run:
        result.delivered = _deliver(rt, now, stop, result)
    result.elapsed = time.monotonic() - started
    return result


# pg_try_advisory_lock's key for deciding: "tracker" in ASCII.
DECIDING_LOCK = 0x747261636B6572


@contextmanager
def _deciding(conn: Connection) -> Iterator[bool]:
    """Whether this pass may decide: on PostgreSQL, while it holds the deciding lock."""
    if conn.dialect.name != "postgresql":
        yield True
        return
    with conn.begin():
        leader = bool(conn.scalar(select(func.pg_try_advisory_lock(DECIDING_LOCK))))
    try:
        yield leader
    finally:
        if leader:
            try:
                with conn.begin():
                    conn.scalar(select(func.pg_advisory_unlock(DECIDING_LOCK)))
            except Exception:
                conn.invalidate()  # the lock goes with the connection, not back to the pool
                raise


@contextmanager
def _transaction(conn: Connection) -> Iterator[Connection]:
    """A batch's transaction: committed when the block ends, rolled back on any error."""
    with conn.begin():
        yield conn


@contextmanager
def _savepoint(conn: Connection) -> Iterator[Connection]:
    """A savepoint in the one --dry-run transaction, so a failed batch is undone alone."""
    with conn.begin_nested():
        yield conn


def _compose(p: Pass, conn: Connection, transaction: Callable[[], ContextManager[Connection]]) -> None:
    """Render every message decided into (this pass's, and any a crashed pass left), once."""
    from tracker.services.inbox import noted

    def finish(digest, rendered):  # a coordinator's digest says how long the review queue is
        return noted(p, conn, digest, rendered)

    try:
        p.result.composed = compose_pending(p.rt, conn, p.directory, transaction, p.now, p.render_calls, finish)
    except Exception:  # the rows stay composing; the next pass composes them
        log.exception("composing the pass's messages failed; they will be composed next pass")
        p.result.errors += 1


def _deliver(rt: Runtime, now: datetime, stop: threading.Event | None = None,
             result: TickResult | None = None) -> int:
    """Tell coordinators about earlier delivery failures, then deliver the outbox (services/delivery.py)."""
    from tracker.services.deadletters import notify_dead_letters

    try:
        with rt.store.writer() as conn, conn.begin():
            notices = notify_dead_letters(rt, conn, now)
            from tracker.services.weekly import enqueue_weekly

            if enqueue_weekly(rt, conn, now):
                log.info("weekly summary queued")
        if notices:
            log.warning("delivery: %d undelivered message(s) reported to the coordinator", notices)
        report = delivery.deliver_due(rt, now, stop=stop)
    except Exception:  # delivery has its own retry/backoff; a failure here must not lose decisions
        log.exception("delivery failed; queued messages stay queued")
        if result is not None:
            result.delivery_failed = True
        return 0
    _log_trouble(report)
    if result is not None:
        result.delivery = report
        result.delivery_failed = report.all_failed
    return report.sent


def _log_trouble(report: delivery.DeliveryReport) -> None:
    """An operator reads the journal: an unreachable server or a full disk must
    show there, not only as "0 delivered" (the rows say when they retry)."""
    if report.error:
        log.error("delivery not attempted: %s", report.error)
    for text in dict.fromkeys(report.errors[:5]):
        log.warning("delivery: %s", text)
    if len(report.errors) > 5:
        log.warning("delivery: %d more errors", len(report.errors) - 5)
    if report.retrying:
        log.warning("delivery: %d message(s) back in the queue, retried with backoff", report.retrying)
    if report.uncertain:
        log.warning("delivery: %d message(s) handed over without an answer (uncertain; tried once more later)",
                    report.uncertain)
    if report.withdrawn:
        log.info("delivery: %d message(s) not sent: nothing left to say (submitted, waived or expired)",
                 report.withdrawn)
    if report.stopped:
        log.warning("delivery stopped early (%s); the rest stay queued for the next pass", report.stopped)
