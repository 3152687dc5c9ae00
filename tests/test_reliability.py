"""Reliability on SQLite and PostgreSQL: a daemon killed with SIGKILL during
delivery, several tick processes at once, the SMTP server gone for a while, a
full disk under the file transport. Real processes and a real SMTP server
(aiosmtpd on 127.0.0.1); every wait is bounded, none is a fixed sleep."""

from __future__ import annotations

import errno
import logging
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import at
from tests.mail_support import SmtpServer, closed_port, digest, smtp_server, smtp_settings  # noqa: F401 (fixture)
from tests.reliability_support import (
    WAIT,
    Daemon,
    age_leases,
    KillingHandler,
    assert_everything_delivered,
    message_ids,
    national_sample,
    smtp_config,
)
from tracker.daemon import run_pass
from tracker.services.tick import tick
from tracker.store.engine import Store
from tracker.store.models import Decision, OutboxMessage
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime

IMPORTED = "2017-01-02T09:00"
PASS = "2017-03-01T08:00"  # a Wednesday: 41 digests (40 units and the coordinator) fall due


@pytest.fixture(params=["sqlite", "postgresql"])
def store_rt(request, settings):
    """A runtime on a migrated SQLite file or a fresh PostgreSQL database."""
    url = request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
    rt = Runtime(settings, Store(url), actor="tester")
    if request.param == "postgresql":
        init_db(rt)
    yield rt
    rt.store.dispose()


def test_sigkill_at_any_point_of_a_pass_loses_nothing(store_rt, tmp_path):
    rt = store_rt
    national_sample(rt, tmp_path / "in", at(IMPORTED))
    rt.store.dispose()
    handler = KillingHandler(kill_at={4, 15, 27})
    server = SmtpServer()
    server.handler = handler
    server.start()
    config = smtp_config(tmp_path / "smtp.toml", server.port)
    kills, finished = 0, False
    try:
        # Killed at once: wherever the first pass is (materialising, deciding, committing a batch).
        first = Daemon(rt.store.url, config, PASS, tmp_path)
        first.wait_for("started (pid")
        first.kill()
        kills += 1
        # Then killed inside DATA three times; each restart is 11 minutes later on the
        # database's clock (where leases are judged), past the 10-minute lease, so the
        # message in flight at the kill is taken over and sent again.
        for run in range(1, 8):
            now = at(PASS) + timedelta(minutes=11 * run)
            age_leases(rt.store, timedelta(minutes=11))
            rt.store.dispose()
            daemon = Daemon(rt.store.url, config, now.isoformat(), tmp_path)
            handler.target = daemon
            line = daemon.wait_for("tick at", or_exit=True)
            if line is None:  # killed by the handler mid-delivery
                kills += 1
                continue
            assert daemon.stop() == 0
            finished = True
            break
    finally:
        server.stop()
    assert finished and handler.kills == 3 and kills == 4
    assert_everything_delivered(rt.store, handler.messages, max_duplicates=handler.kills)
    duplicated = [mid for mid, n in message_ids(handler.messages).items() if n > 1]
    assert len(duplicated) == 3  # exactly the three messages in flight at the kills


def test_several_tick_processes_at_once_decide_and_deliver_each_stage_once(store_rt, tmp_path, smtp_server):
    rt = store_rt
    national_sample(rt, tmp_path / "in", at(IMPORTED))
    rt.store.dispose()
    config = smtp_config(tmp_path / "smtp.toml", smtp_server.port)
    ticks = [Daemon(rt.store.url, config, PASS, tmp_path, command="tick") for _ in range(3)]
    lines = [t.wait_for("at 2017-03-01 08:00") for t in ticks]
    assert [t.proc.wait(timeout=WAIT) for t in ticks] == [0, 0, 0], [t.seen for t in ticks]
    decided = sum(int(line.split(": ", 1)[1].split(" decided", 1)[0]) for line in lines)
    with rt.store.read() as s:
        assert decided == s.scalar(select(func.count()).select_from(Decision))
    assert len(smtp_server.messages) == 41
    assert_everything_delivered(rt.store, smtp_server.messages, max_duplicates=0)


