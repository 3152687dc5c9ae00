"""The backlog scenario of bench/scale.py (``--backlog``): the worst day, not the steady one.

    .venv/bin/python bench/scale.py --backlog                      # 5,000 and 50,000 units (100k, 1M)
    .venv/bin/python bench/scale.py --backlog --units 500,5000     # a tenth of that, to try it

A national programme imported on 1 July (bench/generate.py, write_backlog_inputs):
every unit x 20 one-off deadlines across 2026, twelve of them already past, so
60 % of the assignments are due at once with every stage of their ladders
(five reminders and three escalation levels: one sent, the others recorded as
skipped catch-up). The sizes are the issue's: 50,000 units x 20 = 1M assignments,
600k due. For each size, each in a fresh process:

- ``tick --dry-run`` (decides and reports, writes nothing; its output, one line
  per decision, goes to a file), on a copy of the freshly imported store,
- the real ``tick`` (transport none: the first 500 messages are built and
  handed over, the coordinator's long digest among them), on the imported store
  itself: both start from the same state, as a daemon's first pass would,
- ``tick`` five minutes later: nothing left to decide;

wall seconds, CPU seconds, peak memory, the largest message body and the
attachment, and the growth from the small size to the large one.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from bench.generate import write_backlog_inputs
from bench.scale import (
    LOCAL, TICK_MODULES, drop_pg, machine_reference, pg_database, precompile, run,
)

NOW = "2026-07-01T08:00"  # a Wednesday, 08:00: the daemon's send hour
LATER = "2026-07-01T08:05"


def _store_figures(db: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.connect() as c:
            return dict(c.execute(text(
                "SELECT (SELECT count(*) FROM assignments) AS assignments, "
                "(SELECT count(*) FROM decisions) AS decisions, "
                "(SELECT count(*) FROM outbox) AS messages, "
                "(SELECT max(length(body_text)) FROM outbox) AS body_text, "
                "(SELECT max(length(body_html)) FROM outbox) AS body_html, "
                "(SELECT max(length(attachment)) FROM outbox) AS attachment")).one()._mapping)
    finally:
        engine.dispose()


def _due(db: str) -> int:
    from sqlalchemy import bindparam, create_engine, text

    from tracker.store.types import UTCDateTime

    engine = create_engine(db)
    try:
        with engine.connect() as c:
            query = text("SELECT count(*) FROM assignments WHERE next_action_at <= :n").bindparams(
                bindparam("n", type_=UTCDateTime))
            return c.execute(query, {"n": datetime.fromisoformat(NOW).replace(tzinfo=LOCAL)}).scalar()
    finally:
        engine.dispose()


def _copy(db: str) -> str:
    """A copy of the store (a file copy; PostgreSQL: a database made from it as a template)."""
    if db.startswith("sqlite:///"):
        import shutil
        import sqlite3

        path = db.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:  # everything in the main file, none left in the WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(path, path + ".copy")
        return db + ".copy"
    import psycopg

    from bench.scale import PG_URL

    name = db.rpartition("/")[2]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}_copy" TEMPLATE "{name}"')
    return f"{db}_copy"


def _drop_copy(copy: str) -> None:
    if copy.startswith("sqlite:///"):
        Path(copy.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        drop_pg(copy)


def bench_size(db: str, folder: Path, units: int) -> dict:
    units_csv, plan = write_backlog_inputs(folder, units)
    run(db, "init")
    u = run(db, "units", "import", str(units_csv), now=NOW)
    p = run(db, "plan", "import", str(plan), now=NOW)
    due = _due(db)
    copy = _copy(db)
    try:
        dry = run(copy, "tick", "--dry-run", preload=TICK_MODULES, now=NOW, keep_stdout=False)
    finally:
        _drop_copy(copy)
    tick = run(db, "tick", preload=TICK_MODULES, now=NOW)
    store = _store_figures(db)
    later = run(db, "tick", preload=TICK_MODULES, now=LATER)
    return {
        "assignments": store["assignments"], "due": due, "decisions": store["decisions"],
        "messages": store["messages"], "import_s": u["wall"] + p["wall"],
        "dry_s": dry["wall"], "dry_cpu": dry["cpu_s"], "dry_mb": dry["peak_mb"],
        "tick_s": tick["wall"], "tick_cpu": tick["cpu_s"], "tick_mb": tick["peak_mb"],
        "later_s": later["wall"], "later_cpu": later["cpu_s"],
        "body_chars": max(store["body_text"] or 0, store["body_html"] or 0),
        "attachment_mb": (store["attachment"] or 0) / 1e6,
        "dry_out": dry["stdout"].strip(), "tick_out": tick["stdout"].strip().splitlines()[-1],
        "later_out": later["stdout"].strip().splitlines()[-1],
    }


ROWS = [("assignments", "assignments", "{:,.0f}"), ("due at 1 July 08:00", "due", "{:,.0f}"),
        ("decisions recorded", "decisions", "{:,.0f}"), ("messages", "messages", "{:,.0f}"),
        ("import (s)", "import_s", "{:.1f}"),
        ("tick --dry-run wall (s)", "dry_s", "{:.1f}"), ("tick --dry-run CPU (s)", "dry_cpu", "{:.1f}"),
        ("tick --dry-run peak (MB)", "dry_mb", "{:.0f}"),
        ("tick wall (s)", "tick_s", "{:.1f}"), ("tick CPU (s)", "tick_cpu", "{:.1f}"),
        ("tick peak (MB)", "tick_mb", "{:.0f}"),
        ("tick 5 min later wall (s)", "later_s", "{:.2f}"), ("tick 5 min later CPU (s)", "later_cpu", "{:.2f}"),
        ("largest body (chars)", "body_chars", "{:,.0f}"), ("largest attachment (MB)", "attachment_mb", "{:.1f}")]


def report(backend: str, small: dict, large: dict) -> list[str]:
    print(f"\n{backend}")
    print(f"{'':30}{'small':>14}{'large':>14}{'growth':>10}")
    for label, key, fmt in ROWS:
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"{label:30}{fmt.format(small[key]):>14}{fmt.format(large[key]):>14}{ratio:>9.2f}x")
    for name in ("dry_out", "tick_out", "later_out"):
        print(f"  {name[:-4]} (large): {large[name]}")
    size = large["assignments"] / small["assignments"]
    checks = [
        ("tick --dry-run < 60 s at the large size, wall", large["dry_s"] < 60),
        ("real tick < 60 s at the large size, wall", large["tick_s"] < 60),
        ("peak memory < 500 MB", max(large["dry_mb"], large["tick_mb"]) < 500),
        (f"growth of the tick's CPU time <= 1.2 x the size ratio ({size:.0f}x)",
         large["tick_cpu"] / small["tick_cpu"] <= 1.2 * size),
        (f"growth of the dry run's CPU time <= 1.2 x the size ratio ({size:.0f}x)",
         large["dry_cpu"] / small["dry_cpu"] <= 1.2 * size),
        ("largest message body < 200,000 characters", large["body_chars"] < 200_000),
        ("tick five minutes later < 5 s, wall", large["later_s"] < 5),
    ]
    failures = []
    for name, ok in checks:
        print(f"  target {name}: {'ok' if ok else 'MISSED'}")
        if not ok:
            failures.append(f"{backend.split()[0]}: {name}")
    return failures


def main(args) -> None:
    small_units, large_units = (int(n) for n in (args.units or ("500,5000" if args.quick else "5000,50000"))
                                .split(","))
    precompile()
    print(f"machine reference: a fixed pure-Python workload took {machine_reference() * 1000:.0f} ms")
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            results = {label: bench_size(f"sqlite:///{tmp}/{label}.db", Path(tmp) / label, n)
                       for label, n in (("small", small_units), ("large", large_units))}
            failures += report(f"SQLite ({small_units:,} and {large_units:,} units x 20 deadlines, backlog)",
                               results["small"], results["large"])
        if not args.no_pg:
            pg = {}
            for label, n in (("small", small_units), ("large", large_units)):
                url = pg_database()
                if url is None:
                    break
                try:
                    pg[label] = bench_size(url, Path(tmp) / f"pg-{label}", n)
                finally:
                    drop_pg(url)
            if len(pg) == 2:
                failures += report(f"PostgreSQL ({small_units:,} and {large_units:,} units, backlog)",
                                   pg["small"], pg["large"])
    print(f"\nmachine reference again: {machine_reference() * 1000:.0f} ms")
    print("all targets met" if not failures else "missed: " + "; ".join(failures))
