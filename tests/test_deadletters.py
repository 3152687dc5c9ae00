"""A message that cannot be delivered is reported to the coordinator, once."""

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import at, load_sample
from tests.mail_support import closed_port, digest, enqueue_digests, smtp_settings
from tracker.store.models import OutboxMessage
from tracker.services.delivery import deliver_due
from tracker.services.deadletters import notify_dead_letters
from tracker.services.runtime import Runtime


def test_dead_letter_is_reported_to_the_plan_coordinator_once(rt):
    now = at("2021-05-24T08:00")
    load_sample(rt, at("2021-03-01T09:00"))
    down = Runtime(smtp_settings(rt.settings, closed_port(), max_attempts=1), rt.store, actor="tester")
    [failed_id] = enqueue_digests(down, [digest()], now)
    assert deliver_due(down, now).failed == 1

    with rt.store.write() as session:
        assert notify_dead_letters(rt, session, now + timedelta(minutes=5)) == 1
    with rt.store.write() as session:  # a second pass, or a second daemon, adds nothing
        assert notify_dead_letters(rt, session, now + timedelta(minutes=10)) == 0
    with rt.store.read() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("dead-letter|%"))).one()
    assert notice.key == f"dead-letter|{failed_id}|sldtbxh"
    assert notice.to_addrs == ["vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn"]
    assert notice.subject == "[Không gửi được] Thư nhắc hạn tới vanthu@syt.example.vn"
    assert notice.body_text.splitlines()[0] == "Kính gửi: Sở Lao động - Thương binh và Xã hội"
    assert f"tracker outbox retry {failed_id}" in notice.body_text


def test_a_failed_notice_does_not_report_itself(rt):
    now = at("2021-05-24T08:00")
    load_sample(rt, at("2021-03-01T09:00"))
    down = Runtime(smtp_settings(rt.settings, closed_port(), max_attempts=1), rt.store, actor="tester")
    enqueue_digests(down, [digest()], now)
    deliver_due(down, now)
    with rt.store.write() as session:
        notify_dead_letters(rt, session, now)
    assert deliver_due(down, now + timedelta(minutes=1)).failed == 1  # the notice itself fails too
    with rt.store.write() as session:
        assert notify_dead_letters(rt, session, now + timedelta(minutes=2)) == 0


def test_the_tick_reports_an_earlier_dead_letter_and_delivers_the_notice(rt):
    from tracker.services.tick import tick

    now = at("2021-05-24T08:00")
    load_sample(rt, at("2021-03-01T09:00"))
    down = Runtime(smtp_settings(rt.settings, closed_port(), max_attempts=1), rt.store, actor="tester")
    [failed_id] = enqueue_digests(down, [digest()], now)
    deliver_due(down, now)
    tick(rt, now + timedelta(minutes=5))  # file transport: the notice is written as .eml
    with rt.store.read() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("dead-letter|%"))).one()
    assert (notice.key, notice.state) == (f"dead-letter|{failed_id}|sldtbxh", "sent")


def unconfirmed_message(rt, now) -> int:
    """A digest the server took twice without an answer: ``unconfirmed``, never sent a third time."""
    from tests.mail_support import HostileSmtp

    load_sample(rt, at("2021-03-01T09:00"))
    with HostileSmtp("drop") as server:
        lost = Runtime(smtp_settings(rt.settings, server.port, message_timeout=1.0, smtp_timeout=5), rt.store,
                       actor="tester")
        [outbox_id] = enqueue_digests(lost, [digest()], now)
        assert deliver_due(lost, now).uncertain == 1
        assert deliver_due(lost, now + timedelta(minutes=5)).uncertain == 1
    with rt.store.read() as session:
        assert session.get(OutboxMessage, outbox_id).state == "unconfirmed"
    return outbox_id


def test_an_unconfirmed_message_is_reported_to_the_plan_coordinator_once(rt):
    now = at("2021-05-24T08:00")
    outbox_id = unconfirmed_message(rt, now)
    with rt.store.write() as session:
        assert notify_dead_letters(rt, session, now + timedelta(minutes=10)) == 1
    with rt.store.write() as session:
        assert notify_dead_letters(rt, session, now + timedelta(minutes=15)) == 0
    with rt.store.read() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("dead-letter|%"))).one()
    assert notice.key == f"dead-letter|{outbox_id}|sldtbxh|unconfirmed"
    assert notice.subject == "[Chưa xác nhận] Thư nhắc hạn tới vanthu@syt.example.vn"
    assert notice.body_text == (
        "Kính gửi: Sở Lao động - Thương binh và Xã hội\n\n"
        "Máy chủ thư đã nhận thư sau nhưng không xác nhận (kết nối bị ngắt hoặc quá thời gian chờ sau khi gửi), "
        "hai lần, nên không biết đơn vị đã nhận được hay chưa. Hệ thống không gửi lại thư này:\n\n"
        "- Thư: [Nhắc hạn] Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ – còn 7 ngày\n"
        "- Người nhận: vanthu@syt.example.vn\n"
        "- Lỗi: outcome unknown twice; not sent again: SMTP server: message handed over, then "
        "Connection unexpectedly closed\n"
        "- Thời điểm: 24/05/2021 08:05\n\n"
        "Đề nghị hỏi đơn vị đã nhận được thư chưa; nếu chưa, gửi lại bằng: "
        f"tracker outbox retry {outbox_id}\n"
    )


def test_an_unconfirmed_message_is_retried_only_when_named(rt):
    from tracker.store.outbox import requeue

    now = at("2021-05-24T08:00")
    outbox_id = unconfirmed_message(rt, now)
    assert requeue(rt, now + timedelta(hours=1)) == []  # "every failed message" leaves it alone
    assert requeue(rt, now + timedelta(hours=1), [outbox_id]) == [outbox_id]
    with rt.store.read() as session:
        row = session.get(OutboxMessage, outbox_id)
    assert (row.state, row.attempts, row.unknown_outcomes) == ("queued", 0, 0)
