"""Web benchmark: `tracker serve` under 10 concurrent clients on the store of bench/scale.py.

    .venv/bin/python bench/web.py                 # 3,500 units x 30 obligations x 10 years (~1.1M assignments)
    .venv/bin/python bench/web.py --units 350     # a tenth, to try the script
    .venv/bin/python bench/web.py --db sqlite:///path/large.db   # reuse a store this script built (--keep)
    .venv/bin/python bench/web.py --pg            # the same on PostgreSQL (TRACKER_TEST_PG_URL's server)

The store is built as bench/scale.py builds it (units, a ten-year plan, then
bench/steady.py's decade of history), plus a second plan of 200 of those units
(12 yearly and quarterly obligations: the matrix target) coordinated by its own
office, and 40 submissions waiting in its acceptance queue. Then the real server
(uvicorn in a subprocess, as `tracker serve` runs) answers, for each page, 10
clients (threads, one HTTP keep-alive connection each) sending requests back to
back: a unit's page (a different unit each time) and the coordinator's matrix of
the 200-unit plan. Printed: p50 and p95 latency and requests per second, with
the targets (p95 < 100 ms for a unit's page, < 1 s for a 200-unit plan's matrix),
and the server's CPU time per request (read from /proc): on a shared machine the
latencies follow the load, the CPU time much less; the machine reference (a
fixed pure-Python workload, bench/scale.py) says how fast the machine was.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.generate import write_inputs  # noqa: E402
from bench.scale import LOCAL, NOW, drop_pg, machine_reference, pg_database, precompile  # noqa: E402

SECRET = "bench-web-secret-" + "y" * 32
MATRIX_UNITS = 200


def tracker(db: str, *args: str) -> str:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}, "TRACKER_WEB_SECRET": SECRET,
           "TRACKER_MAIL_TRANSPORT": "none"}
    proc = subprocess.run([sys.executable, "-m", "tracker", "--db", db, "--now", NOW, *args], capture_output=True,
                          text=True, env=env, cwd=HERE.parent)
    if proc.returncode != 0:
        raise SystemExit(f"tracker {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def second_plan(folder: Path) -> tuple[Path, Path]:
    """An office coordinating 200 of the units: 8 yearly and 4 quarterly obligations."""
    units = folder / "coord200.csv"
    units.write_text("code,name,email,head_email,kind,parent\n"
                     "coord200,Văn phòng điều phối 200,vp200@coord.example.vn,,office,\n", encoding="utf-8")
    plan = folder / "plan200.yaml"
    out = ["plan:", "  id: bench-200", "  issuer: Bench", "  year: 2026", "  title: Kế hoạch 200 đơn vị",
           "  coordinator: coord200",
           "units: [" + ", ".join(f"u{i:05d}" for i in range(MATRIX_UNITS)) + "]", "obligations:"]
    for n in range(12):
        quarterly = n >= 8
        out += [f"  - id: bc200-{n:02d}", f"    title: Báo cáo {'quý' if quarterly else 'năm'} số {n}",
                "    kind: deadline", f"    due: {10 + n}/{3 if quarterly else 1 + n % 6}/2026",
                f"    recurrence: {'quarterly' if quarterly else 'yearly'}", "    responsible: all"]
    plan.write_text("\n".join(out) + "\n", encoding="utf-8")
    return units, plan


def build(db: str, folder: Path, units: int) -> None:
    from bench.steady import prepare

    units_csv, plan = write_inputs(folder, units)
    started = time.perf_counter()
    tracker(db, "init")
    tracker(db, "units", "import", str(units_csv))
    tracker(db, "plan", "import", str(plan))
    now = datetime.fromisoformat(NOW).replace(tzinfo=LOCAL).astimezone(timezone.utc)
    prepare(db, now, now - timedelta(minutes=5), 1000)
    extra_units, extra_plan = second_plan(folder)
    tracker(db, "units", "import", str(extra_units))
    tracker(db, "plan", "import", str(extra_plan))
    queue_submissions(db, now, folder)
    print(f"store built in {time.perf_counter() - started:.0f} s")


def queue_submissions(db: str, now: datetime, folder: Path) -> None:
    """40 units of the 200-unit plan send a report on their page: the coordinator's queue."""
    from sqlalchemy import select

    from tracker.config import load_settings
    from tracker.services.runtime import Runtime
    from tracker.services.submissions import Upload, submit_by_unit
    from tracker.store.engine import Store
    from tracker.store.tables import assignments, obligations, plans, units

    rt = Runtime(load_settings(None, environ={"TRACKER_INBOUND_FILES_DIR": str(folder / "files")}),
                 Store(db), actor="bench")
    with rt.store.reader() as conn:
        rows = conn.execute(select(units.c.code, assignments.c.id).join(units).join(obligations).join(plans)
                            .where(plans.c.code == "bench-200", assignments.c.state == "open",
                                   assignments.c.due_at <= now).order_by(units.c.code).limit(40)).all()
    for code, a_id in rows:
        submit_by_unit(rt, code, a_id, [Upload("bao-cao.pdf", "application/pdf", b"%PDF-1.4 bench\n")], None,
                       "web", now)
    rt.store.dispose()


