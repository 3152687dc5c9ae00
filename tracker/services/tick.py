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

Each batch is one transaction: claim the rows (PostgreSQL: also ``FOR UPDATE
SKIP LOCKED``, a second line of defence; SQLite: the write transaction is
``BEGIN IMMEDIATE``), decide with the pure policy, insert the decisions and the
outbox rows, move ``next_action_at``, commit. A crash mid-batch rolls the whole
batch back: its rows are still due and the next pass decides them, once. The
unique key of ``decisions`` is the last line of defence against a double send.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ContextManager, Iterable, Iterator

from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.engine import Connection

from tracker.core import policy
from tracker.services import delivery
from tracker.store import assignments as store_assignments, decisions as store_decisions, outbox
from tracker.store.tables import assignments, decisions, obligations, plans, units
from tracker.services.compose import compose_pending, placeholder
from tracker.services.dispatch import Directory, Send, group_digests, load_history, shared_by_obligation
from tracker.services.materialise import materialise
from tracker.services.links import digest_links
from tracker.services.runtime import Runtime
from tracker.services.tick_result import DecisionRow, TickResult

log = logging.getLogger("tracker.tick")

# Rows claimed per transaction: a typical pass (1,000 due) is one batch; the
# write transaction stays well under a second. Messages are rendered once per
# pass after the last batch (services/compose.py), whatever the number of batches.
BATCH_SIZE = 1000


@dataclass
class _Catalog:
    """The obligations, plans and units of the claimed rows (Core rows), read once
    per pass: a thousand due rows share a few dozen obligations and plans."""

    obligations: dict[int, Any] = field(default_factory=dict)
    plans: dict[int, Any] = field(default_factory=dict)
    units: dict[int, Any] = field(default_factory=dict)

    # Per obligation: what every one of its assignments' targets shares (the
    # coordinator, the ladders) and the plan's and obligation's codes.
    shared: dict[int, tuple[str, tuple[int, ...] | None, tuple[int, ...] | None, str, str]] = \
        field(default_factory=dict)

    def load(self, conn: Connection, rows: list[Any]) -> None:
        _fill(conn, self.obligations, obligations, {r.obligation_id for r in rows})
        _fill(conn, self.plans, plans, {self.obligations[r.obligation_id].plan_id for r in rows})
        _fill(conn, self.units, units, {r.unit_id for r in rows})
        for ob_id in {r.obligation_id for r in rows} - self.shared.keys():
            ob = self.obligations[ob_id]
            plan = self.plans[ob.plan_id]
            self.shared[ob_id] = (*shared_by_obligation(ob, plan), plan.code, ob.code)

    def target(self, a: Any) -> policy.Target:
        """The policy's view of claimed row ``a`` (dispatch.target_of, with the obligation's share looked up once:
        a pass after a mass import builds 600,000)."""
        coordinator, reminders, escalation, _, _ = self.shared[a.obligation_id]
        return policy.Target(a.kind, a.due_at, self.units[a.unit_id].code, coordinator, a.ends_at, a.state,
                             a.submitted_at, reminders, escalation)

    def codes(self, a: Any) -> tuple[str, str]:
        """The plan's and the obligation's codes of claimed row ``a``."""
        return self.shared[a.obligation_id][3:]


def _fill(conn: Connection, cache: dict[int, Any], table: Table, ids: Iterable[int]) -> None:
    missing = [i for i in ids if i not in cache]
    if missing:
        cache.update((r.id, r) for r in conn.execute(select(table).where(table.c.id.in_(missing))))


