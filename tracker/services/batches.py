"""A pass's batches: claim the due rows, decide them, write what was decided.

Each batch is one transaction: claim the rows (PostgreSQL: also ``FOR UPDATE
SKIP LOCKED``, a second line of defence; SQLite: the write transaction is
``BEGIN IMMEDIATE``), decide with the pure policy (``_decide``: reads only),
write the decisions, the outbox rows they point at and the next action times
(``_write``), commit. A crash mid-batch rolls the whole batch back: its rows are
still due and the next pass decides them, once.

On PostgreSQL the batches overlap (``run_pipelined``): while one connection
writes and commits batch k in a writer thread, a second claims and decides
batch k+1. After a mass import the server's work (5.2M decisions, each with its
indexes and foreign key) and this process's (deciding them) were each about
half of the pass; one after the other they took twice as long as either.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ContextManager, Iterable

from sqlalchemy import Table, select, tuple_
from sqlalchemy.engine import Connection

from tracker.core import policy
from tracker.store import assignments as store_assignments, decisions as store_decisions, outbox
from tracker.store.tables import assignments, decisions, obligations, plans, units
from tracker.services.compose import placeholder
from tracker.services.dispatch import Directory, Send, group_digests, load_history, shared_by_obligation
from tracker.services.runtime import Runtime
from tracker.services.tick_result import DecisionRow, TickResult

log = logging.getLogger("tracker.tick")


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
        """The policy's view of claimed row ``a``: dispatch.target_of, with the obligation's
        share looked up once (a pass after a mass import builds 600,000)."""
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
class Pass:
    """One pass's state. In a pipelined pass (run_pipelined) the deciding thread alone uses
    the catalog, the directory and the verdicts; the writer thread alone ``enqueued`` and the
    counts of ``result`` (but ``errors``, counted by the deciding thread)."""

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
    query = (select(a.id, a.obligation_id, a.unit_id, a.period, a.kind, a.due_at, a.ends_at, a.state,
                    a.submitted_at, a.next_action_at)
             .where(a.next_action_at <= now).order_by(a.next_action_at, a.id).limit(limit))
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


def _decide(p: Pass, conn: Connection, rows: list[Any]) -> _Batch:
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
    sent = 0
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
                sent += 1
                if key is not None:
                    carried.append(record)
            else:
                records.append((a_id, a.due_at, d.stage, d.scheduled_at, now, outcome, None, None))
            if p.on_decisions is not None:
                out.append(DecisionRow(a_id, *p.catalog.codes(a), unit, a.period, d.stage, a.due_at,
                                       d.scheduled_at, outcome, reason,
                                       d.routes if outcome == policy.SENT else (), key))
        moves.append((verdict.next_action_at, a_id))
    return _Batch(rows, grouped.digests, refs, records, carried, moves, out, sent)


def _write(p: Pass, conn: Connection, batch: _Batch) -> dict[str, outbox.Enqueued]:
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


def run_batches(p: Pass, transaction: Callable[[], ContextManager[Connection]], batch_size: int) -> None:
    """The batches one after the other, each in ``transaction()`` (a dry run's: a savepoint)."""
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
        except Exception:
            _failed(p, start)
            if cursor == start:  # nothing was claimed (the store is gone?): retrying would spin
                return
            continue
        _committed(p, batch, stored)
        if len(rows) < batch_size:
            return


def _committed(p: Pass, batch: _Batch, stored: dict[str, outbox.Enqueued]) -> None:
    """Count a committed batch: only what was committed counts (and is pointed at by later batches)."""
    r = p.result
    r.evaluated += len(batch.rows)
    r.decided += len(batch.records)
    r.sent += batch.sent
    r.skipped += len(batch.records) - batch.sent
    if p.on_decisions is not None:
        renamed = {k: e.key for k, e in stored.items() if e.key != k}  # met another pass's row: key#2
        p.on_decisions([d._replace(outbox_key=renamed[d.outbox_key]) if d.outbox_key in renamed else d
                        for d in batch.decisions] if renamed else batch.decisions)
    r.messages += [key for key in stored if key not in p.enqueued]
    p.enqueued.update(stored)


def run_pipelined(p: Pass, lanes: tuple[Connection, Connection], batch_size: int) -> None:
    """A real pass's batches on PostgreSQL: batch k+1 is claimed and decided on one connection
    while batch k is written and committed on the other, by one writer thread.

    Each batch keeps its own transaction, and the writes stay in batch order. A batch points only
    at messages whose rows were committed before its write began (``p.enqueued`` is updated by
    the writer after each commit): a batch that fails cannot leave a later one pointing at a
    message rolled back with it; the later one opens the message itself."""
    pending: list[tuple[Future, Any] | None] = [None, None]
    cursor: tuple[datetime, int] | None = None
    lane = 0
    with ThreadPoolExecutor(1, thread_name_prefix="tick-writer") as writer:
        try:
            while True:
                conn = lanes[lane]
                _settle(p, pending[lane])  # its connection's previous batch is committed (or rolled back)
                pending[lane] = None
                start = cursor
                txn = conn.begin()
                try:
                    rows = _claim(conn, p.now, cursor, batch_size)
                    if rows:
                        cursor = (rows[-1].next_action_at, rows[-1].id)
                        batch = _decide(p, conn, rows)
                except Exception:
                    txn.rollback()
                    _failed(p, start)
                    if cursor == start:
                        return
                    continue
                if not rows:
                    txn.rollback()
                    return
                pending[lane] = (writer.submit(_write_and_commit, p, conn, txn, batch), start)
                lane = 1 - lane
                if len(rows) < batch_size:
                    return
        finally:
            for waiting in (pending[lane], pending[1 - lane]):  # the older first
                _settle(p, waiting)


def _write_and_commit(p: Pass, conn: Connection, txn: Any, batch: _Batch) -> None:
    """The writer thread's part of a batch: write, commit, count."""
    try:
        stored = _write(p, conn, batch)
        txn.commit()
    except BaseException:
        if txn.is_active:
            txn.rollback()
        raise
    _committed(p, batch, stored)


def _settle(p: Pass, pending: tuple[Future, Any] | None) -> None:
    """Wait for a batch's write; a failed one is logged and counted."""
    if pending is None:
        return
    future, start = pending
    try:
        future.result()
    except Exception:
        _failed(p, start)


def _failed(p: Pass, start: tuple[datetime, int] | None) -> None:
    """A batch rolled back (called in its ``except``): its rows stay due, for the next pass."""
    log.exception("batch after %s failed and was rolled back; it will be retried next pass", start)
    p.result.errors += 1
