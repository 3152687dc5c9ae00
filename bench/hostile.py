"""Exactly-once against hostile SMTP servers and clocks (issue 21).

    .venv/bin/python bench/hostile.py [--n 30] [--pg URL]

For each of the probe's server modes, ``--n`` digests (each to a unit, its head
in copy) are offered to a fake SMTP server (tests/mail_support.HostileSmtp) and
delivered pass after pass, the clock moving to each retry, until nothing is due.
Printed per mode: messages offered, distinct messages received (by Message-ID),
copies (arrivals beyond the first) and the most copies of one message, the final
states of the rows. Target: distinct = offered; copies only where the outcome
was unknown (drop, slow, trickle), at most 1 per message.

modes    normal | drop (no answer after the final dot) | slow (the final reply
         after the time limit) | trickle (the final reply one byte a second) |
         452 (the head's Cc address answers 452 at RCPT for two passes).
race     8 ``tracker tick`` processes at once on one store, half of them with a
         clock (``--now``) 19 minutes ahead, all delivering the same 41 queued
         digests (bench/generate.py's plan, 40 units) over a normal server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.mail_support import HostileSmtp  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.core.digest import Digest, DigestItem  # noqa: E402
from tracker.render.mail import render_digest  # noqa: E402
from tracker.services.catalog import init_db  # noqa: E402
from tracker.services.delivery import deliver_due  # noqa: E402
from tracker.services.runtime import Runtime  # noqa: E402
from tracker.store.engine import Store  # noqa: E402
from tracker.store.outbox import enqueue_many, new_message  # noqa: E402

UTC = timezone.utc
NOW = datetime(2021, 5, 24, 1, 0, tzinfo=UTC)
MODES = {  # mode: (server mode, server options, message_timeout)
    "normal": ("normal", {}, 5.0),
    "drop": ("drop", {}, 5.0),
    "slow": ("slow", {"delay": 1.0}, 0.3),
    "trickle": ("trickle", {"interval": 1.0}, 0.3),
    "452": ("normal", {"refuse": ("head@u0.example.vn",)}, 5.0),
}


def digests(n: int) -> list[Digest]:
    out = []
    for i in range(n):
        item = DigestItem(plan="bench", plan_title="Bench", obligation="bao-cao", title="Báo cáo", kind="deadline",
                          unit=f"u{i}", unit_name=f"Đơn vị {i}", period="2021", stage="before:7",
                          due_at=NOW + timedelta(days=7))
        out.append(Digest(key=f"unit:u{i}|k", at=NOW, recipient_unit=None, recipient_name=f"Đơn vị {i}",
                          to=(f"vanthu@u{i}.example.vn",), cc=(f"head@u{i % 3}.example.vn",), reply_to=(),
                          items=(item,)))
    return out


def run_mode(name: str, n: int, url: str | None, folder: Path) -> dict:
    server_mode, options, limit = MODES[name]
    url = url or f"sqlite:///{folder / (name + '.store')}"
    store = Store(url)
    base = load_settings(None, environ={})
    with HostileSmtp(server_mode, **options) as server:
        mail = replace(base.mail, transport="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                       smtp_security="none", smtp_user="", smtp_timeout=5, message_timeout=limit)
        rt = Runtime(replace(base, mail=mail), store, actor="bench")
        init_db(rt)
        with rt.store.writer() as conn, conn.begin():
            enqueue_many(conn, [new_message(d, render_digest(d, rt.settings), NOW, rt.tz) for d in digests(n)])
        now, passes = NOW, 0
        while passes < 40:
            report = deliver_due(rt, now)
            passes += 1
            if passes == 2 and name == "452":
                server.refuse.clear()  # the full mailbox is emptied after two passes
            if report.attempted == 0 and now > NOW + timedelta(days=2):
                break
            now += timedelta(minutes=5) if report.attempted else timedelta(hours=6)
        from sqlalchemy import select

        from tracker.store.tables import outbox

        with rt.store.reader() as conn:
            states = Counter(r[0] for r in conn.execute(select(outbox.c.state)))
        received = Counter(m.parsed()["Message-ID"] for m in server.messages)
        envelopes = len(server.messages)
    store.dispose()
    copies = {mid: sum(1 for m in server.messages if m.parsed()["Message-ID"] == mid) for mid in received}
    # 452: one message reaches two envelopes (the accepting ones now, the head later): not a copy.
    dup = sum(max(0, c - 1) for c in copies.values()) if name != "452" else 0
    return {"mode": name, "offered": n, "distinct": len(received), "copies": dup,
            "max_copies": max((c - 1 for c in copies.values()), default=0) if name != "452" else 0,
            "envelopes": envelopes, "states": dict(states)}


def run_race(folder: Path, url: str | None) -> dict:
    from bench.generate import write_inputs
    from tests.mail_support import SmtpServer
    from tracker.services.imports import import_plan, import_units
    from tracker.services.tick import tick
    from tracker.services.runtime import parse_instant

    url = url or f"sqlite:///{folder / 'race.store'}"
    store = Store(url)
    settings = load_settings(None, environ={})
    rt = Runtime(settings, store, actor="bench")
    init_db(rt)
    tz = settings.tz
    units_csv, plan = write_inputs(folder / "in", 40)
    import_units(rt, units_csv, parse_instant("2017-01-02T09:00", tz))
    import_plan(rt, plan, parse_instant("2017-01-02T09:00", tz))
    tick(rt, parse_instant("2017-03-01T08:00", tz), deliver=False)
    store.dispose()
    server = SmtpServer().start()
    config = folder / "race.toml"
    config.write_text(f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
                      'smtp_security = "none"\nsmtp_user = ""\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(ROOT)
    procs = [subprocess.Popen([sys.executable, "-m", "tracker", "--db", url, "--config", str(config), "--now",
                               "2017-03-01T08:19" if i % 2 == 0 else "2017-03-01T08:00", "tick"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=folder)
             for i in range(8)]
    for p in procs:
        p.wait(timeout=300)
    server.stop()
    received = Counter(m.parsed()["Message-ID"] for m in server.messages)
    return {"mode": "race 8 x (clocks 19 min apart)", "offered": 41, "distinct": len(received),
            "copies": sum(c - 1 for c in received.values()), "max_copies": max(received.values(), default=1) - 1,
            "envelopes": len(server.messages), "states": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="messages offered per mode")
    parser.add_argument("--pg", help="a PostgreSQL URL (an empty database) instead of SQLite files")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in MODES:
            rows.append(run_mode(name, args.n, None, Path(tmp)))
        rows.append(run_race(Path(tmp), args.pg))
    print(f"{'mode':34} {'offered':>7} {'distinct':>8} {'copies':>6} {'max/msg':>7} {'envelopes':>9}  final states")
    for r in rows:
        states = ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items()))
        print(f"{r['mode']:34} {r['offered']:7} {r['distinct']:8} {r['copies']:6} {r['max_copies']:7} "
              f"{r['envelopes']:9}  {states}")
    ok = all(r["distinct"] == r["offered"] and r["max_copies"] <= 1 for r in rows)
    ok = ok and all(r["copies"] == 0 for r in rows if r["mode"] in ("normal", "452") or r["mode"].startswith("race"))
    print("target (distinct = offered; copies only when the outcome was unknown, <= 1 each):",
          "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
