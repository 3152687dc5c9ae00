"""Bounces are news: a unit whose mailbox refuses our mail was not reminded.

A permanent failure (5.x.x) marks the address on the unit (``units.bouncing``);
from then on the unit's digests are copied to its head (services/dispatch.py),
and the coordinator of the plans the bounced digest was about is told once,
in a notice queued in the outbox under a unique key. Importing the unit with
another address clears the mark (services/imports.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from tracker.core.inbound import Failure
from tracker.store import units as store_units
from tracker.store.outbox import enqueue_notices, queued_message
from tracker.store.tables import plans, units

log = logging.getLogger("tracker.inbox")

NOTICE_PREFIX = "bounce|"

_TEXT = {
    "vi": {
        "subject": "[Không nhận được thư] Hộp thư {address} của đơn vị {unit}",
        "body": ("Kính gửi: {coordinator}\n\n"
                 "Hệ thống nhắc hạn xin báo: hộp thư {address} của đơn vị {unit} không nhận được thư.\n"
                 "Máy chủ thư trả lời: {status} {reason}\n\n"
                 "{head}"
                 "Đề nghị liên hệ đơn vị để có địa chỉ thư điện tử đúng, rồi cập nhật danh sách đơn vị "
                 "(tracker units import); khi địa chỉ được thay, hệ thống thôi gửi kèm thủ trưởng.\n"),
        "head": "Từ nay thư nhắc hạn gửi đơn vị được gửi kèm thủ trưởng đơn vị ({head}).\n",
        "no_head": "Đơn vị chưa có địa chỉ thủ trưởng, nên chưa ai trong đơn vị nhận được thư nhắc.\n",
    },
    "en": {
        "subject": "[Mail not received] Mailbox {address} of {unit}",
        "body": ("Dear {coordinator},\n\n"
                 "The tracker reports that the mailbox {address} of {unit} does not receive mail.\n"
                 "The mail server answered: {status} {reason}\n\n"
                 "{head}"
                 "Please get a working address from the unit and update the units (tracker units import); "
                 "once the address changes, its head is no longer copied.\n"),
        "head": "From now on the unit's reminders are also sent to its head ({head}).\n",
        "no_head": "The unit has no head address, so nobody in the unit receives the reminders.\n",
    },
}


def record_bounce(conn: Connection, rt, now: datetime, failure: Failure, unit_code: str | None,
                  digest_items: list[dict], inbox_id: int) -> bool:
    """Mark ``failure.recipient`` as bouncing on its unit and, when the mark is
    new, queue the coordinator's notice. True when newly marked."""
    u = units.c
    unit = None
    if unit_code is not None:
        unit = conn.execute(select(units).where(u.code == unit_code)).first()
    if unit is None or failure.recipient not in _addresses(unit):
        # The digest's unit does not own the address (a leadership digest, a head): find who does.
        unit = next((r for r in conn.execute(select(units)) if failure.recipient in _addresses(r)), None)
    if unit is None:
        log.warning("bounce for %s: no unit has this address any more", failure.recipient)
        return False
    marks = dict(unit.bouncing or {})
    if failure.recipient in marks:
        return False
    marks[failure.recipient] = {"status": failure.status, "reason": failure.reason,
                                "at": now.isoformat(), "inbox_id": inbox_id}
    # Conditional on the marks read: a concurrent reader marking another address retries nothing twice.
    if not store_units.mark_bouncing(conn, unit, marks, now):
        raise RuntimeError(f"unit {unit.code} changed while marking {failure.recipient}; retried next pass")
    log.warning("%s of unit %s bounces (%s %s): its head is copied from now on", failure.recipient, unit.code,
                failure.status, failure.reason)
    _queue_notice(conn, rt, now, unit, failure, digest_items, inbox_id)
    return True


def _addresses(unit) -> set[str]:
    found = {a.lower() for a in unit.emails or ()}
    if unit.head_email:
        found.add(unit.head_email.lower())
    return found


def _queue_notice(conn: Connection, rt, now: datetime, unit, failure: Failure, digest_items: list[dict],
                  inbox_id: int) -> None:
    plan_codes = {i.get("plan") for i in digest_items}
    query = select(plans.c.coordinator_code)
    query = query.where(plans.c.code.in_(plan_codes)) if plan_codes else query
    codes = sorted({c for c in conn.scalars(query)} - {unit.code})
    u = units.c
    rows = []
    for coordinator in conn.execute(select(u.code, u.name, u.emails).where(u.code.in_(codes))):
        if not coordinator.emails:
            continue
        subject, body = render_notice(failure, unit.name, unit.head_email, coordinator.name,
                                      rt.settings.tracker.language)
        key = f"{NOTICE_PREFIX}{unit.code}|{failure.recipient}|{inbox_id}|{coordinator.code}"[:200]
        rows.append(queued_message(key, coordinator.code, coordinator.emails, subject, body, now))
    if not enqueue_notices(conn, rows):
        log.warning("bounce for %s of unit %s: no coordinator address to tell", failure.recipient, unit.code)


def render_notice(failure: Failure, unit_name: str, head: str | None, coordinator_name: str,
                  language: str) -> tuple[str, str]:
    """Subject and plain-text body of the coordinator's notice. Pure."""
    t = _TEXT.get(language, _TEXT["vi"])
    head_line = t["head"].format(head=head) if head else t["no_head"]
    words = {"address": failure.recipient, "unit": unit_name, "status": failure.status,
             "reason": failure.reason, "coordinator": coordinator_name, "head": head_line}
    return t["subject"].format(**words), t["body"].format(**words)
