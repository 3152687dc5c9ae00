"""Helpers for the reliability tests: a many-unit store, daemon subprocesses,
and an SMTP handler that can kill the daemon while it is mid-delivery.

Every wait is bounded by a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import REPO
from tests.mail_support import Received, RecordingHandler
from tracker.store.models import Decision, OutboxMessage

WAIT = 60  # seconds: the bound on any wait for a subprocess or a log line


def national_sample(rt, folder: Path, now: datetime, units: int = 40) -> None:
    """The bench's generated plan (30 yearly deadlines) for ``units`` units: one
    pass decides a digest for every unit and one for the coordinator."""
    from bench.generate import write_inputs
    from tracker.services.imports import import_plan, import_units

    units_csv, plan = write_inputs(folder, units)
    import_units(rt, units_csv, now)
    import_plan(rt, plan, now)


def smtp_config(path: Path, port: int) -> Path:
    path.write_text(
        "[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\n"
        f"smtp_port = {port}\nsmtp_security = \"none\"\nsmtp_user = \"\"\nsmtp_timeout = 5\n",
        encoding="utf-8")
    return path


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(REPO)
    return env


class Daemon:
    """``tracker daemon`` (or ``tick``) in a subprocess, its output read line by line."""

    def __init__(self, db: str, config: Path, now: str, cwd: Path, command: str = "daemon") -> None:
        cmd = [sys.executable, "-m", "tracker", "--db", db, "--config", str(config), "--now", now, command]
        # One stream: the daemon logs to stderr, ``tick`` prints its summary on stdout.
        self.proc = subprocess.Popen(cmd, stderr=subprocess.STDOUT, stdout=subprocess.PIPE, text=True, cwd=cwd,
                                     env=clean_env())
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, needle: str, *, or_exit: bool = False) -> str | None:
        """The first line containing ``needle``; with ``or_exit``, None if the process ends first."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                if or_exit:
                    self.proc.wait(timeout=WAIT)
                    return None
                break
            self.seen.append(line)
            if needle in line:
                return line
        pytest.fail(f"{needle!r} not logged within {WAIT} s; got: {self.seen}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=WAIT)


@dataclass
class KillingHandler(RecordingHandler):
    """Records every message; at the arrival numbers in ``kill_at`` it SIGKILLs
    the current daemon *before* answering DATA: the server has the message, the
    daemon never hears it was accepted, so it can only send it again."""

    kill_at: set[int] = field(default_factory=set)
    target: Daemon | None = None
    kills: int = 0
    killed: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if len(self.messages) in self.kill_at and self.target is not None:
            self.target.proc.send_signal(signal.SIGKILL)
            self.kills += 1
            self.killed.set()
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"


def age_leases(store, by: timedelta) -> None:
    """Move the database's clock on by ``by`` for the claims in flight (their
    leases are judged on it): what a daemon dead for that long leaves behind."""
    from sqlalchemy import update

    from tracker.store.tables import outbox

    with store.writer() as conn, conn.begin():
        leases = conn.execute(select(outbox.c.id, outbox.c.leased_at).where(outbox.c.state == "sending")).all()
        for outbox_id, leased_at in leases:
            conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(leased_at=leased_at - by))


def message_ids(received: list[Received]) -> Counter:
    return Counter(m.parsed()["Message-ID"] for m in received)


def assert_everything_delivered(store, received: list[Received], max_duplicates: int) -> None:
    """Every decided (sent) stage is in a sent message; every message arrived;
    duplicates carry the same Message-ID and number at most ``max_duplicates``."""
    with store.read() as s:
        rows = {r.id: r for r in s.scalars(select(OutboxMessage))}
        decisions = list(s.scalars(select(Decision)))
    keys = Counter((d.assignment_id, d.due_at, d.stage) for d in decisions)
    assert max(keys.values(), default=1) == 1, "a stage was decided twice"
    sent = [d for d in decisions if d.outcome == "sent"]
    assert sent, "the scenario decided nothing"
    assert all(d.outbox_id in rows for d in sent)
    assert {r.state for r in rows.values()} == {"sent"}, {r.id: (r.state, r.last_error) for r in rows.values()}
    arrived = message_ids(received)
    assert set(arrived) == {r.message_id for r in rows.values()}, "a message is missing, or a stray arrived"
    duplicates = sum(n - 1 for n in arrived.values())
    assert duplicates <= max_duplicates, (duplicates, max_duplicates)
