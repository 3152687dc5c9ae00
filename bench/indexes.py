"""Does the scheduler's due query stay fast when most rows are history?

    .venv/bin/python bench/indexes.py URL [NOW]     # plans and timings on an existing store

``due_query_report`` (used by bench/scale.py) prints the plan the database
chooses for the tick's claim query and for ``status --state overdue``, and
times the claim query (median of 7). ``compare`` times the claim query under
alternative indexes: ``next_action_at`` alone (the current design: NULL once
nothing is left, so history is not in the scanned range) against
``(state, next_action_at)``.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timezone

from sqlalchemy import text

from tracker.store.engine import Store

DUE_SQL = ("SELECT id FROM assignments WHERE next_action_at <= :now "
           "ORDER BY next_action_at, id LIMIT 500")
STATUS_SQL = ("SELECT a.id FROM assignments a JOIN obligations o ON a.obligation_id = o.id "
              "JOIN plans p ON o.plan_id = p.id JOIN units u ON a.unit_id = u.id "
              "WHERE a.kind = 'deadline' AND a.state = 'open' AND a.due_at < :now "
              "ORDER BY a.due_at, p.code, o.position, u.code")


def _param(store: Store, now: datetime):
    naive = now.astimezone(timezone.utc).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if store.is_sqlite else naive


def _plan(conn, store: Store, sql: str, now) -> str:
    if store.is_sqlite:
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), {"now": now})
        return "; ".join(r[-1] for r in rows)
    rows = conn.execute(text("EXPLAIN " + sql), {"now": now})
    return "; ".join(r[0].strip() for r in rows if "Scan" in r[0] or "Index" in r[0])


def _time(conn, sql: str, now, runs: int = 7) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        count = len(conn.execute(text(sql), {"now": now}).all())
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, count


def due_query_report(url: str, now: datetime) -> dict:
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            p = _param(store, now)
            due_ms, rows = _time(conn, DUE_SQL, p)
            return {"plan": _plan(conn, store, DUE_SQL, p), "status_plan": _plan(conn, store, STATUS_SQL, p),
                    "due_ms": due_ms, "due_rows": rows}
    finally:
        store.dispose()


def compare(url: str, now: datetime) -> None:
    """Claim-query time under each candidate index (the others dropped meanwhile)."""
    store = Store(url)
    p = _param(store, now)
    candidates = {
        "next_action_at": "CREATE INDEX bench_ix ON assignments (next_action_at)",
        "state, next_action_at": "CREATE INDEX bench_ix ON assignments (state, next_action_at)",
    }
    sql = {"next_action_at": DUE_SQL,
           "state, next_action_at": DUE_SQL.replace("WHERE ", "WHERE state = 'open' AND ")
           .replace("ORDER BY next_action_at", "ORDER BY state, next_action_at")}
    with store.engine.connect() as conn:
        conn.execute(text("DROP INDEX ix_assignments_next_action_at"))
        conn.commit()
        try:
            for name, ddl in candidates.items():
                conn.execute(text(ddl))
                conn.execute(text("ANALYZE"))
                conn.commit()
                ms, rows = _time(conn, sql[name], p)
                print(f"index ({name}): {ms:.2f} ms for {rows} rows; plan: {_plan(conn, store, sql[name], p)}")
                conn.execute(text("DROP INDEX bench_ix"))
                conn.commit()
        finally:
            conn.execute(text("CREATE INDEX ix_assignments_next_action_at ON assignments (next_action_at)"))
            conn.commit()
    store.dispose()


if __name__ == "__main__":
    url = sys.argv[1]
    when = datetime.fromisoformat(sys.argv[2]) if len(sys.argv) > 2 else datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    print(due_query_report(url, when))
    compare(url, when)
