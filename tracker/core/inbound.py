"""What a message from the office mailbox says. Pure: bytes in, facts out.

``read_message`` turns the raw RFC 5322 bytes of one mailbox message into
``Parsed``: who sent it, which of our digests it names (``In-Reply-To``,
``References``, a ``+TOKEN`` in the address it was sent to), the item numbers
on its first line ("Đã gửi mục 1, 3"), its attachments, and, for a bounce, the
recipients that failed with their status code and the server's reason.

It never raises on bad input: a message that cannot be read says why in
``problem``, and the service puts it in the review queue. The older
``compat32`` parser is used on purpose: it accepts what real mailers send
(bad header encodings, missing boundaries) and records defects instead of
failing on first access, and it is several times faster on a full mailbox.

Delivery status notifications (RFC 3464, ``multipart/report``) are read here;
the non-standard bounce formats are left to flufl.bounce's detectors.
"""

from __future__ import annotations

import email
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import errors as mime_errors
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from enum import StrEnum


class InboxState(StrEnum):
    """What became of one mailbox message (the ``inbox.state`` column)."""

    RECORDED = "recorded"  # a reply that recorded submissions
    REVIEW = "review"  # waits in the review queue for the coordinator
    ASSIGNED = "assigned"  # the coordinator recorded it by hand (inbox assign)
    DISMISSED = "dismissed"  # the coordinator dropped it (inbox dismiss)
    BOUNCE = "bounce"  # a permanent failure: the address is marked bouncing
    TEMPORARY = "temporary"  # a temporary failure (4.x.x): logged only
    IGNORED = "ignored"  # not about our mail: left alone
    DUPLICATE = "duplicate"  # the same Message-ID was read before (another copy)


WAITING = (InboxState.REVIEW,)


class Kind(StrEnum):
    REPLY = "reply"
    BOUNCE = "bounce"
    OTHER = "other"


@dataclass(frozen=True)
class Ref:
    """One of our digests, as its Message-ID names it: ``<outbox-42-1a2b3c4d5e6f@…>``."""

    outbox_id: int
    check: str  # the 12 hex digits: a hash of the outbox key (render/message.py message_id_for)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Failure:
    """One recipient a server could not deliver to."""

    recipient: str
    status: str  # 5.1.1, 4.2.2; 5.0.0 / 4.0.0 when the bounce gives none
    reason: str

    @property
    def permanent(self) -> bool:
        return self.status.startswith("5")


@dataclass(frozen=True)
class Parsed:
    message_id: str | None
    from_addr: str  # lower case addr-spec, "" when missing
    subject: str
    date: datetime | None
    refs: tuple[Ref, ...] = ()  # from In-Reply-To / References / a +TOKEN, in that order
    mentioned: tuple[Ref, ...] = ()  # our Message-IDs anywhere in the message (a bounce quotes them)
    text: str = ""
    html_only: bool = False
    attachments: tuple[Attachment, ...] = ()
    numbers: tuple[int, ...] = ()  # "Đã gửi mục 1, 3" on the first line
    is_report: bool = False  # a delivery status notification (multipart/report)
    failures: tuple[Failure, ...] = ()
    problem: str | None = None  # why it cannot be read as it stands


_OUR_ID = re.compile(r"<outbox-(\d{1,12})-([0-9a-f]{12})@[^<>\s]+>")
_OUR_ID_BYTES = re.compile(rb"outbox-(\d{1,12})-([0-9a-f]{12})@")
_PLUS_TOKEN = re.compile(r"\+outbox-(\d{1,12})-([0-9a-f]{12})@", re.IGNORECASE)
_NUMBERS = re.compile(r"\bmuc\s*((?:\d+\s*(?:,|;|\bva\b|\band\b|&|-|\s)\s*)*\d+)")
_BROKEN = (mime_errors.NoBoundaryInMultipartDefect, mime_errors.StartBoundaryNotFoundDefect,
           mime_errors.CloseBoundaryNotFoundDefect, mime_errors.MultipartInvariantViolationDefect)
