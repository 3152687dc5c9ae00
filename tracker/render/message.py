"""Build the RFC 5322 message for an outbox row. Pure.

We build the MIME ourselves instead of letting yagmail do it, because
yagmail's ``prepare_message`` cannot produce a real plain-text part next to an
HTML part (its text/plain alternative repeats the HTML source), runs the HTML
through premailer, and adds its own ``Message-ID`` after any headers we pass
(a second Message-ID header). The transport hands the finished bytes to
yagmail's SMTP connection.

The format is simple and fixed (a header block, then text/plain, or
multipart/alternative of text/plain and text/html, UTF-8 in base64), so we
write it directly instead of through the ``email`` package's generator: with
``EmailMessage`` a Vietnamese subject cost 10-30 ms per message to re-parse
and re-fold, with the older ``email.mime`` classes ~1.5 ms, here ~0.2 ms, and
message building had become the largest cost of a delivery batch
(bench/mail_bench.py). Tests parse every kind of message back with the
stdlib parser (``email.policy.default``) and compare exact strings.

Header safety: every address must pass ``tracker.config.is_email`` and
``email.headerregistry.Address`` (exactly one addr-spec, no spaces, no CR/LF),
and every free text (subject, display name) goes through ``clean_header`` (one
line, no control characters) before it is encoded, so a unit name like
``"Sở Y tế\\r\\nBcc: x@evil"`` can never add a header.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, tzinfo
from functools import lru_cache
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import format_datetime

from tracker.core.addresses import is_email
from tracker.core.outgoing import Outgoing
from tracker.render.mail import SENDER_NAME, clean_header

def message_id_for(outbox_id: int, key: str, sender: str) -> str:
    """``<outbox-42-1a2b3c4d5e6f@example.vn>``: derived from the row, so a resend
    after a crash carries the same id and clients can collapse duplicates."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<outbox-{outbox_id}-{digest}@{domain}>"


