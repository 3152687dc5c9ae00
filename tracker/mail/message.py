"""Build the RFC 5322 message for an outbox row. Pure.

We build the MIME ourselves instead of letting yagmail do it, because
yagmail's ``prepare_message`` cannot produce a real plain-text part next to an
HTML part (its text/plain alternative repeats the HTML source), runs the HTML
through premailer, and adds its own ``Message-ID`` after any headers we pass
(a second Message-ID header). The transport hands the finished bytes to
yagmail's SMTP connection.

We use the classic ``email.mime`` classes with explicit RFC 2047 encoding
(``email.header.Header``), the same machinery yagmail uses, rather than
``EmailMessage``: the modern policy re-parses and re-folds every header at
generation time, ~10-30 ms per message for Vietnamese subjects, which made
message building the bottleneck of a delivery batch (bench/mail_bench.py).

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
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from functools import lru_cache
from email.headerregistry import Address
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

from tracker.config import is_email
from tracker.mail.render import SENDER_NAME, clean_header

# RFC 5322 line endings on the wire and in .eml files. Bodies are base64
# (MIMEText with utf-8), so the message is 7-bit clean and passes servers
# without 8BITMIME or SMTPUTF8 unchanged.
POLICY = policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Outgoing:
    """A message ready for a transport: envelope plus the bytes on the wire."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]  # envelope RCPT TO; may be fewer than To+Cc after rejections
    data: bytes
    rejected: dict[str, str] = field(default_factory=dict)  # address -> why, found before sending
    file_stem: str = ""  # the file transport's name for it


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
    except (ValueError, IndexError):
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
) -> Outgoing:
    """The message for To/Cc/Reply-To, sent to every valid recipient not in ``skip``
    (addresses that already rejected it permanently; they stay in the headers)."""
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
    if html:
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(text, "plain", "utf-8"))
        body.attach(MIMEText(html, "html", "utf-8"))
    else:
        body = MIMEText(text, "plain", "utf-8")
    # Every piece above is ASCII by construction (validated addresses, encoded words);
    # check it anyway: a line break not followed by a space would start a new header.
    if any(not h.isascii() or _BARE_BREAK.search(h) for h in headers):
        raise ValueError("internal error: unsafe header block")
    head = _CRLF.join(headers) + _CRLF
    data = head.encode("ascii") + body.as_bytes(policy=POLICY)

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


def build_for_row(row, sender: str, language: str, date: datetime) -> Outgoing:
    """The message for an ``OutboxMessage`` row (the row's Message-ID is reused if set)."""
    message_id = row.message_id or message_id_for(row.id, row.key, sender)
    return build_message(
        message_id=message_id, sender=sender, language=language, to=row.to_addrs or [], cc=row.cc_addrs or [],
        reply_to=row.reply_to or [], subject=row.subject, text=row.body_text, html=row.body_html, date=date,
        skip=frozenset(row.failed_recipients or ()), file_stem=message_id.strip("<>").partition("@")[0],
    )
