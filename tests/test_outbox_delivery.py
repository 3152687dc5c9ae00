"""deliver_due against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from tests.mail_support import (
    SmtpServer,
    closed_port,
    digest,
    enqueue_digests,
    item,
    outbox_rows,
    smtp_server,  # noqa: F401  (fixture)
    smtp_settings,
)
from tests.reliability_support import age_leases
from tracker.store.models import OutboxMessage
from tracker.render.message import message_id_for
from tracker.services.delivery import deliver_due
from tracker.store.outbox import count_failed, failed_since, requeue
from tracker.services.runtime import Runtime

UTC = timezone.utc
NOW = datetime(2021, 5, 24, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@pytest.fixture
def smtp_rt(rt, smtp_server):
    return Runtime(smtp_settings(rt.settings, smtp_server.port), rt.store, actor="tester")


def test_delivers_one_digest_per_recipient_over_one_connection(smtp_rt, smtp_server):
    units = [("syt", "Sở Y tế"), ("stc", "Sở Tài chính"), ("hlhpn", "Hội Liên hiệp Phụ nữ thành phố Hà Nội")]
    ids = enqueue_digests(smtp_rt, [
        digest(f"{code}/2021-05-24", unit=code, name=name, to=(f"vanthu@{code}.example.vn",),
               cc=(f"giamdoc@{code}.example.vn",)) for code, name in units], NOW)

    report = deliver_due(smtp_rt, NOW)

    assert (report.attempted, report.sent, report.retrying, report.failed) == (3, 3, 0, 0)
    assert smtp_server.handler.connections == 1  # one SMTP session for the whole batch
    assert len(smtp_server.messages) == 3
    for (code, _name), received in zip(units, smtp_server.messages):
        assert received.rcpt_tos == [f"vanthu@{code}.example.vn", f"giamdoc@{code}.example.vn"]
        assert received.mail_from == "tracker@example.vn"
    rows = outbox_rows(smtp_rt)
    assert [rows[i].state for i in ids] == ["sent"] * 3
    assert all(rows[i].sent_at == NOW and rows[i].attempts == 1 and rows[i].claimed_by is None for i in ids)


def test_headers_and_vietnamese_encoding(smtp_rt, smtp_server):
    d = digest(items=(item(), item("ke-hoach-don-vi", stage="after:1", title="Kế hoạch của đơn vị",
                                   due=datetime(2021, 3, 9, 16, 59, 59, tzinfo=UTC))))
    [outbox_id] = enqueue_digests(smtp_rt, [d], NOW)
    deliver_due(smtp_rt, NOW)

    raw = smtp_server.messages[0].data
    assert max(raw) < 128  # 7-bit on the wire: works with servers without 8BITMIME/SMTPUTF8
    msg = smtp_server.messages[0].parsed()
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # RFC 2047 encoded subject
    assert msg["Subject"] == "[Quá hạn] 2 công việc cần chú ý, 1 việc quá hạn"
    assert msg["From"].addresses[0].addr_spec == "tracker@example.vn"
    assert msg["From"].addresses[0].display_name == "Hệ thống nhắc hạn công việc"
    assert str(msg["To"]) == "vanthu@syt.example.vn"
    assert str(msg["Reply-To"]) == "vanthu@sldtbxh.example.vn"
    expected_id = message_id_for(outbox_id, "syt/2021-05-24T01:00", "tracker@example.vn")
    assert msg["Message-ID"] == expected_id
    assert expected_id.startswith(f"<outbox-{outbox_id}-") and expected_id.endswith("@example.vn>")
    assert outbox_rows(smtp_rt)[outbox_id].message_id == expected_id
    assert msg["Auto-Submitted"] == "auto-generated"

    # Base64 text parts carry canonical CRLF line ends (RFC 2045); compare lines.
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content()
    assert msg.get_body(("plain",)).get_content_charset() == "utf-8"
    assert "Kính gửi: Sở Y tế" in text
    assert "   Hạn: Thứ Hai, 31/05/2021 (còn 7 ngày)\n" in text
    assert "   Hạn: Thứ Ba, 09/03/2021 (đã quá hạn 76 ngày)\n" in text
    assert '   Theo kế hoạch: "Báo cáo 06 tháng ... gửi trước ngày 30/5/2021."\n' in text
    assert text.index("Kế hoạch của đơn vị") < text.index("Báo cáo 06 tháng")  # overdue first
    assert "Thứ Hai, 31/05/2021" in html and "còn 7 ngày" in html


def test_message_id_is_stable_across_attempts(smtp_rt, smtp_server):
    # A 4xx for b holds nobody: a gets it now, b alone later, under the same Message-ID.
    [outbox_id] = enqueue_digests(smtp_rt, [digest(to=("a@syt.example.vn", "b@syt.example.vn"))], NOW)
    smtp_server.handler.reject["b@syt.example.vn"] = "451 4.3.0 try again later"
    first = deliver_due(smtp_rt, NOW)
    assert first.retrying == 1 and [m.rcpt_tos for m in smtp_server.messages] == [["a@syt.example.vn"]]
    row = outbox_rows(smtp_rt)[outbox_id]
    assert row.state == "queued" and row.last_error.startswith("deferred: b@syt.example.vn: 451")
    assert row.pending_recipients == ["b@syt.example.vn"]

    del smtp_server.handler.reject["b@syt.example.vn"]
    deliver_due(smtp_rt, NOW + timedelta(minutes=5))
    first_copy, second = smtp_server.messages
    assert second.rcpt_tos == ["b@syt.example.vn"]
    assert first_copy.parsed()["Message-ID"] == second.parsed()["Message-ID"] == row.message_id
    assert outbox_rows(smtp_rt)[outbox_id].state == "sent"


def test_second_pass_sends_nothing_again(smtp_rt, smtp_server):
    enqueue_digests(smtp_rt, [digest("a"), digest("b", to=("x@stc.example.vn",))], NOW)
    assert deliver_due(smtp_rt, NOW).sent == 2
    again = deliver_due(smtp_rt, NOW + timedelta(hours=1))
    assert again.attempted == 0 and len(smtp_server.messages) == 2
    assert smtp_server.handler.connections == 1  # nothing due: no connection opened


def test_server_down_then_back_delivers_everything_once_with_exact_backoff(rt):
    port = closed_port()
    down_rt = Runtime(smtp_settings(rt.settings, port), rt.store, actor="tester")
    ids = enqueue_digests(down_rt, [digest("a"), digest("b", to=("x@stc.example.vn",))], NOW)

    with freeze_time(NOW) as clock:
        now = datetime.now(UTC)
        report = deliver_due(down_rt, now)
        assert (report.attempted, report.retrying, report.sent) == (2, 2, 0)
        assert "connection refused" in report.errors[0]
        rows = outbox_rows(down_rt)
        assert [rows[i].next_attempt_at for i in ids] == [now + timedelta(minutes=5)] * 2
        assert all(rows[i].state == "queued" and rows[i].attempts == 1 for i in ids)
        assert "connection refused" in rows[ids[0]].last_error

        clock.tick(timedelta(minutes=4))  # not due yet: nothing tried
        assert deliver_due(down_rt, datetime.now(UTC)).attempted == 0

        clock.tick(timedelta(minutes=1))  # second failure: the wait doubles
        now = datetime.now(UTC)
        assert deliver_due(down_rt, now).retrying == 2
        rows = outbox_rows(down_rt)
        assert [rows[i].next_attempt_at for i in ids] == [now + timedelta(minutes=10)] * 2
        assert [rows[i].attempts for i in ids] == [2, 2]

        server = SmtpServer().start(port)  # the server is back on the same port
        try:
            clock.tick(timedelta(minutes=10))
            now = datetime.now(UTC)
            report = deliver_due(down_rt, now)
            assert (report.sent, report.retrying) == (2, 0)
            assert deliver_due(down_rt, now + timedelta(hours=1)).attempted == 0
        finally:
            server.stop()
    assert len(server.messages) == 2  # each delivered exactly once
    rows = outbox_rows(down_rt)
    assert all(rows[i].state == "sent" and rows[i].attempts == 3 and rows[i].sent_at == now for i in ids)


def test_permanent_rejection_of_one_address_does_not_block_others(smtp_rt, smtp_server):
    smtp_server.handler.reject["old@syt.example.vn"] = "550 5.1.1 <old@syt.example.vn>: no such user"
    ids = enqueue_digests(smtp_rt, [
        digest("syt", to=("old@syt.example.vn", "vanthu@syt.example.vn")),
        digest("stc", unit="stc", to=("vanthu@stc.example.vn",)),
        digest("only-bad", to=("old@syt.example.vn",)),
    ], NOW)

    report = deliver_due(smtp_rt, NOW)

    assert (report.sent, report.failed) == (2, 1)
    assert report.rejected == {"old@syt.example.vn": "550 5.1.1 <old@syt.example.vn>: no such user"}
    assert [m.rcpt_tos for m in smtp_server.messages] == [["vanthu@syt.example.vn"], ["vanthu@stc.example.vn"]]
    rows = outbox_rows(smtp_rt)
    assert rows[ids[0]].state == "sent" and rows[ids[0]].failed_recipients == ["old@syt.example.vn"]
    assert rows[ids[2]].state == "failed" and rows[ids[2]].failed_recipients == ["old@syt.example.vn"]
    assert "550 5.1.1" in rows[ids[2]].last_error
    with smtp_rt.store.read() as session:
        reported = failed_since(session, NOW)
    assert [(f.outbox_id, f.state, f.failed_recipients) for f in reported] == [
        (ids[0], "sent", ("old@syt.example.vn",)), (ids[2], "failed", ("old@syt.example.vn",))]


def test_max_attempts_makes_a_dead_letter_then_retry_requeues(rt):
    settings = smtp_settings(rt.settings, closed_port(), max_attempts=3)
    down_rt = Runtime(settings, rt.store, actor="tester")
    [outbox_id] = enqueue_digests(down_rt, [digest()], NOW)
    now = NOW
    for expected_wait in (5, 10):
        assert deliver_due(down_rt, now).retrying == 1
        row = outbox_rows(down_rt)[outbox_id]
        assert row.next_attempt_at == now + timedelta(minutes=expected_wait)
        now = row.next_attempt_at
    report = deliver_due(down_rt, now)
    assert (report.failed, report.retrying) == (1, 0)
    row = outbox_rows(down_rt)[outbox_id]
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    with down_rt.store.read() as session:
        assert count_failed(session) == 1
        assert [f.outbox_id for f in failed_since(session, now)] == [outbox_id]
        assert failed_since(session, now + timedelta(seconds=1)) == []
    assert deliver_due(down_rt, now + timedelta(days=1)).attempted == 0  # dead letters stay put

    server = SmtpServer().start()
    try:
        up_rt = Runtime(smtp_settings(rt.settings, server.port), rt.store, actor="tester")
        assert requeue(up_rt, now, None) == [outbox_id]
        assert outbox_rows(up_rt)[outbox_id].attempts == 0
        assert deliver_due(up_rt, now).sent == 1
    finally:
        server.stop()
    assert len(server.messages) == 1


def test_header_injection_is_neutralised(smtp_rt, smtp_server):
    evil_name = "Sở Y tế\r\nBcc: spy@evil.example\r\nX-Injected: yes"
    d = digest(name=evil_name, to=("vanthu@syt.example.vn", "x@syt.example.vn\r\nBcc: spy@evil.example"),
               items=(item(unit_name=evil_name, title="Báo cáo\r\nBcc: spy@evil.example"),))
    [outbox_id] = enqueue_digests(smtp_rt, [d], NOW)
    report = deliver_due(smtp_rt, NOW)

    assert report.sent == 1
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["vanthu@syt.example.vn"]
    msg = received.parsed()
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    header_block = received.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert not any(line.lower().startswith(("bcc:", "x-injected:")) for line in header_block.split("\r\n"))
    row = outbox_rows(smtp_rt)[outbox_id]
    assert row.failed_recipients == ["x@syt.example.vn Bcc: spy@evil.example"]


def test_claims_are_exclusive(smtp_rt, smtp_server):
    """Two workers over the same due rows: each message is sent by exactly one."""
    from tracker.services.delivery import claim

    [outbox_id] = enqueue_digests(smtp_rt, [digest()], NOW)
    first = claim(smtp_rt, outbox_id, NOW, "worker-a")
    assert first is not None and first.claimed_by == "worker-a"
    assert claim(smtp_rt, outbox_id, NOW, "worker-b") is None
    assert deliver_due(smtp_rt, NOW, worker="worker-b").attempted == 0
    # A pass whose own clock is far ahead does not take a live claim: leases go by the database's clock.
    assert deliver_due(smtp_rt, NOW + timedelta(minutes=19), worker="worker-b").attempted == 0
    # The lease: a claim ten minutes old (on the database's clock) belongs to a daemon that died mid-send.
    age_leases(smtp_rt.store, timedelta(minutes=10, seconds=1))
    report = deliver_due(smtp_rt, NOW, worker="worker-b")
    assert report.sent == 1 and len(smtp_server.messages) == 1
    # Had worker-a's server accepted it before the crash, this resend carries the same id.
    assert smtp_server.messages[0].parsed()["Message-ID"] == first.message_id
    row = outbox_rows(smtp_rt)[outbox_id]
    assert row.attempts == 2 and row.state == "sent" and row.unknown_outcomes == 1


def test_unconfigured_password_is_reported_without_using_attempts(rt, monkeypatch):
    monkeypatch.delenv("TRACKER_SMTP_PASSWORD", raising=False)
    monkeypatch.setattr("tracker.transports.mail._keyring_password", lambda user: None)
    settings = smtp_settings(rt.settings, closed_port(), smtp_user="tracker@example.vn")
    no_pw = Runtime(settings, rt.store, actor="tester")
    [outbox_id] = enqueue_digests(no_pw, [digest()], NOW)
    report = deliver_due(no_pw, NOW)
    assert report.attempted == 0 and "TRACKER_SMTP_PASSWORD" in report.error
    assert outbox_rows(no_pw)[outbox_id].attempts == 0


def test_postgres_claims(pg_url, settings, smtp_server):
    """The same conditional-UPDATE claim on PostgreSQL."""
    from tracker.store.engine import Store
    from tracker.services.catalog import init_db

    store = Store(pg_url)
    try:
        pg_rt = Runtime(smtp_settings(settings, smtp_server.port), store, actor="tester")
        init_db(pg_rt)
        [outbox_id] = enqueue_digests(pg_rt, [digest()], NOW)
        from tracker.services.delivery import claim

        assert claim(pg_rt, outbox_id, NOW, "a") is not None
        assert claim(pg_rt, outbox_id, NOW, "b") is None
        assert deliver_due(pg_rt, NOW + timedelta(minutes=19)).attempted == 0  # its own clock is not the judge
        age_leases(store, timedelta(minutes=11))
        assert deliver_due(pg_rt, NOW).sent == 1
        with store.read() as session:
            assert session.scalar(select(OutboxMessage.state)) == "sent"
    finally:
        store.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_rt(request, settings):
    """A runtime on a migrated SQLite file, then on a fresh PostgreSQL database:
    the delivery loop takes one statement per message there, so both are pinned."""
    if request.param == "sqlite":
        yield request.getfixturevalue("rt")
        return
    from tracker.store.engine import Store
    from tracker.services.catalog import init_db

    store = Store(request.getfixturevalue("pg_url"))
    try:
        pg_rt = Runtime(settings, store, actor="tester")
        init_db(pg_rt)
        yield pg_rt
    finally:
        store.dispose()


class _Watching:
    """A transport that, at each send, reads every row's state on its own connection."""

    name = "watching"

    def __init__(self, rt, on_send=None) -> None:
        self.rt, self.on_send, self.seen = rt, on_send, []

    def open(self) -> None:
        pass

    def send(self, message, *, allow_partial=True):
        from tracker.transports.mail import SendResult

        with self.rt.store.read() as session:
            self.seen.append([s for (s,) in session.execute(select(OutboxMessage.state).order_by(OutboxMessage.id))])
        if self.on_send:
            self.on_send(len(self.seen))
        return SendResult(accepted=list(message.recipients), reply="250 ok")

    def close(self) -> None:
        pass


