"""The office mailbox, read from a real IMAP server (Dovecot): replies record
submissions, bounces copy the head and tell the coordinator, the rest waits in
the review queue; each message is processed once."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.conftest import at, load_sample
from tests.imap_support import PASSWORD, dovecot  # noqa: F401  (fixture)
from tests.inbox_support import dsn, other_mail, reply
from tests.mail_support import closed_port, smtp_server, smtp_settings  # noqa: F401  (fixture)
from tracker.daemon import run_pass
from tracker.services import inbox as service
from tracker.services.runtime import Runtime
from tracker.store.tables import assignments, inbox, submission_files, submissions, units

SYT = "vanthu@syt.example.vn"
HLHPN = "vanphong@hlhpn.example.vn"
HLHPN_HEAD = "chutich@hlhpn.example.vn"
COORDINATOR = ("vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn")


@pytest.fixture(autouse=True)
def imap_password(cli, monkeypatch):
    """The password as an operator gives it (after ``cli`` has cleared TRACKER_* variables)."""
    monkeypatch.setenv("TRACKER_IMAP_PASSWORD", PASSWORD)


@pytest.fixture
def office(rt, smtp_server, dovecot):
    """The sample plan, mail through a real SMTP sink, the office mailbox on Dovecot;
    the first digests (before:14 of bao-cao-6-thang) delivered on 17/5/2021."""
    return _office(rt, smtp_server, dovecot)


@pytest.fixture
def office_pg(pg_url, settings, smtp_server, dovecot):
    """The same office on PostgreSQL, where several daemons share one store."""
    from tracker.services.catalog import init_db
    from tracker.store.engine import Store

    store = Store(pg_url)
    init_db(Runtime(settings, store, actor="tester"))
    yield _office(Runtime(settings, store, actor="tester"), smtp_server, dovecot)
    store.dispose()


def _office(rt, smtp_server, dovecot):
    settings = dovecot.settings(smtp_settings(rt.settings, smtp_server.port))
    office_rt = Runtime(settings, rt.store, actor="tester")
    load_sample(office_rt, at("2021-02-01T09:00"))
    run_pass(office_rt, lambda: at("2021-05-10T09:00"))
    smtp_server.messages.clear()
    run_pass(office_rt, lambda: at("2021-05-17T08:00"))
    return office_rt


def digest_to(smtp_server, address):
    [message] = [m for m in smtp_server.messages if address in m.rcpt_tos]
    return message.parsed()


def state_of(rt, unit: str, obligation_id_name: str = "bao-cao-6-thang", period: str = "2021") -> str:
    from tracker.store.tables import obligations

    with rt.store.reader() as conn:
        return conn.scalar(
            select(assignments.c.state).join(units, units.c.id == assignments.c.unit_id)
            .join(obligations, obligations.c.id == assignments.c.obligation_id)
            .where(units.c.code == unit, obligations.c.code == obligation_id_name, assignments.c.period == period))


def inbox_rows(rt):
    with rt.store.reader() as conn:
        return list(conn.execute(select(inbox).order_by(inbox.c.id)))


def test_a_reply_with_a_pdf_records_the_submission_at_the_next_pass(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender=SYT))
    run_pass(office, lambda: at("2021-05-20T10:00"))
    # A unit's own submission waits for the coordinator (`tracker accept` / `return`).
    assert state_of(office, "syt") == "received"
    [row] = inbox_rows(office)
    assert (row.state, row.kind, row.unit_code, row.from_addr) == ("recorded", "reply", "syt", SYT)
    assert row.detail["recorded"] == [{"plan": "hn-2021-43", "number": 1, "obligation": "bao-cao-6-thang",
                                       "unit": "syt", "period": "2021"}]
    [stored] = row.detail["files"]
    assert stored["name"] == "bao-cao-6-thang.pdf"
    path = dovecot.root / "files" / stored["sha256"][:2] / stored["sha256"]
    assert path.read_bytes().startswith(b"%PDF-1.4")
    with office.store.reader() as conn:
        [sub] = list(conn.execute(select(submissions)))
    assert sub.submitted_at == at("2021-05-20T10:00") and sub.recorded_by == "mailbox" and not sub.late
    assert (sub.source, sub.state) == ("mail", "received")
    with office.store.reader() as conn:  # the coordinator's page lists the attachment with the submission
        [kept] = list(conn.execute(select(submission_files)))
    assert (kept.submission_id, kept.name, kept.sha256) == (sub.id, "bao-cao-6-thang.pdf", stored["sha256"])
    # Our mail is read without being marked: the coordinator still sees it as new.
    assert b"\\Seen" not in b"".join(dovecot.flags())
    # The next pass reads nothing again and records nothing twice.
    report = service.fetch(office, at("2021-05-20T10:05"))
    assert report.read == 0 and len(inbox_rows(office)) == 1


def test_a_permanent_bounce_copies_the_head_and_tells_the_coordinator_once(office, smtp_server, dovecot, cli):
    original = digest_to(smtp_server, HLHPN)
    dovecot.append(dsn(original, HLHPN))
    smtp_server.messages.clear()
    run_pass(office, lambda: at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert (row.state, row.kind, row.unit_code) == ("bounce", "bounce", "hlhpn")
    notices = [m for m in smtp_server.messages if set(COORDINATOR) <= set(m.rcpt_tos)]
    assert len(notices) == 1
    notice = notices[0].parsed()
    body = notice.get_content()
    assert ("hộp thư vanphong@hlhpn.example.vn của đơn vị Hội Liên hiệp Phụ nữ thành phố Hà Nội "
            "không nhận được thư") in body
    assert "5.1.1" in body and "User unknown in virtual mailbox table" in body
    assert str(notice["Subject"]) == ("[Không nhận được thư] Hộp thư vanphong@hlhpn.example.vn của đơn vị "
                                      "Hội Liên hiệp Phụ nữ thành phố Hà Nội")
    # The next digest (before:7) also goes to the head.
    smtp_server.messages.clear()
    run_pass(office, lambda: at("2021-05-24T08:00"))
    [digest] = [m for m in smtp_server.messages if HLHPN in m.rcpt_tos]
    assert HLHPN_HEAD in digest.rcpt_tos and str(digest.parsed()["Cc"]) == HLHPN_HEAD
    assert not any(set(COORDINATOR) <= set(m.rcpt_tos) and "Không nhận được thư" in str(m.parsed()["Subject"])
                   for m in smtp_server.messages)  # told once
    # units list shows the mark; importing the unit with a new address clears it.
    listed = cli("units", "list", "--json")
    [hlhpn] = [u for u in json.loads(listed.out) if u["code"] == "hlhpn"]
    assert hlhpn["bouncing"] == [HLHPN]
    assert "active (bouncing: vanphong@hlhpn.example.vn)" in cli("units", "list").out
    csv = dovecot.root / "units.csv"
    csv.write_text("code,name,email,head_email\nhlhpn,Hội Liên hiệp Phụ nữ thành phố Hà Nội,"
                   "hopthu@hlhpn.example.vn,chutich@hlhpn.example.vn\n", encoding="utf-8")
    assert cli("units", "import", str(csv)).exit_code == 0
    [hlhpn] = [u for u in json.loads(cli("units", "list", "--json").out) if u["code"] == "hlhpn"]
    assert hlhpn["bouncing"] == []


def test_a_temporary_bounce_is_only_logged(office, smtp_server, dovecot, caplog):
    original = digest_to(smtp_server, HLHPN)
    dovecot.append(dsn(original, HLHPN, status="4.2.2", diagnostic="452 4.2.2 <{r}>: Mailbox full"))
    smtp_server.messages.clear()
    with caplog.at_level(logging.INFO, logger="tracker"):
        service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert row.state == "temporary" and "4.2.2" in row.reason
    assert "temporary delivery failure" in caplog.text
    with office.store.reader() as conn:
        assert conn.scalar(select(units.c.bouncing).where(units.c.code == "hlhpn")) is None


def test_a_bounce_for_an_address_we_never_sent_to_changes_nothing(office, smtp_server, dovecot):
    original = digest_to(smtp_server, HLHPN)
    dovecot.append(dsn(original, "someone-else@hlhpn.example.vn"))
    service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert row.state == "ignored"
    assert row.reason == "a bounce for an address we never sent to (someone-else@hlhpn.example.vn)"
    with office.store.reader() as conn:
        assert conn.scalar(select(units.c.bouncing).where(units.c.code == "hlhpn")) is None


def test_a_forged_sender_waits_for_review_and_assign_records_it(office, smtp_server, dovecot, cli):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender="ke-gia-mao@example.com"))
    service.fetch(office, at("2021-05-20T10:00"))
    assert state_of(office, "syt") == "open"
    listed = json.loads(cli("inbox", "list", "--json").out)
    assert [(e["id"], e["state"], e["unit"], e["reason"]) for e in listed] == [
        (1, "review", "syt", "sender ke-gia-mao@example.com is not an address of unit syt or of its head")]
    shown = cli("inbox", "show", "1")
    assert shown.exit_code == 0 and "from: ke-gia-mao@example.com" in shown.out and "file: bao-cao-6-thang.pdf" in shown.out
    done = cli("--now", "2021-05-20T11:00", "inbox", "assign", "1", "syt", "bao-cao-6-thang", "--period", "2021")
    assert done.exit_code == 0, done.err
    assert done.out == "inbox 1: syt bao-cao-6-thang (hn-2021-43, 2021): submitted at 2021-05-20 10:00\n"
    assert state_of(office, "syt") == "submitted"
    assert cli("inbox", "list").out == "the review queue is empty\n"
    again = cli("inbox", "assign", "1", "syt", "bao-cao-6-thang")
    assert (again.exit_code, again.err) == (1, "error: ID: inbox message 1 is assigned, not waiting for review\n")


def test_mail_that_is_not_ours_is_left_alone(office, dovecot, cli):
    dovecot.append(other_mail())
    dovecot.append(reply(None, sender=SYT, in_reply_to="<abc@elsewhere.vn>"))
    report = service.fetch(office, at("2021-05-20T10:00"))
    assert report.counts == {"ignored": 2}
    assert [r.reason for r in inbox_rows(office)] == ["not a reply to a message of ours"] * 2
    assert cli("inbox", "list").out == "the review queue is empty\n"
    assert dovecot.count() == 2 and b"\\Seen" not in b"".join(dovecot.flags())


def test_an_html_only_reply_is_read_from_its_html(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender=SYT, text=None, html="<html><body><p>Đã gửi <b>mục 1</b></p></body></html>"))
    service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert (row.state, row.detail["numbers"]) == ("recorded", [1])


def test_broken_mime_waits_for_review(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    good = reply(original, sender=SYT)
    head, _, _body = good.partition(b"\n\n")
    broken = head.replace(b'boundary="', b'boundary="missing') + b"\n\n--nothing here\nnot mime at all\n"
    dovecot.append(broken)
    service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert row.state == "review" and row.reason.startswith("broken MIME structure")
    assert state_of(office, "syt") == "open"


def test_an_attachment_over_the_limit_waits_for_review(office, smtp_server, dovecot):
    small = Runtime(replace(office.settings, inbound=replace(office.settings.inbound, max_attachment_mb=1)),
                    office.store, actor="tester")
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender=SYT, attachment=b"%PDF" + b"x" * (1536 * 1024)))
    service.fetch(small, at("2021-05-20T10:00"))
    [row] = inbox_rows(small)
    assert (row.state, row.reason) == ("review", "attachment 'bao-cao-6-thang.pdf' is 1.5 MB, over the 1 MB limit")
    assert row.detail["files"] == []


def test_a_reply_without_an_attachment_waits_for_review(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender=SYT, attachment=None))
    service.fetch(office, at("2021-05-20T10:00"))
    assert [(r.state, r.reason) for r in inbox_rows(office)] == [("review", "no attachment")]


def test_the_same_message_read_twice_is_processed_once(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    data = reply(original, sender=SYT)
    dovecot.append(data)
    dovecot.append(data)  # the same message twice in the folder (a copy, a re-send)
    first = service.fetch(office, at("2021-05-20T10:00"))
    second = service.fetch(office, at("2021-05-20T10:05"))
    assert first.counts == {"recorded": 1, "duplicate": 1} and second.read == 0
    with office.store.reader() as conn:
        assert len(list(conn.execute(select(submissions)))) == 1


def test_a_plus_addressed_reply_without_references_is_matched_by_its_token(rt, smtp_server, dovecot):
    settings = dovecot.settings(smtp_settings(rt.settings, smtp_server.port), reply_address="baocao@sldtbxh.example.vn")
    office = Runtime(settings, rt.store, actor="tester")
    load_sample(office, at("2021-02-01T09:00"))
    run_pass(office, lambda: at("2021-05-10T09:00"))
    smtp_server.messages.clear()
    run_pass(office, lambda: at("2021-05-17T08:00"))
    original = digest_to(smtp_server, SYT)
    token = str(original["Message-ID"]).strip("<>").partition("@")[0]
    assert str(original["Reply-To"]) == f"baocao+{token}@sldtbxh.example.vn"
    dovecot.append(reply(original, sender=SYT, references=False, to=str(original["Reply-To"])))
    run_pass(office, lambda: at("2021-05-20T10:00"))
    assert state_of(office, "syt") == "received"


def test_a_mailbox_that_is_down_or_refuses_the_password_costs_one_line_per_pass(office, smtp_server, dovecot,
                                                                                 caplog, monkeypatch):
    monkeypatch.setenv("TRACKER_IMAP_PASSWORD", "wrong")
    smtp_server.messages.clear()
    with caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(office, lambda: at("2021-05-24T08:00"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("inbox not read: IMAP 127.0.0.1:") and "refused" in errors[0]
    assert len(smtp_server.messages) == 14  # the tick went on: before:7 to every unit
    down = Runtime(office.settings, office.store, actor="tester")
    down = Runtime(replace(down.settings, inbound=replace(down.settings.inbound, imap_port=closed_port())),
                   office.store, actor="tester")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tracker"):
        run_pass(down, lambda: at("2021-05-25T08:00"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "cannot connect" in errors[0]


def test_the_coordinators_digest_says_how_many_wait_for_review(office, smtp_server, dovecot):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender="ke-gia-mao@example.com"))
    smtp_server.messages.clear()
    # Day by day until the ladder reaches the coordinator (after:3), every unit gets its digests.
    for day in range(24, 32):
        run_pass(office, lambda: at(f"2021-05-{day}T08:00"))
    for day in range(1, 8):
        run_pass(office, lambda: at(f"2021-06-{day:02}T08:00"))
    texts = [(m.rcpt_tos, m.parsed().get_body(("plain",)).get_content()) for m in smtp_server.messages]
    coordinator = [text for rcpt, text in texts if set(COORDINATOR) <= set(rcpt)]
    units_ = [text for rcpt, text in texts if not set(COORDINATOR) & set(rcpt)]
    note = "Có 1 thư của đơn vị trong hộp thư chờ cơ quan thường trực xem xét (tracker inbox list)."
    assert coordinator and all(note in text for text in coordinator)
    assert units_ and not any(note in text for text in units_)


def test_dismiss_takes_a_message_out_of_the_queue(office, smtp_server, dovecot, cli):
    original = digest_to(smtp_server, SYT)
    dovecot.append(reply(original, sender=SYT, attachment=None))
    service.fetch(office, at("2021-05-20T10:00"))
    assert cli("inbox", "dismiss", "1").out == "inbox 1: dismissed\n"
    assert cli("inbox", "list").out == "the review queue is empty\n"
    missing = cli("inbox", "show", "9")
    assert (missing.exit_code, missing.err) == (1, "error: no inbox message 9 (see `tracker inbox list`)\n")


def test_processed_mail_moves_to_the_configured_folder_and_other_mail_stays(rt, smtp_server, dovecot):
    settings = dovecot.settings(smtp_settings(rt.settings, smtp_server.port), move_to="Tracker")
    office = Runtime(settings, rt.store, actor="tester")
    load_sample(office, at("2021-02-01T09:00"))
    run_pass(office, lambda: at("2021-05-10T09:00"))
    smtp_server.messages.clear()
    run_pass(office, lambda: at("2021-05-17T08:00"))
    dovecot.append(other_mail())
    dovecot.append(reply(digest_to(smtp_server, SYT), sender=SYT))
    service.fetch(office, at("2021-05-20T10:00"))
    assert (dovecot.count("INBOX"), dovecot.count("Tracker")) == (1, 1)


def test_fetch_without_a_configured_mailbox_says_what_to_set(cli):
    result = cli("inbox", "fetch")
    assert (result.exit_code, result.err) == (
        1, "error: the office mailbox is not configured: set [inbound] imap_host and imap_user\n")


def test_a_crash_in_the_middle_of_a_read_loses_nothing_and_records_nothing_twice(office, smtp_server, dovecot,
                                                                                 monkeypatch):
    for address in (SYT, "vanthu@stc.example.vn"):
        dovecot.append(reply(digest_to(smtp_server, address), sender=address))
    real = service._record
    calls = []

    def dies_on_the_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process is stopped half-way through the read
        return real(*args)

    monkeypatch.setattr(service, "_record", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        service.fetch(office, at("2021-05-20T10:00"))
    assert inbox_rows(office) == [] and state_of(office, "syt") == "open"  # the read was rolled back whole
    monkeypatch.setattr(service, "_record", real)
    report = service.fetch(office, at("2021-05-20T10:05"))
    assert report.counts == {"recorded": 2}
    assert (state_of(office, "syt"), state_of(office, "stc")) == ("received", "received")
    with office.store.reader() as conn:
        assert len(list(conn.execute(select(submissions)))) == 2


def test_a_reply_for_an_item_already_submitted_waits_for_review(office, smtp_server, dovecot):
    from tracker.services.records import submit

    submit(office, at("2021-05-19T09:00"), "syt", "bao-cao-6-thang", period="2021")
    dovecot.append(reply(digest_to(smtp_server, SYT), sender=SYT))
    service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert (row.state, row.reason) == ("review", "syt already submitted bao-cao-6-thang (2021) at 2021-05-19 09:00")
    assert "recorded" not in row.detail and row.detail["files"]


def test_a_message_that_cannot_be_processed_waits_for_review_with_the_error(office, smtp_server, dovecot,
                                                                             monkeypatch):
    dovecot.append(reply(digest_to(smtp_server, SYT), sender=SYT))
    monkeypatch.setattr(service, "judge", lambda *a: 1 / 0)
    report = service.fetch(office, at("2021-05-20T10:00"))
    [row] = inbox_rows(office)
    assert (row.state, row.reason) == ("review", "could not be processed: message 1: ZeroDivisionError: "
                                                 "division by zero")
    assert report.errors == ["message 1: ZeroDivisionError: division by zero"]


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_second_daemon_that_listed_the_mailbox_before_the_first_committed_records_nothing_twice(
        store, request, smtp_server, dovecot, monkeypatch):
    office = request.getfixturevalue("office" if store == "sqlite" else "office_pg")
    dovecot.append(reply(digest_to(smtp_server, SYT), sender=SYT))
    assert service.fetch(office, at("2021-05-20T10:00")).counts == {"recorded": 1}
    # The other daemon's list of processed UIDs was read before that commit: it fetches the message again.
    monkeypatch.setattr(service.store, "seen_uids", lambda *a: set())
    second = service.fetch(office, at("2021-05-20T10:00"))
    assert second.read == 0 and second.counts == {"seen": 1}
    with office.store.reader() as conn:
        assert len(list(conn.execute(select(submissions)))) == 1
    assert len(inbox_rows(office)) == 1


def test_on_postgresql_a_bounce_marks_the_address_and_queues_one_notice(office_pg, smtp_server, dovecot):
    from tracker.store.tables import outbox

    data = dsn(digest_to(smtp_server, HLHPN), HLHPN)
    dovecot.append(data)
    dovecot.append(data)
    report = service.fetch(office_pg, at("2021-05-20T10:00"))
    assert report.counts == {"bounce": 1, "duplicate": 1}
    with office_pg.store.reader() as conn:
        assert list(conn.scalar(select(units.c.bouncing).where(units.c.code == "hlhpn"))) == [HLHPN]
        keys = list(conn.scalars(select(outbox.c.key).where(outbox.c.key.like("bounce|%"))))
    assert keys == ["bounce|hlhpn|vanphong@hlhpn.example.vn|1|sldtbxh"]


def test_inbox_fetch_says_in_one_line_that_the_mailbox_is_down(cli, config_file):
    port = closed_port()
    config_file.write_text(config_file.read_text(encoding="utf-8") + f"""
