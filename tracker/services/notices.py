"""Messages the loop of a submission sends, queued in the outbox in the same
transaction as the change they report (decide, record, then deliver): the
daemon's delivery sends them with the digests, with the same retries."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from tracker.services.runtime import Runtime
from tracker.store import outbox
from tracker.store.models import Assignment, Unit

log = logging.getLogger("tracker.notices")


def enqueue_returned(rt: Runtime, session: Session, a: Assignment, reason: str, now: datetime, *,
                     reopened: bool = False) -> str | None:
    """Queue the message telling the unit its report came back, and why; its outbox key.
    ``reopened``: it had been accepted or acknowledged, and the message says so no longer holds."""
    from tracker.render.notices import render_returned
    from tracker.services.links import digest_links

    unit, ob = a.unit, a.obligation
    plan = ob.plan
    to = list(unit.emails or []) or ([unit.head_email] if unit.head_email else [])
    if not to:
        log.warning("%s/%s/%s: returned, but the unit has no e-mail address to tell", plan.code, ob.code, unit.code)
        return None
    cc = [unit.head_email] if unit.head_email and unit.head_email not in to else []
    coordinator = session.query(Unit).filter(Unit.code == (ob.report_to or plan.coordinator_code)).one_or_none()
    reply_to = [e for e in (coordinator.emails if coordinator else []) if e not in to and e not in cc]
    links = digest_links(rt.settings)
    rendered = render_returned(
        rt.settings, unit_name=unit.name, title=ob.title, plan_title=plan.title, plan_number=plan.number,
        period=a.period, due_at=a.due_at, reason=reason, link=links(unit.id, unit.link_version) if links else None,
        now=now, reopened=reopened,
    )
    key = f"returned:{unit.code}|{a.id}|{now.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
    row = outbox.queued_message(
        key, unit.code, to, rendered.subject, rendered.text, now, cc=cc, reply_to=reply_to, body_html=rendered.html,
        items=[{"plan": plan.code, "obligation": ob.code, "unit": unit.code, "period": a.period,
                "stage": "returned", "due": a.due_at.astimezone(rt.tz).isoformat()}],
    )
    return outbox.enqueue_many(session, [row])[key].key
