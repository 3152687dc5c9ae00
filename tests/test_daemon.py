"""daemon: APScheduler wiring, one log line per pass, single instance, clean stop on SIGTERM."""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from tests.conftest import REPO, at, load_sample
from tracker.daemon import JOB_ID, SingleInstance, build_scheduler, run_daemon, run_pass

WAIT = 60  # seconds: an upper bound on waiting for a subprocess, never a fixed sleep


def test_the_job_coalesces_runs_once_at_a_time_and_never_drops_a_late_run(rt):
    scheduler = build_scheduler(rt, lambda: at("2021-05-17T08:00"))
    scheduler.start(paused=True)  # job options are resolved when the scheduler starts
    try:
        (job,) = scheduler.get_jobs()
        assert job.id == JOB_ID
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time is None  # APScheduler's default (1 s) silently drops a late run
        assert job.trigger.interval == timedelta(minutes=rt.settings.schedule.tick_minutes)
        assert job.next_run_time <= datetime.now(timezone.utc)  # the start-up pass runs at once
    finally:
        scheduler.shutdown(wait=False)


def test_a_pass_reads_the_frozen_clock_once_and_logs_one_line(rt, caplog):
    load_sample(rt, at("2021-02-01T09:00"))
    calls = []

    def clock() -> datetime:
        calls.append(1)
        return datetime.now(timezone.utc)

    with freeze_time("2021-05-17T01:00:00Z"), caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(rt, clock)
    assert len(calls) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.daemon"]
    assert len(lines) == 1
    assert lines[0].startswith("tick at 2021-05-17 08:00 +0700: ")
    assert " sent stages" in lines[0] and lines[0].endswith(" s")


def test_a_failing_pass_is_logged_and_does_not_stop_the_daemon(rt, caplog, monkeypatch):
    import tracker.services.tick

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(tracker.services.tick, "tick", broken)
    with caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(rt, lambda: at("2021-05-17T08:00"))  # does not raise
    assert "failed" in caplog.text and "database on fire" in caplog.text


def test_the_daemon_runs_a_pass_at_start_up_and_stops_when_asked(rt, monkeypatch):
    load_sample(rt, at("2021-02-01T09:00"))
    monkeypatch.setattr("tracker.daemon.setup_logging", lambda *a, **k: None)
    passed, stop, result = threading.Event(), threading.Event(), []

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("tick at"):
                passed.set()

    watch = Watch()
    logging.getLogger("tracker.daemon").addHandler(watch)
    logging.getLogger("tracker.daemon").setLevel(logging.INFO)
    try:
        thread = threading.Thread(target=lambda: result.append(
            run_daemon(rt, clock=lambda: at("2021-05-17T08:00"), stop=stop, install_signals=False)))
        thread.start()
        assert passed.wait(WAIT), "no pass within the bound"
        stop.set()
        thread.join(WAIT)
        assert not thread.is_alive() and result == [0]
    finally:
        logging.getLogger("tracker.daemon").removeHandler(watch)
    from sqlalchemy import func, select

    from tracker.store.models import Decision

    with rt.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Decision).where(Decision.stage == "before:14")) >= 14


def test_a_second_daemon_on_the_same_sqlite_file_is_refused(cli, db_url):
    guard = SingleInstance.for_url(db_url)
    with guard:
        result = cli("daemon")
    assert result.exit_code == 1
    assert result.err.startswith("error: another tracker daemon (pid ")
    assert f"{guard.path}" in result.err and len(result.err.strip().splitlines()) == 1


def test_the_lock_is_free_again_once_the_daemon_has_stopped(db_url):
    guard = SingleInstance.for_url(db_url)
    with guard:
        pass
    with SingleInstance.for_url(db_url):
        pass
    assert SingleInstance.for_url("postgresql://u@h/db") is None  # several daemons may share PostgreSQL


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _reader(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue, needle: str, seen: list[str]) -> str:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return line
    pytest.fail(f"{needle!r} not logged within {WAIT} s; got: {seen}")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_daemon_cleanly_after_its_pass(rt, db_url, config_file, tmp_path):
    load_sample(rt, at("2021-02-01T09:00"))
    rt.store.dispose()
    cmd = [sys.executable, "-m", "tracker", "--db", db_url, "--config", str(config_file),
           "--now", "2021-05-17T08:00", "daemon"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=tmp_path,
                            env=_clean_env())
    try:
        lines, seen = _reader(proc.stderr), []
        _wait_for(lines, "started (pid", seen)
        line = _wait_for(lines, "tick at 2021-05-17 08:00 +0700: ", seen)
        assert "(28 sent stages, 100 skipped)" in line  # before:14 for all, plus the March backlog caught up
        second = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=WAIT)
        assert second.returncode == 1
        assert "another tracker daemon" in second.stderr and f"pid {proc.pid}" in second.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0
        _wait_for(lines, "received SIGTERM; stopping after the current pass", seen)
        _wait_for(lines, "stopped cleanly", seen)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)


@pytest.mark.parametrize("command", ["tick", "daemon", "simulate"])
def test_scheduler_help_shows_an_example_and_stays_light(command):
    code = (
        "import sys\n"
        "from tracker.cli import run\n"
        f"print('EXIT', run([{command!r}, '--help']))\n"
        "print('HEAVY', [m for m in ('sqlalchemy', 'apscheduler', 'holidays') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                         env=_clean_env(), timeout=WAIT).stdout
    assert "Example:" in out and "tracker " in out
    assert out.strip().endswith("EXIT 0\nHEAVY []")
