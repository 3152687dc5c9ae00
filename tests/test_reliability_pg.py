"""A running daemon on PostgreSQL outlives lost connections and a database that
refuses connections for a while: it logs, and the next pass carries on."""

from __future__ import annotations

import logging
import queue
import threading
import time

import psycopg
import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL, at, load_sample
from tests.reliability_support import WAIT
from tracker.daemon import run_daemon
from tracker.store.engine import Store
from tracker.store.models import Decision
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime


class PassLog(logging.Handler):
    """The daemon's one line per pass, handed to the test as they come."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: queue.Queue[str] = queue.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text.startswith("tick at") or text.startswith("pass at"):
            self.lines.put(text)

    def next(self) -> str:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"no pass logged within {WAIT} s")


def _admin(sql: str, *params) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql, params)


def _terminate(db: str) -> None:
    _admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
           db)


def test_a_daemon_survives_lost_connections_and_a_database_refusing_connections(pg_url, settings, monkeypatch):
    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    load_sample(rt, at("2021-02-01T09:00"))
    db = pg_url.rpartition("/")[2]
    # Passes every 50 ms instead of every tick_minutes; each pass takes its instant
    # from the test, so the test decides when the next one runs and what it sees.
    import apscheduler.triggers.interval as interval

    real_trigger = interval.IntervalTrigger
    monkeypatch.setattr(interval, "IntervalTrigger", lambda minutes, timezone: real_trigger(seconds=0.05,
                                                                                            timezone=timezone))
    monkeypatch.setattr("tracker.daemon.setup_logging", lambda *a, **k: None)
    instants: queue.Queue = queue.Queue()

    def clock():
        return instants.get(timeout=WAIT)

    passes = PassLog()
    logger = logging.getLogger("tracker.daemon")
    logger.addHandler(passes)
    logger.setLevel(logging.INFO)
    stop, result = threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(
        run_daemon(rt, clock=clock, stop=stop, install_signals=False)))
    thread.start()
    try:
        instants.put(at("2021-05-17T08:00"))
        assert passes.next().startswith("tick at 2021-05-17 08:00")  # before:14, and the March backlog

        _terminate(db)  # every pooled connection of the daemon is now dead
        instants.put(at("2021-05-24T08:00"))
        assert "(14 sent stages" in passes.next()  # before:7, on a fresh connection

        _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
        _terminate(db)
        instants.put(at("2021-05-28T08:00"))
        failed = passes.next()
        assert failed.startswith("pass at") and "failed" in failed
        assert thread.is_alive()

        _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        instants.put(at("2021-05-28T08:05"))
        assert "(14 sent stages, 14 skipped)" in passes.next()  # before:1 sent, before:3 skipped: caught up
    finally:
        _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        stop.set()
        deadline = time.monotonic() + WAIT
        while thread.is_alive() and time.monotonic() < deadline:
            instants.put(at("2021-05-28T08:10"))  # a pass waiting for its instant finishes at once
            thread.join(0.2)
        logger.removeHandler(passes)
    assert result == [0]
    with rt.store.read() as s:
        may = dict(s.execute(select(Decision.stage, func.count()).where(Decision.scheduled_at >= at("2021-05-24T00:00"))
                             .group_by(Decision.stage)).all())
    assert may == {"before:7": 14, "before:3": 14, "before:1": 14}  # each stage once, none lost
    rt.store.dispose()


def test_a_daemon_started_while_the_database_is_down_waits_for_it(pg_url, settings, monkeypatch, caplog):
    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    load_sample(rt, at("2021-02-01T09:00"))
    rt.store.dispose()
    db = pg_url.rpartition("/")[2]
    monkeypatch.setattr("tracker.daemon.STORE_WAIT_FIRST", 0.05)
    monkeypatch.setattr("tracker.daemon.setup_logging", lambda *a, **k: None)
    _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false')
    passes = PassLog()
    logger = logging.getLogger("tracker.daemon")
    logger.addHandler(passes)
    stop, result = threading.Event(), []
    try:
        with caplog.at_level(logging.INFO, logger="tracker"):
            thread = threading.Thread(target=lambda: result.append(
                run_daemon(rt, clock=lambda: at("2021-05-17T08:00"), stop=stop, install_signals=False)))
            thread.start()
            deadline = time.monotonic() + WAIT
            while "retrying in" not in caplog.text and time.monotonic() < deadline:
                thread.join(0.05)
            assert "not currently accepting connections; retrying in" in caplog.text and thread.is_alive()
            _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')  # back: the daemon carries on
            assert passes.next().startswith("tick at 2021-05-17 08:00")
    finally:
        _admin(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        stop.set()
        thread.join(WAIT)
        logger.removeHandler(passes)
    assert result == [0]
    rt.store.dispose()