_TAG = re.compile(r"<[^>]*>")
_BREAK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.IGNORECASE)
_DROP_BLOCKS = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def reply_token(message_id: str) -> str:
    """The ``+TOKEN`` of a plus-addressed Reply-To for one of our messages: its Message-ID's local part."""
    return message_id.strip("<>").partition("@")[0]


def plus_address(reply_address: str, message_id: str) -> str:
    """``baocao@so.vn`` + ``<outbox-42-…@…>`` -> ``baocao+outbox-42-…@so.vn``."""
    local, _, domain = reply_address.partition("@")
    return f"{local}+{reply_token(message_id)}@{domain}"


def read_message(raw: bytes) -> Parsed:
    """The facts of one message; never raises (a problem is reported in ``problem``)."""
    try:
        msg = email.message_from_bytes(raw)
    except Exception as exc:  # the parser is lenient; this is a last line of defence
        return Parsed(None, "", "", None, problem=f"unreadable message ({type(exc).__name__}: {exc})")
    try:
        return _read(msg, raw)
    except Exception as exc:  # a malformed part the parser let through
        return Parsed(_message_id(msg), _from(msg), _header(msg, "Subject"), None,
                      problem=f"unreadable message ({type(exc).__name__}: {exc})")


def _read(msg: Message, raw: bytes) -> Parsed:
    refs = _refs(msg)
    mentioned = tuple(dict.fromkeys(Ref(int(i), c.decode()) for i, c in _OUR_ID_BYTES.findall(raw)))
    problem = _broken(msg)
    is_report = msg.get_content_type() == "multipart/report"
    failures = _dsn_failures(msg) if is_report else ()
    text, html_only, attachments = _body(msg) if not is_report else ("", False, ())
    return Parsed(
        message_id=_message_id(msg), from_addr=_from(msg), subject=_header(msg, "Subject"), date=_date(msg),
        refs=refs, mentioned=mentioned, text=text, html_only=html_only, attachments=attachments,
        numbers=item_numbers(text), is_report=is_report, failures=failures, problem=problem,
    )


def nonstandard_failures(raw: bytes) -> tuple[Failure, ...]:
    """Failed recipients of a bounce in one of the non-standard formats flufl.bounce
    knows (Exim, Postfix, qmail, Yahoo, …). They carry no status code: 5.0.0 for a
    permanent failure, 4.0.0 for a temporary one; the reason is the bounce's subject."""
    from flufl.bounce import all_failures

    try:
        msg = email.message_from_bytes(raw)
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector tripping over odd input: not a bounce we can read
        return ()
    reason = _header(msg, "Subject") or "undeliverable"
    out = [Failure(_decode_address(a), "5.0.0", reason) for a in sorted(permanent)]
    out += [Failure(_decode_address(a), "4.0.0", reason) for a in sorted(temporary - permanent)]
    return tuple(f for f in out if "@" in f.recipient)


def looks_like_bounce(p: Parsed) -> bool:
    """Sent by a mail system rather than a person: worth asking flufl.bounce."""
    local = p.from_addr.partition("@")[0]
    return (local in ("mailer-daemon", "postmaster", "mail-daemon") or not p.from_addr
            or fold(p.subject).startswith(("undeliver", "delivery status", "returned mail", "failure notice",
                                           "mail delivery fail", "delivery failure")))


def item_numbers(text: str) -> tuple[int, ...]:
    """The item numbers named on the first line written by the unit ("Đã gửi mục 1, 3";
    also without accents, "muc 1 va 3"). Quoted lines (our own digest) are not read."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(">"):
            continue
        match = _NUMBERS.search(fold(line))
        if not match:
            return ()
        return tuple(dict.fromkeys(int(n) for n in re.findall(r"\d+", match.group(1))))
    return ()


def fold(text: str) -> str:
    """Lower case without accents: "Đã gửi MỤC" -> "da gui muc"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


# --- headers -------------------------------------------------------------------

def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except Exception:  # an unknown charset or a broken encoded word: keep what is there
        text = str(value)
    return " ".join(text.split())


def _message_id(msg: Message) -> str | None:
    value = _header(msg, "Message-ID").strip()
    match = re.search(r"<[^<>\s]+>", value)
    return match.group(0)[:255] if match else None