def test_each_outcome_is_committed_before_the_next_message_is_handed_over(any_rt):
    ids = enqueue_digests(any_rt, [digest(f"syt/{n}") for n in range(3)], NOW)
    transport = _Watching(any_rt)

    report = deliver_due(any_rt, NOW, transport=transport, worker="w")

    assert transport.seen == [["sending", "queued", "queued"], ["sent", "sending", "queued"],
                              ["sent", "sent", "sending"]]
    assert (report.attempted, report.sent, report.errors) == (3, 3, [])
    rows = outbox_rows(any_rt)
    assert [(rows[i].state, rows[i].claimed_by, rows[i].sent_at, rows[i].attempts) for i in ids] == [
        ("sent", None, NOW, 1)] * 3


def test_an_outcome_whose_claim_was_taken_over_is_not_recorded(any_rt):
    ids = enqueue_digests(any_rt, [digest(f"syt/{n}") for n in range(2)], NOW)

    def take_over(nth: int) -> None:  # another daemon took the first message over while it was being sent
        if nth == 1:
            with any_rt.store.write() as session:
                session.get(OutboxMessage, ids[0]).claimed_by = "other"

    report = deliver_due(any_rt, NOW, transport=_Watching(any_rt, take_over), worker="w")

    assert report.errors == [f"outbox {ids[0]}: claim lost while sending (another daemon took it over)"]
    assert (report.sent, report.lost) == (1, 1)  # the lost one is its new holder's to count
    rows = outbox_rows(any_rt)
    assert [(rows[i].state, rows[i].claimed_by) for i in ids] == [("sending", "other"), ("sent", None)]


