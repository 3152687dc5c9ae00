"""Every message the scheduler would send over a period, from the current store.

As if the daemon ran continuously from ``start`` and nobody submitted anything
more: the same pure policy and the same grouping into digests as ``tick``
(services/dispatch.py), replayed in memory at each instant a stage falls due.
It reads in one read-only session and writes nothing.

Assignments the daemon would materialise on the way (periods beyond each
obligation's high-water mark, up to the horizon as seen from ``end``) are
simulated too, so a preview of next year is not silently empty.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.core import policy
from tracker.store.models import Assignment, Obligation
from tracker.core.digest import Digest, DigestItem
from tracker.core.errors import InputError
from tracker.services.dispatch import Context, Directory, Send, context_of, group_digests, load_history, make_context
from tracker.services.materialise import horizon_end, responsible_units, rule_of
from tracker.core.schedule import occurrences
from tracker.services.runtime import Runtime

_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Message:
    at: datetime
    digest: Digest
    subject: str

    def items(self) -> list[DigestItem]:
        return self.digest.ordered()

    def to_json(self, tz) -> dict:
        """The shape of docs/cli.md (``simulate --json``), one object per message."""
        d = self.digest
        return {
            "at": self.at.astimezone(tz).isoformat(), "to": list(d.to), "cc": list(d.cc),
            "recipient_unit": d.recipient_unit, "subject": self.subject,
            "items": [i.to_json(tz) for i in self.items()],
        }


def simulate(rt: Runtime, start: datetime, end: datetime) -> list[Message]:
    """Messages in send order (time, then recipient) for passes in [start, end]."""
    if end < start:
        raise InputError("--to is before --from", "--to")
    from tracker.render.mail import render_subject

    with rt.store.read() as session:
        contexts, histories = _existing(session, end)
        virtual = list(_not_yet_materialised(rt, session, end))
        contexts += virtual
        histories += [{} for _ in virtual]
        directory = Directory(tuple(rt.settings.escalation.leadership))
        directory.load_all(session)
    cal, pol = rt.calendar, policy.PolicySettings.from_settings(rt.settings)
    # The first pass at ``start`` catches up what was due and never decided, as
    # the real daemon does on start-up; then one pass at each stage time.
    queue = [(start, i) for i in range(len(contexts))]
    heapq.heapify(queue)
    messages: list[Message] = []
    while queue and queue[0][0] <= end:
        at = queue[0][0]
        due: list[int] = []
        while queue and queue[0][0] == at:
            due.append(heapq.heappop(queue)[1])
        sends: list[Send] = []
        for i in sorted(due):
            ctx, history = contexts[i], histories[i]
            verdict = policy.decide(ctx.target, history, cal, pol, at)
            for d in verdict.decisions:
                history[d.stage] = policy.Past(d.outcome, d.routes)
                if d.outcome == policy.SENT:
                    sends.append(Send((i, d.stage), ctx.item(d.stage), d.routes, ctx.target.coordinator))
            if verdict.next_action_at is not None:
                heapq.heappush(queue, (max(verdict.next_action_at, at), i))
        grouped = group_digests(at, sends, directory)
        for i, stage in grouped.unroutable:  # as the tick records them: skipped, no address
            histories[i][stage] = policy.Past(policy.SKIPPED)
        for digest in grouped.digests:
            messages.append(Message(at, digest, render_subject(digest, rt.settings)))
    return messages


def _existing(session: Session, end: datetime) -> tuple[list[Context], list[dict[str, policy.Past]]]:
    """Assignments with something left to do by ``end`` (the tick's own index), with their history."""
    rows = list(session.scalars(
        select(Assignment).where(Assignment.next_action_at.is_not(None), Assignment.next_action_at <= end)
        .order_by(Assignment.next_action_at, Assignment.id)
        .options(selectinload(Assignment.obligation).selectinload(Obligation.plan), selectinload(Assignment.unit))
    ))
    history: dict[int, dict[str, policy.Past]] = {}
    for n in range(0, len(rows), _CHUNK):
        history.update(load_history(session, rows[n:n + _CHUNK]))
    return [context_of(a, a.obligation, a.obligation.plan, a.unit) for a in rows], [dict(history[a.id]) for a in rows]


def _not_yet_materialised(rt: Runtime, session: Session, end: datetime) -> Iterable[Context]:
    until = horizon_end(rt, end)
    shift = rt.settings.calendar.shift
    for ob in session.scalars(select(Obligation).where(Obligation.retired.is_(False))):
        if ob.materialised_until is not None and ob.materialised_until >= until:
            continue
        rule = rule_of(ob, ob.plan, shift)
        done: set[str] = set()
        if ob.materialised_until is not None:
            done = {o.period for o in occurrences(rule, until=ob.materialised_until, calendar=rt.calendar, tz=rt.tz)}
        fresh = [o for o in occurrences(rule, until=until, calendar=rt.calendar, tz=rt.tz) if o.period not in done]
        if not fresh:
            continue
        for unit in responsible_units(session, ob, ob.plan):
            for occ in fresh:
                yield make_context(ob=ob, plan=ob.plan, unit_code=unit.code, unit_name=unit.name,
                                   period=occ.period, kind=ob.kind, due_at=occ.due_at, ends_at=occ.ends_at)