def split_addresses(addresses: list[str] | tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Valid addr-specs (deduplicated, order kept) and the invalid ones with a reason."""
    good: list[str] = []
    bad: dict[str, str] = {}
    seen: set[str] = set()
    for raw in addresses:
        addr = (raw or "").strip()
        if addr.lower() in seen:
            continue
        seen.add(addr.lower())
        valid = valid_address(addr)
        if valid is None:
            bad[clean_header(addr, 120)] = "invalid address"
        else:
            good.append(valid)
    return good, bad


@lru_cache(maxsize=4096)
def valid_address(addr: str) -> str | None:
    """The addr-spec if ``addr`` is exactly one plain address, else None.
    Cached: the same few hundred unit addresses come back every day."""
    if not is_email(addr):
        return None
    try:
        parsed = Address(addr_spec=addr)  # headerregistry's RFC 5322 parser: one addr-spec, nothing else
    except (ValueError, IndexError, HeaderParseError):  # e.g. "a@x..vn": an empty domain label
        return None
    return parsed.addr_spec if parsed.addr_spec == addr else None


def build_message(
    *,
    message_id: str,
    sender: str,
    language: str,
    to: list[str] | tuple[str, ...],
    cc: list[str] | tuple[str, ...] = (),
    reply_to: list[str] | tuple[str, ...] = (),
    subject: str,
    text: str,
    html: str | None,
    date: datetime,
    skip: frozenset[str] = frozenset(),
    file_stem: str = "",
    attachment: tuple[str, bytes] | None = None,
) -> Outgoing:
    """The message for To/Cc/Reply-To, sent to every valid recipient not in ``skip``
    (addresses that already rejected it permanently; they stay in the headers).

    ``attachment``: (file name, bytes), attached as text/csv, or as a workbook for
    a ``.xlsx`` name (the end-of-period scorecard). The same
    arguments always give the same bytes (the MIME boundaries derive from the
    Message-ID), so every attempt of a message sends what the first one did."""
    if attachment is not None and not _FILE_NAME.fullmatch(attachment[0]):
        raise ValueError(f"refusing to attach a file named {attachment[0]!r}")
    to_ok, bad = split_addresses(list(to))
    cc_ok, bad_cc = split_addresses([a for a in cc if a.lower() not in {x.lower() for x in to_ok}])
    bad.update(bad_cc)
    reply_ok, _ = split_addresses(list(reply_to))
    sender_ok = valid_address(sender)
    if sender_ok is None or not _MESSAGE_ID.fullmatch(message_id):
        raise ValueError(f"refusing to build a message from {sender!r} with Message-ID {message_id!r}")

    headers = [
        _header("Subject", clean_header(subject)),
        _address_header("From", clean_header(SENDER_NAME.get(language, "")), sender_ok),
        # RFC 5322 wants a destination header; "undisclosed-recipients:;" when nobody valid is left.
        _address_list("To", to_ok) if to_ok else "To: undisclosed-recipients:;",
    ]
    if cc_ok:
        headers.append(_address_list("Cc", cc_ok))
    if reply_ok:
        headers.append(_address_list("Reply-To", reply_ok))
    headers += [
        f"Date: {format_datetime(date)}",
        f"Message-ID: {message_id}",
        # RFC 3834: automatic mail; well-behaved responders do not answer it.
        "Auto-Submitted: auto-generated",
    ]
    # Every piece above is ASCII by construction (validated addresses, encoded words);
    # check it anyway: a line break not followed by a space would start a new header.
    if any(not h.isascii() or _BARE_BREAK.search(h) for h in headers):
        raise ValueError("internal error: unsafe header block")
    parts = [(_CRLF.join(headers) + _CRLF).encode("ascii"), b"MIME-Version: 1.0\r\n"]
    body = _body(text, html, message_id)
    if attachment is None:
        parts.append(body)
    else:
        parts += _with_attachment(body, attachment, message_id)
    data = b"".join(parts)  # one join: a long list's attachment is tens of MB, copied once
    del parts

    skip_lower = {s.lower() for s in skip}
    recipients = tuple(a for a in to_ok + cc_ok if a.lower() not in skip_lower)
    return Outgoing(message_id=message_id, sender=sender_ok, recipients=recipients, data=data,
                    rejected=bad, file_stem=file_stem)


# --- the header block ----------------------------------------------------------
# Built from validated parts instead of by the email package's generator: that
# folded and re-encoded each header on every message, and was the single largest
# cost of a delivery batch (bench/mail_bench.py).

_CRLF = "\r\n"
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")
_BARE_BREAK = re.compile(r"\r\n(?! )|\r(?!\n)|(?<!\r)\n")
_WORD_BYTES = 39  # base64 of 39 bytes is 52 characters: every line stays under 78


_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")
_CHUNK = 57 * 16384  # bytes encoded at a time: 16,384 full base64 lines


def _boundary(message_id: str, kind: str) -> bytes:
    """Derived from the Message-ID, not random: one outbox row is the same bytes on
    every attempt, so a resend is a true duplicate. base64 lines never start with
    "--", so no body line can look like it; the two kinds differ where the other
    has a hex digit, so neither delimiter is a prefix of the other."""
    return f"=_tracker_{kind}{hashlib.sha256(message_id.encode('utf-8')).hexdigest()[:32]}".encode("ascii")


def _body(text: str, html: str | None, message_id: str) -> bytes:
    """Content-Type and the body: text/plain, or multipart/alternative with
    text/plain and text/html; UTF-8, base64, so the message is 7-bit clean and
    passes servers without 8BITMIME or SMTPUTF8 unchanged."""
    if not html:
        return _text_part(text, "plain")
    boundary = _boundary(message_id, "")
    return b"".join([
        b'Content-Type: multipart/alternative;\r\n boundary="', boundary, b'"\r\n\r\n',
        b"--", boundary, b"\r\n", _text_part(text, "plain"),
        b"--", boundary, b"\r\n", _text_part(html, "html"),
        b"--", boundary, b"--\r\n",
    ])


# The content type of an attachment, by its name's ending; anything else is CSV text.
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _content_type(name: str) -> str:
    return _XLSX if name.lower().endswith(".xlsx") else 'text/csv; charset="utf-8"'


def _with_attachment(body: bytes, attachment: tuple[str, bytes], message_id: str) -> list[bytes]:
    """multipart/mixed: the body, then the file (text/csv or .xlsx, base64 in 76-column lines),
    as pieces for the caller's one join."""
    name, data = attachment
    boundary = _boundary(message_id, "mixed_")
    parts = [
        b'Content-Type: multipart/mixed;\r\n boundary="', boundary, b'"\r\n\r\n',
        b"--", boundary, b"\r\n", body,
        b"--", boundary, b"\r\n",
        f'Content-Type: {_content_type(name)}; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode("ascii"),
    ]
    # In slices: a coordinator's list after a mass import is tens of MB.
    for start in range(0, len(data), _CHUNK):
        parts.append(base64.encodebytes(data[start:start + _CHUNK]).replace(b"\n", b"\r\n"))
    parts += [b"--", boundary, b"--\r\n"]
    return parts


def _text_part(content: str, subtype: str) -> bytes:
    # Canonical CRLF line ends inside the encoded text (RFC 2045 §6.8), 76-column base64 lines.
    raw = content.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    encoded = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            .encode("ascii") + encoded)


