"""The scheduler's due query stays on its index, and history stays out of it.

At 1.1M rows with 90 % history (bench/indexes.py) the claim query takes 0.6 ms
because finished rows hold ``next_action_at = NULL``; an index on a time that
history keeps took 312 ms. These tests keep both halves of that true: the plan
uses ``ix_assignments_next_action_at``, and every submitted or waived row leaves
the index range after one pass.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from tests.conftest import at, load_sample
from tracker.store.engine import Store
from tracker.store.models import Assignment
from tracker.services.catalog import init_db
from tracker.services.records import submit, waive
from tracker.services.runtime import Runtime
from tracker.services.batches import claim_query
from tracker.services.tick import tick


def _plan(session, postgresql: bool) -> str:
    """The plan of a later batch's claim (a cursor behind ``now``), as the tick runs it."""
    query = claim_query(at("2021-05-17T08:00"), (at("2021-05-10T08:00"), 10), 1000, postgresql=postgresql)
    if postgresql:
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
        return " ".join(r[0] for r in session.execute(text("EXPLAIN " + sql)))
    # Bound parameters, not literals: SQLite plans literal bounds differently
    # (with literals the OR of the old cursor looked like one range; with
    # parameters it was two searches merged in a temporary B-tree).
    compiled = query.compile(session.get_bind())
    params = tuple(str(compiled.params[name]) for name in compiled.positiontup)
    return " ".join(r[-1] for r in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params))


def test_the_claim_query_searches_the_next_action_index_on_sqlite(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    with rt.store.read() as s:
        plan = _plan(s, postgresql=False)
    assert "ix_assignments_next_action_at" in plan and "SCAN assignments" not in plan, plan
    # A later batch continues from its cursor in index order: no sort of every remaining due row.
    assert "TEMP B-TREE" not in plan and "MULTI-INDEX OR" not in plan, plan


def test_the_claim_query_can_use_the_next_action_index_on_postgresql(pg_url, settings):
    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    with rt.store.read() as s:
        plan = _plan(s, postgresql=True)
    rt.store.dispose()
    assert "ix_assignments_next_action_at" in plan, plan


def test_submitted_and_waived_rows_leave_the_due_index_after_one_pass(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-17T08:00"), deliver=False)
    with rt.store.read() as s:
        open_ids = list(s.scalars(select(Assignment.id).where(Assignment.state == "open", Assignment.kind == "deadline")
                                  .order_by(Assignment.id).limit(3)))
        codes = [(a.obligation.plan.code, a.obligation.code, a.unit.code, a.period)
                 for a in s.scalars(select(Assignment).where(Assignment.id.in_(open_ids)))]
    for n, (plan, obligation, unit, period) in enumerate(codes):
        if n < 2:
            submit(rt, at("2021-05-18T09:00"), unit, obligation, plan=plan, period=period)
        else:
            waive(rt, at("2021-05-18T09:00"), unit, obligation, plan=plan, period=period, reason="merged")
    tick(rt, at("2021-05-18T09:05"), deliver=False)
    with rt.store.read() as s:
        finished = s.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.state != "open", Assignment.next_action_at.is_not(None)))
    assert finished == 0


def test_the_freshness_check_reads_a_message_through_indexes_only(rt):
    """At delivery each message's items are checked against the store: a few
    indexed lookups per message, never a scan, whatever the size of the store."""
    from sqlalchemy import event

    from tracker.services.freshness import review
    from tracker.store.models import OutboxMessage

    load_sample(rt, at("2021-02-01T09:00"))
    for when in ("2021-05-17T08:00", "2021-05-31T08:00"):
        tick(rt, at(when))
    tick(rt, at("2021-06-01T08:00"), deliver=False)
    with rt.store.read() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.state == "queued")
                        .order_by(OutboxMessage.id.desc()).limit(1)).one()
        conn = s.connection()
        statements: list[tuple[str, tuple]] = []

        def seen(_conn, _cursor, statement, parameters, _context, _many):
            statements.append((statement, tuple(parameters)))

        engine = conn.engine
        event.listen(engine, "before_cursor_execute", seen)
        try:
            review(conn, rt, row, at("2021-06-01T08:05"))
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        plans = [" ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
                 for sql, params in statements]
    assert any("decisions" in p for p in plans) and any("assignments" in p for p in plans), plans
    for p in plans:
        assert "SCAN assignments" not in p and "SCAN decisions" not in p and "SCAN a " not in p, p


def test_a_pass_reads_history_by_index_on_postgresql_even_before_the_table_has_statistics(pg_url, settings):
    """The first pass after a mass import adds millions of decisions to an empty
    table that autovacuum has not analysed yet. Planned on no statistics, the
    plain ``assignment_id IN (...)`` became a sequential scan of the whole table
    for every batch (307 ms a batch at 5.2M rows): a pass quadratic in what is due.
    The history statement probes the unique index per assignment whatever the
    statistics say."""
    from sqlalchemy import text as sql

    from tracker.store import decisions as store_decisions

    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    load_sample(rt, at("2021-02-01T09:00"))
    with rt.store.writer() as conn, conn.begin():
        # 60,000 recorded stages, as a batch of a mass import leaves them; no ANALYZE.
        conn.execute(sql(
            "INSERT INTO decisions (assignment_id, due_at, stage, scheduled_at, decided_at, outcome) "
            "SELECT a.id, a.due_at, 's' || n, a.due_at, a.due_at, 'skipped' "
            "FROM assignments a CROSS JOIN generate_series(1, CAST(60000 / (SELECT count(*) FROM assignments) "
            "AS integer) + 1) AS n"))
        due = dict(conn.execute(select(Assignment.id, Assignment.due_at).order_by(Assignment.id)).all())
        ids = list(due)
        assert conn.scalar(sql("SELECT reltuples FROM pg_class WHERE relname = 'decisions'")) <= 0
        history = store_decisions.of_current_deadlines(conn, {i: due[i] for i in ids[:5]})
        assert {r.assignment_id for r in history} == set(ids[:5])
        plan = " ".join(r[0] for r in conn.execute(
            sql("EXPLAIN " + str(store_decisions.PG_HISTORY)), {"ids": ids[:1000]}))
    rt.store.dispose()
    assert "Seq Scan on decisions" not in plan and "uq_decisions_assignment_id_due_at_stage" in plan, plan
