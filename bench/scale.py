"""Scale benchmark: a national store (about 1M assignments) against a tenth of it.

    .venv/bin/python bench/scale.py            # SQLite, and PostgreSQL when reachable
    .venv/bin/python bench/scale.py --quick    # 35 / 350 units, to try the script

For each size: import time (units + plan, which materialises the assignments),
one `tracker tick` with 1,000 due items, `tracker status --state overdue`,
`tracker simulate` over a year, the peak memory of each (fresh processes), and
`tracker --help` cold start against `python -c "import click"`. Then the growth
ratio between the sizes and the targets of issue #6. Most of the store is
history (submitted years ago), as in a real store after a decade.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.generate import write_inputs  # noqa: E402

NOW = "2026-03-02T09:00"  # a Monday; history is everything due before 45 days ago
DUE_ITEMS = 1000
PG_URL = os.environ.get("TRACKER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def run(db: str, *args: str, now: str = NOW) -> dict:
    """Run one tracker command in a fresh interpreter; return seconds, peak MB, exit code."""
    env = {**os.environ, "TRACKER_MAIL_TRANSPORT": "none", "TRACKER_CONFIG": ""}
    proc = subprocess.run([sys.executable, str(HERE / "measure.py"), "--db", db, "--now", now, *args],
                          capture_output=True, text=True, env=env, cwd=HERE.parent)
    figures = json.loads(proc.stderr.strip().splitlines()[-1])
    if figures["exit"] != 0:
        raise SystemExit(f"tracker {' '.join(args)} failed:\n{proc.stderr}")
    figures["stdout"] = proc.stdout
    return figures


def prepare_history(db: str) -> tuple[int, int]:
    """Mark old assignments submitted (history), and make exactly DUE_ITEMS open ones due now."""
    from sqlalchemy import text

    from tracker.db.engine import Store

    now = datetime.fromisoformat(NOW).replace(tzinfo=timezone(timedelta(hours=7))).astimezone(timezone.utc)
    cut = now - timedelta(days=45)
    store = Store(db)
    with store.write() as s:
        conn = s.connection()
        fmt = (lambda d: d.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")) if store.is_sqlite else \
            (lambda d: d.replace(tzinfo=None))
        conn.execute(text("UPDATE assignments SET state = 'submitted', submitted_at = due_at, "
                          "next_action_at = NULL WHERE due_at < :cut"), {"cut": fmt(cut)})
        conn.execute(text("UPDATE assignments SET next_action_at = NULL WHERE state = 'open'"))
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM assignments WHERE state = 'open' AND due_at < :now ORDER BY id LIMIT :n"),
            {"now": fmt(now), "n": DUE_ITEMS})]
        conn.execute(text("UPDATE assignments SET next_action_at = :now WHERE id IN (%s)" % ",".join(map(str, ids))),
                     {"now": fmt(now)})
        total = conn.execute(text("SELECT count(*) FROM assignments")).scalar()
    store.dispose()
    return total, len(ids)


def bench_size(db: str, folder: Path, units: int) -> dict:
    units_csv, plan = write_inputs(folder, units)
    run(db, "init")
    u = run(db, "units", "import", str(units_csv))
    p = run(db, "plan", "import", str(plan))
    total, due = prepare_history(db)
    tick = run(db, "tick")
    status = run(db, "status", "--state", "overdue")
    simulate = run(db, "simulate", "--from", "2026-03-02", "--to", "2027-03-01", "--json")
    return {
        "assignments": total, "due": due,
        "import_s": u["seconds"] + p["seconds"], "import_mb": max(u["peak_mb"], p["peak_mb"]),
        "tick_s": tick["seconds"], "tick_mb": tick["peak_mb"], "tick_out": tick["stdout"].strip().splitlines()[-1:],
        "status_s": status["seconds"], "status_mb": status["peak_mb"],
        "status_rows": status["stdout"].strip().splitlines()[-1] if status["stdout"].strip() else "",
        "simulate_s": simulate["seconds"], "simulate_mb": simulate["peak_mb"],
        "messages": len(json.loads(simulate["stdout"])),
    }


def cold_start() -> tuple[float, float]:
    def best(cmd: list[str]) -> float:
        times = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=HERE.parent)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    return best([sys.executable, "-m", "tracker", "--help"]), best([sys.executable, "-c", "import click"])


def pg_database() -> str | None:
    try:
        import uuid

        import psycopg

        name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return PG_URL.rpartition("/")[0] + "/" + name
    except Exception as exc:
        print(f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__}); PostgreSQL figures skipped")
        return None


def drop_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def report(backend: str, small: dict, large: dict) -> list[str]:
    failures = []
    print(f"\n{backend}")
    print(f"{'':28}{'small':>14}{'large':>14}{'growth':>10}")
    rows = [("assignments", "assignments", "{:,.0f}"), ("import (s)", "import_s", "{:.2f}"),
            ("import peak (MB)", "import_mb", "{:.0f}"), ("tick, 1,000 due (s)", "tick_s", "{:.2f}"),
            ("tick peak (MB)", "tick_mb", "{:.0f}"), ("status --state overdue (s)", "status_s", "{:.2f}"),
            ("status peak (MB)", "status_mb", "{:.0f}"), ("simulate a year (s)", "simulate_s", "{:.2f}"),
            ("simulate peak (MB)", "simulate_mb", "{:.0f}"), ("simulated messages", "messages", "{:,.0f}")]
    for label, key, fmt in rows:
        ratio = large[key] / small[key] if small[key] else float("nan")
        print(f"{label:28}{fmt.format(small[key]):>14}{fmt.format(large[key]):>14}{ratio:>9.2f}x")
    print(f"  tick output (large): {large['tick_out']}")
    print(f"  status (large): {large['status_rows']}")
    checks = [
        ("tick with 1,000 due < 1 s at the large size", large["tick_s"] < 1.0),
        ("tick grows < 1.5x from small to large", large["tick_s"] / small["tick_s"] < 1.5),
        ("status --state overdue < 0.5 s at the large size", large["status_s"] < 0.5),
        ("import of the large store < 60 s", large["import_s"] < 60),
        ("tick peak memory < 200 MB at the large size", large["tick_mb"] < 200),
    ]
    for name, ok in checks:
        print(f"  target {name}: {'ok' if ok else 'MISSED'}")
        if not ok:
            failures.append(f"{backend}: {name}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="35 and 350 units instead of 350 and 3,500")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    small_units, large_units = (35, 350) if args.quick else (350, 3500)
    failures = []
    help_s, click_s = cold_start()
    print(f"tracker --help cold start: {help_s * 1000:.0f} ms; python -c 'import click': {click_s * 1000:.0f} ms; "
          f"ratio {help_s / click_s:.2f}x (target < 2x: {'ok' if help_s / click_s < 2 else 'MISSED'})")
    if help_s / click_s >= 2:
        failures.append("--help within 2x of import click")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for label, n in (("small", small_units), ("large", large_units)):
            results[label] = bench_size(f"sqlite:///{tmp}/{label}.db", Path(tmp) / label, n)
        failures += report(f"SQLite ({small_units} and {large_units} units x 30 obligations x ~10 years)",
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
                failures += report("PostgreSQL", pg["small"], pg["large"])
    print("\nall targets met" if not failures else "\nmissed: " + "; ".join(failures))


if __name__ == "__main__":
    main()
