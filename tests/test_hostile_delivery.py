"""Delivery against hostile SMTP servers (issue 21): an answer lost after the
final dot, a final reply after the time limit, a server trickling a byte at a
time, a temporary refusal of one recipient. Each message arrives; a copy
(same Message-ID) only where the outcome could not be known, and at most one."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from tests.mail_support import HostileSmtp, copies, digest, enqueue_digests, outbox_rows, smtp_settings
from tracker.services.delivery import deliver_due
from tracker.services.runtime import Runtime

UTC = timezone.utc
NOW = datetime(2021, 5, 24, 1, 0, tzinfo=UTC)
UNITS = ("syt", "stc", "sgd")


def hostile_rt(rt, server: HostileSmtp, **mail) -> Runtime:
    values = {"message_timeout": 1.0, "smtp_timeout": 5}
    values.update(mail)
    return Runtime(smtp_settings(rt.settings, server.port, **values), rt.store, actor="tester")


def three_digests(rt) -> list[int]:
    return enqueue_digests(rt, [digest(f"unit:{u}|k", unit=u, to=(f"vanthu@{u}.example.vn",)) for u in UNITS], NOW)


def test_an_answer_lost_after_the_final_dot_is_uncertain_and_retried_once_later_with_the_same_message_id(rt):
    with HostileSmtp("drop") as server:
        hrt = hostile_rt(rt, server)
        ids = three_digests(hrt)

        first = deliver_due(hrt, NOW)
        # Each message handed over once; none again at once on a new connection.
        assert (first.attempted, first.sent, first.uncertain, first.retrying) == (3, 0, 3, 0)
        assert list(copies(server.messages).values()) == [1, 1, 1]
        rows = outbox_rows(hrt)
        assert [(rows[i].state, rows[i].next_attempt_at, rows[i].unknown_outcomes) for i in ids] == [
            ("uncertain", NOW + timedelta(minutes=5), 1)] * 3
        assert deliver_due(hrt, NOW + timedelta(minutes=4)).attempted == 0

        second = deliver_due(hrt, NOW + timedelta(minutes=5))
        assert second.uncertain == 3
        rows = outbox_rows(hrt)
        assert [rows[i].state for i in ids] == ["unconfirmed"] * 3  # never a third time
        assert deliver_due(hrt, NOW + timedelta(days=1)).attempted == 0
    arrived = copies(server.messages)
    assert set(arrived) == {rows[i].message_id for i in ids} and set(arrived.values()) == {2}


def test_a_final_reply_after_the_time_limit_is_uncertain_and_the_one_retry_completes_it(rt):
    with HostileSmtp("slow", delay=3.0) as server:
        hrt = hostile_rt(rt, server)
        ids = three_digests(hrt)
        first = deliver_due(hrt, NOW)
        assert (first.uncertain, first.sent) == (3, 0)
        assert "no complete answer within 1 s (mail.message_timeout)" in first.errors[0]
        server.mode = "normal"  # the server recovers
        second = deliver_due(hrt, NOW + timedelta(minutes=5))
        assert second.sent == 3
    rows = outbox_rows(hrt)
    assert [rows[i].state for i in ids] == ["sent"] * 3
    assert sorted(copies(server.messages).values()) == [2, 2, 2]  # one copy each, only because unknown


def test_a_server_trickling_a_byte_at_a_time_holds_a_message_no_longer_than_its_time_limit(rt):
    with HostileSmtp("trickle", interval=1.0) as server:
        hrt = hostile_rt(rt, server, message_timeout=1.5, pass_timeout=60)
        [outbox_id] = enqueue_digests(hrt, [digest()], NOW)
        report = deliver_due(hrt, NOW)
        assert report.uncertain == 1 and "within 1.5 s" in report.errors[0]
    assert outbox_rows(hrt)[outbox_id].state == "uncertain"


def test_a_server_trickling_its_greeting_cannot_hold_the_pass(rt):
    with HostileSmtp("trickle_all", interval=1.0) as server:
        hrt = hostile_rt(rt, server, message_timeout=1.5)
        [outbox_id] = enqueue_digests(hrt, [digest()], NOW)
        report = deliver_due(hrt, NOW)
    assert report.retrying == 1 and "no complete answer within 1.5 s" in report.errors[0]
    assert outbox_rows(hrt)[outbox_id].state == "queued" and server.messages == []


def test_one_temporary_recipient_refusal_does_not_hold_the_others(rt):
    with HostileSmtp(refuse=("head@syt.example.vn",)) as server:
        hrt = hostile_rt(rt, server)
        [outbox_id] = enqueue_digests(hrt, [digest(to=("vanthu@syt.example.vn",), cc=("head@syt.example.vn",))],
                                      NOW)
        first = deliver_due(hrt, NOW)
        assert first.retrying == 1
        assert [m.rcpt_tos for m in server.messages] == [["vanthu@syt.example.vn"]]
        row = outbox_rows(hrt)[outbox_id]
        assert (row.state, row.pending_recipients) == ("queued", ["head@syt.example.vn"])
        server.refuse.clear()
        assert deliver_due(hrt, NOW + timedelta(minutes=5)).sent == 1
    assert [m.rcpt_tos for m in server.messages] == [["vanthu@syt.example.vn"], ["head@syt.example.vn"]]
    assert len(copies(server.messages)) == 1  # one message, in two envelopes
    row = outbox_rows(hrt)[outbox_id]
    assert (row.state, row.pending_recipients) == ("sent", None)


def test_a_recipient_still_refusing_at_the_last_attempt_is_given_up_alone(rt):
    with HostileSmtp(refuse=("head@syt.example.vn",)) as server:
        hrt = hostile_rt(rt, server, max_attempts=2)
        [outbox_id] = enqueue_digests(hrt, [digest(to=("vanthu@syt.example.vn",), cc=("head@syt.example.vn",))],
                                      NOW)
        deliver_due(hrt, NOW)
        deliver_due(hrt, NOW + timedelta(minutes=5))
    assert [m.rcpt_tos for m in server.messages] == [["vanthu@syt.example.vn"]]
    row = outbox_rows(hrt)[outbox_id]
    assert row.state == "sent" and row.failed_recipients == ["head@syt.example.vn"]


def test_a_non_ascii_smtp_password_is_sent_as_utf8(rt, monkeypatch):
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", "mật-khẩu-Đà-Nẵng")
    with HostileSmtp() as server:
        hrt = hostile_rt(rt, server, smtp_user="vanthu")
        enqueue_digests(hrt, [digest()], NOW)
        report = deliver_due(hrt, NOW)
    assert report.sent == 1 and server.logins == [("vanthu", "mật-khẩu-Đà-Nẵng")]