def unit_links(db: str, codes: list[str]) -> list[str]:
    from sqlalchemy import select

    from tracker.services.links import UNIT, Signer
    from tracker.store.engine import Store
    from tracker.store.tables import units

    store = Store(db)
    with store.reader() as conn:
        rows = dict(conn.execute(select(units.c.code, units.c.id).where(units.c.code.in_(codes))).all())
    store.dispose()
    signer = Signer(SECRET.encode())
    return [f"/u/{signer.link_token(UNIT, rows[c], 1)}" for c in codes]


def serve(db: str, folder: Path) -> tuple[subprocess.Popen, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}, "TRACKER_WEB_SECRET": SECRET,
           "TRACKER_INBOUND_FILES_DIR": str(folder / "files")}
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", db, "--now", NOW, "serve", "--fd",
                             str(sock.fileno())], pass_fds=(sock.fileno(),), env=env, cwd=HERE.parent,
                            stdout=subprocess.DEVNULL, stderr=open(folder / "serve.log", "wb"))
    sock.close()
    return proc, f"http://127.0.0.1:{port}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(base: str, paths: list[str], clients: int, per_client: int, pid: int) -> dict:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            http.get("/healthz")  # connect outside the timing
            for i in range(per_client):
                path = paths[(n * per_client + i) % len(paths)]
                started = time.perf_counter()
                r = http.get(path)
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {path[:40]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    cpu, own = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    cpu, own = cpu_seconds(pid) - cpu, time.process_time() - own
    latencies.sort()
    return {"n": len(latencies), "p50": statistics.median(latencies),
            "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)], "rps": len(latencies) / wall,
            "cpu": cpu / max(1, len(latencies)), "client_cpu": own / max(1, len(latencies)), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=3500, help="units of the big plan (3500: ~1.1M assignments)")
    parser.add_argument("--db", help="a store this script built before (skips building)")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50, help="requests per client and page")
    parser.add_argument("--keep", metavar="DIR", help="build the store in DIR and keep it")
    parser.add_argument("--pg", action="store_true", help="build the store in a new PostgreSQL database "
                                                          "(dropped at the end unless --keep)")
    args = parser.parse_args()
    precompile()
    print(f"machine reference: a fixed pure-Python workload took {machine_reference() * 1000:.0f} ms")
    if os.path.exists("/proc/loadavg"):
        print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} on {os.cpu_count()} cores")
    tmp = tempfile.TemporaryDirectory()
    folder = Path(args.keep or tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    pg = pg_database() if args.pg and not args.db else None
    if args.pg and not args.db and pg is None:
        raise SystemExit(1)
    db = args.db or pg or f"sqlite:///{folder}/web.db"
    if pg and args.keep:
        print(f"PostgreSQL store kept: --db {pg}")
    if not args.db:
        build(db, folder, args.units)
    try:
        run(args, db, folder)
    finally:
        if pg and not args.keep:
            drop_pg(pg)
        tmp.cleanup()


def run(args: argparse.Namespace, db: str, folder: Path) -> None:
    from sqlalchemy import func, select

    from tracker.store.engine import Store
    from tracker.store.tables import assignments

    store = Store(db)
    with store.reader() as conn:
        total = conn.scalar(select(func.count()).select_from(assignments))
    store.dispose()
    coord = tracker(db, "units", "link", "coord200").strip()
    units_paths = unit_links(db, [f"u{i:05d}" for i in range(0, min(args.units, 3500), 7)])
    proc, base = serve(db, folder)
    try:
        import httpx

        check = httpx.get(base + coord, timeout=120)
        assert check.status_code == 200, check.text[:500]
        cells = check.text.count("<td")
        print(f"store: {total:,} assignments; coordinator matrix: {MATRIX_UNITS} units, {cells} cells, "
              f"{check.text.count('<section')} waiting for acceptance")
        results = {
            "unit page": load(base, units_paths, args.clients, args.requests, proc.pid),
            "coordinator matrix (200 units)": load(base, [coord], args.clients, max(5, args.requests // 5), proc.pid),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
    kind = "PostgreSQL" if db.startswith("postgresql") else "SQLite"
    print(f"\n{args.clients} concurrent clients, {kind}, {total:,} assignments")
    print(f"{'page':34}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}{'CPU ms/req: server':>20}"
          f"{'clients':>9}")
    for name, r in results.items():
        print(f"{name:34}{r['n']:>9}{r['p50'] * 1000:>9.1f}{r['p95'] * 1000:>9.1f}{r['rps']:>8.1f}"
              f"{r['cpu'] * 1000:>20.1f}{r['client_cpu'] * 1000:>9.1f}"
              + (f"  errors: {len(r['errors'])} ({r['errors'][0]})" if r["errors"] else ""))
    targets = [("unit page p95 < 100 ms", results["unit page"]["p95"] < 0.1),
               ("200-unit matrix p95 < 1 s", results["coordinator matrix (200 units)"]["p95"] < 1.0)]
    for name, ok in targets:
        print(f"target {name}: {'ok' if ok else 'MISSED'}")
    print(f"machine reference again: {machine_reference() * 1000:.0f} ms")


if __name__ == "__main__":
    main()
