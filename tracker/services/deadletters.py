"""Tell the coordinator about mail that could not be delivered.

A dead letter (attempts exhausted) or an address the server refused means a
unit was not reminded: the coordinator must hear of it, or the tool is silent
exactly when it matters. One notice per failed message and coordinator, under
a unique outbox key, so restarts and several daemons never repeat it.

A message whose delivery could not be confirmed (the server took it and its
answer was lost, twice: ``unconfirmed``, never sent a third time) gets the same
notice in other words: it most likely arrived, so the coordinator is asked to
check with the unit and to resend it by name if it did not. Its key ends in
``|unconfirmed``: should the coordinator resend it and that fail, the dead
letter is a new notice.
"""

from __future__ import annotations

import re

from datetime import datetime, timedelta

from sqlalchemy import select

from tracker.store.tables import outbox, plans, units
from tracker.store.outbox import FailedDelivery, enqueue_notices, failed_since, queued_message
from tracker.services.runtime import Runtime
from tracker.core.states import OutboxState

NOTICE_PREFIX = "dead-letter|"
# Failures older than this were reported by earlier passes (or predate the
# feature); the bound keeps the query on recent rows.
LOOKBACK = timedelta(days=7)

_TEXT = {
    "vi": {
        "subject": "[Không gửi được] Thư nhắc hạn tới {who}",
        "intro": "Kính gửi: {name}\n\nHệ thống nhắc hạn không gửi được thư sau, nên đơn vị nhận chưa được nhắc:",
        "fields": ("Thư", "Người nhận", "Địa chỉ bị từ chối", "Lỗi", "Thời điểm"),
        "action": "Đề nghị kiểm tra địa chỉ thư điện tử của đơn vị (tracker units import) hoặc máy chủ thư, "
                  "rồi gửi lại bằng: tracker outbox retry {id}",
        "partial": "Thư đã được gửi tới các địa chỉ còn lại ({delivered}); chỉ các địa chỉ bị từ chối chưa nhận được.",
        "partial_action": "Đề nghị sửa địa chỉ của đơn vị (tracker units import): các thư nhắc sau sẽ gửi tới "
                          "địa chỉ mới. Không cần gửi lại thư này.",
        "unconfirmed_subject": "[Chưa xác nhận] Thư nhắc hạn tới {who}",
        "unconfirmed_intro": "Kính gửi: {name}\n\nMáy chủ thư đã nhận thư sau nhưng không xác nhận (kết nối bị ngắt "
                             "hoặc quá thời gian chờ sau khi gửi), hai lần, nên không biết đơn vị đã nhận được hay "
                             "chưa. Hệ thống không gửi lại thư này:",
        "unconfirmed_action": "Đề nghị hỏi đơn vị đã nhận được thư chưa; nếu chưa, gửi lại bằng: "
                              "tracker outbox retry {id}",
    },
    "en": {
        "subject": "[Undelivered] Reminder to {who}",
        "intro": "Dear {name},\n\nThe tracker could not deliver the message below, so its recipients were not reminded:",
        "fields": ("Message", "Recipients", "Refused addresses", "Error", "When"),
        "action": "Please check the unit's e-mail addresses (tracker units import) or the mail server, "
                  "then resend with: tracker outbox retry {id}",
        "partial": "It was delivered to the other addresses ({delivered}); only the refused ones did not get it.",
        "partial_action": "Please correct the unit's addresses (tracker units import): the next reminders go to "
                          "the new ones. This message need not be sent again.",
        "unconfirmed_subject": "[Unconfirmed] Reminder to {who}",
        "unconfirmed_intro": "Dear {name},\n\nThe mail server took the message below but never confirmed it (the "
                             "connection dropped or timed out after sending), twice, so it is not known whether its "
                             "recipients got it. The tracker will not send it again:",
        "unconfirmed_action": "Please ask the unit whether it arrived; if it did not, resend it with: "
                              "tracker outbox retry {id}",
    },
}


