"""``tracker mail test``: one message through the configured transport."""

from __future__ import annotations

import uuid
from datetime import datetime

from tracker.config import Settings
from tracker.core.addresses import is_email
from tracker.core.errors import DeliveryError, InputError
from tracker.render.mail import clean_header, render_test
from tracker.render.message import build_message
from tracker.transports.mail import make_transport


def send_test_message(settings: Settings, address: str, now: datetime, environ: dict[str, str] | None = None) -> str:
    """Send one test message to ``address``; return what the server said (or the
    file's path). Any failure is a ``TrackerError`` with a one-line message."""
    address = address.strip()
    if not is_email(address):
        raise InputError(f"{clean_header(address, 80)!r} is not an e-mail address", "ADDRESS")
    rendered = render_test(settings, address, now)
    domain = settings.mail.sender.rpartition("@")[2]
    stem = f"test-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    outgoing = build_message(
        message_id=f"<{stem}@{domain}>", sender=settings.mail.sender, language=settings.tracker.language,
        to=[address], subject=rendered.subject, text=rendered.text, html=rendered.html, date=now, file_stem=stem,
    )
    if outgoing.rejected or not outgoing.recipients:  # refused before any transport writes or sends a byte
        reason = "; ".join(outgoing.rejected.values()) or "no valid recipient"
        raise InputError(f"{clean_header(address, 80)!r} cannot be sent to: {reason}", "ADDRESS")
    # Bounded: connecting and the whole exchange each within mail.message_timeout.
    transport = make_transport(settings, environ)
    transport.open()
    try:
        result = transport.send(outgoing, allow_partial=True)
    finally:
        transport.close()
    if not result.accepted:
        reason = "; ".join(reply for _code, reply in result.refused.values()) or "refused"
        raise DeliveryError(f"{address} was refused: {reason}", permanent=True)
    if transport.name == "smtp":
        return f"{address}: accepted by {transport.where}: {result.reply}"  # type: ignore[attr-defined]
    if transport.name == "file":
        return f"{address}: written to {result.reply}"
    return f"{address}: {result.reply}"