def _from(msg: Message) -> str:
    _name, addr = parseaddr(_header(msg, "From"))
    return addr.strip().lower()


def _date(msg: Message) -> datetime | None:
    try:
        value = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _refs(msg: Message) -> tuple[Ref, ...]:
    found: list[Ref] = []
    # In-Reply-To first (the digest answered), then References newest first.
    for name in ("In-Reply-To",):
        found += [Ref(int(i), c) for i, c in _OUR_ID.findall(_header(msg, name))]
    found += [Ref(int(i), c) for i, c in reversed(_OUR_ID.findall(_header(msg, "References")))]
    addresses = getaddresses([_header(msg, n) for n in ("To", "Cc", "Delivered-To", "X-Original-To")])
    for _name, addr in addresses:
        found += [Ref(int(i), c.lower()) for i, c in _PLUS_TOKEN.findall(addr)]
    return tuple(dict.fromkeys(found))


# --- body ----------------------------------------------------------------------

def _broken(msg: Message) -> str | None:
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, _BROKEN):
                return f"broken MIME structure ({type(defect).__name__})"
    return None


def _body(msg: Message) -> tuple[str, bool, tuple[Attachment, ...]]:
    plain: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = part.get_filename()
        if filename is not None or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype.startswith("message/"):
                continue
            data = part.get_payload(decode=True) or b""
            attachments.append(Attachment(_clean_name(filename, ctype), ctype, data))
            continue
        if ctype == "text/plain" and plain is None:
            plain = _text(part)
        elif ctype == "text/html" and html is None:
            html = _text(part)
    if plain is not None:
        return plain, False, tuple(attachments)
    if html is not None:
        return html_text(html), True, tuple(attachments)
    return "", False, tuple(attachments)


def _text(part: Message) -> str:
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")


def html_text(html: str) -> str:
    """The words of an HTML body, one line per block: enough to read "Đã gửi mục 1, 3"."""
    import html as entities

    text = _DROP_BLOCKS.sub("", html)
    text = _BREAK_TAGS.sub("\n", text)
    text = entities.unescape(_TAG.sub("", text))
    return "\n".join(line.strip() for line in text.splitlines())


def _clean_name(filename: str | None, ctype: str) -> str:
    if filename:
        try:
            filename = str(make_header(decode_header(filename)))
        except Exception:
            pass
        # A name only: never a path (the file is stored by its hash anyway).
        name = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", filename).strip(" .") or "attachment"
        return name[:200]
    return "attachment." + ctype.partition("/")[2][:10]


# --- delivery status notifications (RFC 3464) -----------------------------------

def _dsn_failures(msg: Message) -> tuple[Failure, ...]:
    out: list[Failure] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, str):  # not parsed into header blocks: parse them ourselves
            blocks = [email.message_from_string(b) for b in re.split(r"\r?\n\r?\n", blocks) if b.strip()]
        for block in blocks[1:] if len(blocks) > 1 else blocks:
            failure = _dsn_recipient(block)
            if failure is not None:
                out.append(failure)
    return tuple(out)


def _dsn_recipient(block: Message) -> Failure | None:
    action = (block.get("Action") or "").strip().lower()
    if action not in ("failed", "delayed"):
        return None  # delivered, relayed, expanded: not a failure
    recipient = block.get("Final-Recipient") or block.get("Original-Recipient") or ""
    addr = _decode_address(recipient.partition(";")[2] if ";" in recipient else recipient)
    if "@" not in addr:
        return None
    match = _STATUS.search(block.get("Status") or "")
    status = ".".join(match.groups()) if match else ("5.0.0" if action == "failed" else "4.0.0")
    if action == "delayed" and status.startswith("5"):
        status = "4" + status[1:]  # a delay is never final
    diagnostic = (block.get("Diagnostic-Code") or "").strip()
    reason = diagnostic.partition(";")[2].strip() if ";" in diagnostic else diagnostic
    return Failure(addr, status, " ".join(reason.split())[:500] or status)


def _decode_address(value: bytes | str) -> str:
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return text.strip().strip("<>").strip().lower()
