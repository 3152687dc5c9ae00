"""tick on PostgreSQL: several daemons at once, each stage decided once, one message per recipient."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.store.engine import Store
from tracker.store.models import Decision, OutboxMessage
from tracker.services.catalog import init_db
from tracker.services.runtime import Runtime
from tracker.services.tick import tick


def test_two_concurrent_passes_on_postgresql_decide_and_send_each_stage_once(pg_url, settings):
    main = Runtime(settings, Store(pg_url), actor="tester")
    init_db(main)
    load_sample(main, at("2021-02-01T09:00"))
    tick(main, at("2021-05-31T09:00"), deliver=False)
    daemons = [Runtime(settings, Store(pg_url), actor=f"d{n}") for n in range(2)]
    barrier, results, errors = threading.Barrier(2), [], []

    def run(rt: Runtime) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(tick(rt, at("2021-06-01T08:00"), batch_size=2, deliver=False))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rt,)) for rt in daemons]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 2
    tick(main, at("2021-06-01T08:05"), deliver=False)  # whatever a rolled-back batch left, decided once now
    with main.store.read() as s:
        after1 = list(s.scalars(select(Decision).where(Decision.stage == "after:1",
                                                       Decision.due_at == at("2021-05-31T23:59:59"))))
        messages = list(s.scalars(select(OutboxMessage).where(OutboxMessage.created_at >= at("2021-06-01T08:00"))))
    assert len(after1) == len({d.assignment_id for d in after1}) == 14
    assert all(d.outcome == "sent" for d in after1)
    assert Counter(i["unit"] for m in messages for i in m.items if i["stage"] == "after:1") == {
        d: 1 for d in {i["unit"] for m in messages for i in m.items}}
    assert sum(r.sent for r in results) == 14  # decided once, not repeated
    # One decided, the other left it the whole pass: no unit got a message from each.
    assert sorted((r.deferred, r.sent) for r in results) == [(False, 14), (True, 0)]
    assert Counter(m.recipient_unit for m in messages) == {m.recipient_unit: 1 for m in messages}  # 14, once each
    for rt in (main, *daemons):
        rt.store.dispose()


def test_a_pass_that_finds_another_deciding_only_delivers(pg_url, settings):
    import psycopg

    from tracker.services.tick import DECIDING_LOCK

    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"), deliver=False)  # the plan's first stages: one digest queued
    with psycopg.connect(pg_url, autocommit=True) as other:  # another daemon, mid-pass
        other.execute("SELECT pg_advisory_lock(%s)", (DECIDING_LOCK,))
        held = tick(rt, at("2021-05-17T08:00"))
        # The other daemon's pass ends. (Unlocked here rather than by closing the
        # session: a closed session's backend may still hold the lock for a moment.)
        other.execute("SELECT pg_advisory_unlock(%s)", (DECIDING_LOCK,))
    assert (held.deferred, len(held.decisions), held.materialised, held.delivered) == (True, 0, 0, 1)
    assert held.summary(settings.tz).startswith(
        "tick at 2021-05-17 08:00 +0700: 0 decided (0 sent stages, 0 skipped), 0 messages enqueued, 1 delivered; "
        "0 assignments looked at, 0 materialised, deciding left to another process in ")
    freed = tick(rt, at("2021-05-17T08:05"))
    assert (freed.deferred, freed.sent, freed.delivered) == (False, 14, 14)
    rt.store.dispose()