@dataclass
class _Pass:
    rt: Runtime
    now: datetime
    result: TickResult
    directory: Directory
    pol: policy.PolicySettings
    catalog: _Catalog = field(default_factory=_Catalog)
    # The outbox row (state composing) of each recipient and instant of this pass:
    # later batches point their stages at it; it is rendered once, at the end.
    enqueued: dict[str, outbox.Enqueued] = field(default_factory=dict)
    # Coordinators' codes and the review queue's length, read once per pass (services/inbox.py).
    queue_note: tuple[frozenset[str], int] | None = None
    # Where each committed batch's decision rows go; None: only counts (the daemon, a
    # plain `tick`): a pass after a mass import records millions of decisions, and
    # nobody reads a row object for each.
    on_decisions: Callable[[list[DecisionRow]], None] | None = None
    render_calls: Callable[[str], None] | None = None  # tests count the renderings
    verdicts: dict = field(default_factory=dict)  # policy.decide_shared's, for this pass's ``now``


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
    p = _Pass(rt, now, result, directory, policy.PolicySettings.from_settings(rt.settings),
              on_decisions=on_decisions if decision_rows else None, render_calls=render_calls)
    with rt.store.writer() as conn:
        if dry_run:
            # One transaction, rolled back: the periods materialised are decided as the real
            # pass would decide them. The batches write nothing (each reads in a savepoint: on
            # PostgreSQL a failed statement would end the others' transaction) and nothing is composed: after a mass import the
            # 5.2M decisions written and rolled back were most of a dry run's time.
            with conn.begin() as outer:
                result.materialised = materialise(rt, conn, now)
                _run_batches(p, lambda: _savepoint(conn), batch_size)
                outer.rollback()
        else:
            with _deciding(conn) as leader:
                if leader:
                    with conn.begin():
                        result.materialised = materialise(rt, conn, now)
                    _run_batches(p, lambda: _transaction(conn), batch_size)
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


def _run_batches(p: _Pass, transaction: Callable[[], ContextManager[Connection]], batch_size: int) -> None:
    cursor: tuple[datetime, int] | None = None
    while True:
        start = cursor
        try:
            with transaction() as conn:
                rows = _claim(conn, p.now, cursor, batch_size)
                if not rows:
                    return
                cursor = (rows[-1].next_action_at, rows[-1].id)
                batch = _decide(p, conn, rows)
                # A dry run writes no decision: it reports them, and the messages they would go into.
                stored = ({d.key: outbox.Enqueued(d.key, 0) for d in batch.digests} if p.result.dry_run
                          else _write(p, conn, batch))
        except Exception:  # the batch is rolled back; its rows stay due for the next pass
            log.exception("batch after %s failed and was rolled back; it will be retried next pass", start)
            p.result.errors += 1
            if cursor == start:  # nothing was claimed (the store is gone?): retrying would spin
                return
            continue
        _committed(p, batch, stored)
        if len(rows) < batch_size:
            return


def _committed(p: _Pass, batch: _Batch, stored: dict[str, outbox.Enqueued]) -> None:
    """Count a committed batch: only what was committed counts (and is pointed at by later batches)."""
    r, counts = p.result, batch.counts()
    r.evaluated += counts["evaluated"]
    r.decided += counts["sent"] + counts["skipped"]
    r.sent += counts["sent"]
    r.skipped += counts["skipped"]
    if p.on_decisions is not None:
        renamed = {k: e.key for k, e in stored.items() if e.key != k}  # met another pass's row: key#2
        p.on_decisions([d._replace(outbox_key=renamed[d.outbox_key]) if d.outbox_key in renamed else d
                        for d in batch.decisions] if renamed else batch.decisions)
    r.messages += [key for key in stored if key not in p.enqueued]
    p.enqueued.update(stored)


def _compose(p: _Pass, conn: Connection, transaction: Callable[[], ContextManager[Connection]]) -> None:
    """Render every message decided into (this pass's, and any a crashed pass left), once."""
    from tracker.services.inbox import noted

    def finish(digest, rendered):  # a coordinator's digest says how long the review queue is
        return noted(p, conn, digest, rendered)

    try:
        p.result.composed = compose_pending(p.rt, conn, p.directory, transaction, p.now, p.render_calls, finish)
    except Exception:  # the rows stay composing; the next pass composes them
        log.exception("composing the pass's messages failed; they will be composed next pass")
        p.result.errors += 1