def notify_dead_letters(rt: Runtime, conn, now: datetime) -> int:
    """Enqueue one notice per recent delivery failure to the coordinator of each
    plan the failed message was about; returns how many were enqueued.
    ``conn``: a Connection or a Session (Core statements only)."""
    failures = [f for f in failed_since(conn, now - LOOKBACK) if not f.key.startswith(NOTICE_PREFIX)]
    if not failures:
        return 0
    coordinator_of = dict(conn.execute(select(plans.c.code, plans.c.coordinator_code)).all())
    u = units.c
    coordinators = {r.code: r for r in conn.execute(
        select(u.code, u.name, u.emails).where(u.code.in_(set(coordinator_of.values()))))}
    items_by_id = dict(conn.execute(select(outbox.c.id, outbox.c["items"])
                                    .where(outbox.c.id.in_([f.outbox_id for f in failures]))).all())
    wanted = {}
    for f in failures:
        codes = sorted({coordinator_of[i["plan"]] for i in items_by_id.get(f.outbox_id) or []
                        if i.get("plan") in coordinator_of})
        for code in codes:
            unit = coordinators.get(code)
            if unit is not None and unit.emails and code != f.recipient_unit:
                suffix = "|unconfirmed" if f.state == OutboxState.UNCONFIRMED else ""
                wanted[f"{NOTICE_PREFIX}{f.outbox_id}|{code}{suffix}"] = (f, unit)
    if not wanted:
        return 0
    done = set(conn.execute(select(outbox.c.key).where(outbox.c.key.in_(list(wanted)))).scalars())
    rows = []
    for key, (failure, unit) in wanted.items():
        if key in done:
            continue
        subject, body = render_notice(failure, unit.name, rt.settings.tracker.language, rt.tz)
        rows.append(queued_message(key, unit.code, unit.emails, subject, body, now))
    return enqueue_notices(conn, rows)


def public_error(error: str) -> str:
    """The error as a coordinator may read it: the SMTP server's name, port and
    our login name stay in the log (the row keeps them), not in mail."""
    error = re.sub(r"SMTP \S+:\d+ \([a-z]+\)", "SMTP server", error)
    return re.sub(r"login as '[^']*' refused", "login refused", error)


def render_notice(f: FailedDelivery, coordinator_name: str, language: str, tz) -> tuple[str, str]:
    """Subject and plain-text body of a notice. Pure."""
    t = _TEXT.get(language, _TEXT["vi"])
    who = ", ".join(f.to) or "?"
    labels = t["fields"]
    unconfirmed = f.state == OutboxState.UNCONFIRMED
    lines = [t["unconfirmed_intro" if unconfirmed else "intro"].format(name=coordinator_name), "",
             f"- {labels[0]}: {f.subject}", f"- {labels[1]}: {who}"]
    if f.failed_recipients:
        lines.append(f"- {labels[2]}: {', '.join(f.failed_recipients)}")
    if f.error:
        lines.append(f"- {labels[3]}: {public_error(f.error)}")
    lines.append(f"- {labels[4]}: {f.at.astimezone(tz):%d/%m/%Y %H:%M}")
    delivered = [a for a in f.to if a not in f.failed_recipients]
    if unconfirmed:  # most likely delivered: ask before sending it again
        lines += ["", t["unconfirmed_action"].format(id=f.outbox_id), ""]
        return t["unconfirmed_subject"].format(who=who), "\n".join(lines)
    if f.state == OutboxState.SENT and delivered:
        # Partly refused: the rest got it, and `outbox retry` (failed messages only) would refuse it.
        lines += ["", t["partial"].format(delivered=", ".join(delivered)), t["partial_action"], ""]
    else:
        lines += ["", t["action"].format(id=f.outbox_id), ""]
    return t["subject"].format(who=who), "\n".join(lines)
