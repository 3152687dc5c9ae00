"""The daemon: APScheduler runs a pass every ``tick_minutes``; the store decides.

APScheduler holds exactly one job (the pass), never one job per reminder: what
is due lives in the database (``assignments.next_action_at``, ``decisions``),
so the daemon can be stopped, restarted or run twice without losing or
doubling a stage. Each pass reads the clock once and passes ``now`` down.

On SQLite only one daemon may run per database file: a second one would only
queue on the write lock, so it is refused up front (an ``fcntl`` lock on
``<db>.daemon.lock``, released by the kernel if the process dies). On
PostgreSQL several daemons may share a store; ``FOR UPDATE SKIP LOCKED`` in the
tick splits the work between them.

A database that is unreachable at start-up is waited for (``wait_for_store``);
one lost between passes costs that pass only (``run_pass`` logs it, the pool
reconnects for the next one).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

from tracker.store.engine import sqlite_path
from tracker.core.errors import TrackerError
from tracker.services.runtime import Runtime

log = logging.getLogger("tracker.daemon")

JOB_ID = "tracker-tick"
Clock = Callable[[], datetime]
# Waiting for an unreachable database at start-up: 1 s, doubling, capped at a minute.
STORE_WAIT_FIRST = 1.0
STORE_WAIT_CAP = 60.0


class AlreadyRunning(TrackerError):
    """Another daemon holds the lock of this SQLite database."""


class _Formatter(logging.Formatter):
    """One line per record; tracebacks only with TRACKER_DEBUG (operators read the journal)."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not os.environ.get("TRACKER_DEBUG"):
            exc = record.exc_info[1]
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
            record.args = ()
        return super().format(record)


