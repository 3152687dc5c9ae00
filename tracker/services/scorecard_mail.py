"""Mail each coordinator the scorecard when a quarter, half-year or year ends.

Decide, record, deliver: the decision is the outbox row itself, under the
unique key ``scorecard:<period end>:<coordinator>``, written in the pass's
transaction; delivery sends it like any other row. A second daemon, a second
pass or a restart meets the key and writes nothing. Outside the few days after
a period end this costs one date comparison per pass (core/scorecard.py,
scorecards_due).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from tracker.core.scorecard import scorecards_due
from tracker.services.runtime import Runtime
from tracker.store.outbox import enqueue_once, queued_message
from tracker.store.tables import outbox, plans, units

log = logging.getLogger(__name__)
KEY_PREFIX = "scorecard:"


def enqueue_scorecards(rt: Runtime, conn, now: datetime) -> list[str]:
    """Queue the due scorecard messages on ``conn`` (inside the caller's transaction); their keys."""
    kinds = set(rt.settings.scorecard.mail_periods)
    if not kinds:
        return []
    local = now.astimezone(rt.tz)
    due = scorecards_due(local.date(), local.time() >= rt.settings.send_time, rt.calendar.is_working_day, kinds)
    if due is None:
        return []
    end, periods = due
    plans_of: dict[str, list[int]] = {}
    for plan_id, coordinator in conn.execute(select(plans.c.id, plans.c.coordinator_code)):
        plans_of.setdefault(coordinator, []).append(plan_id)
    keys = {c: f"{KEY_PREFIX}{end.isoformat()}:{c}"[:200] for c in plans_of}
    done = set(conn.scalars(select(outbox.c.key).where(outbox.c.key.in_(list(keys.values())))))
    queued = []
    for coordinator in sorted(plans_of):
        if keys[coordinator] not in done and _queue_one(rt, conn, now, keys[coordinator], coordinator,
                                                         plans_of[coordinator], periods):
            queued.append(keys[coordinator])
    return queued


def _queue_one(rt: Runtime, conn, now: datetime, key: str, coordinator: str, plan_ids: list[int],
               periods: list[str]) -> bool:
    from tracker.render.scorecard_files import render_xlsx
    from tracker.render.scorecard_mail import attachment_name, render_scorecard_mail
    from tracker.services.scorecard import count

    cards = [count(conn, rt, now, period, plan_ids=plan_ids) for period in periods]
    if not any(c.total.expected or c.total.waived for c in cards):
        return False  # nothing was due in these periods: no message (checked again next pass, cheaply)
    unit = conn.execute(select(units.c.name, units.c.emails).where(units.c.code == coordinator)).first()
    if unit is None or not unit.emails:
        log.warning("scorecard %s: coordinator %s has no e-mail address", key, coordinator)
        return False
    # The workbook rides on the outbox row's attachment column (migration of issue 19's
    # digest attachments); a store without it gets the figures in the text only.
    attach = "attachment" in outbox.c
    name = attachment_name(cards) if attach else None
    subject, body = render_scorecard_mail(cards, unit.name, name)
    row = queued_message(key, coordinator, unit.emails, subject, body, now,
                         cc=rt.settings.escalation.leadership, items=[{"scorecard": c.period} for c in cards],
                         attachment_name=name, attachment=render_xlsx(*cards) if attach else None)
    # None: another pass decided it first, and its row is the decision.
    return enqueue_once(conn, row) is not None