def claim_query(now: datetime, cursor: tuple[datetime, int] | None, limit: int, *, postgresql: bool):
    """The due rows of a batch, oldest first.

    The range ``next_action_at <= now`` is served by ``ix_assignments_next_action_at``
    and stays small however large the store grows, because a row with nothing
    left to do holds NULL there (NULLs are outside any range). Measured at 1.1M
    rows, 90 % history: 0.6 ms for 500 due rows; an index on a time that history
    keeps (due_at) took 312 ms. Leading with ``state`` measured no better (0.7 ms),
    so no such index is added. tests/test_indexes.py keeps both facts true.
    """
    a = assignments.c
    # Only what deciding reads: each datetime column costs a conversion per row.
    query = select(a.id, a.obligation_id, a.unit_id, a.period, a.kind, a.due_at, a.ends_at, a.state,
                   a.submitted_at, a.next_action_at).where(a.next_action_at <= now).order_by(a.next_action_at, a.id).limit(limit)
    if cursor is not None:  # keyset paging: rows a failed batch left due are not retried in this pass
        at, last_id = cursor
        # A row-value comparison, not "> at OR (= at AND id > last)": SQLite answers
        # that OR with two index searches merged in a temporary B-tree, i.e. it sorted
        # every remaining due row for each batch (a pass quadratic in what is due:
        # 260 ms a batch with 660k due, against 1.3 ms this way). The plain lower
        # bound lets PostgreSQL use the index whatever it makes of the row value.
        query = query.where(a.next_action_at >= at, tuple_(a.next_action_at, a.id) > tuple_(at, last_id))
    if postgresql:
        # Another daemon's batch is skipped, not waited for: each row is decided by one pass.
        query = query.with_for_update(skip_locked=True)
    return query


def _claim(conn: Connection, now: datetime, cursor: tuple[datetime, int] | None, limit: int) -> list[Any]:
    return conn.execute(claim_query(now, cursor, limit, postgresql=conn.dialect.name == "postgresql")).all()


@dataclass
class _Batch:
    """One batch decided: what its transaction writes, and what the pass reports once it is committed."""

    rows: list[Any]
    digests: list[Any]  # the messages (core Digest, routed only) its sent stages go into
    # (assignment id, stage) -> the keys of the messages carrying it; the first is the decision's own
    refs: dict[Any, list[str]]
    # In decisions.COLUMNS order. A sent stage's row is a list whose last slot (outbox_id)
    # holds its message's key until the message's row exists (_write).
    records: list[Any]
    carried: list[list[Any]]  # those lists
    moves: list[tuple[datetime | None, int]]
    decisions: list[DecisionRow]  # empty unless the pass reports rows
    sent: int

    def counts(self) -> dict[str, int]:
        return {"evaluated": len(self.rows), "sent": self.sent, "skipped": len(self.records) - self.sent}


