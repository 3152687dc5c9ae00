"""Reading and judging one mailbox message, without a server: the pure core."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes

import pytest

from tests.inbox_support import dsn, reply
from tracker.core.inbound import (
    InboxState, Kind, Ref, item_numbers, looks_like_bounce, nonstandard_failures, plus_address, read_message,
)
from tracker.core.matching import Numbered, SentDigest, judge_bounce, judge_reply, numbered

UTC = timezone.utc
OURS = "<outbox-7-0123456789ab@example.vn>"
SYT = "vanthu@syt.example.vn"


@pytest.mark.parametrize("text, numbers", [
    ("Đã gửi mục 1, 3\n\nTrân trọng.", (1, 3)),
    ("da gui muc 2 va 4", (2, 4)),
    ("ĐÃ GỬI MỤC 1;2", (1, 2)),
    ("\n\n  Đã gửi mục 3.\n> Đã gửi mục 1", (3,)),
    ("Kính gửi quý cơ quan,\nĐã gửi mục 1", ()),  # only the first line written counts
    ("> mục 1\n", ()),  # our quoted digest is not read
])
def test_item_numbers_are_read_from_the_first_line_written_by_the_unit(text, numbers):
    assert item_numbers(text) == numbers


def original(message_id: str = OURS, to: str = "vanphong@hlhpn.example.vn"):
    return message_from_bytes(
        f"From: tracker@example.vn\r\nTo: {to}\r\nSubject: [Nhắc hạn] Báo cáo\r\nMessage-ID: {message_id}\r\n"
        "\r\nbody\r\n".encode())


def test_a_postfix_delivery_report_names_the_recipient_its_status_and_the_servers_reason():
    p = read_message(dsn(original(), "vanphong@hlhpn.example.vn"))
    assert p.is_report and p.mentioned == (Ref(7, "0123456789ab"),)
    [f] = p.failures
    assert (f.recipient, f.status, f.permanent) == ("vanphong@hlhpn.example.vn", "5.1.1", True)
    assert f.reason == ("550 5.1.1 <vanphong@hlhpn.example.vn>: Recipient address rejected: User unknown in "
                        "virtual mailbox table")


def test_a_delayed_report_is_temporary():
    p = read_message(dsn(original(), "vanphong@hlhpn.example.vn", status="4.2.2", diagnostic="452 4.2.2 full"))
    assert [(f.status, f.permanent) for f in p.failures] == [("4.2.2", False)]


EXIM = b"""From: Mail Delivery System <Mailer-Daemon@mx.example.vn>
To: tracker@example.vn
Subject: Mail delivery failed: returning message to sender
Message-ID: <E1abc@mx.example.vn>
X-Failed-Recipients: vanphong@hlhpn.example.vn

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  vanphong@hlhpn.example.vn
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Message-ID: <outbox-7-0123456789ab@example.vn>
"""


def test_a_non_standard_exim_bounce_is_read_by_flufl_bounce():
    p = read_message(EXIM)
    assert looks_like_bounce(p) and not p.is_report and p.mentioned == (Ref(7, "0123456789ab"),)
    [f] = nonstandard_failures(EXIM)
    assert (f.recipient, f.status, f.reason) == ("vanphong@hlhpn.example.vn", "5.0.0",
                                                 "Mail delivery failed: returning message to sender")


def test_a_plus_address_carries_the_message_id_and_is_read_back_as_a_reference():
    address = plus_address("baocao@so.vn", OURS)
    assert address == "baocao+outbox-7-0123456789ab@so.vn"
    p = read_message(reply(None, sender=SYT, to=address))
    assert p.refs == (Ref(7, "0123456789ab"),)


def test_garbage_is_reported_not_raised():
    p = read_message(b"\xff\xfe\x00garbage without headers")
    assert p.from_addr == "" and p.refs == ()


def sent(items: tuple[Numbered, ...], unit: str = "syt") -> dict[int, SentDigest]:
    return {7: SentDigest(7, "0123456789ab", unit, frozenset({SYT}), frozenset({SYT, "giamdoc@syt.example.vn"}),
                          items)}


THREE = (Numbered("p", 1, "bao-cao-6-thang", "syt", "2021", True),
         Numbered("p", 2, "thang-hanh-dong", "syt", "2021", False),
         Numbered("p", 3, "bao-cao-nam", "syt", "2021", True))


def a_reply(text: str, sender: str = SYT) -> bytes:
    return reply(None, sender=sender, text=text, in_reply_to=OURS)


def test_a_reply_naming_items_1_and_3_records_both():
    v = judge_reply(read_message(a_reply("Đã gửi mục 1, 3")), sent(THREE), 20)
    assert (v.kind, v.state) == (Kind.REPLY, InboxState.RECORDED)
    assert [i.obligation for i in v.items] == ["bao-cao-6-thang", "bao-cao-nam"]


@pytest.mark.parametrize("text, reason", [
    ("Xin gửi báo cáo.", "the digest had 2 open items and the reply does not say which "
                         "(first line: 'Đã gửi mục 1, 3')"),
    ("Đã gửi mục 5", "item 5 is not in the digest"),
    ("Đã gửi mục 2", "item 2 expects no submission"),
])
def test_an_unclear_reply_waits_for_review(text, reason):
    v = judge_reply(read_message(a_reply(text)), sent(THREE), 20)
    assert (v.state, v.reason) == (InboxState.REVIEW, reason)


def test_the_head_may_answer_for_its_unit():
    v = judge_reply(read_message(a_reply("Đã gửi mục 1", sender="giamdoc@syt.example.vn")), sent(THREE), 20)
    assert v.state == InboxState.RECORDED


def test_a_reference_with_a_wrong_hash_is_not_ours():
    raw = reply(None, sender=SYT, in_reply_to="<outbox-7-ffffffffffff@example.vn>")
    v = judge_reply(read_message(raw), sent(THREE), 20)
    assert (v.kind, v.state, v.reason) == (Kind.OTHER, InboxState.IGNORED, "not a reply to a message of ours")


def test_a_bounce_counts_only_for_an_address_the_digest_went_to():
    p = read_message(dsn(original(to=SYT), SYT))
    assert judge_bounce(p, p.failures, sent(THREE)).state == InboxState.BOUNCE
    stranger = read_message(dsn(original(to="x@elsewhere.vn"), "x@elsewhere.vn"))
    v = judge_bounce(stranger, stranger.failures, sent(THREE))
    assert (v.state, v.reason) == (InboxState.IGNORED, "a bounce for an address we never sent to (x@elsewhere.vn)")
    foreign = read_message(dsn(original(message_id="<abc@elsewhere.vn>"), SYT))
    assert judge_bounce(foreign, foreign.failures, sent(THREE)).reason == "a bounce for a message that is not ours"


def test_items_are_numbered_as_the_digest_showed_them_per_plan_most_urgent_first():
    at = datetime(2021, 6, 1, 1, 0, tzinfo=UTC)
    items = [
        {"plan": "b", "obligation": "y", "unit": "u", "period": "2021", "stage": "before:7",
         "due": "2021-06-08T23:59:59+07:00"},
        {"plan": "a", "obligation": "later", "unit": "u", "period": "2021", "stage": "before:14",
         "due": "2021-06-15T23:59:59+07:00"},
        {"plan": "a", "obligation": "late", "unit": "u", "period": "2021", "stage": "after:1",
         "due": "2021-05-31T23:59:59+07:00"},
        {"plan": "a", "obligation": "month", "unit": "u", "period": "2021", "stage": "window:before:7",
         "due": "2021-06-08T00:00:00+07:00"},
    ]
    kinds = {("a", "month"): "window"}
    got = [(n.plan, n.number, n.obligation, n.expects_submission) for n in numbered(items, kinds, at)]
    assert got == [("a", 1, "late", True), ("a", 2, "month", False), ("a", 3, "later", True), ("b", 1, "y", True)]
