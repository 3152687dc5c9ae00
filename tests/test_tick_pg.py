"""tick on PostgreSQL: several daemons share the work (FOR UPDATE SKIP LOCKED), each stage once."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.db.engine import Store
from tracker.db.models import Decision, OutboxMessage
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
    assert sum(r.sent for r in results) == 14  # the work was split, not repeated
    for rt in (main, *daemons):
        rt.store.dispose()
