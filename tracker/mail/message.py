"""Build the RFC 5322 message for an outbox row. Pure.

We build the MIME ourselves with ``email.message.EmailMessage`` instead of
letting yagmail do it, because yagmail's ``prepare_message`` cannot produce a
real plain-text part next to an HTML part (its text/plain alternative repeats
the HTML source), runs the HTML through premailer, and adds its own
``Message-ID`` after any headers we pass (a second Message-ID header). The
transport hands the finished bytes to yagmail's SMTP connection.

Header safety: every address goes through ``email.headerregistry.Address``
(which rejects anything that is not one addr-spec) and every free text
(subject, display names) through ``clean_header``; the email package then
encodes non-ASCII text as RFC 2047 UTF-8 encoded words, so a unit name like
``"Sở Y tế\\r\\nBcc: x@evil"`` can never add a header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from tracker.config import is_email
from tracker.mail.render import SENDER_NAME, clean_header

# SMTP line endings; 7bit so UTF-8 bodies are base64/quoted-printable and the
# message passes through servers without 8BITMIME unchanged.
POLICY = policy.SMTP.clone(cte_type="7bit")


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


def split_addresses(addresses: list[str] | tuple[str, ...]) -> tuple[list[Address], dict[str, str]]:
    """Valid addresses as ``Address`` objects (deduplicated, order kept) and the invalid ones with a reason."""
    good: list[Address] = []
    bad: dict[str, str] = {}
    seen: set[str] = set()
    for raw in addresses:
        addr = (raw or "").strip()
        if addr.lower() in seen:
            continue
        seen.add(addr.lower())
        if not is_email(addr):
            bad[clean_header(addr, 120)] = "invalid address"
            continue
        try:
            good.append(Address(addr_spec=addr))
        except (ValueError, IndexError):  # headerregistry's parser rejects it
            bad[clean_header(addr, 120)] = "invalid address"
    return good, bad


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
    cc_ok, bad_cc = split_addresses([a for a in cc if a.lower() not in {x.addr_spec.lower() for x in to_ok}])
    bad.update(bad_cc)
    reply_ok, _ = split_addresses(list(reply_to))

    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = clean_header(subject)
    msg["From"] = Address(display_name=clean_header(SENDER_NAME.get(language, "")), addr_spec=sender)
    if to_ok:
        msg["To"] = to_ok
    else:  # RFC 5322 wants a destination header; say who it was for without listing anyone
        msg["To"] = "undisclosed-recipients:;"
    if cc_ok:
        msg["Cc"] = cc_ok
    if reply_ok:
        msg["Reply-To"] = reply_ok
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    # RFC 3834: automatic mail; well-behaved responders do not answer it.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")

    skip_lower = {s.lower() for s in skip}
    recipients = tuple(a.addr_spec for a in to_ok + cc_ok if a.addr_spec.lower() not in skip_lower)
    return Outgoing(message_id=message_id, sender=sender, recipients=recipients,
                    data=msg.as_bytes(policy=POLICY), rejected=bad, file_stem=file_stem)


def build_for_row(row, sender: str, language: str, date: datetime) -> Outgoing:
    """The message for an ``OutboxMessage`` row (the row's Message-ID is reused if set)."""
    message_id = row.message_id or message_id_for(row.id, row.key, sender)
    return build_message(
        message_id=message_id, sender=sender, language=language, to=row.to_addrs or [], cc=row.cc_addrs or [],
        reply_to=row.reply_to or [], subject=row.subject, text=row.body_text, html=row.body_html, date=date,
        skip=frozenset(row.failed_recipients or ()), file_stem=message_id.strip("<>").partition("@")[0],
    )
