"""tick on PostgreSQL: several daemons at once, each stage decided once, one message per recipient."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

import pytest
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


@pytest.fixture
def pg_sample(pg_url, settings):
    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))  # as tests/test_tick.py's sample: the tests start in May
    yield rt
    rt.store.dispose()


def _messages(rt, since: datetime) -> list[OutboxMessage]:
    with rt.store.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.created_at >= since)))


def test_on_postgresql_batch_two_is_decided_while_batch_one_is_written(pg_sample, monkeypatch):
    """The pass overlaps its own batches: the server writes one while this process decides the next."""
    import tracker.services.batches as batches

    real_decide, real_write = batches._decide, batches._write
    second_decided, threads = threading.Event(), []

    def decide(p, conn, rows):
        batch = real_decide(p, conn, rows)
        if p.result.evaluated == 0 and threads:  # batch 1 is being written, not yet counted
            second_decided.set()
        return batch

    def write(p, conn, batch):
        threads.append(threading.current_thread().name)
        if len(threads) == 1:  # batch 1's write waits until batch 2 has been decided
            assert second_decided.wait(timeout=30), "batch 2 was not decided while batch 1 was written"
        return real_write(p, conn, batch)

    monkeypatch.setattr(batches, "_decide", decide)
    monkeypatch.setattr(batches, "_write", write)
    result = tick(pg_sample, at("2021-05-17T08:00"), batch_size=5, deliver=False)
    assert (result.errors, result.evaluated, result.sent, len(set(result.messages))) == (0, 14, 14, 14)
    assert len(threads) == 3 and all(name.startswith("tick-writer") for name in threads)


def test_on_postgresql_batches_of_one_pass_merge_into_one_message_per_recipient(pg_sample):
    rt = pg_sample
    tick(rt, at("2021-06-01T08:00"), deliver=False)
    tick(rt, at("2021-06-03T08:00"), batch_size=4, deliver=False)
    coordinator = [m for m in _messages(rt, at("2021-06-03T08:00")) if m.key == "unit:sldtbxh|2021-06-03T01:00:00Z"]
    assert len(coordinator) == 1 and len(coordinator[0].items) == 14
    with rt.store.read() as s:
        sent = list(s.scalars(select(Decision).where(Decision.stage == "after:2",
                                                     Decision.due_at == at("2021-05-31T23:59:59"))))
    assert {d.outbox_id for d in sent} == {coordinator[0].id} and len(sent) == 14
    assert all(d.recipients and all(isinstance(r, str) for r in d.recipients) for d in sent)  # binary COPY: JSON


def test_on_postgresql_a_failed_batch_is_rolled_back_alone_and_the_next_opens_its_own_messages(
        pg_sample, monkeypatch):
    import tracker.services.batches as batches

    rt, real, calls = pg_sample, batches.placeholder, {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 7:  # the second batch of five
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "placeholder", flaky)
    first = tick(rt, at("2021-05-17T08:00"), batch_size=5, deliver=False)
    assert (first.errors, first.sent) == (1, 9)
    monkeypatch.setattr(batches, "placeholder", real)
    second = tick(rt, at("2021-05-17T08:05"), batch_size=5, deliver=False)
    assert (second.errors, second.sent) == (0, 5)
    with rt.store.read() as s:
        sent = [(d.assignment_id, d.stage) for d in s.scalars(select(Decision).where(
            Decision.stage == "before:14", Decision.due_at == at("2021-05-31T23:59:59")))]
    assert len(sent) == len(set(sent)) == 14
    items = Counter(i["unit"] for m in _messages(rt, at("2021-05-17T08:00")) for i in m.items)
    assert items == {unit: 1 for unit in items} and len(items) == 14
