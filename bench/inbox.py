"""The office mailbox: N mixed messages in a real Dovecot mailbox, read in one pass.

    .venv/bin/python bench/inbox.py [--n 1000]

The store holds the sample plan for 400 units, whose first digests were
delivered (file transport). The mailbox then receives, in this proportion:
40 % replies with a PDF from the unit (recorded), 15 % replies from a forged
sender (review queue), 15 % permanent delivery reports (address marked,
coordinator notice queued), 5 % temporary ones (logged), 15 % mail that is
not ours (ignored), 10 % second copies of replies (duplicates). One
``tracker.services.inbox.fetch`` reads them all: UID list, bulk FETCH, one
transaction per message on a SQLite file.

It runs a quarter-sized mailbox first, then the full one (each in a fresh store
and folder), and prints time, per-message cost and the process's peak RSS
after each: memory is flat when the full pass adds little over the small one.
Target: the full pass under 20 s.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from tests.imap_support import PASSWORD, USER, start_dovecot  # noqa: E402
from tests.inbox_support import dsn, other_mail, reply  # noqa: E402
from tracker.config import load_settings  # noqa: E402
from tracker.services.catalog import init_db  # noqa: E402
from tracker.services.imports import import_plan, import_units  # noqa: E402
from tracker.services.inbox import fetch  # noqa: E402
from tracker.services.runtime import Runtime, parse_instant  # noqa: E402
from tracker.services.tick import tick  # noqa: E402
from tracker.store.engine import Store  # noqa: E402
from tracker.store.tables import outbox  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
UNITS = 400


def local(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return parse_instant(text, ZoneInfo("Asia/Ho_Chi_Minh"))


def office(work: Path, server, folder: str) -> Runtime:
    """A store with the sample plan for UNITS units and their first digests sent."""
    units = work / "units.csv"
    rows = ["code,name,email,head_email",
            "sldtbxh,Sở Lao động - Thương binh và Xã hội,vanthu@sldtbxh.example.vn,giamdoc@sldtbxh.example.vn",
            "hlhpn,Hội Liên hiệp Phụ nữ thành phố Hà Nội,vanphong@hlhpn.example.vn,chutich@hlhpn.example.vn"]
    rows += [f"u{i:03},Đơn vị {i},vanthu@u{i:03}.example.vn,thutruong@u{i:03}.example.vn" for i in range(UNITS)]
    units.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = work / "tracker.toml"
    config.write_text(f'[mail]\ntransport = "file"\noutbox_dir = "{work}/outbox"\n', encoding="utf-8")
    settings = server.settings(load_settings(config, environ={}), folder=folder)
    rt = Runtime(settings, Store(f"sqlite:///{work}/tracker.db"), actor="bench")
    init_db(rt)
    import_units(rt, units, local("2021-02-01T09:00"))
    # The sample plan, owning these units ("responsible: all" means a plan's own units).
    import re

    codes = ", ".join(["sldtbxh", "hlhpn"] + [f"u{i:03}" for i in range(UNITS)])
    plan = re.sub(r"^units: \[.*?\]", f"units: [{codes}]",
                  (REPO / "examples" / "hn-2021-43.yaml").read_text(encoding="utf-8"), flags=re.S | re.M)
    (work / "plan.yaml").write_text(plan, encoding="utf-8")
    import_plan(rt, work / "plan.yaml", local("2021-02-01T09:00"))
    tick(rt, local("2021-05-10T09:00"))
    tick(rt, local("2021-05-17T08:00"))
    return rt


def digests(rt: Runtime) -> list[EmailMessage]:
    out = []
    with rt.store.reader() as conn:
        for r in conn.execute(select(outbox).where(outbox.c.recipient_unit.like("u%"),
                                                   outbox.c.message_id.is_not(None))):
            m = EmailMessage()
            m["From"], m["To"], m["Subject"], m["Message-ID"] = ("tracker@example.vn", r.to_addrs[0], r.subject,
                                                                 r.message_id)
            out.append(m)
    return out


def mailbox(sent: list[EmailMessage], n: int) -> list[bytes]:
    """n messages in the bench's proportions, interleaved."""
    def take(share: float) -> int:
        return int(n * share)

    messages: list[bytes] = []
    replies = [reply(sent[i % len(sent)], sender=str(sent[i % len(sent)]["To"])) for i in range(take(0.40))]
    messages += replies
    messages += [reply(sent[i % len(sent)], sender=f"gia-mao-{i}@example.com") for i in range(take(0.15))]
    messages += [dsn(sent[-1 - i % len(sent)], str(sent[-1 - i % len(sent)]["To"])) for i in range(take(0.15))]
    messages += [dsn(sent[i % len(sent)], str(sent[i % len(sent)]["To"]), status="4.2.2",
                     diagnostic="452 4.2.2 Mailbox full") for i in range(take(0.05))]
    messages += [other_mail(sender=f"ban{i}@example.com") for i in range(take(0.15))]
    messages += replies[: n - len(messages)]  # second copies
    order = sorted(range(len(messages)), key=lambda i: (i * 7919) % len(messages))
    return [messages[i] for i in order]


def append_all(server, folder: str, messages: list[bytes]) -> None:
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.authenticate("PLAIN", lambda _c: b"\0" + USER.encode() + b"\0" + PASSWORD.encode("utf-8"))
    client.create(folder)
    for data in messages:
        typ, resp = client.append(folder, None, None, data)
        assert typ == "OK", resp
    client.logout()


def run(server, n: int, folder: str) -> None:
    with tempfile.TemporaryDirectory(prefix="tracker-inbox-bench-") as tmp:
        rt = office(Path(tmp), server, folder)
        messages = mailbox(digests(rt), n)
        append_all(server, folder, messages)
        mb = sum(len(m) for m in messages) / 1e6
        started, cpu = time.perf_counter(), time.process_time()
        report = fetch(rt, local("2021-05-20T10:00"))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        load = os.getloadavg()[0]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        again = fetch(rt, local("2021-05-20T10:05"))
        print(f"{n:>5} messages ({mb:.1f} MB): one pass {elapsed:.2f} s, {elapsed / n * 1000:.1f} ms per message "
              f"(this process's CPU {cpu:.2f} s, {cpu / n * 1000:.1f} ms per message; load average {load:.1f} on "
              f"{os.cpu_count()} CPUs); peak RSS so far {peak:.0f} MB; next pass reads {again.read} in "
              f"{again.elapsed:.2f} s")
        print(f"      {report.summary()}")
        if report.errors:
            print(f"      first error: {report.errors[0]}")
        rt.store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    os.environ["TRACKER_IMAP_PASSWORD"] = PASSWORD
    server = start_dovecot()
    try:
        print(f"Dovecot on 127.0.0.1:{server.port}; {UNITS} units; {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
        run(server, max(1, args.n // 4), "Small")
        run(server, args.n, "Full")
    finally:
        server.stop()
        import shutil

        shutil.rmtree(server.root, ignore_errors=True)


if __name__ == "__main__":
    main()
