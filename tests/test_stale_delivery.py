"""At delivery, a queued message is checked against the assignments as they are
now (issue 21): what was submitted, waived or has expired while the message
waited is not sent; what is left is rendered again; an empty message is not
sent at all."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.services.delivery import deliver_due
from tracker.services.records import submit
from tracker.services.tick import tick
from tracker.store.models import OutboxMessage


def rows(rt) -> list[OutboxMessage]:
    with rt.store.read() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def sample(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))
    return rt


def test_a_reminder_queued_before_a_submission_is_not_sent_after_it(rt, tmp_path):
    sample(rt)
    start = rows(rt)[-1].id
    tick(rt, at("2021-05-17T08:00"), deliver=False)  # decided and queued; the SMTP server is down, say
    submit(rt, at("2021-05-17T09:00"), "hlhpn", "bao-cao-6-thang")
    report = deliver_due(rt, at("2021-05-17T09:05"))
    queued = [r for r in rows(rt) if r.id > start]
    hlhpn = [r for r in queued if r.recipient_unit == "hlhpn"]
    assert [(r.state, r.last_error) for r in hlhpn] == [
        ("withdrawn", "nothing left to send: hn-2021-43/bao-cao-6-thang/hlhpn/2021 before:14: "
                      "the assignment is submitted")]
    assert report.withdrawn == 1 and report.sent == len(queued) - 1
    assert {r.state for r in queued if r.recipient_unit != "hlhpn"} == {"sent"}
    sent_to = {p.read_bytes().count(b"vanphong@hlhpn.example.vn") for p in (tmp_path / "outbox").glob("*.eml")}
    assert sent_to == {0}  # no file was written for it


def test_a_digest_drops_the_submitted_item_and_is_rendered_again_with_the_others(rt):
    sample(rt)
    for when in ("2021-05-31T08:00", "2021-06-01T08:00"):
        tick(rt, at(when))
    start = rows(rt)[-1].id
    tick(rt, at("2021-06-03T08:00"), deliver=False)  # level 2: the coordinator hears of every late unit
    [coordinator] = [r for r in rows(rt) if r.id > start and r.recipient_unit == "sldtbxh"]
    assert len(coordinator.items) >= 2
    gone = coordinator.items[0]
    submit(rt, at("2021-06-03T09:00"), gone["unit"], gone["obligation"])
    deliver_due(rt, at("2021-06-03T09:05"))
    after = {r.id: r for r in rows(rt)}[coordinator.id]
    assert after.state == "sent" and after.items == coordinator.items[1:]
    before = int(re.search(r"thông báo (\d+) công việc", coordinator.body_text).group(1))
    assert f"thông báo {before - 1} công việc cần chú ý" in after.body_text  # rendered again, one fewer


def test_a_deadline_day_reminder_queued_before_its_deadline_is_not_sent_after_it(rt):
    sample(rt)
    start = rows(rt)[-1].id
    tick(rt, at("2021-05-31T08:00"), deliver=False)  # "due today", queued; the server stays down all day
    report = deliver_due(rt, at("2021-06-01T08:00"))
    queued = [r for r in rows(rt) if r.id > start]
    assert queued and {r.state for r in queued} == {"withdrawn"}
    assert all("its moment passed while it was queued" in r.last_error for r in queued)
    assert report.withdrawn == len(queued) and report.sent == 0


def test_an_escalation_a_later_stage_replaced_while_it_was_queued_is_not_sent(rt):
    sample(rt)
    for when in ("2021-05-17T08:00", "2021-05-31T08:00"):
        tick(rt, at(when))
    start = rows(rt)[-1].id
    tick(rt, at("2021-06-01T08:00"), deliver=False)  # level 1 to each late unit; the server is down
    level1 = [r for r in rows(rt) if r.id > start]
    assert level1 and {i["stage"] for r in level1 for i in r.items} == {"after:1"}
    middle = rows(rt)[-1].id
    tick(rt, at("2021-06-03T08:00"), deliver=False)  # still down: level 2 to the coordinator is decided
    level2 = [r for r in rows(rt) if r.id > middle]
    assert level2 and {i["stage"] for r in level2 for i in r.items} == {"after:2"}
    report = deliver_due(rt, at("2021-06-03T08:05"))
    after = {r.id: r for r in rows(rt)}
    for r in level1:
        [item] = r.items
        key = f"{item['plan']}/{item['obligation']}/{item['unit']}/{item['period']}"
        assert (after[r.id].state, after[r.id].last_error) == (
            "withdrawn", f"nothing left to send: {key} after:1: a later stage (after:2) replaced it while it was queued")
    assert {after[r.id].state for r in level2} == {"sent"}
    assert (report.withdrawn, report.sent) == (len(level1), len(level2))


def test_a_digest_keeps_and_renders_again_its_items_no_later_stage_replaced(rt):
    from types import SimpleNamespace

    from sqlalchemy import delete

    from tracker.services.freshness import review
    from tracker.store.tables import assignments, decisions, obligations, units

    sample(rt)
    for when in ("2021-05-17T08:00", "2021-05-31T08:00"):
        tick(rt, at(when))
    start = rows(rt)[-1].id
    tick(rt, at("2021-06-01T08:00"), deliver=False)
    first, second = [r for r in rows(rt) if r.id > start][:2]
    tick(rt, at("2021-06-03T08:00"), deliver=False)
    kept = second.items[0]
    with rt.store.write() as s:  # the second unit's level 2 was never decided: its level 1 is still the news
        aid = s.scalar(select(assignments.c.id).join(units, units.c.id == assignments.c.unit_id)
                       .join(obligations, obligations.c.id == assignments.c.obligation_id)
                       .where(units.c.code == kept["unit"], assignments.c.period == kept["period"],
                              obligations.c.code == kept["obligation"]))
        s.execute(delete(decisions).where(decisions.c.assignment_id == aid, decisions.c.stage == "after:2"))
    row = SimpleNamespace(key=first.key, created_at=first.created_at, recipient_unit=first.recipient_unit,
                          to_addrs=first.to_addrs, cc_addrs=first.cc_addrs, reply_to=first.reply_to,
                          items=list(first.items) + [kept])
    gone = first.items[0]
    with rt.store.read() as s:
        seen = review(s.connection(), rt, row, at("2021-06-03T08:05"))
    assert seen.dropped == (f"{gone['plan']}/{gone['obligation']}/{gone['unit']}/{gone['period']} after:1: "
                            "a later stage (after:2) replaced it while it was queued",)
    assert seen.items == [kept]
    assert "thông báo 1 công việc cần chú ý" in seen.rendered.text  # rendered again, without the replaced one


def test_an_escalation_a_later_stage_replaced_is_not_sent_on_postgresql(pg_url, settings):
    from tracker.services.catalog import init_db
    from tracker.services.runtime import Runtime
    from tracker.store.engine import Store

    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    try:
        sample(rt)
        for when in ("2021-05-17T08:00", "2021-05-31T08:00"):
            tick(rt, at(when))
        start = rows(rt)[-1].id
        tick(rt, at("2021-06-01T08:00"), deliver=False)
        level1 = [r.id for r in rows(rt) if r.id > start]
        tick(rt, at("2021-06-03T08:00"), deliver=False)
        report = deliver_due(rt, at("2021-06-03T08:05"))
        after = {r.id: r for r in rows(rt)}
        assert level1 and {after[i].state for i in level1} == {"withdrawn"}
        assert all(after[i].last_error.endswith("after:1: a later stage (after:2) replaced it while it was queued")
                   for i in level1)
        assert report.withdrawn == len(level1) and report.sent == len(after) - start - len(level1)
    finally:
        rt.store.dispose()


def test_a_reminder_queued_before_a_submission_is_not_sent_after_it_on_postgresql(pg_url, settings):
    # The delivery loop's connection is in autocommit on PostgreSQL: the check must run there too.
    from tracker.services.catalog import init_db
    from tracker.services.runtime import Runtime
    from tracker.store.engine import Store

    rt = Runtime(settings, Store(pg_url), actor="tester")
    init_db(rt)
    try:
        sample(rt)
        start = rows(rt)[-1].id
        tick(rt, at("2021-05-17T08:00"), deliver=False)
        submit(rt, at("2021-05-17T09:00"), "hlhpn", "bao-cao-6-thang")
        report = deliver_due(rt, at("2021-05-17T09:05"))
        queued = [r for r in rows(rt) if r.id > start]
        assert [(r.state, r.last_error) for r in queued if r.recipient_unit == "hlhpn"] == [
            ("withdrawn", "nothing left to send: hn-2021-43/bao-cao-6-thang/hlhpn/2021 before:14: "
                          "the assignment is submitted")]
        assert report.withdrawn == 1 and report.sent == len(queued) - 1
    finally:
        rt.store.dispose()
