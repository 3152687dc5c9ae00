"""The dead-letter notice tells the truth, and a retried message goes to the
unit's addresses as they are now."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import at, load_sample
from tests.mail_support import closed_port, digest, enqueue_digests, smtp_settings
from tracker.services.deadletters import render_notice
from tracker.services.delivery import deliver_due
from tracker.services.runtime import Runtime
from tracker.store.models import OutboxMessage, Unit
from tracker.store.outbox import FailedDelivery, requeue

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_partly_refused_message_is_said_to_have_reached_the_other_addresses():
    f = FailedDelivery(7, "unit:syt|x", "syt", ("a@syt.example.vn", "b@syt.example.vn"), "[Nhắc hạn] …", "sent",
                       ("b@syt.example.vn",), None, datetime(2021, 5, 24, 1, 0, tzinfo=timezone.utc))
    _subject, body = render_notice(f, "Sở LĐTBXH", "vi", TZ)
    assert "Thư đã được gửi tới các địa chỉ còn lại (a@syt.example.vn)" in body
    assert "tracker outbox retry" not in body  # it would be refused for a sent message


def test_a_dead_letters_advice_is_a_command_that_works(rt):
    f = FailedDelivery(7, "unit:syt|x", "syt", ("a@syt.example.vn",), "[Nhắc hạn] …", "failed", (), "timeout",
                       datetime(2021, 5, 24, 1, 0, tzinfo=timezone.utc))
    assert "tracker outbox retry 7" in render_notice(f, "Sở LĐTBXH", "vi", TZ)[1]


def test_outbox_retry_sends_to_the_units_current_addresses(rt):
    now = at("2021-05-24T08:00")
    load_sample(rt, at("2021-03-01T09:00"))
    down = Runtime(smtp_settings(rt.settings, closed_port(), max_attempts=1), rt.store, actor="tester")
    [failed_id] = enqueue_digests(down, [digest()], now)
    assert deliver_due(down, now).failed == 1
    with rt.store.write() as session:  # the coordinator corrects the address
        session.scalars(select(Unit).where(Unit.code == "syt")).one().emails = ["moi@syt.example.vn"]
    assert requeue(rt, now + timedelta(hours=1), [failed_id]) == [failed_id]
    with rt.store.read() as session:
        assert session.get(OutboxMessage, failed_id).to_addrs == ["moi@syt.example.vn"]