def test_eight_deliverers_with_clocks_19_minutes_apart_send_each_message_once(store_rt, tmp_path, smtp_server):
    # Half the processes run 19 minutes ahead (a --now ahead of a live daemon, or a
    # host whose clock is off): judged on their own clocks, every claim of the others
    # looked older than the 10-minute lease and was taken over mid-send.
    rt = store_rt
    national_sample(rt, tmp_path / "in", at(IMPORTED))
    tick(rt, at(PASS), deliver=False)  # decided and queued: the eight processes only deliver, all at once
    rt.store.dispose()
    config = smtp_config(tmp_path / "smtp.toml", smtp_server.port)
    ahead = (at(PASS) + timedelta(minutes=19)).isoformat()
    ticks = [Daemon(rt.store.url, config, PASS if n % 2 else ahead, tmp_path, command="tick") for n in range(8)]
    lines = [t.wait_for(" delivered") for t in ticks]
    assert [t.proc.wait(timeout=WAIT) for t in ticks] == [0] * 8, [t.seen for t in ticks]
    assert len(smtp_server.messages) == 41
    assert_everything_delivered(rt.store, smtp_server.messages, max_duplicates=0)
    # A process counts only what it delivered itself.
    assert sum(int(re.search(r"(\d+) delivered", line).group(1)) for line in lines) == 41


def test_a_message_whose_key_another_daemon_took_goes_in_beside_it(store_rt):
    # Two passes at one instant (two `tracker tick --now` on one SQLite file, say)
    # can both have items for one recipient: the second meets the first's row.
    from tracker.render.mail import render_digest
    from tracker.store.outbox import Enqueued, enqueue_many, new_message

    rt = store_rt
    now = at(PASS)

    def row(key: str, unit: str) -> dict:
        d = digest(key, unit=unit, to=(f"vanthu@{unit}.example.vn",))
        return new_message(d, render_digest(d, rt.settings), now, rt.tz)

    with rt.store.writer() as conn, conn.begin():
        first = enqueue_many(conn, [row("unit:syt|2017-03-01T01:00:00Z", "syt")])
    with rt.store.writer() as conn, conn.begin():
        second = enqueue_many(conn, [row("unit:stc|2017-03-01T01:00:00Z", "stc"),
                                     row("unit:syt|2017-03-01T01:00:00Z", "syt")])
    with rt.store.read() as s:
        stored = s.execute(select(OutboxMessage.key, OutboxMessage.id).order_by(OutboxMessage.id)).all()
    assert [Enqueued(*r) for r in stored] == [first["unit:syt|2017-03-01T01:00:00Z"],
                                               second["unit:stc|2017-03-01T01:00:00Z"],
                                               second["unit:syt|2017-03-01T01:00:00Z"]]
    assert [r.key for r in stored] == ["unit:syt|2017-03-01T01:00:00Z", "unit:stc|2017-03-01T01:00:00Z",
                                       "unit:syt|2017-03-01T01:00:00Z#2"]


def test_an_smtp_outage_is_logged_backed_off_and_ridden_out(store_rt, tmp_path, caplog):
    rt = store_rt
    national_sample(rt, tmp_path / "in", at(IMPORTED))
    port = closed_port()
    rt.settings = smtp_settings(rt.settings, port)
    with caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(rt, lambda: at(PASS))  # server down: decided and queued, delivery fails
    assert "0 delivered" in caplog.text and "connection refused" in caplog.text
    with rt.store.read() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert len(rows) == 41 and {(r.state, r.attempts) for r in rows} == {("queued", 1)}
    retry_at = rows[0].next_attempt_at
    assert retry_at == at(PASS) + timedelta(minutes=5)
    server = SmtpServer().start(port)  # back, on the same port
    try:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tracker"):
            run_pass(rt, lambda: retry_at - timedelta(seconds=1))  # backing off: nothing tried yet
            assert len(server.messages) == 0
            run_pass(rt, lambda: retry_at)
            run_pass(rt, lambda: retry_at + timedelta(minutes=5))  # nothing left to send
    finally:
        server.stop()
    assert "41 delivered" in caplog.text
    assert_everything_delivered(rt.store, server.messages, max_duplicates=0)


def test_a_full_disk_under_the_file_transport_keeps_messages_queued(rt, tmp_path, caplog, monkeypatch):
    national_sample(rt, tmp_path / "in", at(IMPORTED))
    outbox_dir = tmp_path / "outbox"
    rt.settings = replace(rt.settings, mail=replace(rt.settings.mail, transport="file", outbox_dir=str(outbox_dir)))
    real_write = __import__("os").write

    def full(fd, data):  # the device is full: nothing more fits
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("tracker.transports.mail.os.write", full)
    with caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(rt, lambda: at(PASS))
    assert "disk full (No space left on device); the message stays queued" in caplog.text
    with rt.store.read() as s:
        states = {r.state for r in s.scalars(select(OutboxMessage))}
    assert states == {"queued"}
    assert [p.name for p in outbox_dir.iterdir()] == []  # no half-written file, no temporary file left
    monkeypatch.setattr("tracker.transports.mail.os.write", real_write)  # space freed
    run_pass(rt, lambda: at(PASS) + timedelta(minutes=5))
    with rt.store.read() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert {r.state for r in rows} == {"sent"}
    assert len(list(outbox_dir.glob("*.eml"))) == len(rows) == 41