def encode_words(text: str) -> list[str]:
    """RFC 2047 ``=?utf-8?b?…?=`` words, never splitting a character; decoders join
    adjacent encoded words without the folding space between them (RFC 2047 §6.2)."""
    words: list[str] = []
    chunk = b""
    for ch in text:
        raw = ch.encode("utf-8")
        if chunk and len(chunk) + len(raw) > _WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += raw
    if chunk or not words:
        words.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]


def _header(name: str, value: str) -> str:
    """``value`` has been through clean_header (one line, no control characters)."""
    if value.isascii() and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}"
    return f"{name}: " + (_CRLF + " ").join(encode_words(value))


def _address_header(name: str, display: str, addr_spec: str) -> str:
    if not display:
        return f"{name}: {addr_spec}"
    if display.isascii() and display.replace(" ", "").isalnum():
        return f"{name}: {display} <{addr_spec}>"
    return f"{name}: " + (_CRLF + " ").join(encode_words(display) + [f"<{addr_spec}>"])


def _address_list(name: str, addresses: list[str]) -> str:
    """One address per line after the first when the list is long (lines stay short)."""
    line = f"{name}: " + ", ".join(addresses)
    return line if len(line) <= 78 else f"{name}: " + ("," + _CRLF + " ").join(addresses)


def build_for_row(row, sender: str, language: str, tz: tzinfo, reply_address: str = "") -> Outgoing:
    """The message for an outbox row (the row's Message-ID is reused if set).

    Every part comes from the row, the Date included (when the message was
    queued, in local time): each attempt sends the same bytes. With
    ``reply_address`` (``[inbound] reply_address``), replies go to its
    plus-address for this message, which names the digest even when a mail
    server drops In-Reply-To and References."""
    message_id = row.message_id or message_id_for(row.id, row.key, sender)
    date = row.created_at.astimezone(tz)
    reply_to = list(row.reply_to or [])
    if reply_address and reply_to:  # digests (they name the coordinator); a notice expects no answer
        from tracker.core.inbound import plus_address

        reply_to = [plus_address(reply_address, message_id)]
    return build_message(
        message_id=message_id, sender=sender, language=language, to=row.to_addrs or [], cc=row.cc_addrs or [],
        reply_to=reply_to, subject=row.subject, text=row.body_text, html=row.body_html, date=date,
        skip=frozenset(row.failed_recipients or ()), file_stem=message_id.strip("<>").partition("@")[0],
        attachment=(row.attachment_name, row.attachment) if getattr(row, "attachment", None) else None,
    )