def test_a_delivery_connection_lost_mid_loop_records_the_sent_message_and_leaves_the_rest_queued(request, settings):
    # The loop's one connection dies after the first send: the error is the
    # store's (one line, no traceback) and the sent message is not lost.
    import psycopg

    from tracker.store.engine import Store
    from tracker.core.errors import StoreError
    from tracker.services.catalog import init_db

    pg_url = request.getfixturevalue("pg_url")
    rt = Runtime(settings, Store(pg_url), actor="tester")
    try:
        init_db(rt)
        ids = enqueue_digests(rt, [digest(f"syt/{n}") for n in range(3)], NOW)

        def kill_the_loop_connection(nth: int) -> None:
            if nth == 1:  # every other backend on this database: the loop's connection
                with psycopg.connect(pg_url, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")

        with pytest.raises(StoreError, match=r"^database postgresql\+psycopg://"):
            deliver_due(rt, NOW, transport=_Watching(rt, kill_the_loop_connection), worker="w")
        rows = outbox_rows(rt)
        assert [(rows[i].state, rows[i].attempts) for i in ids] == [("sent", 1), ("queued", 0), ("queued", 0)]
        report = deliver_due(rt, NOW, transport=_Watching(rt), worker="w2")
        assert (report.sent, report.errors) == (2, [])
    finally:
        rt.store.dispose()