[inbound]
imap_host = "127.0.0.1"
imap_port = {port}
imap_security = "none"
imap_user = "office@example.vn"
""", encoding="utf-8")
    result = cli("inbox", "fetch")
    assert (result.exit_code, result.out) == (1, "")
    assert result.err == f"error: IMAP 127.0.0.1:{port}: cannot connect: Connection refused\n"


def test_inbox_fetch_reads_the_configured_mailbox_and_list_shows_the_queue(office, smtp_server, dovecot, cli,
                                                                          config_file):
    import re

    dovecot.append(reply(digest_to(smtp_server, SYT), sender=SYT, attachment=None))
    config_file.write_text(config_file.read_text(encoding="utf-8") + f"""
[inbound]
imap_host = "127.0.0.1"
imap_port = {dovecot.port}
imap_security = "none"
imap_user = "office@example.vn"
files_dir = "{dovecot.root / 'files'}"
""", encoding="utf-8")
    fetched = cli("--now", "2021-05-20T10:00", "inbox", "fetch")
    assert fetched.exit_code == 0, fetched.err
    assert re.fullmatch(r"inbox: 1 new message\(s\) \(1 review\) in \d+\.\d\d s\n", fetched.out)
    assert cli("inbox", "list").out == (
        "id  received          from                   unit  state   reason\n"
        "--  ----------------  ---------------------  ----  ------  -------------\n"
        "1   2021-05-20 10:00  vanthu@syt.example.vn  syt   review  no attachment\n")
