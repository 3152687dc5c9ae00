"""The RFC 5322 bytes we hand to transports, parsed back with the stdlib parser."""

from __future__ import annotations

from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest

from tracker.render.message import build_message, encode_words, message_id_for

NOW = datetime(2021, 5, 24, 1, 0, tzinfo=timezone.utc)


def _parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def _build(**overrides):
    values = dict(message_id="<outbox-1-abc@example.vn>", sender="tracker@example.vn", language="vi",
                  to=["a@syt.example.vn"], subject="Nhắc hạn", text="Kính gửi\nSở Y tế\n", html=None, date=NOW)
    values.update(overrides)
    return build_message(**values)


def test_plain_text_only():
    out = _build()
    msg = _parse(out.data)
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
    assert msg.get_content() == "Kính gửi\r\nSở Y tế\r\n"
    assert all(len(line) <= 78 for line in out.data.split(b"\r\n"))
    assert b"\n" not in out.data.replace(b"\r\n", b"")  # CRLF only


def test_alternative_parts_and_long_headers():
    subject = "Reminder: " + "very long English subject " * 6
    name = "Ủy ban nhân dân phường Hoàn Kiếm – " * 3
    out = _build(subject=subject, html="<p>Kính gửi</p>", to=[f"user{i}@syt.example.vn" for i in range(8)])
    msg = _parse(out.data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("html",)).get_content() == "<p>Kính gửi</p>"
    assert msg["Subject"] == subject.strip()
    assert [a.addr_spec for a in msg["To"].addresses] == [f"user{i}@syt.example.vn" for i in range(8)]
    assert all(len(line) <= 78 for line in out.data.split(b"\r\n"))
    assert "".join(_decode(w) for w in encode_words(name)) == name


def _decode(word: str) -> str:
    import base64

    return base64.b64decode(word[len("=?utf-8?b?"):-2]).decode("utf-8")


def test_invalid_addresses_are_refused_not_sent():
    out = _build(to=["ok@syt.example.vn", "bad address@x.vn", "x@y.vn>\r\nBcc: spy@evil.example", "OK@syt.example.vn"],
                 cc=["ok@syt.example.vn", "c@syt.example.vn"])
    assert out.recipients == ("ok@syt.example.vn", "c@syt.example.vn")
    assert set(out.rejected) == {"bad address@x.vn", "x@y.vn> Bcc: spy@evil.example"}
    msg = _parse(out.data)
    assert str(msg["To"]) == "ok@syt.example.vn" and str(msg["Cc"]) == "c@syt.example.vn"
    assert msg["Bcc"] is None


def test_skip_keeps_headers_but_not_the_envelope():
    out = _build(to=["a@syt.example.vn", "b@syt.example.vn"], skip=frozenset({"B@syt.example.vn"}))
    assert out.recipients == ("a@syt.example.vn",)
    assert str(_parse(out.data)["To"]) == "a@syt.example.vn, b@syt.example.vn"


def test_nobody_valid():
    out = _build(to=["not an address"])
    assert out.recipients == () and str(_parse(out.data)["To"]) == "undisclosed-recipients:;"


def test_message_id_and_sender_are_checked():
    assert message_id_for(7, "syt/2021-05-24", "tracker@so.example.vn").startswith("<outbox-7-")
    with pytest.raises(ValueError):
        _build(message_id="<a@b>\r\nBcc: x@y")
    with pytest.raises(ValueError):
        _build(sender="tracker@example.vn\r\nBcc: x@y")


def test_an_outbox_row_gives_the_same_bytes_on_every_attempt():
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from tracker.render.message import build_for_row

    row = SimpleNamespace(id=7, key="k", message_id=None, to_addrs=["a@syt.example.vn"], cc_addrs=[], reply_to=[],
                          subject="Nhắc hạn", body_text="Kính gửi\n", body_html="<p>Kính gửi</p>",
                          failed_recipients=None, created_at=NOW)
    first = build_for_row(row, "tracker@example.vn", "vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    again = build_for_row(row, "tracker@example.vn", "vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    assert first.data == again.data
    assert b"Date: Mon, 24 May 2021 08:00:00 +0700\r\n" in first.data  # when it was queued, not when sent
    assert _parse(first.data).get_content_type() == "multipart/alternative"