def setup_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter("%(asctime)s tracker %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger("tracker")
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler's own warnings (a skipped run because the previous one overran) matter; its chatter does not.
    aps = logging.getLogger("apscheduler")
    aps.handlers[:] = [handler]
    aps.setLevel(logging.WARNING)


class SingleInstance:
    """An exclusive, non-blocking ``flock`` on ``<db>.daemon.lock`` for the daemon's lifetime."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_url(cls, url: str) -> "SingleInstance | None":
        db = sqlite_path(url)
        if db is None:
            return None
        # The file itself, symlinks resolved: two paths to one store take one lock.
        db = db.resolve()
        return cls(db.with_name(db.name + ".daemon.lock"))

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another tracker daemon (pid {holder}) is already running on this database "
                f"(lock {self.path}); stop it first, or use PostgreSQL to run several"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SingleInstance":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def run_pass(rt: Runtime, clock: Clock, stop: threading.Event | None = None) -> None:
    """The job: one tick at the clock's ``now``, one log line. Never raises: the
    next pass must run even if this one failed (its batch was rolled back).
    ``stop`` (SIGTERM) ends its delivery between two messages."""
    from tracker.services.tick import tick

    now = clock()
    read_mailbox(rt, now)
    try:
        # The daemon logs a pass's counts; its decisions are in the store, not kept in memory.
        result = tick(rt, now, stop=stop, decision_rows=False)
    except Exception:
        log.exception("pass at %s failed; nothing of it was committed past the failing batch", now.isoformat())
        return
    log.info("%s", result.summary(rt.tz))


def read_mailbox(rt: Runtime, now: datetime) -> None:
    """Read the office mailbox when one is configured, before the tick, so a
    bounce read now already copies the head in this pass's digests. A mailbox
    that is down or refuses the password costs one log line per pass; the pass
    goes on."""
    from tracker.services.inbox import configured, fetch

    if not configured(rt):
        return
    try:
        report = fetch(rt, now)
    except Exception as exc:
        log.error("inbox not read: %s", exc if isinstance(exc, TrackerError) else f"{type(exc).__name__}: {exc}")
        return
    if report.read or report.errors:
        log.info("%s", report.summary())


def wait_for_store(rt: Runtime, stop: threading.Event) -> bool:
    """Block until the store answers with its schema; False if asked to stop first.

    A database that is down when the daemon starts (a reboot where PostgreSQL
    comes up later, a failover) is waited for, with a log line per attempt,
    instead of exiting: systemd does not restart an exit status of 1, so exiting
    would stop reminders until someone noticed. An uninitialised database is a
    configuration error and still ends the daemon at once.
    """
    from tracker.store.engine import NotInitialised
    from tracker.core.errors import StoreError

    delay = STORE_WAIT_FIRST
    while True:
        try:
            rt.store.require_schema()
            return True
        except NotInitialised:
            raise
        except StoreError as exc:
            log.warning("%s; retrying in %.0f s", exc, delay)
        if stop.wait(delay):
            return False
        delay = min(STORE_WAIT_CAP, delay * 2)


def build_scheduler(rt: Runtime, clock: Clock, *, blocking: bool = False, stop: threading.Event | None = None):
    """The APScheduler wiring, separate from signals so it can be tested without running."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(executors={"default": ThreadPoolExecutor(max_workers=1)}, timezone=timezone.utc)
    minutes = rt.settings.schedule.tick_minutes
    scheduler.add_job(
        run_pass, IntervalTrigger(minutes=minutes, timezone=timezone.utc), args=(rt, clock, stop), id=JOB_ID,
        name="tracker tick",
        # One pass at start-up: catch up whatever fell due while the daemon was stopped.
        next_run_time=datetime.now(timezone.utc),
        # Missed runs (the machine slept, a pass overran) collapse into one: a pass
        # always decides everything that is due, so running it twice in a row
        # would only cost time.
        coalesce=True,
        # Never two passes at once in one process: they would race for the same rows.
        max_instances=1,
        # APScheduler 3.x's default grace is 1 s: a run that starts late (a slow
        # previous pass, a suspended VM, a busy host) would be silently dropped and
        # the reminders due in it delayed a whole interval. A late pass is always
        # correct (the policy catches up), so it may run however late it is.
        misfire_grace_time=None,
        replace_existing=True,
    )
    return scheduler


def run_daemon(rt: Runtime, *, clock: Clock | None = None, stop: threading.Event | None = None,
               install_signals: bool = True) -> int:
    """Run until SIGTERM/SIGINT (or ``stop`` is set); the current pass finishes first. Returns 0."""
    clock = clock or (lambda: datetime.now(timezone.utc))
    stop = stop or threading.Event()
    setup_logging()
    guard = SingleInstance.for_url(rt.store.url)
    if guard is not None:
        guard.acquire()
    try:
        if install_signals:
            def _on_signal(signum, _frame) -> None:
                # Only flag it: shutting down from inside a signal handler could
                # interrupt a pass half-way; the main thread does it in order.
                # A pass in delivery stops between two messages; one message is bounded by
                # mail.message_timeout, well within systemd's TimeoutStopSec.
                log.info("received %s; stopping after the current pass (its delivery after the current message)",
                         signal.Signals(signum).name)
                stop.set()

            signal.signal(signal.SIGTERM, _on_signal)
            signal.signal(signal.SIGINT, _on_signal)
        if not wait_for_store(rt, stop):
            log.info("stopped before the database answered")
            return 0
        scheduler = build_scheduler(rt, clock, stop=stop)
        log.info("started (pid %d): a pass every %d min on %s", os.getpid(), rt.settings.schedule.tick_minutes,
                 _describe(rt))
        scheduler.start()
        while not stop.wait(timeout=1.0):
            pass
        started = time.monotonic()
        scheduler.shutdown(wait=True)  # waits for a running pass to finish
        log.info("stopped cleanly (waited %.1f s for the last pass)", time.monotonic() - started)
        return 0
    finally:
        if guard is not None:
            guard.release()


def _describe(rt: Runtime) -> str:
    from tracker.store.engine import redact

    return redact(rt.store.url)