def _decide(p: _Pass, conn: Connection, rows: list[Any]) -> _Batch:
    """Decide the claimed rows (reads only): the policy's verdicts, routed into messages."""
    rt, now = p.rt, p.now
    cal = rt.calendar
    targets: dict[int, policy.Target] = {}
    verdicts: dict[int, policy.Verdict] = {}
    history = load_history(conn, rows)
    p.catalog.load(conn, rows)
    for a in rows:
        try:
            targets[a.id] = target = p.catalog.target(a)
            verdicts[a.id] = policy.decide_shared(target, history[a.id], cal, p.pol, now, p.verdicts)
        except Exception:  # one bad assignment must not stop the others; it stays due
            log.exception("assignment %s: cannot decide; skipped this pass", a.id)
            p.result.errors += 1
    p.directory.ensure(conn, {c for t in targets.values() for c in (t.unit, t.coordinator)})
    # Routed only: the items are read back from the store when the message is composed.
    sends = [
        Send((a_id, d.stage), None, d.routes, targets[a_id].coordinator)
        for a_id, verdict in verdicts.items() for d in verdict.sent
    ]
    grouped = group_digests(now, sends, p.directory)
    refs: dict[Any, list[str]] = {}
    for digest in grouped.digests:
        for ref in grouped.refs[digest.key]:
            refs.setdefault(ref, []).append(digest.key)
    unroutable = set(grouped.unroutable)
    out: list[DecisionRow] = []
    records: list[Any] = []
    carried: list[list[Any]] = []
    moves: list[tuple[datetime | None, int]] = []
    by_id = {a.id: a for a in rows}
    for a_id, verdict in verdicts.items():
        a, unit = by_id[a_id], targets[a_id].unit
        for d in verdict.decisions:
            outcome, reason, key = d.outcome, d.reason, None
            if outcome == policy.SENT and (a_id, d.stage) in unroutable:
                plan, ob = p.catalog.codes(a)
                log.warning("%s/%s/%s %s: no e-mail address for %s; recorded as skipped",
                            plan, ob, unit, d.stage, ", ".join(d.routes))
                outcome, reason = policy.SKIPPED, "no address"
            if outcome == policy.SENT:
                carriers = refs.get((a_id, d.stage))
                key = carriers[0] if carriers else None
                record = [a_id, a.due_at, d.stage, d.scheduled_at, now, outcome, list(d.routes), key]
                records.append(record)
                if key is not None:
                    carried.append(record)
            else:
                records.append((a_id, a.due_at, d.stage, d.scheduled_at, now, outcome, None, None))
            if p.on_decisions is not None:
                out.append(DecisionRow(a_id, *p.catalog.codes(a), unit, a.period, d.stage, a.due_at,
                                       d.scheduled_at, outcome, reason,
                                       d.routes if outcome == policy.SENT else (), key))
        moves.append((verdict.next_action_at, a_id))
    sent = sum(1 for r in records if r[5] == policy.SENT)
    return _Batch(rows, grouped.digests, refs, records, carried, moves, out, sent)


def _write(p: _Pass, conn: Connection, batch: _Batch) -> dict[str, outbox.Enqueued]:
    """Record a decided batch in its transaction: the messages it opens, its decisions, the
    next action times. Returns where each of its messages is stored, by key."""
    # A recipient's first batch in this pass creates its row; later ones point at it.
    new = outbox.enqueue_many(conn, [placeholder(d, p.now) for d in batch.digests if d.key not in p.enqueued])
    stored = {d.key: new.get(d.key) or p.enqueued[d.key] for d in batch.digests}
    for record in batch.carried:
        record[-1] = stored[record[-1]].id
    # One statement each: the pass costs what is due. A duplicate decision
    # (the unique key) fails here, inside the batch's transaction.
    store_decisions.record_many(conn, batch.records)
    _copies(conn, batch.rows, {ref: [stored[k] for k in keys] for ref, keys in batch.refs.items()})
    store_assignments.move_next_actions(conn, batch.moves)
    return stored


def _copies(conn: Connection, rows: list[Any], by_ref: dict[Any, list[outbox.Enqueued]]) -> None:
    """Link a stage carried by several messages (``resolved``) to all but the first."""
    extra = {ref: carriers[1:] for ref, carriers in by_ref.items() if len(carriers) > 1}
    if not extra:
        return
    due = {a.id: a.due_at for a in rows}
    d = decisions.c
    ids = {(r.assignment_id, r.stage): r.id for r in conn.execute(
        select(d.id, d.assignment_id, d.stage, d.due_at).where(d.assignment_id.in_({a for a, _ in extra})))
        if r.due_at == due[r.assignment_id]}
    outbox.link_copies(conn, [{"outbox_id": c.id, "decision_id": ids[ref]}
                              for ref, carriers in extra.items() for c in carriers])



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
