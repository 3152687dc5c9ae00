"""The outbox: one row per digest, enqueued in the same transaction as the
decisions it carries, so a decided stage is never lost nor sent twice.

Delivery (claim, send, mark sent/failed, backoff) is added by the mail layer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tracker.db.models import OutboxMessage
from tracker.digest import Digest
from tracker.mail.render import Rendered


def enqueue(session: Session, digest: Digest, rendered: Rendered, now: datetime, tz) -> OutboxMessage:
    msg = OutboxMessage(
        key=digest.key, recipient_unit=digest.recipient_unit, to_addrs=list(digest.to), cc_addrs=list(digest.cc),
        reply_to=list(digest.reply_to), subject=rendered.subject, body_text=rendered.text,
        body_html=rendered.html, items=[i.to_json(tz) for i in digest.items], state="queued", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    session.add(msg)
    session.flush()
    return msg
